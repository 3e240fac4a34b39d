"""The canonical URL a page declares for itself (``<link rel=canonical>``, else ``og:url``), when it can be trusted.

Pure: a parsed tree (or the page's text) and the URL the page came from in, a canonical URL or ``None`` out.
``None`` means "the page's own URL is its identity".  A declared canonical is a claim of the page's markup:
templates get it wrong often enough (every article pointing at the home page or at its section, a URL pasted
percent-encoded, another article's URL copied), and a wrong one files an article under another's history.
So it is used only when all of these hold (:func:`accepted_canonical`):

- it is an absolute http(s) URL, a scheme-less host (``www.sohu.com/a/1``), or a relative reference that
  resolves cleanly against the page: no absolute URL pasted into a path (``https:/x``, ``https%3A%2F%2F``
  as a relative path is how ``/eval/https://www.siegessaeule.de/...`` came about);
- a value that is a whole absolute URL percent-encoded once (``https%3A%2F%2Fwww...``) is decoded once and
  judged as that URL; nothing is ever encoded twice: a canonical spelling ``%25XX`` (a percent sign
  encoded again) is refused;
- it stays on the page's site: the same host, a parent or child domain of it, or the same registrable domain
  (:func:`registrable_domain`: the last two labels, three under a country's second-level domain such as
  ``com.cn`` or ``co.uk`` or under a blog platform such as ``blogspot.com``); an IP address only as itself;
- it is not the site's home page (``/``, ``/index.html``, ``/en/``) unless the page is one, and not a
  section or list page: an index file of a folder (``news/index.shtml``), a folder above the page that does
  not look like an article while the page does (:func:`crawler.discover.links.looks_like_article`; a date's folder
such as ``/2025/02/11/`` never does), or the page's
  own path without the id-like query parameter (``?id=``, ``?newsID=``, ``?p=``) that selects the article.

Two pages whose canonicals are accepted and equal are still two articles when their content says so: that
is decided where articles are stored (:func:`crawler.pipeline.identity.claimed_identity`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from lxml.html import HtmlElement

from newswatch.crawler.discover.links import looks_like_article
from newswatch.crawler.htmltree import parse_text
from newswatch.crawler.urls import same_site, split_url, try_canonical_url, url_host

__all__ = ["MAX_CANONICAL_CHARS", "accepted_canonical", "canonical_of", "declared_canonical", "registrable_domain"]

MAX_CANONICAL_CHARS = 2048
_CANONICAL = ("//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONIC', 'canonic')), ' '), "
              "' canonical ')]/@href")
_OG_URL = "//meta[@property='og:url']/@content"
_SCHEMELESS_HOST = re.compile(r"(?:www\d*|m|wap|news)\.[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[:/]|$)", re.I)
_ENCODED_ABSOLUTE = re.compile(r"https?%3a%2f%2f", re.I)
_EMBEDDED_URL = re.compile(r"(?:https?:|%3a%2f%2f)", re.I)  # in a relative reference: a URL pasted as a path
_DOUBLE_ENCODED = re.compile(r"%25[0-9a-f]{2}", re.I)
_INDEX_FILE = re.compile(r"(?:index|default|home|main)(?:\.(?:s?html?|php\d?|aspx?|jsp|cgi))?", re.I)
_ARCHIVE = re.compile(r"(?:/\d{1,4})+/?")  # a date's or a number's folder: /2025/02/11/
_LANGUAGE_DIR = re.compile(r"/[a-z]{2}(?:[-_][a-z]{2,4})?/?", re.I)
_ID_PARAM = re.compile(r"p|.*id", re.I)  # a query parameter selecting an article: ?id=, ?newsID=, ?p= ...
_SESSION_PARAM = re.compile(r"sid|.*sess(?:ion)?_?id", re.I)  # ... not a session (sid, jsessionid, PHPSESSID)
_SHARED_HOSTS = frozenset((
    "blogspot.com", "wordpress.com", "github.io", "tumblr.com", "substack.com", "pixnet.net", "lofter.com",
    "weebly.com", "wixsite.com", "netlify.app", "vercel.app", "herokuapp.com", "livejournal.com", "over-blog.com",
))  # fmt: skip
_SECOND_LEVEL = frozenset(("ac", "co", "com", "edu", "gov", "net", "org", "or", "ne", "go", "mil", "gob", "nic"))


def declared_canonical(html: str, page_url: str) -> str | None:
    """The page's trusted canonical URL (module doc), parsing ``html`` first."""
    tree = parse_text(html)
    return canonical_of(tree, page_url) if tree is not None else None


