"""A stored article's URL that no longer serves it, as the spider sees it: the :class:`Missing` record of
an answer (404/410, a permanent redirect away), and the same-crawl re-check of a 404.

A 404 alone never removes an article (``crawler.extract.removal``): it is recorded as a first answer
(``articles.missing_since``) and confirmed by a second one. With ``crawl.missing_recheck_seconds``
above zero, the second check is asked in the same crawl that many
seconds later: the request waits on the scheduler's timer (``crawler.fetch.waiting``, no download slot
taken), and its answer confirms the removal (404 again) or forgets the first (any other answer). At 0
(the default) the next check confirms it (the next run, or the daemon's next re-check). A crawl closed
while the re-check waits leaves the first 404 recorded, for the next check to confirm.
"""

from __future__ import annotations

from scrapy.http import Request, Response

from newswatch.crawler.extract.removal import redirect_kind, status_kind
from newswatch.crawler.fetch.retry import BACKOFF_KEY
from newswatch.crawler.items import Missing
from newswatch.crawler.spiders.responses import landed_url, request_meta

RECHECK_KEY = "nw_missing_recheck"  # meta: this request is the re-check of a 404 (asked once only)
MAX_RECHECK_SECONDS = 600.0  # a longer wait is the next run's business, not this crawl's


def missing_of(response: Response, url: str) -> Missing | None:
    """A stored article's URL answering 404/410, or permanently redirected away from it."""
    evidence = status_kind(response.status)
    if evidence is None:
        reasons = [int(r) for r in request_meta(response).get("redirect_reasons", []) if isinstance(r, int)]
        evidence = redirect_kind(url, landed_url(response), reasons)
    if evidence is None:
        return None
    return Missing(url, evidence.kind, evidence.http_status or response.status, evidence.location, evidence.final)


def recheck_request(request: Request, missing: Missing, delay: float) -> Request | None:
    """The same request asked again ``delay`` seconds from now, for a first 404 (a :class:`Missing` not
    final) that is no re-check itself; None otherwise, or when re-checks in the crawl are off."""
    if missing.final or delay <= 0 or request.meta.get(RECHECK_KEY):
        return None
    meta = {**request.meta, BACKOFF_KEY: min(delay, MAX_RECHECK_SECONDS), RECHECK_KEY: True}
    return request.replace(meta=meta, dont_filter=True)
