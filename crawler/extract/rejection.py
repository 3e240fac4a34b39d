"""Why a page yields no article: the reason codes (:data:`REASONS`) and the :class:`Rejection` record.

A page that is not an article is not an error: the extraction (:func:`crawler.extract.article.extract`)
*returns* a :class:`Rejection` whose ``reason`` is a short code so callers can count them;
``Rejection.to_error()`` gives the matching :class:`storage.errors.ExtractionRejected`.
"""

from __future__ import annotations

from dataclasses import dataclass

from newswatch.storage.errors import ExtractionRejected

__all__ = ["CONSENT_PAGE", "EMPTY", "ERROR_PAGE", "LIST_PAGE", "REASONS", "SELECTED_NOTHING", "TOO_LITTLE_TEXT",
           "Rejection"]

EMPTY = "empty"  # no markup or no visible text at all
ERROR_PAGE = "error_page"  # "not found", "link expired", "deleted" notices
CONSENT_PAGE = "consent_page"  # cookie walls, captchas, "verify you are human"
LIST_PAGE = "list_page"  # index/list pages: headlines and links, no article prose
TOO_LITTLE_TEXT = "too_little_text"  # an extraction too short to be an article
SELECTED_NOTHING = "selected_nothing"  # the source's include selectors match nothing on the page
REASONS = (EMPTY, ERROR_PAGE, CONSENT_PAGE, LIST_PAGE, TOO_LITTLE_TEXT, SELECTED_NOTHING)


@dataclass(frozen=True)
class Rejection:
    """A page that yields no article: ``reason`` is one of :data:`REASONS`.  ``title`` and
    ``description`` are what the page said about itself, kept for logs and diagnostics."""

    reason: str
    detail: str = ""
    title: str | None = None
    description: str | None = None

    def to_error(self) -> ExtractionRejected:
        return ExtractionRejected(self.reason, self.detail)
