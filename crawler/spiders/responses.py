"""What the spider reads off a Scrapy response: the request's meta, the URL first requested and the one
landed on (canonical), the decoded text, and the ``FetchedArticle`` record of an extracted page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article
from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.pipeline.fastpath import META_KEY
from newswatch.crawler.urls import try_canonical_url


def request_meta(response: Response) -> dict[str, Any]:
    """The meta of the request ``response`` answers ({} for a response made without one)."""
    return response.request.meta if response.request is not None else {}


def requested_url(response: Response) -> str:
    """The URL first requested for ``response`` (before redirects): canonical, as the spider made it."""
    request = response.request
    chain = (request.meta.get("redirect_urls") if request is not None else None) or [response.url]
    return try_canonical_url(chain[0]) or chain[0]


def landed_url(response: Response) -> str:
    """The canonical URL the response came from (after redirects), else the one requested."""
    return try_canonical_url(response.url) or requested_url(response)


def site_root(url: str) -> str:
    """``scheme://host[:port]/`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def response_text(response: Response) -> str:
    content_type = response.headers.get("Content-Type")
    return decode_body(response.body, content_type)


def fetched_item(response: Response, url: str, discovered_from: str | None, article: Article,
             source: str | None = None, key: str | None = None) -> FetchedArticle:
    headers = response.headers
    etag = headers.get("ETag")
    modified = headers.get("Last-Modified")
    return FetchedArticle(
        url=url,
        fetched_url=response.url,
        discovered_from=discovered_from,
        title=article.title,
        body=article.body_markdown,
        meta={
            "author": article.author, "date": article.date, "site_name": article.site_name, "source": source,
            "language": article.language, "description": article.description, "image": article.image,
            "content_type": (headers.get("Content-Type") or b"").decode("latin-1") or None,
            META_KEY: key,
            **({"rendered": "browser"} if "playwright" in response.flags else {}),
        },
        fingerprint=article.fingerprint,
        extractor=article.extractor,
        extractor_version=article.extractor_version,
        raw_body=response.body,
        http_status=response.status,
        etag=etag.decode("latin-1") if etag else None,
        last_modified=modified.decode("latin-1") if modified else None,
    )
