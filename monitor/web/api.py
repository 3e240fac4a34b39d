"""The JSON API: ``/api/changes``, ``/api/articles/{id}``, ``/api/articles/{id}/versions``, ``/api/sources``.

Read-only and paginated (``page``, ``per_page``; ``next`` is the URL of the next page or null). The
response shapes are the frozen records of :mod:`monitor.web.queries`, described in ``/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request

from newswatch.monitor.web import queries
from newswatch.monitor.web.deps import MAX_PAGE, StoredId, change_filter, paging, read, settings_of
from newswatch.monitor.web.queries import MAX_PER_PAGE, AnomalyRow, ArticleRow, ChangeRow, Paging, SourceRow, VersionRow

PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
SizeQuery = Annotated[int | None, Query(ge=1, le=MAX_PER_PAGE, description="Items per page.")]


@dataclass(frozen=True)
class ChangesPage:
    items: tuple[ChangeRow, ...]
    page: int
    per_page: int
    total: int
    next: str | None


@dataclass(frozen=True)
class ArticleDetail:
    article: ArticleRow
    changes: tuple[ChangeRow, ...]
    anomalies: tuple[AnomalyRow, ...]
    title: str | None  # of the latest version
    body: str  # the latest version's text (Markdown, as extracted)


@dataclass(frozen=True)
class VersionsPage:
    article_id: int
    items: tuple[VersionRow, ...]
    page: int
    per_page: int
    total: int
    next: str | None


@dataclass(frozen=True)
class SourcesList:
    items: tuple[SourceRow, ...]


def _next(request: Request, paged: Paging, total: int) -> str | None:
    if paged.page * paged.per_page >= total:
        return None
    params = {**request.query_params, "page": str(paged.page + 1)}
    return f"{request.url.path}?{urlencode(params)}"


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"])

    @api.get("/changes", summary="Recent changes, newest first")
    def changes(request: Request, source: str | None = None, change_class: str | None = None,
                since: date | None = None, until: date | None = None, page: PageQuery = 1,
                per_page: SizeQuery = None) -> ChangesPage:
        where = change_filter(source, change_class, since.isoformat() if since else None,
                              until.isoformat() if until else None)
        paged = paging(request, page, per_page)
        found = read(request, queries.recent_changes, where, paged)
        return ChangesPage(found.items, paged.page, paged.per_page, found.total, _next(request, paged, found.total))

    @api.get("/articles/{article_id}", summary="An article, its changes and anomalies, its latest text")
    def article(request: Request, article_id: StoredId) -> ArticleDetail:
        found = read(request, queries.article, article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id}")
        versions = read(request, queries.versions, article_id)
        latest = read(request, queries.version_text, article_id, versions[-1].number) if versions else None
        changes = read(request, queries.recent_changes, queries.ChangeFilter(article_id=article_id),
                       Paging(1, MAX_PER_PAGE)).items
        return ArticleDetail(found, changes, read(request, queries.anomalies, article_id),
                             latest[0] if latest else None, latest[1] if latest else "")

    @api.get("/articles/{article_id}/versions", summary="An article's versions, oldest first")
    def versions(request: Request, article_id: StoredId, page: PageQuery = 1,
                 per_page: SizeQuery = None) -> VersionsPage:
        if read(request, queries.article, article_id) is None:
            raise HTTPException(404, f"no article {article_id}")
        paged = paging(request, page, per_page)
        every = read(request, queries.versions, article_id)
        items = every[paged.offset:paged.offset + paged.per_page]
        return VersionsPage(article_id, items, paged.page, paged.per_page, len(every),
                            _next(request, paged, len(every)))

    @api.get("/sources", summary="Sources with their health, last and next check")
    def sources(request: Request) -> SourcesList:
        return SourcesList(read(request, queries.sources, settings_of(request).quiet_days))

    return api
