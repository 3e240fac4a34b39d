"""The HTML pages (Jinja2, autoescaped, no JavaScript): recent changes, an article, a diff, new articles
per source, removed articles, sources, the outbox, and the list of feeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from newswatch.monitor.web import queries, removals
from newswatch.monitor.web.deps import (
    BadInput,
    StoredId,
    VersionNumber,
    change_filter,
    paging,
    parse_int,
    read,
    settings_of,
)
from newswatch.monitor.web.diffs import load_diff

PER_SOURCE = 10  # newest articles shown for each source on /new
OUTBOX_STATES = ("pending", "dead")


def render(request: Request, name: str, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    page = templates.TemplateResponse(request, name, context)
    assert isinstance(page, HTMLResponse)
    return page


def _page(request: Request, page: str | None) -> queries.Paging:
    return paging(request, parse_int("page", page, 1) or 1, None)


def changes(request: Request, source: str | None = None, change_class: str | None = None,
            since: str | None = None, until: str | None = None, page: str | None = None) -> HTMLResponse:
    where = change_filter(source, change_class, since, until)
    paged = _page(request, page)
    return render(request, "changes.html", found=read(request, queries.recent_changes, where, paged), paging=paged,
                  where=where, sources=read(request, queries.source_names),
                  classes=read(request, queries.change_classes),
                  query={"source": source or "", "change_class": change_class or "", "since": since or "",
                         "until": until or ""})


def article(request: Request, article_id: StoredId) -> HTMLResponse:
    found = read(request, queries.article, article_id)
    if found is None:
        raise HTTPException(404, f"no article {article_id}")
    versions = read(request, queries.versions, article_id)
    latest = read(request, queries.version_text, article_id, versions[-1].number) if versions else None
    return render(request, "article.html", article=found, versions=versions,
                  anomalies=read(request, queries.anomalies, article_id), body=latest[1] if latest else "",
                  removals=read(request, removals.removals_of, article_id))


def removed(request: Request, still: str | None = None, page: str | None = None) -> HTMLResponse:
    """Removed articles, newest first; ``still=1``: only those not restored (the "removed" filter)."""
    paged = _page(request, page)
    return render(request, "removed.html", found=read(request, removals.recent_removals, paged, bool(still)),
                  paging=paged, still=bool(still))


def diff(request: Request, article_id: StoredId, version: VersionNumber) -> HTMLResponse:
    view = read(request, load_diff, article_id, version)
    if view is None:
        raise HTTPException(404, f"article {article_id} has no change to version {version}")
    return render(request, "diff.html", view=view, change=view.change)


def new(request: Request, source: str | None = None, page: str | None = None) -> HTMLResponse:
    if source:
        paged = _page(request, page)
        found = read(request, queries.new_articles, source, paged)
        return render(request, "new.html", source=source, found=found, paging=paged, groups=())
    groups = [(s, read(request, queries.new_articles, s.name, queries.Paging(1, PER_SOURCE)))
              for s in read(request, queries.sources, settings_of(request).quiet_days)]
    return render(request, "new.html", source=None, found=None, paging=None, groups=groups)


def sources(request: Request) -> HTMLResponse:
    return render(request, "sources.html", sources=read(request, queries.sources, settings_of(request).quiet_days))


def outbox(request: Request, state: str = "pending", page: str | None = None) -> HTMLResponse:
    if state not in OUTBOX_STATES:
        raise BadInput(f"state: expected one of {', '.join(OUTBOX_STATES)}, got {state[:40]!r}")
    paged = _page(request, page)
    counts = {s: read(request, queries.outbox, s, queries.Paging(1, 1)).total for s in OUTBOX_STATES}
    return render(request, "outbox.html", state=state, found=read(request, queries.outbox, state, paged),
                  paging=paged, counts=counts)


def feeds(request: Request) -> HTMLResponse:
    return render(request, "feeds.html", sources=read(request, queries.source_names))


ROUTES: dict[str, Callable[..., HTMLResponse]] = {
    "/": changes, "/articles/{article_id}": article, "/articles/{article_id}/changes/{version}": diff,
    "/new": new, "/removed": removed, "/sources": sources, "/outbox": outbox, "/feeds": feeds,
}


def router() -> APIRouter:
    pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
    for path, endpoint in ROUTES.items():
        pages.add_api_route(path, endpoint, methods=["GET"], name=endpoint.__name__)
    return pages
