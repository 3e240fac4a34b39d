"""Bounded gzip decompression: pure, bytes in, bytes (or pieces of bytes) out.

A gzip bomb stops after at most ``max_bytes`` of output; every member of a multi-member stream is read;
trailing zero padding is ignored. :func:`gunzip` and :func:`gunzip_chunks` (sitemaps) raise
:class:`~storage.errors.ParseError` and stop at trailing junk; :func:`gunzip_strict` (fetched bodies,
:mod:`crawler.fetch.integrity`) refuses anything but whole members: a stream cut short, a bad checksum or
trailing junk is :class:`~storage.errors.TruncatedBody`, output past the cap
:class:`~storage.errors.BodyTooLarge`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from newswatch.storage.errors import BodyTooLarge, ParseError, TruncatedBody

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


def gunzip_strict(body: bytes, max_bytes: int = 0) -> bytes:
    """Decompress gzip ``body``, all members, in one pass; refuse it unless every member is whole and its
    CRC and length check out, and refuse output beyond ``max_bytes`` (0: no cap)."""
    pieces: list[bytes] = []
    produced, data = 0, body
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:  # one call per member: zlib sizes its own output, never past the cap
            piece = inflater.decompress(data, max_bytes + 1 - produced if max_bytes else 0)
        except zlib.error as exc:
            raise TruncatedBody(f"broken gzip stream: {exc}") from exc
        produced += len(piece)
        if max_bytes and produced > max_bytes:
            raise BodyTooLarge(produced, max_bytes)
        if not inflater.eof:  # the input ran out inside the member
            raise TruncatedBody("gzip stream cut short")
        pieces.append(piece)
        data = inflater.unused_data.lstrip(b"\0")  # trailing zero padding is common; anything else must be a member
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
