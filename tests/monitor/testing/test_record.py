"""``pytest --newswatch-record``: cassettes are recorded from the live site once, a later moment in a later
session (once the site has changed), and CI replays them with the site gone.

The site is the news site of tests/monitor/moments_site.py on a loopback server of this test, at moment 1
("day 1") and then moment 2 ("day 2", same port); the project using the plugin is a separate folder run
by a separate pytest, as in the README's recording steps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from vcr.cassette import Cassette

from tests.crawler.site_server import SiteServer
from tests.monitor.moments_site import build_moment
from tests.monitor.receiver import free_port
from tests.monitor.testing.outside import run_pytest, write_project

OUTSIDE_TEST = '''
import os

import pytest

SOURCES = {"测试新闻": os.environ["SITE_URL"]}


@pytest.fixture(autouse=True)
def loopback(newswatch_workspace):
    # a loopback site of this test: no politeness needed while recording either
    newswatch_workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"], "download_delay": 0.0})


def test_day_one(newswatch_replay):
    result = newswatch_replay("cassettes/day-1.yaml", sources=SOURCES)
    assert result.summary.outcome == "ok", result.stderr
    assert len(result.new_articles) == 5


def test_day_two(newswatch_replay):
    _day1, day2 = newswatch_replay.series(["cassettes/day-1.yaml", "cassettes/day-2.yaml"], sources=SOURCES)
    assert {c.url.rsplit("/", 1)[-1]: c.change_class for c in day2.changed_articles} == {
        "a.html": "addition", "e.html": "title"}
    assert [a.title for a in day2.new_articles] == ["短缺药品保供稳价 全力保障临床用药需求"]
'''


def interactions(cassette: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    assert len(Cassette.load(path=str(cassette))) == len(found) > 0  # standard vcrpy YAML: vcrpy reads it
    return found


@pytest.mark.timeout(1200)  # four pytest sessions, two of them recording
def test_record_day_one_then_day_two_then_replay_without_the_site(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"test_site.py": OUTSIDE_TEST})
    day1, day2 = project / "cassettes" / "day-1.yaml", project / "cassettes" / "day-2.yaml"
    port = free_port()
    env = {"SITE_URL": f"http://127.0.0.1:{port}/"}
    with SiteServer(port=port) as server:
        build_moment(server, 1)
        missing = run_pytest(sys.executable, project, env=env)
        assert missing.returncode == 1, missing.stdout
        assert "no cassette at" in missing.stdout and "--newswatch-record" in missing.stdout
        assert server.hits() == 0 and not day1.exists()
        first = run_pytest(sys.executable, project, "--newswatch-record", "-rs", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "1 passed, 1 skipped" in first.stdout and "day-2.yaml follows day-1.yaml" in first.stdout
        assert day1.is_file() and not day2.exists() and server.hits() > 0
    with SiteServer(port=port) as server:
        build_moment(server, 2)
        second = run_pytest(sys.executable, project, "--newswatch-record", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "2 passed" in second.stdout and day2.is_file() and server.hits() > 0
    assert all(str(i["request"]["uri"]).startswith(env["SITE_URL"])  # type: ignore[index]
               for i in interactions(day1) + interactions(day2))
    replayed = run_pytest(sys.executable, project, env=env)  # the site is gone: only the cassettes answer
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "2 passed" in replayed.stdout
