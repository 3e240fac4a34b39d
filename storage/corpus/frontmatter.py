"""YAML front matter: split a document into its header mapping and body, and emit one back.

Pure functions. Timestamps are *not* resolved (``2025-02-09`` stays the string it was written as),
so dates round-trip byte for byte; every other YAML type (lists, booleans, numbers) is kept.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from newswatch.storage.errors import DocumentFormatError

_OPEN = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*$", re.MULTILINE)


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents block sequences under their key, as the seeds do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def split(text: str, name: str) -> tuple[dict[str, Any] | None, str]:
    """Return ``(front matter or None, body)``; raise :class:`DocumentFormatError` on broken YAML."""
    opening = _OPEN.match(text)
    if opening is None:
        return None, text
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        raise DocumentFormatError(name, "front matter opened with '---' is never closed")
    header = text[opening.end() : closing.start()]
    try:
        data = yaml.load(header, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise DocumentFormatError(name, f"broken YAML front matter: {_first_line(exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DocumentFormatError(name, "front matter is not a mapping of keys to values")
    body = text[closing.end() :]
    return {str(k): v for k, v in data.items()}, body.removeprefix("\r\n").removeprefix("\n")


def emit(data: dict[str, Any]) -> str:
    """The front matter block for ``data``, ``---`` lines included, keys in the given order."""
    if not data:
        return "---\n---\n"
    dumped = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1 << 20,
    )
    return f"---\n{dumped}---\n"


def _first_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())[:200]
