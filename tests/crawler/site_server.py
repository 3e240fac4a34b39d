"""A loopback HTTP server for crawler tests: canned responses, byte for byte.

    server = SiteServer({"/": (200, {"Content-Type": "text/html; charset=gbk"}, "中文".encode("gbk"))})
    server.start()                       # 127.0.0.1, ephemeral port (SiteServer(host="::1"): IPv6 loopback)
    server.url("/")                      # "http://127.0.0.1:PORT/"
    server.add("/feed.xml", body=b"<rss/>", headers={"Content-Type": "application/rss+xml"})
    server.add("/gz", body=b"<p>hi</p>", headers={"Content-Type": "text/html"}, gzip=True)
    server.add_redirect("/old", "/new")  # 301, Location sent as given
    server.add_robots("User-agent: *\\nDisallow: /private/\\n")
    server.add_hang("/slow")             # accepts, reads the request, never answers
    server.route("/late", Route(200, (), b"ok", delay=2.0))  # answers after two seconds
    server.hits("/gz"); server.requests  # what was asked for (with arrival times), for "no network" assertions
    server.add_sequence("/busy", [Route(429, (("Retry-After", "2"),)), Route(200, (), b"ok")])  # in turn
    server.stop()                        # idempotent; also closes open keep-alive connections

A route with an ``ETag`` or ``Last-Modified`` header answers a matching conditional GET
(``If-None-Match`` equal to the ETag; or ``If-Modified-Since`` not earlier than ``Last-Modified``) with 304
and no body.
Headers are sent exactly as given (names, case, charset parameters, lies included). A
``Content-Length`` is added unless the route sets one; a route whose ``Content-Length`` differs from
its body gets the body as is and then the connection closed (a truncated download). An unknown
path answers 404 with an empty body. Routes are matched on the exact request target
(path + query) first, then on the path alone.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urljoin, urlsplit

HeaderPairs = tuple[tuple[str, str], ...]


def _pairs(headers: Mapping[str, str] | HeaderPairs | None) -> HeaderPairs:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return tuple((str(k), str(v)) for k, v in headers.items())
    return tuple((str(k), str(v)) for k, v in headers)


@dataclass(frozen=True)
class Route:
    """One canned response. ``hang``: read the request and never answer."""

    status: int = 200
    headers: HeaderPairs = ()
    body: bytes = b""
    hang: bool = False
    trickle: bool = False  # send the headers, then one byte of the body a second
    late_headers: Callable[[], HeaderPairs] | None = None  # more headers, computed when the answer is sent
    delay: float = 0.0  # seconds to wait before answering (a slow page)

    @classmethod
    def of(cls, spec: Route | tuple[Any, ...]) -> Route:
        if isinstance(spec, Route):
            return spec
        status, headers, body = spec
        return cls(int(status), _pairs(headers), bytes(body))

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    at: float = 0.0  # time.time() when the request arrived

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


@dataclass
class _State:
    routes: dict[str, Route] = field(default_factory=dict)
    sequences: dict[str, list[Route]] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real sites
    timeout = 10  # idle keep-alive connections end on their own
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = SeenRequest(self.command, self.path, tuple(self.headers.items()), body, time.time())
        with state.lock:
            state.seen.append(seen)
            sequence = state.sequences.get(seen.path)
            if sequence:
                route = sequence.pop(0) if len(sequence) > 1 else sequence[0]
            else:
                route = state.routes.get(self.path) or state.routes.get(seen.path) or Route(404)
        if route.delay:
            state.stopping.wait(route.delay)
        if route.hang:
            state.stopping.wait()
            self.close_connection = True
            return
        if route.trickle:
            self._trickle(route)
            return
        if route.status == 200 and self._not_modified(route):
            route = Route(304, tuple((k, v) for k, v in route.headers if k.lower() in ("etag", "last-modified")),
                          late_headers=route.late_headers)
        self._answer(route, send_body=send_body)

    def _trickle(self, route: Route) -> None:
        self.send_response(route.status)
        for name, value in route.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        for index in range(len(route.body)):
            if self.server.state.stopping.wait(1.0):
                break
            try:
                self.wfile.write(route.body[index : index + 1])
                self.wfile.flush()
            except OSError:
                break
        self.close_connection = True

    def _not_modified(self, route: Route) -> bool:
        """Conditional GET as real servers do it: a matching ETag, or (without ``If-None-Match``) an
        ``If-Modified-Since`` equal to or later than the route's ``Last-Modified``, gets a 304."""
        etag, modified = route.header("ETag"), route.header("Last-Modified")
        if self.headers.get("If-None-Match") is not None:
            return etag is not None and self.headers.get("If-None-Match") == etag
        since = self.headers.get("If-Modified-Since")
        if modified is None or since is None:
            return False
        return since == modified or _not_later(modified, since)

    def _answer(self, route: Route, *, send_body: bool) -> None:
        self.send_response(route.status)
        for name, value in (*route.headers, *(route.late_headers() if route.late_headers else ())):
            self.send_header(name, value)
        declared = route.header("Content-Length")
        if declared is None:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(route.body)
        if declared is not None and declared.strip() != str(len(route.body)):
            self.close_connection = True


