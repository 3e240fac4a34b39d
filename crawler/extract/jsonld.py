"""JSON-LD of a page (``<script type="application/ld+json">``): the objects it declares, flattened.

Pure: a parsed tree in, plain ``dict`` objects out.  The scripts are untrusted page text: each is
capped at :data:`MAX_SCRIPT_CHARS`, at most :data:`MAX_OBJECTS` objects are returned, and a script
that is not valid JSON is skipped (pages often ship broken JSON-LD), never an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

__all__ = ["MAX_OBJECTS", "MAX_SCRIPT_CHARS", "jsonld_objects", "names_of", "strings_of"]

MAX_SCRIPT_CHARS = 200_000
MAX_OBJECTS = 50
_MAX_DEPTH = 4


def jsonld_objects(tree: HtmlElement) -> tuple[dict[str, Any], ...]:
    """Every JSON-LD object of the page: top-level objects, list items and ``@graph`` members."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"):
        text = (script.text or "").strip()
        if not text or len(text) > MAX_SCRIPT_CHARS:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        found.extend(_flatten(data, 0))
        if len(found) >= MAX_OBJECTS:
            break
    return tuple(found[:MAX_OBJECTS])


def _flatten(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _flatten(data.get("@graph"), depth + 1)


def strings_of(value: Any) -> list[str]:
    """The non-empty strings of a JSON-LD value (a string or a list of strings), whitespace collapsed."""
    values = value if isinstance(value, list) else [value]
    return [text for item in values if isinstance(item, str) and (text := " ".join(item.split()))]


def names_of(value: Any) -> list[str]:
    """The names of a JSON-LD value naming an entity: a string, ``{"name": ...}``, or a list of them."""
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in values:
        names += strings_of(item.get("name")) if isinstance(item, dict) else strings_of(item)
    return names
