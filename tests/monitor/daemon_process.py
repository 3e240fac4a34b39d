"""A ``newswatch daemon`` in a child process, as the daemon tests run it: started with warnings as errors,
stopped with SIGTERM (its clean stop), killed if it outlives the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import NEWSWATCH_CLI, ROOT

CODE = NEWSWATCH_CLI


@contextmanager
def running_daemon(config: Path, args: Sequence[str], cwd: Path,
                   env: Mapping[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """``newswatch --config config daemon *args`` in ``cwd``; killed on the way out if still running."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("NEWSWATCH_DATABASE_URL", None)
    daemon = subprocess.Popen([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), "daemon", *args],
                              cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield daemon
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()


def stop_daemon(daemon: subprocess.Popen[str], timeout: float = 60) -> str:
    """SIGTERM, then wait for the exit; the daemon's stderr."""
    daemon.send_signal(signal.SIGTERM)
    _out, err = daemon.communicate(timeout=timeout)
    return err
