"""The daemon's crawls poll feeds with conditional GET too: its second visit of an unchanged feed sends the
validators the first complete read stored, and reads nothing on the 304."""

from __future__ import annotations

import time
from pathlib import Path

from tests.crawler.eval_pages import HTML, RAW_HTML, discovery_workspace, home_page, rss
from tests.crawler.site_server import SiteServer
from tests.crawler.test_discovery_runs import accepted_pages
from tests.monitor.core.test_daemon import FAST
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.receiver import free_port


def test_the_daemon_polls_an_unchanged_feed_with_its_validators(tmp_path: Path) -> None:
    links = ["/f/a/", "/f/b"]
    with SiteServer() as server:
        for link, body in zip(links, accepted_pages(2), strict=True):
            server.add(link, body, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(server.base_url, links),
                   headers={"Content-Type": "application/rss+xml", "ETag": '"feed-1"'})
        config = discovery_workspace(tmp_path, server.base_url, feeds=("/feed.xml",))
        schedule = FAST.format(metrics=free_port(), hook=free_port()).split("[[alerts.channels]]")[0]
        config.write_text(config.read_text(encoding="utf-8") + schedule, encoding="utf-8")
        with running_daemon(config, [], tmp_path) as daemon:
            deadline = time.monotonic() + 120
            while daemon.poll() is None and time.monotonic() < deadline:
                asked = [r for r in server.requests if r.path == "/feed.xml"]
                if len(asked) >= 3:
                    break
                time.sleep(0.3)
            err = stop_daemon(daemon)
    assert daemon.returncode == 0, err[-3000:]
    conditional = [dict((k.lower(), v) for k, v in r.headers).get("if-none-match") for r in asked]
    assert len(conditional) >= 3, err[-3000:]
    assert conditional[0] is None, "the first read has nothing to send"
    assert conditional[-1] == '"feed-1"', f"a later visit sends the stored ETag: {conditional}"
