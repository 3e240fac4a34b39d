"""The Atom feed routes: changes (all, per source, per article), new articles (all, per source), and
removed articles."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy.orm import Session

from newswatch.monitor.web import queries, removals
from newswatch.monitor.web.deps import StoredId, absolute, read, settings_of
from newswatch.monitor.web.diffs import DiffView, load_stored_diff
from newswatch.monitor.web.feeds import FeedInfo, articles_feed, changes_feed, removals_feed
from newswatch.monitor.web.queries import ChangeFilter, Paging

ATOM = "application/atom+xml; charset=utf-8"


def _diffs(session: Session, where: ChangeFilter, size: int) -> list[DiffView]:
    return [load_stored_diff(session, row) for row in queries.recent_changes(session, where, Paging(1, size)).items]


def _changes(request: Request, where: ChangeFilter, info: FeedInfo) -> Response:
    diffs = read(request, _diffs, where, settings_of(request).feed_size)
    link = absolute(request, "/articles/{article_id}/changes/{version}")
    return Response(changes_feed(info, diffs, link), media_type=ATOM)


def _known_source(request: Request, name: str) -> None:
    if name not in read(request, queries.source_names):
        raise HTTPException(404, f"no source named {name[:80]!r}")


def router() -> APIRouter:
    feeds = APIRouter(prefix="/feeds", include_in_schema=False)

    @feeds.get("/changes.atom")
    def all_changes(request: Request) -> Response:
        info = FeedInfo("urn:newswatch:feed:changes", "newswatch: all changes", str(request.url),
                        absolute(request, "/"))
        return _changes(request, ChangeFilter(), info)

    @feeds.get("/sources/{name}/changes.atom")
    def source_changes(request: Request, name: str) -> Response:
        _known_source(request, name)
        info = FeedInfo(f"urn:newswatch:feed:changes:source:{quote(name)}", f"newswatch: changes at {name}",
                        str(request.url), absolute(request, f"/?source={quote(name)}"))
        return _changes(request, ChangeFilter(source=name), info)

    @feeds.get("/articles/{article_id}/changes.atom")
    def article_changes(request: Request, article_id: StoredId) -> Response:
        found = read(request, queries.article, article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id}")
        info = FeedInfo(f"urn:newswatch:feed:changes:article:{found.event_id}",
                        f"newswatch: changes of {found.title or found.url}", str(request.url),
                        absolute(request, f"/articles/{article_id}"))
        return _changes(request, ChangeFilter(article_id=article_id), info)

    @feeds.get("/new.atom")
    def new_articles(request: Request) -> Response:
        return _articles(request, None)

    @feeds.get("/sources/{name}/new.atom")
    def source_new_articles(request: Request, name: str) -> Response:
        _known_source(request, name)
        return _articles(request, name)

    @feeds.get("/removed.atom")
    def removed_articles(request: Request) -> Response:
        info = FeedInfo("urn:newswatch:feed:removed", "newswatch: removed articles", str(request.url),
                        absolute(request, "/removed"))
        found = read(request, removals.recent_removals, Paging(1, settings_of(request).feed_size)).items
        return Response(removals_feed(info, found, absolute(request, "/articles/{article_id}")), media_type=ATOM)

    return feeds


def _articles(request: Request, source: str | None) -> Response:
    found = read(request, queries.new_articles, source, Paging(1, settings_of(request).feed_size)).items
    suffix = f":source:{quote(source)}" if source else ""
    page = absolute(request, f"/new?source={quote(source)}" if source else "/new")
    info = FeedInfo(f"urn:newswatch:feed:new{suffix}", f"newswatch: new articles{' at ' + source if source else ''}",
                    str(request.url), page)
    return Response(articles_feed(info, found, absolute(request, "/articles/{article_id}")), media_type=ATOM)
