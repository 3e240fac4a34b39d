"""Strict bounded gunzip of fetched bodies: whole members only, the output capped."""

from __future__ import annotations

import gzip
import zlib

import pytest

from newswatch.crawler.fetch.compression import gunzip_strict
from newswatch.storage.errors import BodyTooLarge, TruncatedBody

PAGE = "<html><body><p>新闻正文。</p></body></html>".encode() * 200


def test_whole_members_and_padding_decode() -> None:
    assert gunzip_strict(gzip.compress(PAGE)) == PAGE
    assert gunzip_strict(gzip.compress(PAGE[:100]) + gzip.compress(PAGE[100:]), 10 * len(PAGE)) == PAGE
    assert gunzip_strict(gzip.compress(PAGE) + b"\0" * 8, len(PAGE)) == PAGE  # exactly at the cap: kept


@pytest.mark.parametrize(
    "body",
    [gzip.compress(PAGE)[:-12], gzip.compress(PAGE)[:-4], gzip.compress(PAGE)[:40],
     gzip.compress(PAGE)[:-8] + b"\0\0\0\0" + gzip.compress(PAGE)[-4:], gzip.compress(PAGE) + b"<junk>",
     b"\x1f\x8b\x08\x00garbage-not-deflate"],
    ids=["cut-in-stream", "cut-in-trailer", "cut-early", "bad-crc", "trailing-junk", "not-deflate"],
)
def test_anything_but_whole_members_is_refused(body: bytes) -> None:
    with pytest.raises(TruncatedBody):
        gunzip_strict(body, 10 * len(PAGE))


def test_a_bomb_stops_just_past_the_cap() -> None:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    bomb = b"".join([packer.compress(bytes(1 << 24)) for _ in range(16)] + [packer.flush()])  # 256 MiB
    with pytest.raises(BodyTooLarge) as caught:
        gunzip_strict(bomb, 1 << 20)
    assert caught.value.produced == (1 << 20) + 1, "never more than the cap and one byte inflated"
    with pytest.raises(BodyTooLarge):
        gunzip_strict(gzip.compress(bytes(1 << 19)) * 3, 1 << 20)  # the cap spans the members
