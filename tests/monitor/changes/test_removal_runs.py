"""Articles taken down (删稿) on a loopback site of real pages, over three `newswatch run`s: a 404 once then
200 is no removal, 404 twice is `gone`, 410 is `gone` at once, the WeChat and CMS notices are `withdrawn`,
a 301 to `/` is `redirected`, and a withdrawn article that answers again is restored. Runs stay `ok` (exit
0); the events reach a webhook signed; the corpus and export agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.engine import make_engine, session_factory
from storage.models import Article, Removal, Source
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch, setup_workspace
from tests.monitor.changes.test_moments import assert_export_matches_corpus
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.removal_site import CMS_NOTICE, REMOVED, RESTORED, WECHAT_NOTICE, build_moment

Run = tuple[subprocess.CompletedProcess[str], dict[str, Any], list[dict[str, Any]]]


def _state(folder: Path) -> dict[str, Any]:
    """page -> (status, removals as (kind, status, restored)) and the stored notices."""
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    out: dict[str, Any] = {}
    with session_factory(engine)() as session:
        for article in session.execute(select(Article)).scalars():
            rows = session.execute(select(Removal).where(Removal.article_id == article.id)
                                   .order_by(Removal.id)).scalars().all()
            out[article.canonical_url.rsplit("/", 1)[-1][0]] = (
                article.status, tuple((r.kind, r.http_status, r.notice, r.restored_at is not None) for r in rows))
        out["sources failing"] = sum(s.consecutive_failures for s in session.execute(select(Source)).scalars())
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Run]:
    folder = tmp_path_factory.mktemp("removal")
    port = free_port()
    receiver = Receiver(["200"]).start(port)
    steps: dict[int, Run] = {}
    with SiteServer() as server:
        config = setup_workspace(folder, server.base_url)
        text = config.read_text(encoding="utf-8").replace(
            '[schedule]\n', '[schedule]\nremoved = ["3650d=0s"]\n')
        config.write_text(text + (
            f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{port}/in"\n'
            'secret_env = "HOOK_SECRET"\nevents = ["article.removed", "article.restored"]\n'), encoding="utf-8")
        try:
            for moment in (1, 2, 3):
                build_moment(server, moment)
                before = len(receiver.seen)
                result = newswatch(config, "run", env={"HOOK_SECRET": "k"})
                assert result.returncode == 0, result.stdout + result.stderr
                steps[moment] = (result, _state(folder), [json.loads(b) for _h, b in receiver.seen[before:]])
        finally:
            receiver.stop()
    assert_export_matches_corpus(folder, config)  # removal documents and removed: keys, redone from storage
    steps[0] = (newswatch(config, "history", server.base_url + "/2025/05/01/a.html"), {"folder": folder}, [])
    return steps


EXPECTED: dict[int, dict[str, Any]] = {
    1: {p: ("active", ()) for p in "abcdef"},
    2: {"a": ("removed", (("withdrawn", 200, CMS_NOTICE, False),)), "b": ("removed", (("gone", 410, None, False),)),
        "c": ("active", ()), "d": ("active", ()),
        "e": ("removed", (("withdrawn", 200, WECHAT_NOTICE, False),)),
        "f": ("removed", (("redirected", 301, None, False),))},
    3: {"a": ("active", (("withdrawn", 200, CMS_NOTICE, True),)), "b": ("removed", (("gone", 410, None, False),)),
        "c": ("active", ()), "d": ("removed", (("gone", 404, None, False),)),
        "e": ("removed", (("withdrawn", 200, WECHAT_NOTICE, False),)),
        "f": ("removed", (("redirected", 301, None, False),))},
}


@pytest.mark.parametrize("moment", [1, 2, 3], ids=lambda m: f"moment-{m}")
def test_each_run_is_ok_and_records_exactly_the_removals(runs: dict[int, Run], moment: int) -> None:
    result, state, _events = runs[moment]
    assert state == {**EXPECTED[moment], "sources failing": 0}  # a removal is no failure of the source
    numbers = figures(result.stdout)
    assert (numbers["errors"], numbers["anomalies"]) == (0, 0), result.stdout
    assert numbers["removed"] == len(REMOVED.get(moment, {}))
    assert numbers["restored"] == len(RESTORED.get(moment, set()))


@pytest.mark.parametrize("moment", [2, 3], ids=lambda m: f"moment-{m}")
def test_removals_and_restorations_reach_the_webhook(runs: dict[int, Run], moment: int) -> None:
    _result, _state, events = runs[moment]
    got = sorted((e["type"], e["article"]["url"].rsplit("/", 1)[-1][0], e["removal"]["kind"]) for e in events)
    expected = [("article.removed", page, kind) for page, kind in REMOVED[moment].items()]
    expected += [("article.restored", page, "withdrawn") for page in RESTORED.get(moment, set())]
    assert got == sorted(expected)
    for event in events:
        assert event["article"]["version"] == 1 and event["article"]["title"]


def test_the_corpus_keeps_the_last_text_and_says_removed(runs: dict[int, Run]) -> None:
    folder: Path = runs[0][1]["folder"]
    corpus = folder / "data" / "corpus"
    documents = {p.name: p.read_text(encoding="utf-8") for p in corpus.glob("*.txt")}
    removed = [text for text in documents.values() if "\nremoved: " in text]
    assert len(removed) == 4  # b, d, e, f; a restored lost its key
    assert all(len(text) > 500 for text in removed)  # the last text held, not the notice
    changes = sorted(p.name for p in (corpus / "changes").glob("*.txt"))
    assert len([n for n in changes if n.endswith(".removed.txt")]) == 5
    assert len([n for n in changes if n.endswith(".restored.txt")]) == 1
    withdrawn = next((corpus / "changes").glob("*.restored.txt")).read_text(encoding="utf-8")
    assert "change_class: restored" in withdrawn and "removal_kind: withdrawn" in withdrawn
    assert f"notice: {CMS_NOTICE}" in withdrawn and "> 在美国旧金山举行的中美元首会晤" in withdrawn


def test_history_lists_the_removal(runs: dict[int, Run]) -> None:
    history = runs[0][0]
    assert history.returncode == 0, history.stderr
    assert "removed (withdrawn" in history.stdout and "restored" in history.stdout


def test_the_web_view_marks_removals_and_filters_them(runs: dict[int, Run]) -> None:
    import io

    import feedparser

    from monitor.web.app import create_app
    from tests.monitor.web.server import fetch, in_thread

    folder: Path = runs[0][1]["folder"]
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    try:
        with in_thread(create_app(session_factory(engine))) as base:
            status, _headers, page = fetch(base + "/removed")
            still = fetch(base + "/removed?still=1")[2].decode("utf-8")
            feed = feedparser.parse(io.BytesIO(fetch(base + "/feeds/removed.atom")[2]))
            with session_factory(engine)() as session:
                ids = {a.canonical_url[-6]: a.id for a in session.execute(select(Article)).scalars()}
            article = fetch(base + f"/articles/{ids['b']}")[2].decode("utf-8")
    finally:
        engine.dispose()
    text = page.decode("utf-8")
    assert status == 200 and text.count('class="change removed"') == 5 and WECHAT_NOTICE in text
    assert still.count('class="change removed"') == 4 and "restored" not in still.split("<ol")[1]
    assert not feed.bozo and len(feed.entries) == 5 and len({e.id for e in feed.entries}) == 5
    assert sorted(e.title.split("]")[0] for e in feed.entries) == sorted(
        ["[removed: withdrawn"] * 2 + ["[removed: gone"] * 2 + ["[removed: redirected"])
    assert 'class-removed">removed</span>' in article and "<td>gone</td><td>410</td>" in article
