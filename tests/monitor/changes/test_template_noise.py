"""Noise vs. edits, end to end: five ``newswatch run``s against a loopback site of fifteen real pages
(tests/monitor/template_site.py) whose furniture — hot list with update times, related links, an ad, a
footer counter — changes on every visit. The eleven pages that change only there give no change, no
change document and no event; the five real edits of the four other pages are each found once, with
their class; ``newswatch reextract`` afterwards gives the same answer (nothing re-baselined)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertOutbox, Article, Change, SiteTemplate, Version
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, migrate, newswatch
from tests.monitor.template_site import (
    CHINADAILY,
    EDITS,
    EXPECTED,
    NOISE,
    VISITS,
    Page,
    build_visit,
    encoding_of,
    page_bytes,
    path,
    template_html,
)

HOOK = '[[alerts.channels]]\nname = "log"\nkind = "webhook"\nurl = "http://127.0.0.1:9/never"\nsecret_env = "K"\n'
FURNITURE = ("24小时热点", "本站访问量", "京ICP备", "相关阅读", "广告")


def workspace(folder: Path, base: str) -> Path:
    """A registered source for the loopback site (no seed), every article re-checked on every run."""
    (folder / "seeds").mkdir(parents=True)
    (folder / "seeds" / "sources.toml").write_text(
        f'[[source]]\nname = "环球快讯网"\nsite = "{base}/"\n', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text('[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 10.0\n'
                      'retries = 1\n[schedule]\narticles = ["3650d=0s"]\n[alerts]\nmax_attempts = 1\n' + HOOK,
                      encoding="utf-8")
    migrate(config)
    return config


@dataclass(frozen=True)
class Found:
    page: str
    visit: int
    outcome: str  # changed | revert
    change_class: str
    diff: str


@dataclass(frozen=True)
class Visits:
    folder: Path
    config: Path
    numbers: dict[int, dict[str, int]]
    changes: tuple[Found, ...]
    events: tuple[tuple[str, str], ...]  # (event kind, page)
    change_documents: tuple[str, ...]  # the article URL of each change document
    base: str


def fixture_of(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".html")


def read_changes(folder: Path, visit_of: dict[int, int]) -> tuple[tuple[Found, ...], tuple[tuple[str, str], ...]]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        urls = {a.id: a.canonical_url for a in session.execute(select(Article)).scalars()}
        found = tuple(Found(fixture_of(urls[c.article_id]), visit_of[c.id], "revert" if c.reverted_to else "changed",
                            c.change_class, c.diff)
                      for c in session.execute(select(Change).order_by(Change.id)).scalars())
        events = tuple((row.event_kind, fixture_of(str(row.payload["article"]["url"])))
                       for row in session.execute(select(AlertOutbox).order_by(AlertOutbox.id)).scalars())
    engine.dispose()
    return found, events


def change_ids(folder: Path) -> set[int]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        ids = set(session.execute(select(Change.id)).scalars())
    engine.dispose()
    return ids


def change_documents(folder: Path) -> tuple[str, ...]:
    urls = []
    for document in sorted((folder / "data" / "corpus" / "changes").glob("*.txt")):
        front = document.read_text(encoding="utf-8").split("---\n")[1]
        urls.append(fixture_of(str(yaml.safe_load(front)["url"])))
    return tuple(urls)


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> Visits:
    folder = tmp_path_factory.mktemp("template-noise")
    numbers: dict[int, dict[str, int]] = {}
    visit_of: dict[int, int] = {}
    with SiteServer() as server:
        config = workspace(folder, server.base_url)
        for visit in range(1, VISITS + 1):
            build_visit(server, visit)
            result = newswatch(config, "run", env={"K": "k"})
            assert result.returncode in (0, 1), result.stderr  # 1: the alert channel is unreachable
            numbers[visit] = figures(result.stdout)
            visit_of.update({cid: visit for cid in change_ids(folder) - set(visit_of)})
        base = server.base_url
    found, events = read_changes(folder, visit_of)
    return Visits(folder, config, numbers, found, events, change_documents(folder), base)


def test_every_page_is_stored_on_the_first_visit(visits: Visits) -> None:
    assert visits.numbers[1]["new"] == len(NOISE) + len(EDITS), visits.numbers[1]
    assert all(visits.numbers[v]["fetched"] >= len(NOISE) + len(EDITS) for v in visits.numbers), visits.numbers


def test_furniture_changes_give_no_change_document_and_no_event(visits: Visits) -> None:
    noise = {page.fixture for page in NOISE}
    assert [c for c in visits.changes if c.page in noise] == []
    assert [url for url in visits.change_documents if url in noise] == []
    assert [event for event in visits.events if event[1] in noise and event[0] != "article.new"] == []
    for visit in range(2, VISITS + 1):
        expected = sum(1 for edits in EXPECTED.values() for edit in edits if edit[0] == visit)
        assert visits.numbers[visit]["changed"] == expected, (visit, visits.numbers[visit])
        assert visits.numbers[visit]["unchanged"] == len(NOISE) + len(EDITS) - expected, visits.numbers[visit]


@pytest.mark.parametrize("page", EDITS, ids=lambda page: page.fixture)
def test_each_real_edit_is_found_once_with_its_class(visits: Visits, page: Page) -> None:
    found = [(c.visit, c.outcome, c.change_class) for c in visits.changes if c.page == page.fixture]
    assert found == list(EXPECTED[page.fixture])
    assert visits.change_documents.count(page.fixture) == len(EXPECTED[page.fixture])
    changed_events = [event for event in visits.events if event == ("article.changed", page.fixture)]
    assert len(changed_events) == len(EXPECTED[page.fixture])


def test_diffs_show_the_edit_and_not_the_furniture(visits: Visits) -> None:
    assert visits.changes, "edits were found"
    for change in visits.changes:
        shown = [word for word in FURNITURE if word in change.diff]
        assert shown == [], (change.page, change.visit, change.diff)
    appended = next(c for c in visits.changes if c.change_class == "addition")
    assert "更正：本文此前版本将会晤地点误写为洛杉矶" in appended.diff
    shown = newswatch(visits.config, "diff", visits.base + path(CHINADAILY), "--from", "1", "--to", "2")
    assert shown.returncode == 0, shown.stderr
    assert "+ 更正：本文此前版本将会晤地点误写为洛杉矶" in shown.stdout
    assert [word for word in FURNITURE if word in shown.stdout] == [], shown.stdout


def test_versions_keep_the_full_text_and_the_template_they_were_compared_under(visits: Visits) -> None:
    engine = make_engine(f"sqlite:///{visits.folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        versions = session.execute(select(Version)).scalars().all()
        templates = {(t.site, t.digest) for t in session.execute(select(SiteTemplate)).scalars()}
    engine.dispose()
    kept = [v for v in versions if any(word in v.body for word in FURNITURE)]
    assert len(kept) >= len(NOISE), "the stored versions keep the furniture the extractor kept: only comparing cuts it"
    stamped = [v for v in versions if v.meta.get("template")]
    assert len(stamped) >= len(versions) // 2, "versions stored once the template was known name it"
    assert all(("127.0.0.1", v.meta["template"]) in templates for v in stamped)


def test_reextract_gives_the_same_answer(visits: Visits) -> None:
    result = newswatch(visits.config, "reextract")
    assert result.returncode == 0, result.stderr
    pages = len(NOISE) + len(EDITS)
    assert f"checked {pages}  re-baselined 0  same {pages}" in result.stdout, result.stdout


@pytest.mark.parametrize("page", NOISE, ids=lambda page: page.fixture)
def test_noise_pages_differ_between_visits_only_in_the_furniture(page: Page) -> None:
    for visit in range(1, VISITS):
        before, after = page_bytes(page, visit), page_bytes(page, visit + 1)
        assert before != after
        encoding = encoding_of(page.fixture)
        moved = before.replace(template_html(visit).encode(encoding), template_html(visit + 1).encode(encoding))
        assert moved == after
