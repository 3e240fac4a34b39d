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

from newswatch.crawler.items import FetchError
from newswatch.monitor.daemon import logs
from newswatch.monitor.runs.crawllog import log_crawl
from newswatch.monitor.runs.run import RunSummary


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


def test_a_partial_crawl_is_a_warning_with_its_failures_by_kind_as_fields(stream: io.StringIO) -> None:
    errors = (FetchError("http://a.example/", "dns_failed", "no such host"),
              FetchError("http://b.example/", "dns_failed", "no such host"),
              FetchError("http://b.example/x", "http_500", "500"),
              FetchError("http://c.example/", "refused_robots", "robots.txt"))
    stats = {"newswatch/fetched/page": 4, "newswatch/articles/new": 1}
    log_crawl(logging.getLogger("newswatch.daemon"), "source:甲", RunSummary(7, "partial", stats, errors))
    log_crawl(logging.getLogger("newswatch.daemon"), "recheck", RunSummary(8, "ok", stats, ()))
    partial, ok = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (partial["level"], ok["level"]) == ("WARNING", "INFO")
    assert partial["message"].endswith("; failed URLs: dns_failed 2, http_500 1"), partial["message"]
    assert partial["failed_by_kind"] == {"dns_failed": 2, "http_500": 1}  # refusals are not failures
    assert (partial["crawl"], partial["run"], partial["outcome"]) == ("source:甲", 7, "partial")
    assert (partial["fetched"], partial["new"], partial["errors"]) == (4, 1, 3)
    assert ok["failed_by_kind"] == {} and "failed URLs" not in ok["message"]
