"""The corpus document: one saved article, whatever seed variant it came from.

``parse_document`` (text -> Document) and ``render_document`` (Document -> text) are pure and are
each other's inverse on the canonical form: what ``render_document`` writes, ``parse_document``
reads back unchanged, and rendering that again is byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newswatch.storage.corpus import frontmatter
from newswatch.storage.corpus.links import Link, find_links, trailing_link
from newswatch.storage.errors import DocumentFormatError

# Canonical key <- the keys seed variants use for it (first present wins; the rest stay in `extra`).
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "标题"),
    "url": ("url", "原文链接", "link", "source_url", "original_url"),
    "source": ("source", "来源", "出处"),
    "date": ("date", "发布日期", "发布时间", "published"),
    "fetch_date": ("fetch_date", "抓取日期", "fetched"),
    "author": ("author", "作者"),
    "lang": ("lang", "language", "语言"),
}
FIRST_KEYS = ("title", "url", "source", "date", "fetch_date")
THEN_KEYS = ("author", "lang", "version", "updated", "discovered_from", "content_hash")
URL_KEYS = ALIASES["url"]

_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")
_SOURCE_LINE = re.compile(r"(?:^|\n)[ \t>*_-]*来源[:：][ \t]*([^\n]{1,40}?)[ \t]*(?:\n|$)")
_SOURCE_REPORT = re.compile(r"据《([^《》\n]{1,20})》")


@dataclass(frozen=True)
class Document:
    """A corpus article. Dates are kept as written (``published`` parses them)."""

    title: str | None
    url: str | None
    source: str | None
    date: str | None
    fetch_date: str | None
    author: str | None
    lang: str | None
    body: str
    extra: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def extra_map(self) -> Mapping[str, Any]:
        return dict(self.extra)

    @property
    def urls(self) -> tuple[str, ...]:
        """Every source URL the document names: ``url``, alias keys, a trailing Markdown link."""
        found = [self.url] + [v for k, v in self.extra if k in URL_KEYS and isinstance(v, str)]
        tail = trailing_link(self.body)
        found.append(tail.url if tail else None)
        return tuple(dict.fromkeys(u.strip() for u in found if u and u.strip()))

    @property
    def links(self) -> tuple[Link, ...]:
        """Every link in the body (images included; see ``Link.is_image``)."""
        return find_links(self.body)

    @property
    def published(self) -> datetime | None:
        return parse_date(self.date)

    @property
    def fetched(self) -> datetime | None:
        return parse_date(self.fetch_date)


def parse_date(value: str | None) -> datetime | None:
    """A written date (``2025-02-09``, ``2025-02-08 18:20:00``, ISO 8601) as a datetime, else None."""
    if not value:
        return None
    text = value.strip().replace("/", "-").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_document(text: str, name: str) -> Document:
    """Parse any seed variant; raise :class:`DocumentFormatError` naming ``name`` when unusable."""
    text = text.replace("\r\n", "\n").removeprefix("\ufeff")
    header, rest = frontmatter.split(text, name)
    data: dict[str, Any] = dict(header or {})
    fields = {key: _take(data, aliases) for key, aliases in ALIASES.items()}
    body = _normalize_body(rest)
    title, body = _title_and_body(fields["title"], body)
    if not body.strip():
        raise DocumentFormatError(name, "the document has no body")
    fields["title"] = title
    tail = trailing_link(body)
    if fields["url"] is None and tail is not None:
        fields["url"] = tail.url
    if fields["source"] is None:
        fields["source"] = source_name(body)
    known = [(k, data.pop(k)) for k in THEN_KEYS if k in data]
    return Document(body=body, extra=tuple(known + list(data.items())), **fields)


def render_document(doc: Document) -> str:
    """The canonical form: ordered front matter, a blank line, ``# title``, the Markdown body."""
    data: dict[str, Any] = {}
    extra = dict(doc.extra)
    for key in FIRST_KEYS + THEN_KEYS:
        value = getattr(doc, key, None) if key in ALIASES else extra.pop(key, None)
        if value is not None:
            data[key] = value
    data.update(extra)
    heading = f"# {doc.title}\n\n" if doc.title else ""
    return f"{frontmatter.emit(data)}\n{heading}{doc.body}\n"


def source_name(body: str) -> str | None:
    """The source a body names when no URL is given: ``来源：网易新闻``, ``据《华商报》``, a trailing link."""
    for pattern in (_SOURCE_LINE, _SOURCE_REPORT):
        match = pattern.search(body)
        if match:
            return match.group(1).strip(" *_")
    tail = trailing_link(body)
    return tail.text if tail and tail.text else None


def _take(data: dict[str, Any], aliases: tuple[str, ...]) -> str | None:
    for key in aliases:
        if key in data and data[key] is not None:
            value = data.pop(key)
            if isinstance(value, list):
                value = value[0] if value else None
            return None if value is None else str(value).strip() or None
    return None


def _normalize_body(text: str) -> str:
    """Drop leading whitespace-only lines and trailing whitespace: a body's canonical shape."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


def _title_and_body(title: str | None, body: str) -> tuple[str | None, str]:
    """Take a leading ``# heading`` as the title (or drop it when it repeats the given title)."""
    first, _, rest = body.partition("\n")
    match = _HEADING.match(first)
    if match is None:
        return title, body
    heading = match.group(1).strip()
    if title is None or heading == title:
        return title or heading, _normalize_body(rest)
    return title, body
