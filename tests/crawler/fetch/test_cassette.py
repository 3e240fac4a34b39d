"""Record/replay of Scrapy crawls through the cassette download handler.

Every crawl runs in a child Python process (``crawl_in_subprocess``): the Twisted reactor cannot be
restarted, so one pytest process cannot run several ``AsyncCrawlerProcess`` crawls, and installing
a reactor in the pytest process would leak into every other test. The child runs with ``-W error``
(as pytest does), so a deprecated Scrapy API used by the handler fails the crawl. The spider below
writes its items with Scrapy's feed exporter; the child writes the final stats next to them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import scrapy
import vcr
import yaml
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response, TextResponse
from scrapy.settings import Settings
from twisted.python.failure import Failure
from vcr.cassette import Cassette
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from newswatch.crawler.fetch.cassette import HANDLER, cassette_settings
from newswatch.crawler.fetch.vcrcassette import (
    AtomicFilesystemPersister,
    CassetteConfig,
    CassetteMode,
    build_response,
    open_cassette,
    recorded_parts,
    recording_accept_encoding,
    vcr_request,
    vcr_response,
)
from newswatch.storage.errors import CassetteError, ConfigError
from tests.crawler.site_server import SiteServer

ROOT = Path(__file__).resolve().parents[3]

GBK_TEXT = "新闻：北京今日晴，气温二十度。"
UTF8_TEXT = "头条新闻 — front page"
BINARY = bytes(range(256)) * 3 + b"\x00\xff\xfe"
PAGES = ["/", "/gz", "/gbk", "/liar", "/old", "/missing", "/boom", "/logo.bin", "/private/secret"]

BASE_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,  # on by default in Scrapy 2.19: a code-execution HTTP server
    "LOG_LEVEL": "INFO",
    "DOWNLOAD_TIMEOUT": 15,
    "CLOSESPIDER_TIMEOUT": 60,
    "RETRY_TIMES": 1,
    "CONCURRENT_REQUESTS": 4,
}


def _html(text: str, charset: str) -> bytes:
    return f"<html><body><p>{text}</p></body></html>".encode(charset)


def serve_news_site(server: SiteServer) -> None:
    """A few pages exercising decompression, charsets, redirects, errors and robots.txt."""
    html_utf8 = {"Content-Type": "text/html; charset=utf-8"}
    server.add_robots("User-agent: *\nDisallow: /private/\n")
    server.add("/", _html(UTF8_TEXT, "utf-8"), headers=html_utf8)
    server.add("/gz", _html("compressed page 压缩", "utf-8"), headers=html_utf8, gzip=True)
    server.add("/gbk", _html(GBK_TEXT, "gbk"), headers={"Content-Type": "text/html; charset=GBK"})
    # lies: says Latin-1, is UTF-8 -> Scrapy decodes mojibake, the same in record and replay
    server.add("/liar", _html(GBK_TEXT, "utf-8"), headers={"Content-Type": "text/html; charset=iso-8859-1"})
    server.add_redirect("/old", "/new")
    server.add("/new", _html("moved here", "utf-8"), headers=html_utf8)
    server.add("/missing", b"not here", status=404, headers={"Content-Type": "text/plain"})
    server.add("/boom", b"oops", status=500, headers={"Content-Type": "text/plain"})
    server.add("/logo.bin", BINARY, headers={"Content-Type": "application/octet-stream"})
    server.add("/private/secret", b"never fetched", headers={"Content-Type": "text/plain"})


# --- the crawl, in a child process -------------------------------------------------------------


class PageSpider(scrapy.Spider):
    """Fetch the given URLs; one item per response or failure."""

    name = "cassette_pages"
    handle_httpstatus_list = [404, 500]  # noqa: RUF012 - Scrapy's spider attribute
    urls: list[str]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response) -> Iterator[dict[str, Any]]:
        text = response.text if isinstance(response, TextResponse) else None
        yield {
            "url": response.url,
            "status": response.status,
            "class": type(response).__name__,
            "text": text,
            "sha256": hashlib.sha256(response.body).hexdigest(),
            "redirect_urls": response.meta.get("redirect_urls", []),
            "flags": response.flags,
        }

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request = getattr(failure, "request", None)
        yield {
            "url": request.url if request else None,
            "error": type(failure.value).__name__,
            "message": str(failure.value),
        }


@dataclass(frozen=True)
class CrawlResult:
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str

    def by_url(self) -> dict[str, dict[str, Any]]:
        return {item["url"]: item for item in self.items}


def crawl_main(spec_file: str) -> None:
    """Child process: run one crawl of :class:`PageSpider` and write items and stats."""
    from scrapy.crawler import AsyncCrawlerProcess

    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    feed = {spec["items"]: {"format": "jsonlines", "encoding": "utf-8"}}
    process = AsyncCrawlerProcess({**spec["settings"], "FEEDS": feed})
    crawler = process.create_crawler(PageSpider)
    process.crawl(crawler, urls=spec["urls"])
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    Path(spec["stats"]).write_text(json.dumps(stats), encoding="utf-8")


def crawl_in_subprocess(workdir: Path, urls: list[str], settings: dict[str, Any]) -> CrawlResult:
    workdir.mkdir(parents=True, exist_ok=True)
    items, stats, spec = workdir / "items.jsonl", workdir / "stats.json", workdir / "spec.json"
    for stale in (items, stats):
        stale.unlink(missing_ok=True)
    payload = {
        "urls": urls,
        "settings": {**BASE_SETTINGS, **settings},
        "items": str(items),
        "stats": str(stats),
    }
    spec.write_text(json.dumps(payload), encoding="utf-8")
    code = "import sys; from tests.crawler.fetch.test_cassette import crawl_main; crawl_main(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, str(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0 and stats.exists(), f"crawl failed:\n{proc.stderr[-8000:]}"
    lines = items.read_text(encoding="utf-8").splitlines() if items.exists() else []
    loaded = json.loads(stats.read_text(encoding="utf-8"))
    return CrawlResult([json.loads(line) for line in lines], loaded, proc.stderr)


def without_flags(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stripped = [{k: v for k, v in item.items() if k != "flags"} for item in items]
    return sorted(stripped, key=lambda item: json.dumps(item, sort_keys=True))


# --- crawls ------------------------------------------------------------------------------------


def test_replay_reproduces_the_recorded_crawl_with_the_server_stopped(
    site_server: SiteServer, tmp_path: Path
) -> None:
    serve_news_site(site_server)
    urls = [site_server.url(path) for path in PAGES]
    cassette = tmp_path / "cassettes" / "news.yaml"

    recorded = crawl_in_subprocess(tmp_path / "record", urls, cassette_settings(cassette, "record"))
    site_server.stop()
    replayed = crawl_in_subprocess(tmp_path / "replay", urls, cassette_settings(cassette, "replay"))

    assert without_flags(replayed.items) == without_flags(recorded.items)
    assert all("cassette" in item["flags"] for item in replayed.items if "flags" in item)
    interactions = len(Cassette.load(path=str(cassette)))
    assert recorded.stats["cassette/recorded"] == interactions
    assert replayed.stats["cassette/played"] == interactions
    assert "cassette/missing" not in replayed.stats
    assert replayed.stats["finish_reason"] == "finished"
    check_recorded_items(site_server, recorded)


def check_news_items(base: str, result: CrawlResult) -> None:
    """What a crawl of the news site sees: decompression, charsets, redirect, errors, robots."""
    items = result.by_url()
    assert items[f"{base}/"]["text"] == _html(UTF8_TEXT, "utf-8").decode("utf-8")
    assert "compressed page 压缩" in items[f"{base}/gz"]["text"]
    assert GBK_TEXT in items[f"{base}/gbk"]["text"]
    assert GBK_TEXT not in items[f"{base}/liar"]["text"]  # the lie is believed, consistently
    assert items[f"{base}/new"]["redirect_urls"] == [f"{base}/old"]
    assert items[f"{base}/missing"]["status"] == 404
    assert items[f"{base}/boom"]["status"] == 500
    assert items[f"{base}/logo.bin"]["sha256"] == hashlib.sha256(BINARY).hexdigest()
    assert items[f"{base}/private/secret"]["error"] == "IgnoreRequest"
    assert result.stats["retry/count"] == 1
    assert result.stats["robotstxt/response_status_count/200"] == 1


def check_recorded_items(server: SiteServer, result: CrawlResult) -> None:
    check_news_items(server.base_url, result)
    assert server.hits("/private/secret") == 0
    assert server.hits("/boom") == 2
    sent = {r.path: dict(r.headers) for r in server.requests}
    assert sent["/gz"]["Accept-Encoding"] == "gzip, deflate, br"  # no zstd: vcrpy cannot decode it


def test_checked_in_cassette_still_replays(tmp_path: Path) -> None:
    """tests/cassettes/news_site.yaml: a recording of serve_news_site(), moved to a host that does
    not resolve. It guards the cassette format against changes of ours or of vcrpy."""
    base = "http://news.example.test"
    cassette = ROOT / "tests" / "cassettes" / "news_site.yaml"
    urls = [base + path for path in PAGES]
    replayed = crawl_in_subprocess(tmp_path / "replay", urls, cassette_settings(cassette, "replay"))
    check_news_items(base, replayed)
    assert replayed.stats["cassette/played"] == 11
    assert "cassette/missing" not in replayed.stats


def test_recorded_cassette_is_plain_vcrpy_yaml(site_server: SiteServer, tmp_path: Path) -> None:
    serve_news_site(site_server)
    cassette = tmp_path / "news.yaml"
    urls = [site_server.url(path) for path in ("/gz", "/gbk", "/old", "/logo.bin")]
    crawl_in_subprocess(tmp_path / "record", urls, cassette_settings(cassette, "record"))

    document = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    assert document["version"] == 1
    loaded = Cassette.load(path=str(cassette))  # vcrpy's own defaults
    responses = {request.path: response for request, response in loaded.data}
    assert set(responses) == {"/robots.txt", "/gz", "/gbk", "/old", "/new", "/logo.bin"}
    gz = responses["/gz"]
    assert gz["headers"]["Content-Encoding"] == ["gzip"]
    assert gzip.decompress(gz["body"]["string"]) == _html("compressed page 压缩", "utf-8")
    assert responses["/gbk"]["body"]["string"] == _html(GBK_TEXT, "gbk")
    assert responses["/gbk"]["headers"]["Content-Type"] == ["text/html; charset=GBK"]
    assert responses["/logo.bin"]["body"]["string"] == BINARY
    assert responses["/old"]["status"]["code"] == 301
    assert list(tmp_path.glob(".news.yaml.*")) == []  # the atomic write left no temp file


def test_request_missing_from_cassette_is_counted_and_the_crawl_finishes(
    site_server: SiteServer, tmp_path: Path
) -> None:
    serve_news_site(site_server)
    site_server.add_hang("/hang")
    cassette = tmp_path / "small.yaml"
    record = {**cassette_settings(cassette, "record"), "DOWNLOAD_TIMEOUT": 1, "RETRY_ENABLED": False}
    recorded = crawl_in_subprocess(tmp_path / "record", [site_server.url(p) for p in ("/", "/hang")], record)
    assert recorded.by_url()[site_server.url("/hang")]["error"] == "DownloadTimeoutError"
    assert recorded.stats["cassette/not_recorded"] == 1  # a timeout has no place in a cassette
    hits = site_server.hits()

    urls = [site_server.url(path) for path in ("/", "/hang", "/gbk")]  # /gbk is served, never recorded
    replayed = crawl_in_subprocess(tmp_path / "replay", urls, cassette_settings(cassette, "replay"))

    assert site_server.hits() == hits  # zero network, even with the server up
    missing = replayed.by_url()[site_server.url("/gbk")]
    assert missing["error"] == "CassetteError"
    assert "/gbk is not in cassette" in missing["message"] and "never recorded" in missing["message"]
    assert replayed.by_url()[site_server.url("/hang")]["error"] == "CassetteError"
    assert replayed.by_url()[site_server.url("/")]["status"] == 200
    assert replayed.stats["cassette/missing"] == 2
    assert replayed.stats["downloader/exception_type_count/newswatch.storage.errors.CassetteError"] == 2
    assert replayed.stats["finish_reason"] == "finished"


def test_cassette_recorded_by_vcrpy_replays_in_scrapy(site_server: SiteServer, tmp_path: Path) -> None:
    serve_news_site(site_server)
    cassette = tmp_path / "vcrpy.yaml"
    with vcr.use_cassette(str(cassette), record_mode="all"):
        for path in ("/robots.txt", "/gz", "/gbk", "/old", "/missing"):
            try:
                urllib.request.urlopen(site_server.url(path), timeout=10).read()
            except urllib.error.HTTPError as exc:
                exc.read()
    site_server.stop()

    urls = [site_server.url(path) for path in ("/gz", "/gbk", "/old", "/missing")]
    replayed = crawl_in_subprocess(tmp_path / "replay", urls, cassette_settings(cassette, "replay"))

    items = replayed.by_url()
    assert "compressed page 压缩" in items[site_server.url("/gz")]["text"]
    assert GBK_TEXT in items[site_server.url("/gbk")]["text"]
    assert items[site_server.url("/new")]["redirect_urls"] == [site_server.url("/old")]
    assert items[site_server.url("/missing")]["status"] == 404
    assert replayed.stats["cassette/played"] == 6
    assert "cassette/missing" not in replayed.stats


# --- units -------------------------------------------------------------------------------------


def test_cassette_settings_enable_the_handler_for_http_and_https(tmp_path: Path) -> None:
    settings = cassette_settings(tmp_path / "c.yaml", "REPLAY")
    assert settings["DOWNLOAD_HANDLERS"] == {"http": HANDLER, "https": HANDLER}
    config = CassetteConfig.from_settings(Settings(settings))
    assert config == CassetteConfig(tmp_path / "c.yaml", CassetteMode.REPLAY)


def test_handler_refuses_to_start_without_a_cassette() -> None:
    with pytest.raises(NotConfigured, match="NEWSWATCH_CASSETTE is not set"):
        CassetteConfig.from_settings(Settings({"DOWNLOAD_HANDLERS": {"http": HANDLER}}))


def test_unknown_mode_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NEWSWATCH_CASSETTE_MODE"):
        cassette_settings(tmp_path / "c.yaml", "rewind")


def test_replay_needs_a_readable_cassette(tmp_path: Path) -> None:
    absent = CassetteConfig(tmp_path / "absent.yaml", CassetteMode.REPLAY)
    with pytest.raises(CassetteError, match="does not exist"):
        open_cassette(absent)
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [unclosed\n", encoding="utf-8")
    with pytest.raises(CassetteError, match="not a readable vcrpy cassette"):
        open_cassette(CassetteConfig(broken, CassetteMode.REPLAY))


@pytest.mark.parametrize(
    ("offered", "recorded"),
    [
        (b"gzip, deflate, br, zstd", b"gzip, deflate, br"),
        (b"zstd", b"gzip, deflate, br"),
        (b"identity", b"gzip, deflate, br"),
        (b"gzip;q=1.0, zstd;q=0.5", b"gzip;q=1.0"),
        (None, None),
    ],
)
def test_recording_accept_encoding(offered: bytes | None, recorded: bytes | None) -> None:
    assert recording_accept_encoding(offered) == recorded


@pytest.mark.parametrize(
    "body",  # mtime=0: the gzip header carries no clock (xdist workers must collect the same test ids)
    [BINARY, gzip.compress(b"x" * 100, mtime=0), _html(GBK_TEXT, "gbk"), "\ufeffa\r\n\u2028\x85".encode(), b""],
    ids=["binary", "gzip", "gbk-html", "bom-and-line-separators", "empty"],
)
def test_responses_survive_the_vcrpy_yaml_round_trip_byte_for_byte(body: bytes) -> None:
    headers = Headers({"Content-Type": "text/html; charset=gbk", "Set-Cookie": ["a=1", "b=2"]})
    original = build_response("http://example.com/a", 203, headers, body, [])
    request = vcr_request(scrapy.Request("http://example.com/a#frag", headers={"X-Caf\xe9": "\xe9t\xe9"}))
    saved = serialize({"requests": [request], "responses": [vcr_response(original)]}, yamlserializer)
    requests, responses = deserialize(saved, yamlserializer)
    status, replay_headers, replay_body = recorded_parts(responses[0])
    assert (status, replay_body) == (203, body)
    assert replay_headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    assert replay_headers["Content-Type"] == b"text/html; charset=gbk"
    assert requests[0].uri == "http://example.com/a"


def test_atomic_persister_replaces_the_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "c.yaml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    request = vcr_request(scrapy.Request("http://example.com/"))
    response = vcr_response(build_response("http://example.com/", 200, Headers(), b"hi", []))
    AtomicFilesystemPersister.save_cassette(
        target, {"requests": [request], "responses": [response]}, yamlserializer
    )
    assert [p.name for p in target.parent.iterdir()] == ["c.yaml"]
    assert len(Cassette.load(path=str(target))) == 1


# --- the fixture server itself -----------------------------------------------------------------


def _fetch(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def test_site_server_serves_bytes_and_headers_as_given(site_server: SiteServer) -> None:
    gbk = _html(GBK_TEXT, "gbk")
    site_server.route("/page", (200, {"Content-Type": "text/html; charset=GB2312"}, gbk))
    site_server.add("/q", b"query", headers={"X-Which": "query"})
    site_server.route("/q?page=2", (200, (("X-Which", "exact"),), b"exact"))
    status, headers, body = _fetch(site_server.url("/page"))
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=GB2312", gbk)
    assert _fetch(site_server.url("/q?page=2"))[2] == b"exact"
    assert _fetch(site_server.url("/q?page=3"))[2] == b"query"
    assert _fetch(site_server.url("/nothing"))[0] == 404
    assert site_server.hits("/q") == 2 and site_server.requests[0].method == "GET"


def test_site_server_hang_route_never_answers_until_stopped(site_server: SiteServer) -> None:
    site_server.add_hang("/hang")
    with pytest.raises(TimeoutError):
        _fetch(site_server.url("/hang"), timeout=0.5)
    site_server.stop()
    site_server.stop()  # idempotent
    assert not site_server.running
    with pytest.raises(urllib.error.URLError):
        _fetch(site_server.url("/"), timeout=2)
