"""Text columns for a terminal: widths in display columns, not characters (a Chinese character takes two).

Pure: ``display_width("新华网") == 6``; :func:`pad` fills to a display width, so a table of Chinese and
Latin source names lines up.
"""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: wide and full-width characters 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` display columns (never cut)."""
    return text + " " * max(0, width - display_width(text))
