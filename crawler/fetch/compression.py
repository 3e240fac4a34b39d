"""Bounded gzip decompression: pure, bytes in, bytes (or pieces of bytes) out.

A gzip bomb stops after at most ``max_bytes`` of output with a :class:`~storage.errors.ParseError`;
every member of a multi-member stream is read; trailing zero padding is ignored.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from newswatch.storage.errors import ParseError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1024 * 1024


def gunzip(body: bytes, max_bytes: int, url: str = "") -> bytes:
    """Decompress gzip ``body`` (all members), refusing output beyond ``max_bytes``."""
    return b"".join(gunzip_chunks(body, max_bytes, url))


def gunzip_chunks(body: bytes, max_bytes: int, url: str = "") -> Iterator[bytes]:
    """Decompress gzip ``body`` (all members) piece by piece, refusing output beyond ``max_bytes``."""
    produced = 0
    data = body
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            pending = data
            while not inflater.eof:
                chunk = inflater.decompress(pending, max(1, min(CHUNK, max_bytes + 1 - produced)))
                produced += len(chunk)
                if produced > max_bytes:
                    raise ParseError(f"sitemap {url}: gzip expands beyond the {max_bytes}-byte cap")
                if chunk:
                    yield chunk
                pending = inflater.unconsumed_tail
                if not pending and not chunk:
                    break
            if not inflater.eof:
                raise ParseError(f"sitemap {url}: truncated gzip stream")
            rest = inflater.unused_data.lstrip(b"\0")  # trailing zero padding is common
            data = rest if rest[:2] == GZIP_MAGIC else b""  # another member, or trailing junk
    except zlib.error as exc:
        raise ParseError(f"sitemap {url}: broken gzip stream: {exc}") from exc
