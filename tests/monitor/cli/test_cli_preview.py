"""``newswatch extract`` over real pages (files and a loopback site) and ``newswatch check`` of a stored
article (a one-URL crawl through the normal pipeline, in a child process as a user runs it)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.monitor.cli.main import cli
from tests.crawler.fixture_site import ZH_NEWS, build_site, fixture_bytes
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, migrate
from tests.crawler.test_run import newswatch as run_newswatch

INDEX = {p["id"]: p for p in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8"))}
LOOPBACK = '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_timeout = 5.0\ndownload_delay = 0.0\nretries = 1\n'


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "newswatch.toml").write_text(LOOPBACK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSWATCH_DATABASE_URL", "NEWSWATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def extract(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["extract", *args, "--json"], catch_exceptions=False, standalone_mode=False)
    return int(result.return_value or 0), json.loads(result.stdout)


def flat(text: object) -> str:
    return re.sub(r"\s+", "", str(text))


# real pages, as saved files (gzip, as in the fixture set): judgement, reason, fields checked
FILES = {
    "n4k-chinese_article_002": ("article", "", {"title": "短缺药品保供稳价 全力保障临床用药需求", "date": "2023-11-17",
                                                "language": "zh"}),
    "cwced-5dc3fa2d": ("article", "", {"author": "胡平", "language": "zh"}),  # GBK with no charset anywhere
    "wechatsogou-backgroud-image": ("article", "", {"title": "4月6日周五【新闻速览一分钟】"}),  # the WeChat step
    "gerapy-list-netease_rolling_news": ("list", "list_page", {}),
    "wechatsogou-expired": ("error", "error_page", {}),
}


@pytest.mark.parametrize("page_id", sorted(FILES), ids=str)
def test_extract_a_saved_page(workspace: Path, page_id: str) -> None:
    judgement, reason, fields = FILES[page_id]
    code, shown = extract(str(ZH_NEWS / INDEX[page_id]["file"]))
    assert (shown["judgement"], shown["reason"]) == (judgement, reason), shown["detail"]
    assert code == (0 if judgement == "article" else 1)
    for key, value in fields.items():
        assert shown[key] == value, key
    if judgement == "article":
        text = flat(markdown_to_text(str(shown["body"])))
        sentences = INDEX[page_id]["expected"]["body_sentences"]
        assert all(flat(s.lstrip("● ")) in text for s in sentences[1:])


def test_extract_text_output_and_a_plain_file(workspace: Path) -> None:
    page = workspace / "page.html"
    page.write_bytes(fixture_bytes("n4k-chinese_article_002"))
    result = CliRunner().invoke(cli, ["extract", str(page)], catch_exceptions=False)
    lines = result.output.splitlines()
    assert lines[0] == "judgement: article"
    assert "title:     短缺药品保供稳价 全力保障临床用药需求" in lines and "date:      2023-11-17" in lines
    assert "据了解，短缺药品信息监测共享正在多维度推进。" in result.output


def test_extract_a_file_with_its_url_applies_the_sources_rules(workspace: Path) -> None:
    (workspace / "seeds" / "sources.toml").write_text(
        '[[source]]\nname = "新华网"\nsite = "http://www.news.cn/"\nexclude = ["#articleEdit"]\n'
        'ignore = ["多维度"]\n', encoding="utf-8")
    path = str(ZH_NEWS / INDEX["n4k-chinese_article_002"]["file"])
    _, plain = extract(path)
    assert "张樵苏" in str(plain["body"]) and plain["rules"] == []
    _, ruled = extract(path, "--url", "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm")
    assert "张樵苏" not in str(ruled["body"])
    assert (ruled["registered_as"], ruled["rules"], ruled["ignored_matches"]) == ("新华网", ["exclude", "ignore"], 1)
    assert ruled["url"] == "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm"


def test_extract_a_url_through_the_guard(workspace: Path) -> None:
    with SiteServer() as server:
        build_site(server)
        code, shown = extract(server.url("/2025/02/11/gbk-article.html"))  # GBK, charset in the header
        assert (code, shown["judgement"], shown["http_status"]) == (0, "article", 200)
        assert "很多人都面临着“头皮经常出油" in str(shown["body"]) and shown["content_type"] == "text/html; charset=gbk"
        assert extract(server.url("/2025/02/14/roll.html"))[1]["judgement"] == "list"
        assert extract(server.url("/private/2025/02/15/secret.html"))[1]["reason"] == "refused_robots"
        assert extract(server.url("/nothing.html"))[1]["reason"] == "http_404"
        hits = server.hits()
        (workspace / "newswatch.toml").write_text("", encoding="utf-8")  # no allow_networks: loopback refused
        code, shown = extract(server.url("/2025/02/11/gbk-article.html"))
        assert (code, shown["judgement"], shown["reason"]) == (1, "error", "refused")
        assert server.hits() == hits, "refused before any request"
    _, missing = extract(str(workspace / "nope.html"))
    assert missing["reason"] == "not_found"


def test_extract_refuses_binary_and_oversized_files(workspace: Path) -> None:
    (workspace / "image.html").write_bytes(gzip.decompress(gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")))
    assert extract(str(workspace / "image.html"))[1]["reason"] == "binary"
    (workspace / "newswatch.toml").write_text("[crawl]\nmax_page_bytes = 1000\n", encoding="utf-8")
    (workspace / "big.html.gz").write_bytes(gzip.compress(b"<p>" + b"x" * 5000 + b"</p>"))
    assert extract(str(workspace / "big.html.gz"))[1]["reason"] == "too_large"


PATH = "/2023-11/17/c_1129981476.htm"


def test_check_rechecks_one_stored_article_and_shows_the_diff(workspace: Path, database_url: str) -> None:
    page = fixture_bytes("n4k-chinese_article_002")
    sentence = "据了解，短缺药品信息监测共享正在多维度推进。".encode()
    config = workspace / "newswatch.toml"

    def newswatch(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return run_newswatch(config, *args, env={"NEWSWATCH_DATABASE_URL": database_url})

    with SiteServer() as server:
        server.add("/", f'<a href="{PATH}">x</a>'.encode(), headers={"Content-Type": "text/html"})
        server.add(PATH, page, headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'})
        url = server.url(PATH)
        (workspace / "seeds" / "sources.toml").write_text(f'[[source]]\nname = "新华网"\nsite = "{server.url("/")}"\n',
                                                          encoding="utf-8")
        migrate(config, env={"NEWSWATCH_DATABASE_URL": database_url})
        first = newswatch(config, "run")
        assert figures(first.stdout)["new"] == 1, first.stdout + first.stderr
        same = newswatch(config, "check", url)
        assert same.returncode == 0 and f"{url}: not modified (HTTP 304), version 1" in same.stdout, same.stderr
        addition = "据了解，短缺药品信息监测共享正在多维度推进，已覆盖全国所有公立医疗卫生机构。"
        edited = page.replace(sentence, addition.encode())
        server.add(PATH, edited, headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"v2"'})
        changed = newswatch(config, "check", url)
        assert changed.returncode == 0, changed.stderr
        assert f"{url}: changed (addition: body), version 1 -> 2" in changed.stdout
        assert "已覆盖全国所有公立医疗卫生机构" in changed.stdout, "the diff is shown"
        fresh = json.loads(newswatch(config, "check", url, "--fresh", "--json").stdout)
        assert (fresh["outcome"], fresh["version_before"], fresh["version_after"]) == ("unchanged", 2, 2)
        conditional = [dict(r.headers) for r in server.requests if r.path == PATH]
        assert conditional[-1].get("If-None-Match") is None and conditional[-2].get("If-None-Match") == '"v1"'
        server.stop()
        down = newswatch(config, "check", url)
        assert down.returncode == 1 and f"{url}: error, version 2" in down.stdout
        assert "Connection refused" in down.stdout
    unknown = newswatch(config, "check", server.url("/2023-11/18/other.htm"))
    assert unknown.returncode == 2 and "no stored article at" in unknown.stderr
