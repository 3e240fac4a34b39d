"""Canonical URLs: one spelling per article, so re-crawls and the two forms of a link meet.

Pure functions over strings. Rules:

- scheme and host lower-cased, default ports dropped, IDNA host, empty path becomes ``/``;
- the fragment is removed;
- tracking parameters are removed (``utm_*``, ``fbclid``, ``gclid``, ``spm``, ...); the remaining
  query keeps its order (order can matter to a site) but blank values are kept as they were;
- WeChat article links (``mp.weixin.qq.com/s?...``) are reduced to ``__biz``, ``mid``, ``idx``,
  ``sn`` in that order, dropping ``chksm``, ``scene``, ``subscene``, ``#rd``, ``#wechat_redirect``;
  short links ``mp.weixin.qq.com/s/<token>`` keep their path;
- ``http`` and ``https`` stay distinct (a site may serve different things), but
  :func:`canonical_url` accepts only those two schemes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from storage.errors import ParseError

T = TypeVar("T")

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid",
        "spm", "scm", "isappinstalled", "share_token", "sharer_shareid", "sharer_sharetime",
        "_hsenc", "_hsmi", "ref_src", "ref_url", "s_trackid", "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "__twitter_impression")
WECHAT_HOST = "mp.weixin.qq.com"
WECHAT_KEYS = ("__biz", "mid", "idx", "sn")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = "/?:@!$'()*+,;=-._~"


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that only tracks the click and never selects content."""
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of ``url`` (resolved against ``base`` when relative).

    Raises :class:`ParseError` for anything that is not an absolute http(s) URL with a host.
    """
    raw = url.strip()
    if base is not None:
        raw = urljoin(base, raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ParseError(f"not a valid URL: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ParseError(f"not an http(s) URL: {url!r}")
    host = _canonical_host(parts.hostname or "", url)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH) or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if host == WECHAT_HOST and path == "/s":
        pairs = _wechat_pairs(pairs)
    elif host == WECHAT_HOST and path.startswith("/s/"):
        pairs = []  # a short link: the token in the path is the article
    else:
        pairs = [(k, v) for k, v in pairs if not is_tracking_param(k)]
    query = urlencode(pairs, safe=_SAFE_QUERY, quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))


def _canonical_host(host: str, url: str) -> str:
    host = host.strip(".").lower()
    if not host:
        raise ParseError(f"URL has no host: {url!r}")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ParseError(f"URL host is not a valid domain name: {url!r}") from exc


def _wechat_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    values = dict(pairs)
    if not all(values.get(k) for k in ("__biz", "mid", "sn")):
        return [(k, v) for k, v in pairs if not is_tracking_param(k)]
    return [(k, values[k]) for k in WECHAT_KEYS if k in values]


def try_canonical_url(url: str, base: str | None = None) -> str | None:
    """:func:`canonical_url`, or ``None`` for a URL that cannot be canonicalized."""
    try:
        return canonical_url(url, base)
    except ParseError:
        return None


def url_hash(url: str) -> str:
    """First 16 hex digits of the SHA-256 of the canonical URL: the corpus file-name key."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:16]


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without a leading ``www.``."""
    host = urlsplit(url).hostname or ""
    return re.sub(r"^www\d*\.", "", host.lower())


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one site (same host, or one a subdomain of the other)."""
    a, b = site_of(url), site_of(other)
    return bool(a) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def for_site(by_site: Mapping[str, T], url: str) -> T | None:
    """The value kept for the site of ``url`` (see :func:`site_of`) or for a parent domain of it:
    ``news.example.com/a`` finds the value of ``news.example.com``, else of ``example.com``."""
    labels = site_of(url).split(".")
    for start in range(len(labels)):
        found = by_site.get(".".join(labels[start:]))
        if found is not None:
            return found
    return None
