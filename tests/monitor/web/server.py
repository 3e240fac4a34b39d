"""Serving the web app for a test: in a thread (uvicorn on its own loop, a free port), or as the user
runs it (``newswatch serve --port 0`` in a child process, the URL read from its first line)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.types import ASGIApp

from newswatch.monitor.daemon.http import HttpServer
from tests.conftest import NEWSWATCH_CLI, ROOT


@contextmanager
def in_thread(app: ASGIApp, token: str | None = None) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, in a thread; yields the base URL (no trailing slash)."""
    server = HttpServer(app, "127.0.0.1", 0, token)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        assert server.task is not None
        loop.run_until_complete(server.task)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30), "the server did not start"
    try:
        yield server.url.rstrip("/")
    finally:
        server.server.should_exit = True
        thread.join(30)
        loop.close()


@contextmanager
def newswatch_serve(config: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``newswatch serve --port 0`` as a child process; yields its base URL."""
    code = NEWSWATCH_CLI
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen([sys.executable, "-W", "error", "-c", code, "--config", str(config), "serve",
                                "--port", "0"], cwd=config.parent, env=environ, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("serving http://"), line + process.stderr.read()[-3000:]
        yield line.split()[1].rstrip("/")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0, "SIGTERM stops `newswatch serve` cleanly"


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = b"" if method in ("POST", "PUT", "PATCH") else None
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
