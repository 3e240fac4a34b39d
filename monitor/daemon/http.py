"""Serving an ASGI app with uvicorn on the running event loop (the daemon's is Scrapy's asyncio reactor
loop), and the guard in front of it.

Safe by default: bound to a loopback address, no credential is needed; bound to any other address, the
credential named by ``web.token_env`` must be set, or the server refuses to start. With a credential,
every request but ``/healthz`` needs ``Authorization: Bearer <token>`` or basic auth with the token as
password (any user name), so browsers, feed readers and Prometheus can all send it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import ipaddress
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from newswatch.storage.errors import ConfigError

OPEN_PATHS = frozenset({"/healthz"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credential(host: str, host_key: str, token_env: str, environ: Mapping[str, str]) -> str | None:
    """The token guarding a server bound to ``host``: required unless ``host`` is loopback."""
    token = environ.get(token_env) or None
    if token is None and not is_loopback(host):
        raise ConfigError(host_key, f"bound to {host}, not loopback: set a token in the environment variable "
                                    f"{token_env} (web.token_env), or bind to 127.0.0.1")
    return token


class Guard:
    """ASGI middleware: 401 without the token (bearer or basic-auth password), except for OPEN_PATHS."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or scope.get("path") in OPEN_PATHS \
                or self._allowed(dict(scope.get("headers") or ()).get(b"authorization", b"")):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"www-authenticate", b'Basic realm="newswatch", charset="UTF-8"'),
            (b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b"401: a token is needed (see web.token_env)\n"})

    def _allowed(self, header: bytes) -> bool:
        assert self.token is not None
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return hmac.compare_digest(value.strip(), self.token)
        if scheme.lower() == b"basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded.partition(b":")[2], self.token)
        return False


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon (or ``serve``) owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class HttpServer:
    """One uvicorn server on the running loop: ``await start()``, ``url``, ``await stop()``."""

    app: ASGIApp
    host: str
    port: int
    token: str | None = None

    def __post_init__(self) -> None:
        config = uvicorn.Config(Guard(self.app, self.token), log_config=None, access_log=False, lifespan="off",
                                server_header=False, timeout_graceful_shutdown=5)
        self.server = _Server(config)
        self.task: asyncio.Task[Any] | None = None
        self.bound: tuple[str, int] | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.bound = sock.getsockname()[:2]
        self.task = asyncio.ensure_future(self.server.serve(sockets=[sock]))
        while not self.server.started and not self.task.done():
            await asyncio.sleep(0.02)
        if self.task.done():
            self.task.result()

    @property
    def url(self) -> str:
        host, port = self.bound or (self.host, self.port)
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
