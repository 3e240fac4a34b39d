"""Plain text of the Markdown trafilatura writes, and the one place a title is capped.

Pure functions over ``str``.
"""

from __future__ import annotations

import re

__all__ = ["MAX_TITLE_CHARS", "cap_title", "markdown_to_text"]

MAX_TITLE_CHARS = 1000  # a title is cut here, and the body's heading that repeats it the same way


def markdown_to_text(markdown: str) -> str:
    """Plain text of trafilatura's Markdown: markup and escapes removed, one line per block."""
    lines = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if set(stripped) <= set("|-: "):
                continue  # a table's header rule
            stripped = " ".join(_UNESCAPED_PIPE.split(stripped.strip("|")))
        stripped = _LINK.sub(r"\1", _HTML_TAG.sub("", _BLOCK_MARK.sub("", stripped)))
        stripped = _INLINE.sub(lambda match: match.group(1) or match.group(2) or "", stripped)
        if collapsed := " ".join(stripped.split()):
            lines.append(collapsed)
    return "\n".join(lines)


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_BLOCK_MARK = re.compile(r"^(?:#{1,6}\s+|>\s?|[-+*]\s+)")  # an ordered list's numbers are text: kept
_HTML_TAG = re.compile(r"(?<!\\)</?(?:sup|sub|br|u|ins|del|mark|s|small|span)\b[^>]*>")
_LINK = re.compile(r"(?<!\\)!?\[((?:[^\]\\]|\\.)*)\]\([^)]*\)")
_INLINE = re.compile(r"\\(.)|`([^`]+)`|[*_`~]")  # escapes; code spans verbatim; emphasis marks


def cap_title(title: str | None, markdown: str) -> tuple[str | None, str]:
    """The title cut to :data:`MAX_TITLE_CHARS`, and the body's leading heading when it is that title, cut
    the same way: the one place a title is capped, so front matter and ``# heading`` agree (pure)."""
    if title is None or len(title) <= MAX_TITLE_CHARS:
        return title, markdown
    capped = title[:MAX_TITLE_CHARS].rstrip()
    first, newline, rest = markdown.partition("\n")
    heading = _LEADING_HEADING.match(first)
    if heading is not None and heading.group(2).strip()[:MAX_TITLE_CHARS].rstrip() == capped:
        markdown = f"{heading.group(1)} {capped}{newline}{rest}"
    return capped, markdown


_LEADING_HEADING = re.compile(r"(#{1,6})[ \t]+(.*)")
