"""Bad input loses nothing: one run against a site full of faults finishes, reports each fault, and
stores every good article. Faults: feedparser's ill-formed feeds, a feed that is HTML, a truncated
gzip body, a body cut short, a 20 MB page, a gzip bomb, a redirect loop, a server that never answers, a 500, a 404.
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import Route, SiteServer
from tests.crawler.test_run import figures, migrate, newswatch, stored

ILLFORMED = sorted((ROOT / "tests" / "fixtures" / "feeds" / "feedparser" / "illformed").glob("*.xml"))
GOOD = {"/2025/03/01/good-one.html": "n4k-chinese_article_002", "/2025/03/01/good-two.html": "gerapy-ifeng_news1"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
FAULTS = {
    "/2025/03/02/status500.html": "http_500",
    "/2025/03/02/status404.html": "http_404",
    "/2025/03/02/loop-a.html": "redirect_loop",
    "/2025/03/02/hang.html": "timeout",
    "/2025/03/02/huge.html": "too_large",
    "/2025/03/02/truncated-gzip.html": "truncated_body",
    "/2025/03/02/gzip-bomb.html": "too_large",
    "/2025/03/02/short-body.html": "truncated_body",
}


def _serve_faults(server: SiteServer) -> None:
    links = " ".join(f'<a href="{path}">{i}</a>' for i, path in enumerate([*GOOD, *FAULTS]))
    server.add("/", f"<html><body>{links}</body></html>".encode(), headers=HTML)
    server.add_robots("User-agent: *\nAllow: /\n")
    for path, page in GOOD.items():
        server.add(path, fixture_bytes(page), headers=HTML)
    server.add("/2025/03/02/status500.html", b"oops", status=500, headers=HTML)
    server.add("/2025/03/02/status404.html", b"", status=404, headers=HTML)
    server.add_redirect("/2025/03/02/loop-a.html", "/2025/03/02/loop-b.html")
    server.add_redirect("/2025/03/02/loop-b.html", "/2025/03/02/loop-a.html")
    server.add_hang("/2025/03/02/hang.html")
    huge = b"<html><body>" + "新闻正文。".encode() * (20 * 1024 * 1024 // 15)
    server.add("/2025/03/02/huge.html", huge, headers=HTML)
    bomb = gzip.compress(b"<html><body>" + b"\0" * (8 * 1024 * 1024), mtime=0)  # 8 MiB > the 5 MiB cap
    server.add("/2025/03/02/gzip-bomb.html", bomb, headers={**HTML, "Content-Encoding": "gzip"})
    whole = gzip.compress(fixture_bytes("gerapy-china_news1"), mtime=0)
    server.add("/2025/03/02/truncated-gzip.html", whole[: len(whole) // 2],
               headers={**HTML, "Content-Encoding": "gzip"})
    body = fixture_bytes("gerapy-netease_news1")
    server.route("/2025/03/02/short-body.html",
                 Route(200, (("Content-Type", "text/html"), ("Content-Length", str(len(body)))), body[:1000]))
    server.add("/feeds/html-feed.xml", b"<html><body><p>not a feed</p></body></html>", headers=HTML)
    for path in ILLFORMED:
        server.add(f"/feeds/{path.name}", path.read_bytes(), headers={"Content-Type": "application/xml"})


def _workspace(folder: Path, base: str) -> Path:
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "000_0000000000000000.txt").write_text("# 故障站\n\n来源：故障站\n", encoding="utf-8")
    feeds = ", ".join(f'"{base}/feeds/{p.name}"' for p in ILLFORMED)
    (seeds / "sources.toml").write_text(
        f'[[source]]\nname = "故障站"\nsite = "{base}/"\nfeeds = ["{base}/feeds/html-feed.xml", {feeds}]\n',
        encoding="utf-8",
    )
    config = folder / "newswatch.toml"
    config.write_text(
        '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 2.0\nretries = 1\n'
        "max_page_bytes = 5242880\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("faults")
    with SiteServer() as server:
        _serve_faults(server)
        config = _workspace(folder, server.base_url)
        migrate(config)
        result = newswatch(config, "run")
    return folder, result


def test_run_finishes_and_stores_every_good_article(fault_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder, result = fault_run
    assert result.returncode == 1, result.stderr  # finished, with the configured bad feed as an error
    assert figures(result.stdout)["new"] == len(GOOD)
    urls = set(stored(folder))
    assert all(any(u.endswith(path) for u in urls) for path in GOOD)
    assert not any("2025/03/02" in u for u in urls), "no fault produced an article"


@pytest.mark.parametrize("path", sorted(FAULTS), ids=lambda p: p.rsplit("/", 1)[-1])
def test_each_fault_is_reported(fault_run: tuple[Path, subprocess.CompletedProcess[str]], path: str) -> None:
    _folder, result = fault_run
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith(("error ", "dropped "))]
    where = "/2025/03/02/loop-" if "loop" in path else path  # the loop is reported where it closes
    reported = [line for line in lines if where in line]
    assert reported, result.stdout
    # a link found on the home page: its failure is dropped (counted, listed), not an error
    assert any(f"dropped {FAULTS[path]}" in line for line in reported), reported


def test_html_feed_is_reported_and_illformed_feeds_do_not_stop_the_run(
    fault_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _folder, result = fault_run
    assert "error bad_feed: http://127.0.0.1" in result.stdout and "html-feed.xml" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