def canonical_of(tree: HtmlElement, page_url: str) -> str | None:
    """:func:`declared_canonical` of a parsed page: ``rel=canonical`` first, ``og:url`` when that is refused."""
    for xpath in (_CANONICAL, _OG_URL):
        for value in tree.xpath(xpath)[:1]:
            if (url := accepted_canonical(str(value), page_url)) is not None:
                return url
    return None


def accepted_canonical(declared: str, page_url: str) -> str | None:
    """``declared`` (a raw ``href``/``content`` value) as a canonical URL for the page at ``page_url``, or
    ``None`` when one of the rules of the module doc refuses it."""
    raw = declared.strip()
    page = try_canonical_url(page_url)
    if not raw or len(raw) > MAX_CANONICAL_CHARS or page is None:
        return None
    if _ENCODED_ABSOLUTE.match(raw):
        raw = unquote(raw)  # a whole URL encoded once: decoded once, then judged like any other
    elif _SCHEMELESS_HOST.match(raw):
        raw = f"//{raw}"  # "www.sohu.com/a/1" names a host, not a path under the page
    parts = split_url(raw)
    if parts is None or (parts.scheme and not parts.netloc) or (not parts.netloc and _EMBEDDED_URL.search(raw)):
        return None  # "https:/x" (a scheme and no host), or an absolute URL pasted into a relative path
    url = try_canonical_url(raw, page_url)
    if url is None or url == page:
        return url
    if _DOUBLE_ENCODED.search(url) and not _DOUBLE_ENCODED.search(page):
        return None
    if not _same_domain(url, page) or (_is_home(url) and not _is_home(page)) or _is_section(url, page):
        return None
    return url


def registrable_domain(host: str) -> str:
    """The domain a host is registered under, approximately (no public suffix list: Scrapy's copy is kept
    out of a run's start-up): the last two labels, three when the second-to-last is a country's generic
    second level (``news.sina.com.cn`` -> ``sina.com.cn``).  An IP address is itself."""
    labels = host.lower().strip(".").split(".")
    if ":" in host or all(label.isdigit() for label in labels):
        return host.lower()
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    keep += ".".join(labels[-keep:]) in _SHARED_HOSTS  # one blog of a blog platform is its own domain
    return ".".join(labels[-keep:])


def _same_domain(url: str, page: str) -> bool:
    if same_site(url, page):
        return True
    host, page_host = url_host(url), url_host(page)
    return bool(host) and registrable_domain(host) == registrable_domain(page_host)


def _is_home(url: str) -> bool:
    """The site's home page: its root, an index file at the root, or a language's root (``/en/``)."""
    parts = split_url(url)
    if parts is None:
        return False
    path = parts.path or "/"
    return path == "/" or _INDEX_FILE.fullmatch(path[1:]) is not None or (
        _LANGUAGE_DIR.fullmatch(path) is not None and not parts.query
    )


def _is_section(url: str, page: str) -> bool:
    """A section or list page of the page's site (module doc)."""
    parts, page_parts = split_url(url), split_url(page)
    if parts is None or page_parts is None:
        return False
    path, page_path = parts.path, page_parts.path
    name = path.rpartition("/")[2]
    if _INDEX_FILE.fullmatch(name) and path != page_path:
        return True
    above = path.rstrip("/")
    if page_path.startswith(above + "/") and page_path.rstrip("/") != above:
        return looks_like_article(page) and (not looks_like_article(url) or _ARCHIVE.fullmatch(path) is not None)
    if path == page_path and not parts.query:
        return any(_ID_PARAM.fullmatch(key) and not _SESSION_PARAM.fullmatch(key) and value
                   for key, value in parse_qsl(page_parts.query))
    return False
