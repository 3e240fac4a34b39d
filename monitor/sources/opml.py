"""OPML, what feed readers exchange subscription lists in (http://opml.org/spec2.opml): pure, bytes in,
sources out, and sources in, OPML 2.0 out.

Reading (OPML 1.0 and 2.0): an OPML file is untrusted input. It is parsed with defusedxml, with
DTDs, entities and external references refused, and at most :data:`MAX_BYTES` of it. Every
``<outline>`` with an ``xmlUrl`` is a feed (``type`` ``rss``, ``atom`` or none, as exports write it);
one with ``type="link"`` and a ``url`` is a site; folders (outlines holding outlines) are flattened
and empty ones ignored. The source's name is the outline's ``text`` (else ``title``, else the host);
outlines of one name are one source with several feeds. URLs must be http(s); others are reported
by outline and skipped, never guessed.

Writing: one ``type="rss"`` outline per feed (``text``/``title`` the source's name, ``htmlUrl`` its
site), a ``type="link"`` outline for a source without feeds. What OPML has no word for (aliases,
section pages, sitemaps, ``discover``, the noise rules) goes in attributes of the
``https://github.com/newswatch/newswatch/opml`` namespace (JSON lists), as the spec allows; feed
readers ignore them, newswatch reads them back, so export then import gives the same registry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XMLParseError
from defusedxml.ElementTree import fromstring

from newswatch.crawler.urls import try_canonical_url
from newswatch.monitor.sources.registry import RegisteredSource, Registry
from newswatch.storage.errors import ParseError

NAMESPACE = "https://github.com/newswatch/newswatch/opml"
MAX_BYTES = 10 * 1024 * 1024
MAX_OUTLINES = 20_000
EXTRA_LISTS = ("aliases", "pages", "sitemaps", "include", "exclude", "ignore")
_FEED_TYPES = frozenset({"", "rss", "atom", "json", "feed"})


@dataclass(frozen=True)
class OpmlProblem:
    where: str  # "outline 12 (Some Blog)"
    reason: str


@dataclass(frozen=True)
class OpmlSources:
    title: str | None
    sources: tuple[RegisteredSource, ...]
    problems: tuple[OpmlProblem, ...] = ()
    outlines: int = 0  # outlines read (folders included)


@dataclass
class _Draft:
    name: str
    site: str | None = None
    feeds: list[str] = field(default_factory=list)
    extras: dict[str, object] = field(default_factory=dict)


def parse_opml(data: bytes) -> OpmlSources:
    """The sources an OPML file lists; :class:`ParseError` when it is not OPML or not safe to read."""
    if len(data) > MAX_BYTES:
        raise ParseError(f"OPML file larger than {MAX_BYTES} bytes")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(f"refused: the OPML file declares a DTD or entities ({type(exc).__name__})") from exc
    except XMLParseError as exc:
        raise ParseError(f"not XML: {exc}") from exc
    if _local(root.tag) != "opml":
        raise ParseError(f"not OPML: the root element is <{_local(root.tag)}>")
    head = next((c for c in root if _local(c.tag) == "head"), None)
    title = next((" ".join((c.text or "").split()) for c in head or () if _local(c.tag) == "title"), None)
    body = next((c for c in root if _local(c.tag) == "body"), None)
    drafts: dict[str, _Draft] = {}
    problems: list[OpmlProblem] = []
    count = 0
    for count, outline in enumerate(_outlines(body), start=1):
        if count > MAX_OUTLINES:
            raise ParseError(f"more than {MAX_OUTLINES} outlines")
        problem = _read_outline(outline, count, drafts)
        if problem is not None:
            problems.append(problem)
    sources = tuple(_source(d) for d in drafts.values())
    return OpmlSources(title or None, sources, tuple(problems), count)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _outlines(parent: Element | None) -> Iterator[Element]:
    for child in parent if parent is not None else ():
        if _local(child.tag) == "outline":
            yield child
            yield from _outlines(child)


def _attr(outline: Element, name: str) -> str:
    return " ".join((outline.get(name) or "").split())


def _read_outline(outline: Element, number: int, drafts: dict[str, _Draft]) -> OpmlProblem | None:
    kind = _attr(outline, "type").lower()
    raw_feed = _attr(outline, "xmlUrl") if kind in _FEED_TYPES else ""
    raw_site = _attr(outline, "url") if kind == "link" else _attr(outline, "htmlUrl")
    extras = {k: v for k, v in ((n, outline.get(f"{{{NAMESPACE}}}{n}")) for n in (*EXTRA_LISTS, "discover"))
              if v is not None}
    if not raw_feed and not (kind == "link" and raw_site) and not extras:
        return None  # a folder, or a note: nothing to crawl
    where = f"outline {number} ({_attr(outline, 'text') or _attr(outline, 'title') or raw_feed or raw_site})"
    feed = try_canonical_url(raw_feed) if raw_feed else None
    site = try_canonical_url(raw_site) if raw_site else None
    if raw_feed and feed is None:
        return OpmlProblem(where, f"feed is not an http(s) URL: {raw_feed!r}")
    try:
        parsed = {k: _extra(k, v) for k, v in extras.items()}
    except ValueError as exc:
        return OpmlProblem(where, str(exc))
    name = _attr(outline, "text") or _attr(outline, "title") or urlsplit(site or feed or "").hostname or ""
    if not name:
        return OpmlProblem(where, "no name (text or title) and no URL")
    draft = drafts.get(name.casefold())
    if draft is not None and site and draft.site and draft.site != site:
        name = f"{name} ({urlsplit(site).hostname})"
        draft = drafts.get(name.casefold())
    if draft is None:
        draft = drafts[name.casefold()] = _Draft(name)
    draft.site = draft.site or site
    if feed and feed not in draft.feeds:
        draft.feeds.append(feed)
    draft.extras.update(parsed)
    return None


def _extra(name: str, value: str) -> object:
    if name == "discover":
        if value not in ("true", "false"):
            raise ValueError(f"newswatch:discover must be true or false, got {value!r}")
        return value == "true"
    try:
        items = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"newswatch:{name} is not a JSON list ({exc})") from exc
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"newswatch:{name} must be a JSON list of strings")
    if name in ("pages", "sitemaps"):
        urls = [try_canonical_url(i) for i in items]
        if any(u is None for u in urls):
            raise ValueError(f"newswatch:{name} holds a URL that is not http(s)")
        return tuple(u for u in urls if u is not None)
    return tuple(items)


def _source(draft: _Draft) -> RegisteredSource:
    lists: dict[str, Any] = {k: v for k, v in draft.extras.items() if isinstance(v, tuple)}
    discover = draft.extras.get("discover", True)
    return RegisteredSource(draft.name, site=draft.site, feeds=tuple(draft.feeds), discover=discover is not False,
                            **lists)


def render_opml(registry: Registry, title: str, created: datetime) -> bytes:
    """The registry as an OPML 2.0 document (UTF-8)."""
    root = Element("opml", {"version": "2.0", "xmlns:newswatch": NAMESPACE})
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(created, usegmt=True)
    SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = SubElement(root, "body")
    for source in registry.sources:
        for attributes in _outline_attributes(source):
            SubElement(body, "outline", attributes)
    indent(root)
    text = tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def _outline_attributes(source: RegisteredSource) -> Iterable[dict[str, str]]:
    names = {"text": source.name, "title": source.name}
    extras = {f"newswatch:{key}": json.dumps(list(getattr(source, key)), ensure_ascii=False)
              for key in EXTRA_LISTS if getattr(source, key)}
    if not source.discover:
        extras["newswatch:discover"] = "false"
    site = {"htmlUrl": source.site} if source.site else {}
    if not source.feeds:
        link = {"type": "link", "url": source.site} if source.site else {}
        yield {**names, **link, **extras}
        return
    for index, feed in enumerate(source.feeds):
        yield {"type": "rss", **names, "xmlUrl": feed, **site, **(extras if index == 0 else {})}
