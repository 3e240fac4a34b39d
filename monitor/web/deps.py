"""What every route needs: the storage session, the settings, paging, and the checks on query input.

Routes are plain functions run in the server's thread pool, so storage is read off the event loop (in
the daemon that loop also runs the crawls). Query input is untrusted: bad values are a 400 naming the
parameter, never a half-rendered page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Path, Request
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.config.model import Config
from newswatch.monitor.web.queries import MAX_PER_PAGE, ChangeFilter, Paging

MAX_ID = 2**31 - 1  # the largest id any database of ours stores (PostgreSQL ``integer``)
MAX_PAGE = 1_000_000  # page x MAX_PER_PAGE stays far below every database's offset limit
StoredId = Annotated[int, Path(ge=1, le=MAX_ID, description="An id as storage gives it.")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID, description="A version number, from 1.")]

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class WebSettings:
    page_size: int = 50  # items on a page of the view and the API (at most MAX_PER_PAGE)
    feed_size: int = 50  # entries in a feed
    quiet_days: float = 7.0  # a source with nothing new for this long is "quiet"

    @classmethod
    def from_config(cls, config: Config) -> WebSettings:
        return cls(config.web.page_size, config.web.feed_size, config.alerts.quiet_days)


class BadInput(ValueError):
    """A query parameter that cannot be used; the message names it."""


def read(request: Request, query: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run one read-only query in its own session."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        return query(session, *args, **kwargs)


def settings_of(request: Request) -> WebSettings:
    found: WebSettings = request.app.state.settings
    return found


def paging(request: Request, page: int, per_page: int | None) -> Paging:
    if not 1 <= page <= MAX_PAGE:
        raise BadInput(f"page: must be between 1 and {MAX_PAGE}, got {page}")
    size = settings_of(request).page_size if per_page is None else per_page
    if not 1 <= size <= MAX_PER_PAGE:
        raise BadInput(f"per_page: must be between 1 and {MAX_PER_PAGE}, got {size}")
    return Paging(page, size)


def parse_day(name: str, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` day from a form field (empty: none)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"{name}: expected a date like 2025-05-01, got {value[:40]!r}") from exc


def parse_int(name: str, value: str | None, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 9:
        raise BadInput(f"{name}: expected a whole number, got {value[:40]!r}")
    return int(value)


def change_filter(source: str | None, change_class: str | None, since: str | None, until: str | None,
                  article_id: int | None = None) -> ChangeFilter:
    first, last = parse_day("since", since), parse_day("until", until)
    if first and last and first > last:
        raise BadInput("since: must not be after until")
    return ChangeFilter(source or None, change_class or None, first, last, article_id)


def root(request: Request) -> str:
    """The path the app is mounted at ('' at the top)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def absolute(request: Request, path: str) -> str:
    """An absolute URL on this server for ``path`` (feeds need them)."""
    return str(request.base_url).rstrip("/") + path
