"""Which article a fetched page is: its declared canonical URL, unless another story already holds it.

A page's identity is the canonical URL it declares (:mod:`crawler.discover.canonical`), else the URL it landed on.
A declared canonical is the page's claim, and two pages can make the same claim: the same story reached by
two URLs (an AMP or mobile copy, an old slug, a tracking variant) -- that is what canonicals are for -- or
two different stories whose template copied one canonical.  Filed together, the second would be recorded
as an edit of the first, and each fetch would report the other's text as a change.

The rule (:func:`claimed_identity`, run once per fetched article before it is recorded): the first page
to claim a canonical URL keeps it, and its version remembers the URL it landed on (``meta["landed"]``).  A
later page that lands elsewhere and claims the same canonical shares that article only when it is the same
story -- the same page (same landed URL), or mostly the same lines of text (fewer with the same headline);
otherwise it
keeps its own landed URL as its identity and gets a history of its own.  So a retitled story reached
through the URL it was first seen at stays one article (a change), and a second story stays a second
article.

When the page claiming another page's URL is recorded first, the page that really lives at that URL comes
later, at its own URL, which is the claimed one.  The article held there came from another page (its
latest version landed elsewhere); unless the two are the same story, that article moves to the URL its
page landed on (:func:`claimed_identity` re-keys it: its row, and through the item's ``meta["displaced"]``
the recorder moves its corpus documents, and its events and the deliveries not yet made name its new URL),
and the page at home becomes a new article.  Event ids stay apart (``storage.models.event_key``): the moved
article keeps the key its events had (the claimed URL), and the new one gets a key of its own (the claimed
URL and where its predecessor moved: ``articles.event_key``, set by ``crawler.pipeline.store``), so the real
page's change numbered 2 is not taken for the claimant's.  Not moved: an
article whose landed URL another article already holds (the page at home then shares its history, as
before), and a history whose versions landed at the claimed URL too.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.urls import try_canonical_url
from newswatch.storage.models import event_key
from newswatch.storage.queries.articles import article_by_url
from newswatch.storage.queries.versions import landed_urls, latest_meta_at, latest_text_at

__all__ = ["DISPLACED_KEY", "LANDED_KEY", "SAME_STORY_LINES", "SAME_TITLE_LINES", "claimed_identity", "same_story"]

LANDED_KEY = "landed"  # in a version's meta: the canonical URL it landed on, when it differs from the article's
DISPLACED_KEY = "displaced"  # in a fetch's meta: the URL the article held at its own URL was moved to
SAME_STORY_LINES = 0.5  # share of the shorter text's lines found in the other: the same story
SAME_TITLE_LINES = 0.2  # ... or this share and the same headline


def claimed_identity(session: Session, item: FetchedArticle) -> FetchedArticle:
    """``item`` as it should be recorded: under its declared canonical (with the URL it landed on kept in
    its meta), or under that landed URL when another story holds the canonical (module doc)."""
    landed = try_canonical_url(item.fetched_url)
    if landed is None:
        return item
    if landed == item.url:
        return _at_home(session, item)
    claimed = replace(item, meta={**item.meta, LANDED_KEY: landed})
    held = latest_text_at(session, item.url)
    if held is None:
        return claimed
    title, body, meta = held
    held_landed = (meta or {}).get(LANDED_KEY) or item.url
    if held_landed == landed or same_story((title, body), (item.title, item.body)):
        return claimed
    return replace(item, url=landed)


def _at_home(session: Session, item: FetchedArticle) -> FetchedArticle:
    """A page at its own URL: when the article held there came from another page's claim and tells another
    story, that article moves to the URL its page landed on, and ``item`` is marked (module doc)."""
    elsewhere = (latest_meta_at(session, item.url) or {}).get(LANDED_KEY)  # every fetch at home: no text read
    if not isinstance(elsewhere, str) or elsewhere == item.url:
        return item
    held = latest_text_at(session, item.url)
    if held is None or same_story(held[:2], (item.title, item.body)):
        return item
    if article_by_url(session, elsewhere) is not None or item.url in landed_urls(session, item.url):
        return item
    article = article_by_url(session, item.url)
    if article is None:
        return item
    article.event_key = event_key(article)  # its events keep naming it as they did: ids of its own
    article.canonical_url = elsewhere
    session.flush()
    return replace(item, meta={**item.meta, DISPLACED_KEY: elsewhere})


def same_story(one: tuple[str | None, str], other: tuple[str | None, str]) -> bool:
    """Two (title, body) pairs tell one story: at least :data:`SAME_STORY_LINES` of the shorter body's lines
    are found in the other, or :data:`SAME_TITLE_LINES` with the same headline (spaces and case aside: a
    headline alone may be a site's name that a template shows on every page)."""
    (title, body), (other_title, other_body) = one, other
    lines, other_lines = _lines(body), _lines(other_body)
    shorter = min(len(lines), len(other_lines))
    shared = len(lines & other_lines) / shorter if shorter else 0.0
    titled = bool(title and other_title and _squeezed(title) == _squeezed(other_title))
    return shared >= SAME_STORY_LINES or (titled and shared >= SAME_TITLE_LINES)


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


def _lines(body: str) -> set[str]:
    return {squeezed for line in body.splitlines() if len(squeezed := _squeezed(line)) >= 8}
