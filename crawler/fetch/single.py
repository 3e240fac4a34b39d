"""One guarded synchronous fetch, for commands that look at a single page (``newswatch extract URL``,
``newswatch sources add URL``) without starting a crawl.

The same rules as the crawl: http(s) only; every address of the host (and of every redirect target)
checked by the SSRF guard (:func:`crawler.fetch.netguard.check_addresses`, ``crawl.allow_networks``) and
the connection made to the address that was checked (no second lookup to rebind); the body capped
at ``max_bytes`` *decompressed* (gzip and deflate are asked for and decoded with a bounded
decompressor); ``timeout`` on connecting, on every read and on the whole body; at most
``max_redirects`` redirects, loops refused. Refusals raise :class:`~storage.errors.FetchRefused`;
network failures, bad encodings and truncated bodies :class:`~storage.errors.CrawlError`. HTTP error
statuses are returned, not raised.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newswatch.crawler.addresses import Network, check_addresses, literal_address, parse_networks
from newswatch.storage.errors import CrawlError, FetchRefused

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    allow_networks: tuple[str, ...] = ()
    max_bytes: int = 5 * 1024 * 1024
    timeout: float = 30.0
    user_agent: str = "newswatch/0.1"
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    requested: str
    url: str  # after redirects
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # decoded from its Content-Encoding

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")


def fetch(url: str, limits: FetchLimits) -> Fetched:
    """GET ``url`` under ``limits`` (see the module doc), following redirects."""
    networks = parse_networks(limits.allow_networks)
    seen = [url]
    current = url
    while True:
        status, headers, body = _get(current, limits, networks)
        location = next((v for k, v in headers if k.lower() == "location"), None)
        if status not in REDIRECTS or not location:
            return Fetched(url, current, status, headers, body)
        target = urljoin(current, location.strip())
        if target in seen:
            raise FetchRefused(f"{url}: redirect loop at {target}")
        if len(seen) > limits.max_redirects:
            raise FetchRefused(f"{url}: more than {limits.max_redirects} redirects")
        seen.append(target)
        current = target


def _get(url: str, limits: FetchLimits, networks: tuple[Network, ...]
         ) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"{url}: only http(s) URLs are fetched")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses(host, port)
    check_addresses(host, addresses, networks)
    connection = _connection(parts.scheme, host, port, addresses[0], limits.timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", target, headers={
            "User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        })
        response = connection.getresponse()
        headers = tuple((k, v) for k, v in response.getheaders())
        raw = _read(response, url, limits.max_bytes, limits.timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise CrawlError(f"{url}: {type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    return response.status, headers, _decoded(raw, encoding, url, limits.max_bytes)


def _addresses(host: str, port: int) -> list[str]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise CrawlError(f"{host}: cannot resolve ({exc})") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _read(response: http.client.HTTPResponse, url: str, cap: int, timeout: float) -> bytes:
    """The body, at most ``cap`` bytes, within ``timeout`` seconds in all (a server trickling bytes
    cannot hold the command)."""
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > cap:
        raise FetchRefused(f"{url}: larger than {cap} bytes (Content-Length {declared.strip()})")
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_CHUNK):
        if time.monotonic() > deadline:
            raise CrawlError(f"{url}: timeout: the body took longer than {timeout:g} s")
        size += len(chunk)
        if size > cap:
            raise FetchRefused(f"{url}: larger than {cap} bytes")
        chunks.append(chunk)
    if response.length:  # the connection ended before Content-Length bytes came
        raise CrawlError(f"{url}: truncated body ({response.length} of {declared} bytes missing)")
    return b"".join(chunks)


def _decoded(raw: bytes, encoding: str, url: str, cap: int) -> bytes:
    if encoding in ("identity", ""):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise CrawlError(f"{url}: unsupported Content-Encoding {encoding!r}")
    # 47: a gzip or zlib header; "deflate" is zlib-wrapped (0x78...) as the RFC says, or raw as IIS sends it
    wbits = 47 if encoding != "deflate" else (15 if raw[:1] == b"\x78" else -15)
    decompressor = zlib.decompressobj(wbits)
    try:
        body = decompressor.decompress(raw, cap + 1)
    except zlib.error as exc:
        raise CrawlError(f"{url}: bad {encoding} body ({exc})") from exc
    if len(body) > cap or decompressor.unconsumed_tail:
        raise FetchRefused(f"{url}: larger than {cap} bytes once decompressed")
    if not decompressor.eof:
        raise CrawlError(f"{url}: truncated {encoding} body")
    return body


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to the address the guard checked, whatever DNS says now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to the checked address; the certificate is verified for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _connection(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPS(host, port, address, timeout)
    return _PinnedHTTP(host, port, address, timeout)
