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
  :func:`canonical_url` accepts only those two schemes;
- an IPv6 literal keeps its brackets, compressed and lower-cased (``http://[::1]:8080/``); zone ids
  (``fe80::1%eth0``), IPvFuture and anything after the closing bracket are refused.

Every URL here comes from a fetched document, so nothing may raise but :class:`ParseError`:
:func:`try_canonical_url`, :func:`join_url`, :func:`split_url` and :func:`site_of` turn a malformed
value (``http://[ccpa-preferences]``, a port that is not a number) into "not a URL".
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from newswatch.storage.errors import ParseError

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
_SAFE_PATH = "/:@!$&'()*+,;=-._~"  # not '%': a decoded "%25" is encoded again, so canonical is a fixed point
_BYTES = "surrogateescape"  # percent-encoded bytes that are not UTF-8 (GBK paths) are kept, not replaced
_SAFE_QUERY = "/?:@!$'()*+,;=-._~"
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")  # after IDNA: no spaces, controls, '%', '\\', empty labels
_BRACKETED = re.compile(r"\[[^\[\]]+\](?::\d*)?")  # what a netloc with an IPv6 literal may hold after '@'


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that only tracks the click and never selects content."""
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of ``url`` (resolved against ``base`` when relative).

    Raises :class:`ParseError` for anything that is not an absolute http(s) URL with a host.
    """
    raw = url.strip()
    try:
        if base is not None:
            raw = urljoin(base, raw)
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:  # "[ccpa-preferences]", "Port could not be cast", "Invalid IPv6 URL"
        raise ParseError(f"not a valid URL: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ParseError(f"not an http(s) URL: {url!r}")
    host = _canonical_host(parts, url)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path, errors=_BYTES), safe=_SAFE_PATH, errors=_BYTES) or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True, errors=_BYTES)
    if host == WECHAT_HOST and path == "/s":
        pairs = _wechat_pairs(pairs)
    elif host == WECHAT_HOST and path.startswith("/s/"):
        pairs = []  # a short link: the token in the path is the article
    else:
        pairs = [(k, v) for k, v in pairs if not is_tracking_param(k)]
    query = urlencode(pairs, safe=_SAFE_QUERY, quote_via=quote, errors=_BYTES)
    return urlunsplit((scheme, netloc, path, query, ""))


def _canonical_host(parts: SplitResult, url: str) -> str:
    """The host as it goes into a canonical netloc: an IDNA name, an IPv4 address, or ``[IPv6]``."""
    if "[" in parts.netloc or "]" in parts.netloc:
        return _ipv6_literal(parts, url)
    host = (parts.hostname or "").strip(".").lower()
    if not host:
        raise ParseError(f"URL has no host: {url!r}")
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ParseError(f"URL host is not a valid domain name: {url!r}") from exc
    if not _HOSTNAME.fullmatch(encoded):
        raise ParseError(f"URL host is not a valid domain name: {url!r}")
    return encoded


def _ipv6_literal(parts: SplitResult, url: str) -> str:
    if not _BRACKETED.fullmatch(parts.netloc.rpartition("@")[2]):
        raise ParseError(f"URL host is not a valid IPv6 literal: {url!r}")
    try:
        address = ipaddress.IPv6Address(parts.hostname or "")
    except ValueError as exc:  # IPvFuture ("[v7.x]"), zone ids ("[fe80::1%25eth0]"), garbage
        raise ParseError(f"URL host is not a valid IPv6 literal: {url!r}") from exc
    if address.scope_id is not None:
        raise ParseError(f"URL host carries an IPv6 zone id: {url!r}")
    return f"[{address.compressed}]"


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


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)`` with its port checked, or None for a value that is not a URL."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError:
        return None
    return parts


def join_url(base: str, reference: str) -> str | None:
    """``urljoin(base, reference)``, or None when either is malformed (never an exception)."""
    try:
        return urljoin(base, reference)
    except ValueError:
        return None


def url_host(url: str) -> str:
    """The host of ``url`` lower-cased (IPv6 without brackets), ``""`` when there is none or it is malformed."""
    parts = split_url(url)
    return (parts.hostname or "").lower() if parts is not None else ""


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without a leading ``www.``."""
    return re.sub(r"^www\d*\.", "", url_host(url))


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
