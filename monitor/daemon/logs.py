"""The daemon's log: one handler on the root logger, installed once, that Scrapy never replaces.

Scrapy re-installs *its* root handler at the crawl's ``LOG_LEVEL`` whenever a ``Crawler`` is set up, if
one is installed; the daemon installs none of Scrapy's
(``LOG_INSTALL_ROOT_HANDLER = False``) and uses this one instead: newswatch's own lines
(``newswatch.*``) from ``level``, everybody else's (Scrapy, Twisted, uvicorn) from ``others``.
``text`` is the classic one-line format; ``json`` is one JSON object per line (for journald, Loki, ...).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "json")
TEXT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
OURS = "newswatch"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's ``fields`` (a dict given as
    ``extra={"fields": ...}``) as keys of their own, and the exception, if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)  # figures given as extra={"fields": {...}}: keys of their own
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class LevelByOrigin(logging.Filter):
    """Records of ``newswatch.*`` from ``ours``, the rest from ``others``."""

    def __init__(self, ours: int, others: int) -> None:
        super().__init__()
        self.ours, self.others = ours, others

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == OURS or record.name.startswith(OURS + ".")
        return record.levelno >= (self.ours if own else self.others)


def formatter(kind: str) -> logging.Formatter:
    if kind not in FORMATS:
        raise ValueError(f"log format: expected one of {', '.join(FORMATS)}, got {kind!r}")
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT)


def install(kind: str = "text", level: int = logging.INFO, others: int = logging.WARNING,
            stream: TextIO | None = None) -> logging.Handler:
    """Install the daemon's root handler (once; a second call replaces the first) and return it."""
    handler = logging.StreamHandler(stream)
    handler.set_name("newswatch-daemon")
    handler.setFormatter(formatter(kind))
    handler.addFilter(LevelByOrigin(level, others))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "newswatch-daemon"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(min(level, others))
    return handler
