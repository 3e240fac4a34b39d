"""The vcrpy side of a cassette (:mod:`crawler.fetch.cassette` is the download handler): its settings
(``NEWSWATCH_CASSETTE``, ``NEWSWATCH_CASSETTE_MODE``), the file opened empty for recording or loaded for
replay and written atomically, and Scrapy's requests and responses converted to vcrpy's and back, byte for
byte (headers as latin-1 text, as http.client decodes them).

Matching: method + scheme, host, port, path and query (parameters compared as a sorted list;
fragments, headers and bodies ignored). The files are standard vcrpy YAML.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.client import responses as http_reasons
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag

import yaml
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from vcr import matchers
from vcr.cassette import Cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize

from newswatch.storage.corpus.folder import write_atomic
from newswatch.storage.errors import CassetteError, ConfigError, CorpusWriteError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

PATH_SETTING = "NEWSWATCH_CASSETTE"
MODE_SETTING = "NEWSWATCH_CASSETTE_MODE"

MATCH_ON = (matchers.method, matchers.scheme, matchers.host, matchers.port, matchers.path, matchers.query)
"""vcrpy matchers: method + scheme, host, port, path, query (sorted parameters)."""

RECORDING_ACCEPT_ENCODING = b"gzip, deflate, br"
_VCR_DECODABLE = frozenset({"gzip", "deflate", "br", "identity"})


class CassetteMode(StrEnum):
    """What a crawl does with its cassette: append every interaction, or answer from it."""

    RECORD = "record"
    REPLAY = "replay"


def parse_mode(value: object) -> CassetteMode:
    """The mode named by ``value`` (any case); :class:`ConfigError` for anything else."""
    try:
        return CassetteMode(str(value).strip().lower())
    except ValueError:
        choices = " or ".join(repr(mode.value) for mode in CassetteMode)
        raise ConfigError(MODE_SETTING, f"must be {choices}, not {value!r}") from None


@dataclass(frozen=True)
class CassetteConfig:
    """The cassette of one crawl: its file, its mode, and whether a replay may answer a request again."""

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
        mode = parse_mode(settings.get(MODE_SETTING, CassetteMode.REPLAY.value))
        return cls(Path(path), mode, settings.getbool("NEWSWATCH_CASSETTE_REPEAT"))


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
    """The Scrapy response of the class Scrapy picks for these headers, URL and body (HTML, XML, text...)."""
    respcls = responsetypes.from_args(headers=headers, url=url, body=body)
    return respcls(url=url, status=status, headers=headers, body=body, flags=flags)
