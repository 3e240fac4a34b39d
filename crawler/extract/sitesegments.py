"""The parts of a title that name the site: ``河南日报网``, ``多维博客``, ``世纪在线中国艺术网``, ``China-Pub blog``.

A ``<title>`` joins the headline and the site's name with a separator, in either order (``标题_新浪网``,
``多维博客 » 标题``, ``艺术史研究<世纪在线中国艺术网``), sometimes with the name twice
(``标题 河南日报网-河南日报官方网站``).
:func:`site_like` says when one segment is a site's name: one of the names the page declares, or a short
segment ending in a word sites call themselves by (``网``, ``网站``, ``官网``, ``博客``, ``论坛``, ``blog``, a domain).
:func:`unsited` drops such segments from either end of a title when a segment that is not one stays (a
title made only of site names is left alone), and, once a site's segment was found, a site's name left after
the headline by a space only (``过廉洁之年 河南日报网``).  Before that, two cuts a segment cannot make: at a name
the page declares for itself (``og:site_name``) written after a separator, a name with a separator of its own
(``文章 @ 史蒂文的家_藍天 :: 痞客邦 PIXNET``); and at `` @ `` followed by a blog's name and its platform
(``文章 @ 部落格 :: 痞客邦 PIXNET``).  Blog and writing platforms are site names (``博客园``, ``知乎``, ``简书``,
``CSDN``, ``痞客邦``...), and an underscore inside a Latin name (``weixin_44123456的博客``) separates nothing.
:func:`site_extension` tells a longer candidate that is
a headline plus a site's name from one that completes a truncated headline (:mod:`crawler.extract.titles`).

Pure: strings in, strings out.  Nothing is keyed to a site.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SITE_SEGMENT_CHARS", "site_extension", "site_like", "unsited"]

MAX_SITE_SEGMENT_CHARS = 20  # a longer segment is a headline, whatever it ends with
_SITE_END = re.compile(
    r"(?:网|网站|官网|官方网站|门户|博客|博客网|论坛|社区|频道|\bblog|\bbbs|\bforums?"
    r"|\.(?:com|cn|net|org|info)(?:\.[a-z]{2})?"
    # the blog and writing platforms, by the names their titles end with
    r"|博客园|痞客邦|\bpixnet|知乎|知乎专栏|简书|\bcsdn|\blofter|\bmedium|\bblogger|\bwordpress)$",
    re.IGNORECASE,
)
# separators between a title's segments ("A_B", "A | B", "A -- B", "A - B", "A » B"; between CJK text "A<B",
# "A-短尾"): not quotes (»Zitat«, «citation») nor a hyphen in a Latin word or domain (rete-mirabile.net)
# "A_B" but not an underscore inside a Latin name (weixin_44123456的博客)
_SEGMENT = re.compile(
    r"\s*(?:(?:(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|[|｜–—·])+|::|-{2,}|\s[-»@]\s"
    r"|(?<=[^\x00-\x7f])<(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])-(?=[^-\s]{2,12}$))\s*"
)
_AT = re.compile(r"\s@\s")  # "文章 @ 部落格 :: 痞客邦": what follows " @ " is where the post is
MAX_AT_CHARS = 40  # ... a blog's name and its platform
_SPACED_TAIL = re.compile(r"(?<=[^\x00-\x7f])\s+(\S+)$")  # "过廉洁之年 河南日报网": a space after CJK text
_SPACES = re.compile(r"\s+")


def site_like(segment: str, sites: tuple[str, ...] = ()) -> bool:
    """``segment`` is a site's name: one of ``sites`` (whitespace aside), or at most
    :data:`MAX_SITE_SEGMENT_CHARS` characters ending in a word a site calls itself by."""
    flat = _SPACES.sub("", segment).casefold()
    if len(flat) < 2:
        return False
    if any(flat == _SPACES.sub("", site).casefold() for site in sites if site):
        return True
    return len(flat) <= MAX_SITE_SEGMENT_CHARS and _SITE_END.search(" ".join(segment.split())) is not None


def unsited(title: str, sites: tuple[str, ...] = ()) -> str:
    """``title`` without the site's names at either end (module docstring); unchanged when every segment
    is one, or none is."""
    title = _at_site(_declared_cut(title, sites))
    cuts = [(match.start(), match.end()) for match in _SEGMENT.finditer(title)]
    bounds = [0, *(position for cut in cuts for position in cut), len(title)]
    segments = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    site = [site_like(title[start:end], sites) for start, end in segments]
    if all(site) or not any(site):
        return title
    first, last = site.index(False), len(site) - 1 - site[::-1].index(False)
    kept = title[segments[first][0] : segments[last][1]].strip()
    tail = _SPACED_TAIL.search(kept)
    if tail is not None and site_like(tail.group(1), sites) and len(kept) - len(tail.group(0)) >= 2:
        kept = kept[: tail.start()].rstrip()
    return kept or title


def _declared_cut(title: str, sites: tuple[str, ...]) -> str:
    """``title`` before a name the page declares for itself, written as a segment of its own after a separator
    (``文章 @ 史蒂文的家_藍天 :: 痞客邦``: the name holds a separator of its own, so no segment is the name), or after
    it when the title opens with it; unchanged when the name is not there, is part of a longer segment
    (``…: Trome celebró``) or nothing of two characters is left."""
    for site in sorted((" ".join(site.split()) for site in sites if len(site.strip()) >= 2), key=len, reverse=True):
        at = title.find(site)
        after = title[at + len(site) :]
        ends = not after.strip() or _SEPARATOR_START.match(after) is not None  # the name is a whole segment
        if at > 0 and ends and (head := _SEPARATOR_END.search(title[:at])) is not None and len(head.group(1)) >= 2:
            return head.group(1).strip()
        if at == 0 and (tail := _SEPARATOR_START.match(after)) is not None and len(tail.group(1).strip()) >= 2:
            return tail.group(1).strip()
    return title


def _at_site(title: str) -> str:
    """``title`` before its last `` @ `` when what follows is a blog's name and its platform (at most
    :data:`MAX_AT_CHARS` characters ending in a segment that is :func:`site_like`):
    ``文章 @ 部落格 :: 痞客邦 PIXNET``."""
    found = list(_AT.finditer(title))
    if not found:
        return title
    head, rest = title[: found[-1].start()].strip(), title[found[-1].end() :].strip()
    parts = [part for part in _SEGMENT.split(rest) if part.strip()]
    if len(head) >= 2 and len(parts) >= 2 and len(_SPACES.sub("", rest)) <= MAX_AT_CHARS and site_like(parts[-1]):
        return head
    return title


def site_extension(extra: str, sites: tuple[str, ...] = ()) -> bool:
    """``extra``, the text a longer candidate adds after a headline, is a site's name: it starts with a
    space or a separator and its first segment is :func:`site_like`."""
    if not extra or not (extra[0].isspace() or extra[0] in _LEADING):
        return False
    parts = [part for part in _SEGMENT.split(extra.strip().lstrip(_LEADING)) if part.strip()]
    return bool(parts) and site_like(parts[0], sites)


_LEADING = "-_|｜–—·<»:："
# a separator before or after a declared name: not a colon ("Día de la Madre: Trome celebró") nor a hyphen in a
# word ("Privatkredit-Zinsen")
_SEPARATOR_END = re.compile(r"^(.*?)(?:\s*(?:[_|｜–—·<»@]+|::|-{2,})|\s-)\s*$", re.S)
_SEPARATOR_START = re.compile(r"^(?:\s*(?:[_|｜–—·<»@]+|::|-{2,})|\s-)\s*(.*)$", re.S)
