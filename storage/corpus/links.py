"""Links in a Markdown body: find them, and tell images from pages.

Pure functions over ``str``. Found: Markdown images ``![alt](url)``, Markdown links ``[text](url)``,
autolinks ``<https://...>`` and bare ``http(s)://`` URLs. An image is what Markdown marks as one, or a
URL on a known image host (``mmbiz.qpic.cn``, ``inews.gtimg.com``, ...), with an image file
extension, or with WeChat's ``wx_fmt=`` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IMAGE_HOSTS = ("mmbiz.qpic.cn", "inews.gtimg.com", "mmbiz.qlogo.cn", "wx.qlogo.cn", "nimg.ws.126.net")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".svg", ".avif")

_MD_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"
                      r"(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")
_BARE = re.compile(r"https?://[^\s<>()\[\]\"'，。、；：！？》「」（）]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?*_~'\""


@dataclass(frozen=True)
class Link:
    """One link found in a body: where it points, its text, and whether it is an image."""

    url: str
    text: str
    is_image: bool


def is_image_url(url: str) -> bool:
    """True for a URL that points at an image rather than a page."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[not-an-address]": not a URL, so not an image either
        return False
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in IMAGE_HOSTS):
        return True
    if "wx_fmt=" in parts.query:
        return True
    return parts.path.lower().endswith(IMAGE_EXTENSIONS)


def find_links(body: str) -> tuple[Link, ...]:
    """Every http(s) link in ``body``, in order of appearance, each URL once."""
    found: list[tuple[int, Link]] = []
    masked = list(body)
    for match in _MD_LINK.finditer(body):
        url = match.group(3)
        if url.lower().startswith(("http://", "https://")):
            image = bool(match.group(1)) or is_image_url(url)
            found.append((match.start(), Link(url, match.group(2).strip(), image)))
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    rest = "".join(masked)
    for match in _AUTOLINK.finditer(rest):
        found.append((match.start(), Link(match.group(1), "", is_image_url(match.group(1)))))
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    rest = "".join(masked)
    for match in _BARE.finditer(rest):
        url = match.group(0).rstrip(_TRAILING_PUNCT)
        found.append((match.start(), Link(url, "", is_image_url(url))))
    return _unique(link for _, link in sorted(found, key=lambda item: item[0]))


def page_links(body: str) -> tuple[Link, ...]:
    """The links in ``body`` that point at pages, not images."""
    return tuple(link for link in find_links(body) if not link.is_image)


def trailing_link(body: str) -> Link | None:
    """A Markdown link standing alone on the body's last non-blank line (the Hugo seeds' source)."""
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        return None
    match = _MD_LINK.fullmatch(lines[-1].strip())
    if match is None or match.group(1) or not match.group(3).lower().startswith(("http://", "https://")):
        return None
    return Link(match.group(3), match.group(2).strip(), False)


def _unique(links: Iterable[Link]) -> tuple[Link, ...]:
    seen: set[str] = set()
    out: list[Link] = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return tuple(out)
