"""``pytest --newswatch-record``: a missing cassette is recorded from the live site once; then CI replays it.

The site is the three-moment news site of tests/monitor/moments_site.py (moment 1) on a loopback server
of this test; the project using the plugin is a separate folder run by a separate pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from vcr.cassette import Cassette

from tests.crawler.site_server import SiteServer
from tests.monitor.moments_site import build_moment
from tests.plugin.outside import run_pytest, write_project

OUTSIDE_TEST = '''
import os

def test_the_site_has_five_articles(newswatch_workspace, newswatch_replay):
    newswatch_workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})
    result = newswatch_replay("cassettes/site.yaml", sources={"测试新闻": os.environ["SITE_URL"]})
    assert result.summary.outcome == "ok", result.stderr
    assert len(result.new_articles) == 5
    assert "外国专家：中美合作共赢符合国际社会利益" in [a.title for a in result.new_articles]
'''


def test_record_once_then_replay_without_the_site(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"test_site.py": OUTSIDE_TEST})
    cassette = project / "cassettes" / "site.yaml"
    with SiteServer() as server:
        build_moment(server, 1)
        env = {"SITE_URL": server.base_url}
        missing = run_pytest(sys.executable, project, env=env)
        assert missing.returncode == 1, missing.stdout
        assert "no cassette at" in missing.stdout and "--newswatch-record" in missing.stdout
        assert server.hits() == 0 and not cassette.exists()
        recorded = run_pytest(sys.executable, project, "--newswatch-record", env=env)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        hits = server.hits()
    assert hits > 0
    interactions = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    assert len(Cassette.load(path=str(cassette))) == len(interactions) > 0  # standard vcrpy YAML
    assert all(i["request"]["uri"].startswith(server.base_url) for i in interactions)
    replayed = run_pytest(sys.executable, project, env=env)  # the server is gone: only the cassette answers
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 passed" in replayed.stdout
