"""The publisher a page names: the corpus ``source`` of an article from an unregistered site.

A page names its publisher in several places, each sometimes wrong: JSON-LD ``publisher``,
``og:site_name``, ``application-name``, the ``dc.publisher`` / ``citation_publisher`` metas, the site
suffix of ``<title>`` ("标题_网易新闻"), and last the ``copyright`` meta ("网易版权所有").
:func:`choose_publisher` takes the first that is a name: a copyright notice ("Copyright © 2017
Sohu.com Inc. All Rights Reserved.", "2001-2013 Comsenz Inc.") is never one, a host name or
``host:port`` never one; a comma-separated list gives its first name.  Only the copyright meta, the
last resort, is trimmed of its notice words ("网易版权所有" -> "网易").

Pure: strings in, a string out.  A registered source's name and a WeChat account's name take
precedence over all of this; the caller applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_PUBLISHER_CHARS", "PublisherCandidates", "choose_publisher", "is_copyright", "publisher_name"]

MAX_PUBLISHER_CHARS = 60
_COPYRIGHT = re.compile(
    r"copyright|\(c\)|©|all\s+rights?\s+reserved|版权所有|保留所有权利|版权归|(?:19|20)\d\d\s*[-–—~]\s*(?:19|20)\d\d"
    r"|\b(?:inc|ltd|llc|corp)\b\.?\s*$",
    re.I,
)
_NOTICE_WORDS = re.compile(
    r"copyright|\(c\)|©|all\s+rights?\s+reserved\.?|版权所有|保留所有权利|(?:19|20)\d\d(?:\s*[-–—~]\s*(?:19|20)\d\d)?",
    re.I,
)
_HOST = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?/?|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|"
                   r"\[[0-9a-f:]+\](?::\d+)?|[\w.-]+:\d+", re.I)
_LIST = re.compile(r"\s*[,，;；、]\s*")
_TITLE_SEPARATOR = re.compile(r"\s*(?:[_|｜–—]|::|\s-{1,2}\s?|-{1,2})\s*")


@dataclass(frozen=True)
class PublisherCandidates:
    """What a page says about its publisher, each as found (``None`` / empty when absent)."""

    jsonld: tuple[str, ...] = ()  # JSON-LD publisher names
    og_site_name: str | None = None
    application_name: str | None = None
    publisher_meta: tuple[str, ...] = ()  # dc.publisher, citation_publisher
    title: str | None = None  # <title>, whose site suffix names the site
    copyright: str | None = None  # the copyright meta


def choose_publisher(found: PublisherCandidates) -> str | None:
    """The first candidate that names the publisher, in the order of :class:`PublisherCandidates`."""
    named = (*found.jsonld, found.og_site_name, found.application_name, *found.publisher_meta,
             _title_tail(found.title))
    for candidate in named:
        if name := publisher_name(candidate):
            return name
    if found.copyright and (trimmed := _NOTICE_WORDS.sub(" ", found.copyright)).strip(" ,.，。-"):
        return publisher_name(trimmed.strip(" ,.，。-"))
    return None


def publisher_name(value: str | None) -> str | None:
    """``value`` when it names a publisher: its first listed name that is no copyright notice, no
    host or ``host:port`` and no longer than :data:`MAX_PUBLISHER_CHARS`; else ``None``."""
    for part in _LIST.split(" ".join((value or "").split())):
        part = part.strip(" .·-")
        if 2 <= len(part) <= MAX_PUBLISHER_CHARS and not is_copyright(part) and not _HOST.fullmatch(part):
            return part
    return None


def is_copyright(value: str) -> bool:
    """True for a copyright notice ("网易版权所有", "© 2017 Sohu.com Inc. All Rights Reserved.")."""
    return _COPYRIGHT.search(value) is not None


def _title_tail(title: str | None) -> str | None:
    """The site suffix of ``<title>`` ("…_新浪网" -> "新浪网"): its last part, when a headline precedes it."""
    text = " ".join((title or "").split())
    matches = list(_TITLE_SEPARATOR.finditer(text))
    if not matches or len(text[: matches[-1].start()].strip()) < 4:
        return None
    tail = text[matches[-1].end() :].strip()
    return tail if 2 <= len(tail) <= 20 else None