def _not_later(modified: str, since: str) -> bool:
    """Whether the HTTP date ``modified`` is not after ``since`` (False when either does not parse)."""
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    allow_reuse_address = True

    def __init__(self, state: _State, port: int = 0, host: str = "127.0.0.1") -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.state = state
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a size cap, a timeout) is expected here, not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 (or ``host``, e.g. ``::1``) serving registered routes."""

    def __init__(self, routes: Mapping[str, Route | tuple[Any, ...]] | None = None, port: int = 0,
                 host: str = "127.0.0.1") -> None:
        self._state = _State()
        self._wanted_port = port
        self.host = host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        for path, spec in (routes or {}).items():
            self.route(path, spec)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SiteServer:
        if self._server is not None:
            return self
        self._state.stopping.clear()
        self._server = _Server(self._state, self._wanted_port, self.host)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, release hanging routes and close open connections. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._state.stopping.set()
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the site server was never started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return urljoin(self.base_url + "/", path)

    # -- routes ------------------------------------------------------------------------------

    def route(self, path: str, spec: Route | tuple[Any, ...]) -> None:
        """Serve *spec* (a :class:`Route` or ``(status, headers, body_bytes)``) at *path*."""
        with self._state.lock:
            self._state.routes[path] = Route.of(spec)

    def add(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | HeaderPairs | None = None,
        gzip: bool = False,
    ) -> None:
        """Serve *body* at *path*; ``gzip=True`` compresses it and adds ``Content-Encoding: gzip``."""
        pairs = _pairs(headers)
        if gzip:
            body = gzip_module.compress(body, mtime=0)
            pairs += (("Content-Encoding", "gzip"),)
        self.route(path, Route(status, pairs, body))

    def add_sequence(self, path: str, routes: Sequence[Route]) -> None:
        """Answer the requests for *path* with *routes* in turn; the last one answers every later request."""
        with self._state.lock:
            self._state.sequences[path] = list(routes)

    def add_redirect(self, path: str, location: str, status: int = 301) -> None:
        """Redirect *path* to *location*, sent as given (a relative location stays relative)."""
        self.route(path, Route(status, (("Location", location),)))

    def add_robots(self, text: str) -> None:
        self.add("/robots.txt", text.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"})

    def add_trickle(self, path: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """A route that answers one byte a second (a slow-loris server)."""
        self.route(path, Route(200, _pairs(headers), body, trickle=True))

    def add_hang(self, path: str) -> None:
        """A route that accepts the connection, reads the request and never answers."""
        self.route(path, Route(hang=True))

    # -- what was asked ----------------------------------------------------------------------

    @property
    def requests(self) -> list[SeenRequest]:
        with self._state.lock:
            return list(self._state.seen)

    def hits(self, path: str | None = None) -> int:
        """How many requests arrived (for *path* only, when given: path without query)."""
        return sum(1 for r in self.requests if path is None or r.path == path)
