"""Scrapy's meta-refresh redirect, with only the head of the body decoded.

Scrapy's ``MetaRefreshMiddleware`` looks for ``<meta http-equiv="refresh">`` in the first 4,096 characters of a
page (``get_meta_refresh``: ``response.text[0:4096]``), but ``response.text`` decodes the *whole* body and keeps
the text on the response for its life: in the crawl's process that was the biggest share of the Python heap at
a first crawl's peak (14.6 MB for 79 responses in flight, bench/RESULTS.md), a text this process never reads
otherwise (the extraction workers decode the page themselves). Here the same rule reads the same 4,096
characters, decoded from the first bytes that can hold them (at most 4 bytes a character), with the encoding
Scrapy would use: when the response declares none (header, BOM, ``<meta charset>``), Scrapy infers it from
the whole body, and so does this middleware (Scrapy's own path, unchanged). A bodyless answer (a ``304 Not
Modified``, every answer of an unchanged re-check) has no tag to follow: it is passed on at once.
"""

from __future__ import annotations

from typing import cast

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh
from w3lib import html
from w3lib.encoding import html_to_unicode

HEAD_CHARS = 4096  # what get_meta_refresh and get_base_url read: response.text[0:4096]
HEAD_BYTES = 4 * HEAD_CHARS + 8  # enough bytes for those characters in any encoding (and a BOM)

__all__ = ["HeadMetaRefreshMiddleware", "head_text", "meta_refresh"]


def head_text(response: HtmlResponse) -> str | None:
    """``response.text[0:4096]`` without decoding the rest of the body; None when the response declares no
    encoding (Scrapy then infers one from the whole body)."""
    encoding = response._declared_encoding()  # Scrapy's own order: given, BOM, header, <meta>
    if encoding is None:
        return None
    if response._cached_ubody is not None:  # decoded already (Scrapy's text): its head
        return response.text[0:HEAD_CHARS]
    return html_to_unicode(f"charset={encoding}", response.body[:HEAD_BYTES])[1][0:HEAD_CHARS]


def meta_refresh(response: HtmlResponse, ignore_tags: list[str]) -> tuple[None, None] | tuple[float, str]:
    """``scrapy.utils.response.get_meta_refresh`` read from the head of the body only."""
    text = head_text(response)
    if text is None:
        return get_meta_refresh(response, ignore_tags=ignore_tags)
    base_url = html.get_base_url(text, response.url, response.encoding)
    return html.get_meta_refresh(text, base_url, response.encoding, ignore_tags=ignore_tags)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware`` (same settings, same rule) over :func:`meta_refresh`."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if (
            not response.body
            or request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if cast("float", interval) < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response
