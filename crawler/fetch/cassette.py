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
  ``downloader/exception_type_count/storage.errors.CassetteError``) and counts ``cassette/missing``.

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
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.client import responses as http_reasons
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urldefrag
from weakref import WeakKeyDictionary

import yaml
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadCancelledError, NotConfigured, StopDownload
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import build_from_crawler
from twisted.python.failure import Failure
from vcr import matchers
from vcr.cassette import Cassette
from vcr.errors import UnhandledHTTPRequestError
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize

from newswatch.storage.corpus.folder import write_atomic
from newswatch.storage.errors import CassetteError, ConfigError, CorpusWriteError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PATH_SETTING = "NEWSWATCH_CASSETTE"
MODE_SETTING = "NEWSWATCH_CASSETTE_MODE"
HANDLER = "newswatch.crawler.fetch.cassette.CassetteDownloadHandler"

MATCH_ON = (matchers.method, matchers.scheme, matchers.host, matchers.port, matchers.path, matchers.query)
"""vcrpy matchers: method + scheme, host, port, path, query (sorted parameters)."""

RECORDING_ACCEPT_ENCODING = b"gzip, deflate, br"
_VCR_DECODABLE = frozenset({"gzip", "deflate", "br", "identity"})


class CassetteMode(StrEnum):
    RECORD = "record"
    REPLAY = "replay"


def _parse_mode(value: object) -> CassetteMode:
    try:
        return CassetteMode(str(value).strip().lower())
    except ValueError:
        choices = " or ".join(repr(mode.value) for mode in CassetteMode)
        raise ConfigError(MODE_SETTING, f"must be {choices}, not {value!r}") from None


@dataclass(frozen=True)
class CassetteConfig:
    path: Path
    mode: CassetteMode
    repeat: bool = False  # replay: answer a request again as often as it comes (a daemon's many cycles)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CassetteConfig:
        """Read the cassette settings; ``NotConfigured`` without a cassette path."""
        path = settings.get(PATH_SETTING)
        if not path:
            raise NotConfigured(
                f"{PATH_SETTING} is not set: the cassette handler needs a cassette file "
                f"(use crawler.fetch.cassette.cassette_settings() to enable it)"
            )
        mode = _parse_mode(settings.get(MODE_SETTING, CassetteMode.REPLAY.value))
        return cls(Path(path), mode, settings.getbool("NEWSWATCH_CASSETTE_REPEAT"))


def cassette_settings(path: str | os.PathLike[str], mode: str) -> dict[str, Any]:
    """The Scrapy settings that record a crawl to, or replay it from, the cassette at *path*."""
    return {
        PATH_SETTING: os.fspath(path),
        MODE_SETTING: _parse_mode(mode).value,
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
    }


class AtomicFilesystemPersister(FilesystemPersister):  # type: ignore[misc]
    """vcrpy's filesystem persister, but a cassette is written to a temp file and renamed."""

    @staticmethod
    def save_cassette(cassette_path: str | os.PathLike[str], cassette_dict: Any, serializer: Any) -> None:
        data: str = serialize(cassette_dict, serializer)
        try:
            write_atomic(Path(cassette_path), data)
        except CorpusWriteError as exc:
            raise CassetteError(f"cannot save the cassette: {exc}") from exc


def _quiet_vcrpy() -> None:
    """vcrpy logs each interaction, body and all, at INFO: not in crawl logs unless asked for."""
    vcr_logger = logging.getLogger("vcr.cassette")
    if vcr_logger.level == logging.NOTSET:
        vcr_logger.setLevel(logging.WARNING)


def open_cassette(config: CassetteConfig) -> Any:
    """A vcrpy ``Cassette``: empty for recording, loaded from disk for replay."""
    _quiet_vcrpy()
    path = str(config.path)
    if config.mode is CassetteMode.RECORD:
        return Cassette(
            path=path, record_mode=RecordMode.ALL, match_on=MATCH_ON, persister=AtomicFilesystemPersister
        )
    if not config.path.is_file():
        raise CassetteError(f"cassette {path} does not exist: record it with {MODE_SETTING}=record")
    try:
        cassette = Cassette.load(
            path=path, record_mode=RecordMode.NONE, match_on=MATCH_ON, persister=AtomicFilesystemPersister,
            allow_playback_repeats=config.repeat,
        )
    except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise CassetteError(f"cassette {path} is not a readable vcrpy cassette: {exc}") from exc
    if not cassette.rewound:
        raise CassetteError(f"cassette {path} is empty or not UTF-8 text")
    return cassette


# --- conversions between Scrapy and vcrpy -------------------------------------------------


def _text(value: bytes) -> str:
    return value.decode("latin-1")  # as http.client decodes headers: lossless for any bytes


def _raw(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def recording_accept_encoding(value: bytes | None) -> bytes | None:
    """The ``Accept-Encoding`` to record with: only codings vcrpy can decode (None: leave unset)."""
    if value is None:
        return None
    codings = [part.strip() for part in _text(value).split(",") if part.strip()]
    kept = [c for c in codings if c.split(";")[0].strip().lower() in _VCR_DECODABLE]
    if not any(c.split(";")[0].strip().lower() != "identity" for c in kept):
        return RECORDING_ACCEPT_ENCODING
    return ", ".join(kept).encode("latin-1")


def vcr_request(request: Request) -> Any:
    """The vcrpy request for a Scrapy request (fragment dropped: it is never sent)."""
    headers = {_text(name): ", ".join(_text(v) for v in values) for name, values in request.headers.items()}
    return VcrRequest(request.method, urldefrag(request.url)[0], request.body or None, headers)


def vcr_response(response: Response) -> dict[str, Any]:
    """The vcrpy response dict (status, headers, raw body bytes) for a Scrapy response."""
    headers = {_text(name): [_text(v) for v in values] for name, values in response.headers.items()}
    return {
        "status": {"code": response.status, "message": http_reasons.get(response.status, "")},
        "headers": headers,
        "body": {"string": response.body},
    }


def recorded_parts(recorded: Mapping[str, Any]) -> tuple[int, Headers, bytes]:
    """Status, headers and body bytes of a recorded vcrpy response, byte for byte."""
    status = recorded["status"]
    code = int(status["code"] if isinstance(status, Mapping) else status)
    headers = Headers()
    for name, values in (recorded.get("headers") or {}).items():
        listed = values if isinstance(values, list | tuple) else [values]
        headers.setlist(_raw(name), [_raw(v) for v in listed])
    body = recorded.get("body")
    raw = body.get("string") if isinstance(body, Mapping) else body
    return code, headers, _raw(raw) if raw is not None else b""


def build_response(url: str, status: int, headers: Headers, body: bytes, flags: list[str]) -> Response:
    respcls = responsetypes.from_args(headers=headers, url=url, body=body)
    return respcls(url=url, status=status, headers=headers, body=body, flags=flags)


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
