"""The daemon's crawls poll feeds with conditional GET too: its second visit of an unchanged feed sends the
validators the first complete read stored, and reads nothing on the 304. And an article the daemon holds
that is taken down (410 Gone) while it runs is recorded as removed by its re-check: ``article.removed``
reaches the webhook (signed) and storage holds the removal."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from newswatch.monitor.alerts.channels.webhook import verify_signature
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, Removal
from tests.crawler.discover.test_discovery_runs import accepted_pages
from tests.crawler.eval_pages import HTML, RAW_HTML, discovery_workspace, home_page, rss
from tests.crawler.site_server import SiteServer
from tests.monitor.daemon.test_daemon import FAST
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.removal_site import NOT_FOUND


def removed_events(receiver: Receiver) -> list[dict[str, Any]]:
    events = [json.loads(body) for _headers, body in list(receiver.seen)]
    return [event for event in events if event["type"] == "article.removed"]


def test_the_daemon_polls_an_unchanged_feed_with_its_validators_and_records_a_removal(tmp_path: Path) -> None:
    links = ["/f/a/", "/f/b"]
    hook = free_port()
    receiver = Receiver(["200"]).start(hook)
    with SiteServer() as server:
        for link, body in zip(links, accepted_pages(2), strict=True):
            server.add(link, body, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(server.base_url, links),
                   headers={"Content-Type": "application/rss+xml", "ETag": '"feed-1"'})
        config = discovery_workspace(tmp_path, server.base_url, feeds=("/feed.xml",), recheck=True)
        config.write_text(config.read_text(encoding="utf-8") + FAST.format(metrics=free_port(), hook=hook),
                          encoding="utf-8")
        try:
            with running_daemon(config, [], tmp_path, env={"HOOK_SECRET": "k"}) as daemon:
                deadline = time.monotonic() + 120
                taken_down = False
                while daemon.poll() is None and time.monotonic() < deadline:
                    asked = [r for r in server.requests if r.path == "/feed.xml"]
                    if not taken_down and any(r.path == "/f/b" for r in server.requests):
                        server.route("/f/b", (410, tuple(HTML.items()), NOT_FOUND))  # stored, then gone
                        taken_down = True
                    if len(asked) >= 3 and removed_events(receiver):
                        break
                    time.sleep(0.3)
                err = stop_daemon(daemon)
        finally:
            receiver.stop()
    assert daemon.returncode == 0, err[-3000:]
    conditional = [dict((k.lower(), v) for k, v in r.headers).get("if-none-match") for r in asked]
    assert len(conditional) >= 3, err[-3000:]
    assert conditional[0] is None, "the first read has nothing to send"
    assert conditional[-1] == '"feed-1"', f"a later visit sends the stored ETag: {conditional}"
    removed = removed_events(receiver)
    got = [(e["article"]["url"], e["removal"]["kind"], e["removal"]["http_status"]) for e in removed]
    assert got == [(server.base_url + "/f/b", "gone", 410)], err[-3000:]
    headers, body = next((h, b) for h, b in receiver.seen if json.loads(b)["type"] == "article.removed")
    assert verify_signature(b"k", body, headers)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        stored = {a.canonical_url: a.status for a in session.execute(select(Article)).scalars()}
        removals = [(r.kind, r.http_status) for r in session.execute(select(Removal)).scalars()]
    engine.dispose()
    assert stored == {server.base_url + "/f/a/": "active", server.base_url + "/f/b": "removed"}
    assert removals == [("gone", 410)]
