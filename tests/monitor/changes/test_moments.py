"""A site at three moments, replayed from cassettes: exactly the expected new, changed, anomaly and revert
records with their change classes, no change for the noise; storage, corpus and export agree each step."""

from __future__ import annotations

import filecmp
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Anomaly, Article, Change, Version
from tests.crawler.test_run import figures, newswatch, setup_workspace
from tests.monitor.moments_site import EXPECTED, FIXED_PORT, NEW_HEADLINE, OLD_HEADLINE, path
from tests.monitor.record_moments import cassette

BASE = f"http://127.0.0.1:{FIXED_PORT}"


def state(folder: Path) -> dict[str, tuple[int, tuple[str, ...], int]]:
    """page -> (versions, change classes in order, anomalies)."""
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    out = {}
    with session_factory(engine)() as session:
        for article in session.execute(select(Article)).scalars():
            versions = session.execute(select(Version).where(Version.article_id == article.id)).scalars().all()
            classes = session.execute(
                select(Change.change_class).where(Change.article_id == article.id).order_by(Change.id)
            ).scalars().all()
            anomalies = session.execute(select(Anomaly).where(Anomaly.article_id == article.id)).scalars().all()
            out[article.canonical_url.rsplit("/", 1)[-1][0]] = (len(versions), tuple(classes), len(anomalies))
    engine.dispose()
    return out


def assert_export_matches_corpus(folder: Path, config: Path,
                                 run: Callable[..., subprocess.CompletedProcess[str]] = newswatch) -> None:
    exported = folder / "export"
    result = run(config, "export", str(exported))
    assert result.returncode == 0, result.stderr
    corpus = folder / "data" / "corpus"
    for sub in ("", "changes"):
        names = sorted(p.name for p in (corpus / sub).glob("*.txt"))
        assert names == sorted(p.name for p in (exported / sub).glob("*.txt"))
        _match, mismatch, errors = filecmp.cmpfiles(corpus / sub, exported / sub, names, shallow=False)
        assert (mismatch, errors) == ([], []), f"export differs from what the runs wrote: {mismatch}"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[subprocess.CompletedProcess[str], dict]]:
    folder = tmp_path_factory.mktemp("moments")
    config = setup_workspace(folder, BASE)
    steps = {}
    for moment in (1, 2, 3):
        result = newswatch(config, "run", "--replay", str(cassette(moment)))
        assert result.returncode == 0, result.stderr
        assert_export_matches_corpus(folder, config)
        steps[moment] = (result, state(folder))
    steps[0] = (newswatch(config, "history", BASE + path("a")), {"folder": folder, "config": config})
    return steps


EXPECTED_STATE = {
    1: {p: (1, (), 0) for p in "abcde"},
    2: {"a": (2, ("addition",), 0), "b": (1, (), 0), "c": (1, (), 0), "d": (1, (), 1), "e": (2, ("title",), 0),
        "f": (1, (), 0)},
    3: {"a": (3, ("addition", "deletion"), 0), "b": (1, (), 0), "c": (1, (), 0), "d": (1, (), 1),
        "e": (2, ("title",), 0), "f": (1, (), 0)},
}


@pytest.mark.parametrize("moment", [1, 2, 3], ids=lambda m: f"moment-{m}")
def test_each_moment_records_exactly_the_expected_history(replayed: dict, moment: int) -> None:
    result, found = replayed[moment]
    assert found == EXPECTED_STATE[moment]
    numbers = figures(result.stdout)
    outcomes = list(EXPECTED[moment].outcome.values())
    assert numbers["new"] == outcomes.count("new")
    assert numbers["changed"] == outcomes.count("changed") + outcomes.count("revert")
    assert numbers["anomalies"] == outcomes.count("anomaly")
    assert numbers["unchanged"] == outcomes.count("unchanged")


def test_change_documents_and_history(replayed: dict) -> None:
    history, context = replayed[0]
    folder: Path = context["folder"]
    assert history.returncode == 0, history.stderr
    assert "addition (body)" in history.stdout and "deletion (body), back to v1" in history.stdout
    changes = sorted((folder / "data" / "corpus" / "changes").glob("*.txt"))
    assert len(changes) == 3  # a v2, a v3 (revert), e v2
    texts = [p.read_text(encoding="utf-8") for p in changes if "v002" in p.name]
    retitled = next(t for t in texts if "change_class: title" in t)
    assert f"title: {OLD_HEADLINE} → {NEW_HEADLINE}" in retitled
    appended = next(t for t in texts if "change_class: addition" in t)
    assert "+ 更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。" in appended
    assert "changed_fields:\n  - body" in appended and "previous_fetch_date:" in appended


def test_diff_command_renders_the_correction(replayed: dict) -> None:
    _history, context = replayed[0]
    out = newswatch(context["config"], "diff", BASE + path("a"), "--from", "1", "--to", "2")
    assert out.returncode == 0, out.stderr
    assert "--- v1\n+++ v2" in out.stdout and "+ 特此说明。" in out.stdout
    html = newswatch(context["config"], "diff", BASE + path("a"), "--format", "html")
    assert "<del>更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。</del>" in html.stdout


def test_alerts_for_the_three_moments_arrive_signed_and_once(tmp_path: Path) -> None:
    from newswatch.monitor.alerts.channels.webhook import verify_signature
    from tests.monitor.receiver import Receiver, free_port

    port = free_port()
    config = setup_workspace(tmp_path, BASE)
    config.write_text(config.read_text(encoding="utf-8") + (
        f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{port}/in"\n'
        'secret_env = "HOOK_SECRET"\nevents = ["article.new", "article.changed", "article.anomaly"]\n'
    ), encoding="utf-8")
    receiver = Receiver(["200"]).start(port)
    kinds: list[list[tuple[str, str]]] = []
    try:
        for moment in (1, 2, 3):
            before = len(receiver.seen)
            result = newswatch(config, "run", "--replay", str(cassette(moment)), env={"HOOK_SECRET": "k"})
            assert result.returncode == 0, result.stderr
            got = []
            for headers, body in receiver.seen[before:]:
                assert verify_signature("k", body, headers)
                payload = json.loads(body)
                got.append((payload["type"], (payload.get("change") or {}).get("change_class") or payload["anomaly"]
                            or ""))
            kinds.append(sorted(got))
    finally:
        receiver.stop()
    assert kinds == [
        [("article.new", "")] * 5,
        sorted([("article.new", ""), ("article.changed", "addition"), ("article.changed", "title"),
                ("article.anomaly", "error_page")]),
        [("article.changed", "deletion")],
    ]
    assert len(receiver.delivered) == len(receiver.unique) == 10
