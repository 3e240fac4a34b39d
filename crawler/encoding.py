"""Decode a fetched HTML body to text: pure functions, bytes in, ``str`` out.

The crawler calls :func:`decode_body` instead of Scrapy's ``response.text``::

    text = decode_body(response.body, response.headers.get(b"Content-Type"))

Scrapy's ``.text`` honours the BOM, the HTTP header and the ``<meta>`` charset, in that order, and
maps gbk/gb2312 to gb18030.  Real Chinese pages defeat that in two ways (both occur in
``tests/fixtures/zh_news``):

* the page says ``gb2312``/``gbk`` (header or ``<meta>``) but the bytes are UTF-8, because it was
  re-encoded when saved or proxied.  Scrapy trusts the label and produces mojibake.
* the page declares nothing and is GBK with a few invalid bytes; charset-normalizer then guesses a
  single-byte Cyrillic code page (``ptcp154``).

The order used here:

1. a BOM wins;
2. bytes that are valid UTF-8 are UTF-8, whatever the label says (legacy multi-byte text is
   practically never valid UTF-8 by accident);
3. the HTTP ``charset``, then the ``<meta>``/XML declaration, resolved as w3lib does (gbk and gb2312
   become gb18030, latin-1 becomes cp1252);
4. unlabelled bytes that decode as GB18030 with almost no errors into common (GB2312) Chinese
   characters are GB18030, unless charset-normalizer (Scrapy's detector) sees Korean, Japanese
   or Big5 (EUC-KR Hangul, for one, also decodes into common GB2312 characters);
5. otherwise Scrapy's own auto-detection (charset-normalizer), then cp1252.

Invalid byte sequences become U+FFFD; nothing here raises on bad input.
"""

from __future__ import annotations

from collections import Counter

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

__all__ = ["decode_body", "detect_encoding", "looks_like_gb18030"]

_FALLBACK_ENCODING = "cp1252"
# Unlabelled GB18030: share of non-ASCII characters that must be common (GB2312) Chinese, and
# the number of undecodable sequences tolerated per non-ASCII character.
_MIN_GB2312_SHARE = 0.9
_MAX_ERROR_SHARE = 0.005
# Multi-byte encodings of other CJK scripts, as resolve_encoding() names them.
_OTHER_CJK_ENCODINGS = frozenset(
    {
        "big5hkscs",
        "cp950",
        "cp932",
        "shift_jis_2004",
        "shift_jisx0213",
        "euc_jp",
        "euc_jis_2004",
        "euc_jisx0213",
        "iso2022_jp",
        "cp949",
        "johab",
        "iso2022_kr",
    }
)


def decode_body(body: bytes, content_type: str | bytes | None = None) -> str:
    """Decode an HTML body the way a careful browser would (see the module docstring)."""
    encoding = detect_encoding(body, content_type)
    return html_to_unicode(f"charset={encoding}", body)[1]


def detect_encoding(body: bytes, content_type: str | bytes | None = None) -> str:
    """Return the Python codec name :func:`decode_body` uses for ``body``."""
    bom_encoding, _ = read_bom(body)
    if bom_encoding is not None:
        return bom_encoding
    if _is_utf8(body):
        return "utf-8"
    declared = http_content_type_encoding(_header_text(content_type)) or html_body_declared_encoding(body)
    if declared is not None:
        return declared
    return _undeclared_encoding(body)


def looks_like_gb18030(body: bytes) -> bool:
    """True when ``body`` reads as Chinese text in GB18030 with (almost) no invalid sequences.

    Latin-1 or Big5 bytes also decode as GB18030, but into rare characters: their trail bytes
    fall outside GB2312's 0xA1-0xFE range.  Requiring common GB2312 characters tells them apart.
    """
    counts = Counter(char for char in body.decode("gb18030", errors="replace") if ord(char) > 0x7F)
    errors = counts.pop("\ufffd", 0)
    total = sum(counts.values())
    if total == 0 or errors > max(2.0, _MAX_ERROR_SHARE * total):
        return False
    common = sum(count for char, count in counts.items() if _is_gb2312(char))
    return common / total >= _MIN_GB2312_SHARE


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _header_text(content_type: str | bytes | None) -> str | None:
    if isinstance(content_type, bytes):
        return content_type.decode("latin-1")
    return content_type


def _undeclared_encoding(body: bytes) -> str:
    """No BOM, not UTF-8, no label: Chinese GB18030 if it reads as such, else Scrapy's guess.

    charset-normalizer's guess is consulted first only to keep Korean, Japanese and Big5 text
    (whose bytes can also pass :func:`looks_like_gb18030`) in their own encodings.
    """
    guess = _auto_detect(body)
    if guess in _OTHER_CJK_ENCODINGS:
        return guess
    if looks_like_gb18030(body):
        return "gb18030"
    return guess or _FALLBACK_ENCODING


def _auto_detect(body: bytes) -> str | None:
    """Scrapy's own fallback: charset-normalizer's best guess, resolved through w3lib's aliases."""
    match = from_bytes(body).best()
    return resolve_encoding(match.encoding) if match is not None else None


_CONTROL = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}
_NOT_CONTROL = bytes(byte for byte in range(256) if byte not in _CONTROL)  # deleted to count the controls


def looks_binary(body: bytes, sample: int = 8192) -> bool:
    """True for bytes that are not text in any encoding: a NUL, or over 10 % control characters."""
    head = body[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    return len(head.translate(None, _NOT_CONTROL)) > len(head) // 10
