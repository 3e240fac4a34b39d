"""A 100,000-character headline (a real page with its headline repeated) through ``newswatch run``: the title
is cut once, to ``MAX_TITLE_CHARS``, and the corpus document's front matter, its ``# title`` heading and the
body's own heading all say the same."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from newswatch.crawler.extract.markdown import MAX_TITLE_CHARS, cap_title
from newswatch.storage.corpus.document import parse_document
from newswatch.storage.corpus.frontmatter import split
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Version
from tests.crawler.fixture_site import fixture_bytes, write_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate, newswatch

HEADLINE = "【中国稳健前行】坚定实施扩大内需战略"  # in <title>, a hidden input and two <h1> of the page
LONG = (HEADLINE * (100_000 // len(HEADLINE) + 1))[:100_000]
PATH = "/2025/06/01/long-title.html"


def test_front_matter_and_headings_agree_on_a_huge_title(tmp_path: Path) -> None:
    page = fixture_bytes("gerapy-china_news1").decode("utf-8").replace(HEADLINE, LONG)
    html = {"Content-Type": "text/html; charset=utf-8"}
    with SiteServer() as server:
        server.add("/", f'<html><body><a href="{PATH}">long</a></body></html>'.encode(), headers=html)
        server.add(PATH, page.encode("utf-8"), headers=html)
        config = write_workspace(tmp_path, server.base_url)
        migrate(config)
        result = newswatch(config, "run")
    assert result.returncode == 0, result.stderr[-3000:]
    (document,) = [p for p in (tmp_path / "data" / "corpus").glob("*.txt") if PATH in p.read_text(encoding="utf-8")]
    text = document.read_text(encoding="utf-8")
    header, body = split(text, document.name)
    assert header is not None
    title = header["title"]
    assert len(title) == MAX_TITLE_CHARS and LONG.startswith(title)
    headings = [line for line in body.splitlines() if line.startswith("#") and HEADLINE in line]
    assert len(headings) == 2, "the document's heading and the page's own <h1>"
    assert all(line == f"# {title}" for line in headings), [len(h) for h in headings]
    assert LONG[: MAX_TITLE_CHARS + 1] not in text, "nothing longer than the cap is left"
    assert parse_document(text, document.name).title == title
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        assert session.execute(select(Version.title)).scalars().all() == [title]
    engine.dispose()


def test_cap_title_cuts_the_repeated_heading_the_same_way() -> None:
    long = "长" * (MAX_TITLE_CHARS + 50)
    assert cap_title(long, f"## {long}\n\n正文") == (long[:MAX_TITLE_CHARS], f"## {long[:MAX_TITLE_CHARS]}\n\n正文")
    assert cap_title(long, "# 另一个标题\n\n正文") == (long[:MAX_TITLE_CHARS], "# 另一个标题\n\n正文")
    assert cap_title("短标题", f"# {long}") == ("短标题", f"# {long}")
    assert cap_title(None, "正文") == (None, "正文")
