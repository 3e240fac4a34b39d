"""Links built from fetched text: only http(s) URLs become links (no ``javascript:``, ``data:``, ...)."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http or https URL with a host, else ``None`` (shown as text)."""
    if not url or any(ord(c) < 33 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None
