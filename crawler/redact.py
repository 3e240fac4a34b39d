"""Secrets taken out of what newswatch shows: URLs, configuration trees, messages.

A URL's password (``https://user:pw@host/``) and the values of query parameters that carry secrets
(``?token=…``, ``key``, ``secret``, ``sig``, ``password``, ``api_key``, ``access_token``, …) become
``***``; so do the values of any ``headers`` table. Pure: strings in, strings out; used by ``config``,
the source listings, the web view and the messages of errors that name a URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
SECRET_NAME = re.compile(
    r"^(?:key|sig|signature|auth|pass|pwd|code)$|token|secret|passw|api[-_]?key|access[-_]?key|private[-_]?key"
    r"|[-_]key$|[-_]sig$|credential", re.IGNORECASE)
URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s\"'<>]+")


def secret_name(name: str) -> bool:
    """Whether a query parameter (or header) named ``name`` carries a secret."""
    return bool(SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***`` (unparsable: unchanged)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(secret_name(name) for name, _ in pairs):
            query = urlencode([(n, MASK if secret_name(n) else v) for n, v in pairs], safe="*/:@,")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL inside ``text`` redacted (for messages that quote one)."""
    return URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def redact_tree(value: Any, key: str = "") -> Any:
    """A copy of a configuration tree (dicts, lists, strings) with every secret masked."""
    if isinstance(value, Mapping):
        if key == "headers":
            return {name: MASK for name in value}
        return {name: redact_tree(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(item, key) for item in value]
    if isinstance(value, str):
        return redact_text(value) if "://" in value else value
    return value
