"""The daemon's log handler: newswatch's INFO lines and other loggers' warnings, as text or one JSON object
per line; a Scrapy crawl's own root handler (at WARNING) does not silence it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from scrapy.settings import Settings
from scrapy.utils.log import install_scrapy_root_handler

from monitor.core import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    handler = logs.install("json", stream=out)
    yield out
    root.removeHandler(handler)
    root.setLevel(saved[0])


def test_json_lines_with_levels_by_origin(stream: io.StringIO) -> None:
    logging.getLogger("newswatch.daemon").info("recheck crawl: ok %s", {"new": 1})
    logging.getLogger("scrapy.core.engine").info("Spider opened")  # below WARNING: not shown
    logging.getLogger("scrapy.core.engine").warning("a \"quoted\" 警告\nnext line")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["logger"], e["level"]) for e in lines] == [("newswatch.daemon", "INFO"),
                                                          ("scrapy.core.engine", "WARNING")]
    assert lines[0]["message"] == "recheck crawl: ok {'new': 1}" and lines[1]["message"].endswith("next line")


def test_a_crawls_root_handler_does_not_silence_the_daemon(stream: io.StringIO) -> None:
    from scrapy.utils import log as scrapy_log

    install_scrapy_root_handler(Settings({"LOG_LEVEL": "WARNING", "LOG_ENABLED": False}))
    try:
        logging.getLogger("newswatch.daemon").info("after the crawl")
    finally:
        scrapy_log._uninstall_scrapy_root_handler()
    assert "after the crawl" in stream.getvalue()


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        logs.formatter("xml")
