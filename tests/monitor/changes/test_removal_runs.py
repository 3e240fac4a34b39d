"""Articles taken down (删稿) on a loopback site of real pages, over three `newswatch run`s: a 404 once then
200 is no removal, 404 twice is `gone` (on the next run; or in the same run, re-asked after
`crawl.missing_recheck_seconds`), 410 is `gone` at once, the WeChat and CMS notices are `withdrawn`,
a 301 to `/` is `redirected`, and a withdrawn article that answers again is restored. Runs stay `ok` (exit
0); the events reach a webhook signed; the corpus and export agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from newswatch.monitor.cli.main import cli
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, Removal, Source
from tests.crawler.fixture_site import write_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch
from tests.monitor.changes.test_moments import assert_export_matches_corpus
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.removal_site import CMS_NOTICE, REMOVED, RESTORED, WECHAT_NOTICE, build_moment

Run = tuple[subprocess.CompletedProcess[str], dict[str, Any], list[dict[str, Any]]]
RECHECK = 0.5  # crawl.missing_recheck_seconds of the third run (the first two confirm a 404 on the next run)


def in_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A ``newswatch`` command that needs no process of its own (``db upgrade``, ``export``, ``history``),
    run in this one: the runs are the child processes under test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("NEWSWATCH_DATABASE_URL", raising=False)
        patch.delenv("NEWSWATCH_CONFIG", raising=False)
        patch.chdir(config.parent)
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return subprocess.CompletedProcess(["newswatch", *args], result.exit_code, result.stdout, result.stderr)


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
        config = write_workspace(folder, server.base_url)
        upgraded = in_process(config, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        text = config.read_text(encoding="utf-8").replace(
            '[schedule]\n', '[schedule]\nremoved = ["3650d=0s"]\n')
        config.write_text(text + (
            f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{port}/in"\n'
            'secret_env = "HOOK_SECRET"\nevents = ["article.removed", "article.restored"]\n'), encoding="utf-8")
        try:
            for moment in (1, 2, 3):
                build_moment(server, moment)
                before, asked = len(receiver.seen), len(server.requests)
                env = {"HOOK_SECRET": "k"} | ({"NEWSWATCH_CRAWL__MISSING_RECHECK_SECONDS": str(RECHECK)}
                                              if moment == 3 else {})
                result = newswatch(config, "run", env=env)
                assert result.returncode == 0, result.stdout + result.stderr
                state = {**_state(folder), "requests": server.requests[asked:]}
                steps[moment] = (result, state, [json.loads(b) for _h, b in receiver.seen[before:]])
        finally:
            receiver.stop()
    assert_export_matches_corpus(folder, config, in_process)  # removal documents, removed: keys, from storage
    steps[0] = (in_process(config, "history", server.base_url + "/2025/05/01/a.html"), {"folder": folder}, [])
    return steps


EXPECTED: dict[int, dict[str, Any]] = {
    1: {p: ("active", ()) for p in "abcdefgh"},
    2: {"a": ("removed", (("withdrawn", 200, CMS_NOTICE, False),)), "b": ("removed", (("gone", 410, None, False),)),
        "c": ("active", ()), "d": ("active", ()),
        "e": ("removed", (("withdrawn", 200, WECHAT_NOTICE, False),)),
        "f": ("removed", (("redirected", 301, None, False),)), "g": ("active", ()), "h": ("active", ())},
    3: {"a": ("active", (("withdrawn", 200, CMS_NOTICE, True),)), "b": ("removed", (("gone", 410, None, False),)),
        "c": ("active", ()), "d": ("removed", (("gone", 404, None, False),)),
        "e": ("removed", (("withdrawn", 200, WECHAT_NOTICE, False),)),
        "f": ("removed", (("redirected", 301, None, False),)),
        "g": ("active", ()), "h": ("removed", (("gone", 404, None, False),))},
}


@pytest.mark.parametrize("moment", [1, 2, 3], ids=lambda m: f"moment-{m}")
def test_each_run_is_ok_and_records_exactly_the_removals(runs: dict[int, Run], moment: int) -> None:
    result, state, _events = runs[moment]
    state = {key: value for key, value in state.items() if key != "requests"}
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
    assert len(removed) == 5  # b, d, e, f, h; a restored lost its key
    assert all(len(text) > 500 for text in removed)  # the last text held, not the notice
    changes = sorted(p.name for p in (corpus / "changes").glob("*.txt"))
    assert len([n for n in changes if n.endswith(".removed.txt")]) == 6
    assert len([n for n in changes if n.endswith(".restored.txt")]) == 1
    withdrawn = next((corpus / "changes").glob("*.restored.txt")).read_text(encoding="utf-8")
    assert "change_class: restored" in withdrawn and "removal_kind: withdrawn" in withdrawn
    assert f"notice: {CMS_NOTICE}" in withdrawn and "> 在美国旧金山举行的中美元首会晤" in withdrawn


@pytest.mark.parametrize("moment", [2, 3], ids=lambda m: f"moment-{m}")
def test_a_first_404_is_asked_again_in_the_run_only_when_configured(runs: dict[int, Run], moment: int) -> None:
    requests = runs[moment][1]["requests"]
    for page in "cdgh":
        times = [r.at for r in requests if r.path.endswith(f"/{page}.html")]
        if moment == 2:  # no re-check in the run: c and d once each (confirmed, or not, by the next run)
            assert len(times) == 1, (page, times)
        elif page in "gh":  # the first 404 asked again after crawl.missing_recheck_seconds
            assert len(times) == 2 and times[1] - times[0] >= RECHECK, (page, times)


def test_history_lists_the_removal(runs: dict[int, Run]) -> None:
    history = runs[0][0]
    assert history.returncode == 0, history.stderr
    assert "removed (withdrawn" in history.stdout and "restored" in history.stdout


def test_the_web_view_marks_removals_and_filters_them(runs: dict[int, Run]) -> None:
    import io

    import feedparser

    from newswatch.monitor.web.app import create_app
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
    assert status == 200 and text.count('class="change removed"') == 6 and WECHAT_NOTICE in text
    assert still.count('class="change removed"') == 5 and "restored" not in still.split("<ol")[1]
    assert not feed.bozo and len(feed.entries) == 6 and len({e.id for e in feed.entries}) == 6
    assert sorted(e.title.split("]")[0] for e in feed.entries) == sorted(
        ["[removed: withdrawn"] * 2 + ["[removed: gone"] * 3 + ["[removed: redirected"])
    assert 'class-removed">removed</span>' in article and "<td>gone</td><td>410</td>" in article
