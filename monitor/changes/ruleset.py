"""The include/exclude rules and the extraction revision a stored version was extracted under, and the
articles extracted otherwise than today's code and rules would (:mod:`crawler.extract.revision`).

Light on purpose (SQL and hashing only): every run asks :func:`stale_articles` before it crawls, and a
run with nothing to crawl must not load the crawl or extraction stack for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from newswatch.crawler.extract.revision import current
from newswatch.crawler.urls import for_site
from newswatch.monitor.changes.detect import SEED_EXTRACTOR
from newswatch.storage.queries.versions import latest_extractions


def selectors_digest(rules: Mapping[str, Sequence[str]]) -> str | None:
    """A short digest of a source's include/exclude selectors (None without any), kept in each version's
    ``meta`` so a change of the selectors is told apart from a change of the page."""
    chosen = {key: list(rules.get(key, ())) for key in ("include", "exclude")}
    if not any(chosen.values()):
        return None
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:16]


def stale_articles(session: Session, digests: Mapping[str, str | None]) -> list[int]:
    """Articles whose latest version was extracted under other include/exclude selectors than their
    source's today (``digests``: site -> digest) or by another extraction revision. One query of the
    latest versions' metadata: cheap enough for every run."""
    rows = latest_extractions(session)
    return [article_id for article_id, url, meta, extractor, version in rows
            if extractor != SEED_EXTRACTOR and ((meta or {}).get("selectors") != for_site(digests, url)
                                                or not current(version))]
