"""Record and replay Scrapy crawls in vcrpy cassettes: a download handler.

Enable it for a crawl by merging :func:`cassette_settings` into the crawl's settings::

    settings.update(cassette_settings("tests/cassettes/site.yaml", "record"))  # or "replay"

which sets ``NEWSWATCH_CASSETTE`` (the file), ``NEWSWATCH_CASSETTE_MODE`` (unset: replay) and points
``DOWNLOAD_HANDLERS`` for ``http``/``https`` at :class:`CassetteDownloadHandler` (replacing any
``DOWNLOAD_HANDLERS`` dict of your own: merge by hand). Without a cassette the handler raises
``NotConfigured``, which leaves the scheme unsupported (never silently on the network). It sits below
every downloader middleware: robots.txt (recorded too), redirects, retries, cookies and
decompression run as in production.

* ``record``: every request goes to the network through Scrapy's own ``HTTP11DownloadHandler`` and
  the interaction is appended; the cassette is written at the end of the crawl (temp file + rename)
  and holds exactly that crawl (an older file at the path is replaced, not merged). The request's
  ``Accept-Encoding`` is narrowed to the codings vcrpy can decode (``gzip, deflate, br``; Scrapy
  also offers ``zstd``, which vcrpy cannot decode). Transport failures (refused connections,
  timeouts, data loss) cannot be stored in a vcrpy cassette and are not recorded.
* ``replay``: responses come from the cassette and nothing touches the network. Status, headers
  and body bytes are exactly as recorded (compressed bodies stay compressed for
  ``HttpCompressionMiddleware``); ``DOWNLOAD_MAXSIZE``/``DOWNLOAD_WARNSIZE`` and the
  ``headers_received``/``bytes_received`` signals apply as for a real download. A request missing
  from the cassette fails with :class:`~storage.errors.CassetteError` (errback, and
  ``downloader/exception_type_count/newswatch.storage.errors.CassetteError``) and counts ``cassette/missing``.

Matching: method + scheme, host, port, path and query (parameters compared as a sorted list;
fragments, headers and bodies ignored). Each interaction plays once, in recorded order: a retried URL
replays its attempts one after another, and one fetched more often than recorded is missing.

Stats: ``cassette/recorded``, ``cassette/not_recorded`` (a transport failure while recording),
``cassette/played``, ``cassette/missing``.

The files are standard vcrpy YAML: vcrpy can load ours, and we replay vcrpy's. One cassette per
crawl: two crawls writing the same path at once leave only the last one's recording.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urldefrag
from weakref import WeakKeyDictionary

import yaml
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadCancelledError, StopDownload
from scrapy.http import Headers
from scrapy.utils.misc import build_from_crawler
from twisted.python.failure import Failure
from vcr.errors import UnhandledHTTPRequestError

from newswatch.crawler.fetch.vcrcassette import (
    MODE_SETTING,
    PATH_SETTING,
    CassetteConfig,
    CassetteMode,
    build_response,
    open_cassette,
    parse_mode,
    recorded_parts,
    recording_accept_encoding,
    vcr_request,
    vcr_response,
)
from newswatch.storage.errors import CassetteError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

HANDLER = "newswatch.crawler.fetch.cassette.CassetteDownloadHandler"


def cassette_settings(path: str | os.PathLike[str], mode: str) -> dict[str, Any]:
    """The Scrapy settings that record a crawl to, or replay it from, the cassette at *path*."""
    return {
        PATH_SETTING: os.fspath(path),
        MODE_SETTING: parse_mode(mode).value,
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
    }


# --- sessions: one cassette per crawl, shared by the http and https handler instances -------


class _Session(ABC):
    def __init__(self, crawler: Crawler, config: CassetteConfig, cassette: Any) -> None:
        self.crawler = crawler
        self.config = config
        self.cassette = cassette
        self._closed = False

    @abstractmethod
    async def download(self, request: Request) -> Response: ...

    @abstractmethod
    async def _finish(self) -> None: ...

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            _SESSIONS.pop(self.crawler, None)  # the session refers to its crawler: drop it here
            await self._finish()


class _RecordSession(_Session):
    def __init__(self, crawler: Crawler, config: CassetteConfig, cassette: Any) -> None:
        super().__init__(crawler, config, cassette)
        self._http = build_from_crawler(HTTP11DownloadHandler, crawler)
        logger.info("Recording the crawl to cassette %s", config.path)

    async def download(self, request: Request) -> Response:
        offered = request.headers.getlist(b"Accept-Encoding")
        accept = recording_accept_encoding(b", ".join(offered) if offered else None)
        if accept is not None:
            request.headers[b"Accept-Encoding"] = accept
        try:
            response = await self._http.download_request(request)
        except Exception as exc:
            self.crawler.stats.inc_value("cassette/not_recorded")
            logger.warning("Not recorded (replay will miss it): %s: %r", request, exc)
            raise
        self.cassette.append(vcr_request(request), vcr_response(response))
        self.crawler.stats.inc_value("cassette/recorded")
        return response

    async def _finish(self) -> None:
        try:
            await self._http.close()
        finally:
            try:
                self.cassette._save(force=True)
            except (OSError, yaml.YAMLError) as exc:
                raise CassetteError(f"cannot write cassette {self.config.path}: {exc}") from exc
        logger.info("Recorded %d interactions to cassette %s", len(self.cassette), self.config.path)


class _ReplaySession(_Session):
    def __init__(self, crawler: Crawler, config: CassetteConfig, cassette: Any) -> None:
        super().__init__(crawler, config, cassette)
        settings = crawler.settings
        self._maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self._warnsize = settings.getint("DOWNLOAD_WARNSIZE")
        self._missing = 0
        logger.info("Replaying the crawl from cassette %s (%d interactions)", config.path, len(cassette))

    async def download(self, request: Request) -> Response:
        wanted = vcr_request(request)
        if not self.cassette.can_play_response_for(wanted):
            self._missing += 1
            self.crawler.stats.inc_value("cassette/missing")
            raise CassetteError(self._missing_message(request, wanted))
        status, headers, body = recorded_parts(self.cassette.play_response(wanted))
        self.crawler.stats.inc_value("cassette/played")
        request.meta["download_latency"] = 0.0
        return self._deliver(request, status, headers, body)

    def _missing_message(self, request: Request, wanted: Any) -> str:
        try:
            recorded = len(self.cassette.responses_of(wanted))
        except UnhandledHTTPRequestError:
            recorded = 0
        why = f"all {recorded} recorded responses already played" if recorded else "never recorded"
        return (
            f"{request.method} {request.url} is not in cassette {self.config.path} ({why}; matching on "
            f"method, scheme, host, port, path and query): record it again with {MODE_SETTING}=record"
        )

    def _deliver(self, request: Request, status: int, headers: Headers, body: bytes) -> Response:
        """Build the response as ``HTTP11DownloadHandler`` would: signals, then size limits."""
        url = urldefrag(request.url)[0]
        stop = self._stop_requested(signals.headers_received, request, headers=headers, body_length=len(body))
        if stop is None:
            self._check_size(request, len(body))
            if body:
                stop = self._stop_requested(signals.bytes_received, request, data=body)
        else:
            body = b""
        response = build_response(url, status, headers, body, ["cassette"])
        if stop is not None:
            response.flags.append("download_stopped")
            if stop.fail:
                stop.response = response
                raise stop
        return response

    def _stop_requested(self, signal: object, request: Request, **kwargs: Any) -> StopDownload | None:
        results = self.crawler.signals.send_catch_log(
            signal=signal, request=request, spider=self.crawler.spider, **kwargs
        )
        for _handler, result in results:
            if isinstance(result, Failure) and isinstance(result.value, StopDownload):
                return result.value
        return None

    def _check_size(self, request: Request, size: int) -> None:
        """``DOWNLOAD_MAXSIZE``/``DOWNLOAD_WARNSIZE`` (or the request's meta keys), as when fetching."""
        maxsize = int(request.meta.get("download_maxsize", self._maxsize))
        warnsize = int(request.meta.get("download_warnsize", self._warnsize))
        if maxsize and size > maxsize:
            message = f"Received {size} bytes which is larger than download max size ({maxsize})"
            logger.warning("%s in request %s.", message, request)
            raise DownloadCancelledError(f"{message} in request {request}.")
        if warnsize and size > warnsize:
            message = f"Received {size} bytes which is larger than download warn size ({warnsize})"
            logger.warning("%s in request %s.", message, request)

    async def _finish(self) -> None:
        played = sum(1 for count in self.cassette.play_counts.values() if count)
        logger.info(
            "Cassette %s: %d of %d interactions played, %d requests missing",
            self.config.path,
            played,
            len(self.cassette),
            self._missing,
        )


_SESSIONS: WeakKeyDictionary[Crawler, _Session] = WeakKeyDictionary()


def _session_for(crawler: Crawler) -> _Session:
    session = _SESSIONS.get(crawler)
    if session is None:
        config = CassetteConfig.from_settings(crawler.settings)
        cassette = open_cassette(config)
        kind = _RecordSession if config.mode is CassetteMode.RECORD else _ReplaySession
        session = _SESSIONS[crawler] = kind(crawler, config, cassette)
    return session


class CassetteDownloadHandler(BaseDownloadHandler):
    """Scrapy download handler for ``http``/``https`` that records to or replays from a cassette."""

    lazy = False  # open the cassette when the crawl starts: a missing cassette fails early

    def __init__(self, crawler: Crawler, session: _Session) -> None:
        super().__init__(crawler)
        self._session = session

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, _session_for(crawler))

    async def download_request(self, request: Request) -> Response:
        return await self._session.download(request)

    async def close(self) -> None:
        await self._session.close()
