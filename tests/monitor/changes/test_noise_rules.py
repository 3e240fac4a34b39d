"""Per-source noise rules end to end: two ``newswatch run``s against a loopback site whose real article
(news.cn, tests/fixtures/zh_news n4k-chinese_article_002) is edited in between.

Two edits news sites make all the time: the editor line (``【责任编辑:张樵苏 】`` in ``#articleEdit``,
which the extractor also reads as the byline) changes, and a view counter in the text ticks. With an
``exclude`` of the editor block, or an ``ignore`` of the counter, the article is unchanged; without a
rule the same edit is a change; a real edit of the text is a change whatever the rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import AlertOutbox, Change, Version
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch

PATH = "/2023-11/17/c_1129981476.htm"
ORIGINAL = fixture_bytes("n4k-chinese_article_002")
EDITOR = "【责任编辑:张樵苏\r\n】".encode()
EDITOR_ELSEWHERE = "【责任编辑:王小明、李大伟\r\n】".encode()
SENTENCE = "据了解，短缺药品信息监测共享正在多维度推进。".encode()
SENTENCE_EDITED = "据了解，短缺药品信息监测共享正在多维度推进，覆盖全国各级公立医疗卫生机构和零售药店。".encode()
EXCLUDE = 'exclude = ["#articleEdit"]\n'
IGNORE = 'ignore = ["本文已被浏览\\\\s*[\\\\d,]+\\\\s*次"]\n'
HOOK = '[[alerts.channels]]\nname = "log"\nkind = "webhook"\nurl = "http://127.0.0.1:9/never"\nsecret_env = "K"\n'


def counted(page: bytes, views: str) -> bytes:
    """The page with a view counter after its first sentence (a line the normalizer does not know)."""
    assert page.count(SENTENCE) == 1
    return page.replace(SENTENCE, SENTENCE + f"</p>\r\n<p>本文已被浏览 {views} 次".encode())


def editor_changed(page: bytes) -> bytes:
    assert page.count(EDITOR) == 1
    return page.replace(EDITOR, EDITOR_ELSEWHERE)


def text_edited(page: bytes) -> bytes:
    assert page.count(SENTENCE) == 1
    return page.replace(SENTENCE, SENTENCE_EDITED)


def workspace(folder: Path, base: str, rules: str) -> Path:
    """A registered source for the loopback site (no seed names it) with ``rules``; a config for it."""
    (folder / "seeds").mkdir(parents=True)
    (folder / "seeds" / "sources.toml").write_text(
        f'# the loopback news site\n[[source]]\nname = "新华网"\nsite = "{base}/"\n{rules}', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text('[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 5.0\n'
                      'retries = 1\n[schedule]\narticles = ["3650d=0s"]\n[alerts]\nmax_attempts = 1\n' + HOOK,
                      encoding="utf-8")
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    upgrade(engine)
    engine.dispose()
    return config


def serve(server: SiteServer, page: bytes, etag: str | None = None) -> None:
    server.add("/", f'<html><body><a href="{PATH}">短缺药品保供稳价</a></body></html>'.encode(),
               headers={"Content-Type": "text/html; charset=utf-8"})
    headers = {"Content-Type": "text/html; charset=utf-8", **({"ETag": etag} if etag else {})}
    server.add(PATH, page, headers=headers)


def two_runs(tmp_path: Path, rules: str, before: bytes, after: bytes,
             rules_after: str | None = None, etag: str | None = None) -> tuple[dict[str, int], Path]:
    with SiteServer() as server:
        serve(server, before, etag)
        config = workspace(tmp_path, server.base_url, rules)
        first = newswatch(config, "run", env={"K": "k"})
        assert first.returncode in (0, 1) and figures(first.stdout)["new"] == 1, first.stdout + first.stderr
        serve(server, after, etag)
        if rules_after is not None:
            (tmp_path / "seeds" / "sources.toml").write_text(
                f'[[source]]\nname = "新华网"\nsite = "{server.base_url}/"\n{rules_after}', encoding="utf-8")
        second = newswatch(config, "run", env={"K": "k"})
    assert second.returncode in (0, 1), second.stderr
    return figures(second.stdout), tmp_path / "data" / "newswatch.db"


COUNTED = counted(ORIGINAL, "12,345")
CASES = {  # rules, the page at the first run, at the second, changes expected
    "no-rule-editor-edit-is-a-change": ("", ORIGINAL, editor_changed(ORIGINAL), 1),
    "exclude-block-editor-edit-is-no-change": (EXCLUDE, ORIGINAL, editor_changed(ORIGINAL), 0),
    "exclude-block-real-edit-is-a-change": (EXCLUDE, ORIGINAL, text_edited(editor_changed(ORIGINAL)), 1),
    "no-rule-counter-tick-is-a-change": ("", COUNTED, counted(ORIGINAL, "12,987"), 1),
    "ignore-pattern-counter-tick-is-no-change": (IGNORE, COUNTED, counted(ORIGINAL, "12,987"), 0),
    "ignore-pattern-real-edit-is-a-change": (IGNORE, COUNTED, text_edited(counted(ORIGINAL, "12,987")), 1),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_noise_rules_decide_what_a_change_is(tmp_path: Path, case: str) -> None:
    rules, before, after, changed = CASES[case]
    numbers, database = two_runs(tmp_path, rules, before, after)
    assert numbers["changed"] == changed, numbers
    assert numbers["unchanged"] == 1 - changed
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        versions = session.execute(select(Version).order_by(Version.number)).scalars().all()
        found = session.execute(select(Change)).scalars().all()
        diffs, structured = [c.diff for c in found], [c.diff_json for c in found]
    engine.dispose()
    assert len(versions) == 1 + changed and len(diffs) == changed
    if rules == IGNORE:
        assert "12,345" in versions[0].body, "the stored version keeps the full text; only the comparison ignores it"
    if changed and rules:
        assert "零售药店" in diffs[0], "the diff shows the real edit"
        assert "王小明" not in diffs[0] and "12,987" not in diffs[0], "... and not the noise"
    if case == "ignore-pattern-real-edit-is-a-change":
        assert_every_diff_agrees(tmp_path / "newswatch.toml", database, structured[0])


def test_changing_a_sources_selectors_rebaselines_instead_of_reporting(tmp_path: Path) -> None:
    numbers, database = two_runs(tmp_path, "", ORIGINAL, ORIGINAL, rules_after=EXCLUDE)
    assert (numbers["changed"], numbers["baseline"]) == (0, 1), numbers
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        versions = session.execute(select(Version).order_by(Version.number)).scalars().all()
        events = [r.event_kind for r in session.execute(select(AlertOutbox)).scalars()]
    engine.dispose()
    assert "张樵苏" in versions[0].body and "张樵苏" not in versions[1].body
    assert versions[1].meta.get("selectors") and "selectors" not in (versions[0].meta or {})
    assert events == ["article.new"], "the re-baseline raises no article.changed"


def test_a_rule_change_applies_to_a_page_that_answers_304(tmp_path: Path) -> None:
    """The page answers 304 at the second run: the new ``exclude`` is applied to the stored raw page before
    the crawl (a re-baseline, no change, no alert), not only when the page next answers 200."""
    numbers, database = two_runs(tmp_path, "", ORIGINAL, ORIGINAL, rules_after=EXCLUDE, etag='"v1"')
    assert numbers["changed"] == 0 and numbers["new"] == 0, numbers
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        versions = session.execute(select(Version).order_by(Version.number)).scalars().all()
        events = [r.event_kind for r in session.execute(select(AlertOutbox)).scalars()]
    engine.dispose()
    assert len(versions) == 2 and "张樵苏" in versions[0].body and "张樵苏" not in versions[1].body
    assert versions[1].meta.get("selectors") and versions[1].fetched_at == versions[0].fetched_at
    assert events == ["article.new"], "the re-baseline raises no article.changed"
    corpus = next((tmp_path / "data" / "corpus").rglob("*.txt")).read_text(encoding="utf-8")
    assert "张樵苏" not in corpus.split("\n---\n", 1)[-1], "the corpus document follows the new rules"


@pytest.mark.parametrize("rules", [EXCLUDE, IGNORE], ids=["exclude", "ignore"])
def test_reextract_applies_the_sources_rules_as_the_fetch_did(tmp_path: Path, rules: str) -> None:
    """Re-extracting the stored page of an unchanged article re-baselines nothing, whatever its rules."""
    page = COUNTED if rules == IGNORE else ORIGINAL
    two_runs(tmp_path, rules, page, page)
    result = newswatch(tmp_path / "newswatch.toml", "reextract")
    assert result.returncode == 0, result.stderr
    assert "checked 1  re-baselined 0  same 1" in result.stdout, result.stdout


def assert_every_diff_agrees(config: Path, database: Path, stored: object) -> None:
    """``newswatch diff`` (text, json, html) and the web view show the diff the change document and the
    alert show: the real edit, not the ignored counter (they used to recompute it without the rules)."""
    import json

    from newswatch.monitor.web.diffs import load_diff
    from newswatch.storage.models import Article

    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        article = session.execute(select(Article)).scalars().one()
        url, view = article.canonical_url, load_diff(session, article.id, 2)
    engine.dispose()
    assert view is not None and "零售药店" in view.text and "12,987" not in view.text
    outputs = {form: newswatch(config, "diff", url, "--format", form, env={"K": "k"})
               for form in ("text", "json", "html")}
    for form, result in outputs.items():
        assert result.returncode == 0, result.stderr
        assert "零售药店" in result.stdout and "12,987" not in result.stdout and "12,345" not in result.stdout, form
    assert outputs["html"].stdout.startswith('<div class="newswatch-diff" data-from="1" data-to="2">')
    assert isinstance(stored, dict)
    shown = json.loads(outputs["json"].stdout)
    assert (shown["inserted_chars"], shown["deleted_chars"]) == (stored["inserted_chars"], stored["deleted_chars"])
