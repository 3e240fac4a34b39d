"""The corpus format: every seed variant parses, round-trips, and bad files are reported by name."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from newswatch.storage.corpus.document import Document, parse_document, render_document
from newswatch.storage.corpus.folder import (
    Corpus,
    Staging,
    decode,
    load_corpus,
    read_document,
    write_atomic,
    write_document,
)
from newswatch.storage.errors import CorpusWriteError, DocumentFormatError
from tests.conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))

# file -> (title, url found, source name, date, author, lang)
EXPECTED = {
    "000_c599c159d177af50.txt": (
        "DeepSeek火爆海外，哪些国家对其更具包容心态？｜动察",
        "https://new.qq.com/rain/a/20250208A073F400",
        "qq",
        "2025-02-08 18:20:00",
        None,
        "zh-CN",
    ),
    "001_b8a4b2bd7d5c921e.txt": (
        "DeepSeek一夜之间，成了美国的众矢之的。",
        "https://mp.weixin.qq.com/s?__biz=MzIyMzA5NjEyMA==&mid=2647668270&idx=1&sn=ad5361ab45084e76ccd0f70faad6ceba"
        "&chksm=f1b444cb4f2782c874e3984cbc9fb6bc2e23a57f6bc9e679be30b7b7c7e19e3cde00691e9901",
        "微信公众号",
        "2025-01-30",
        "数字生命卡兹克",
        None,
    ),
    "002_adc70cd60a7da277.txt": ("DeepSeek被封杀了", None, "网易新闻", None, None, None),
    "003_d6d5d44daf100ae4.txt": (
        "专家观点 | 沈逸：缩小数字鸿沟，需要更多DeepSeek",
        "https://mp.weixin.qq.com/s?__biz=MzA5MzE5MDAzOA==&mid=2664236274&idx=3&sn=d2c2fa82cb70f8f522930fd0f1635a5b"
        "&chksm=8b58060bbc2f8f1d5ae98a24bbc5f944876393d28f71aae16665196b47fd82e39b753b57d11a&scene=58&subscene=0#rd",
        "中国信息安全",
        "2025-02-09",
        None,
        None,
    ),
    "004_1e9c92e4c9bc34d6.txt": (None, None, "华商报", None, None, None),
}


def test_seeds_are_the_shared_five() -> None:
    assert [p.name for p in SEED_FILES] == sorted(EXPECTED)


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_seed_fields(path: Path) -> None:
    doc = read_document(path)
    title, url, source, date, author, lang = EXPECTED[path.name]
    assert (doc.title, doc.url, doc.source, doc.date, doc.author, doc.lang) == (
        title, url, source, date, author, lang,
    )
    assert doc.body.strip()
    assert not doc.body.startswith(("---", "# ")), "front matter and title heading are not body"


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_seed_round_trip(path: Path, tmp_path: Path) -> None:
    first = read_document(path)
    out = tmp_path / path.name
    write_document(out, first)
    second = read_document(out)
    assert second == first
    written = out.read_bytes()
    write_document(out, second)
    assert out.read_bytes() == written


def test_hugo_seed_keeps_unknown_keys() -> None:
    doc = read_document(SEEDS / "000_c599c159d177af50.txt")
    extra = doc.extra_map
    assert extra["categories"] == ["qq"]
    assert extra["comments"] is False
    assert extra["thumbnail"].startswith("https://inews.gtimg.com/")
    assert [k for k, _ in doc.extra][:3] == ["summary", "categories", "translations"]


def test_dates_are_typed_on_request() -> None:
    doc = read_document(SEEDS / "003_d6d5d44daf100ae4.txt")
    assert doc.published is not None and doc.published.isoformat() == "2025-02-09T00:00:00"
    assert doc.fetched is not None and doc.fetched.microsecond == 502020


def test_canonical_form_key_order() -> None:
    doc = Document(
        title="标题", url="https://example.com/a", source="例子", date="2025-01-01", fetch_date=None,
        author="作者甲", lang="zh", body="正文。",
        extra=(("zzz", 1), ("content_hash", "abc"), ("version", 2)),
    )
    text = render_document(doc)
    keys = [line.split(":")[0] for line in text.split("---")[1].strip().splitlines()]
    assert keys == ["title", "url", "source", "date", "author", "lang", "version", "content_hash", "zzz"]
    assert text.endswith("\n# 标题\n\n正文。\n")
    again = parse_document(text, "x.txt")
    assert again.extra == (("version", 2), ("content_hash", "abc"), ("zzz", 1))
    assert render_document(again) == text


BAD = {
    "broken-yaml": (b"---\ntitle: [unclosed\n---\nbody\n", "broken YAML"),
    "unclosed": (b"---\ntitle: x\nbody without end\n", "never closed"),
    "gbk": ("---\ntitle: 中文\n---\n正文内容。\n".encode("gbk"), "unknown encoding"),
    "no-body": (b"---\ntitle: only a title\n---\n\n# only a title\n\n", "no body"),
    "empty": (b"", "no body"),
    "not-mapping": (b"---\n- a\n- b\n---\nbody\n", "not a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=str)
def test_bad_file_is_reported_by_name_and_others_load(case: str, tmp_path: Path) -> None:
    for seed in SEED_FILES:
        (tmp_path / seed.name).write_bytes(seed.read_bytes())
    data, reason = BAD[case]
    (tmp_path / f"005_{case}.txt").write_bytes(data)
    load = load_corpus(tmp_path)
    assert len(load.documents) == len(SEED_FILES)
    assert len(load.problems) == 1
    assert load.problems[0].name == f"005_{case}.txt"
    assert reason in load.problems[0].reason


def test_decode_accepts_bom_and_names_bad_byte() -> None:
    assert decode("\ufeff标题".encode(), "a") == "标题"
    with pytest.raises(DocumentFormatError, match=r"b\.txt: unknown encoding: not UTF-8 \(byte 0xd6"):
        decode("中".encode("gbk"), "b.txt")


def test_corpus_names_new_files_and_reuses_existing(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path)
    doc = parse_document("# t\n\nbody\n", "x")
    first = corpus.save("0123456789abcdef", doc)
    assert first.name == "000_0123456789abcdef.txt"
    second = corpus.save("fedcba9876543210", doc)
    assert second.name == "001_fedcba9876543210.txt"
    assert corpus.save("0123456789abcdef", doc) == first
    (tmp_path / "041_aaaaaaaaaaaaaaaa.txt").write_text("# x\n\ny\n", encoding="utf-8")
    assert corpus.path_for("bbbbbbbbbbbbbbbb").name == "042_bbbbbbbbbbbbbbbb.txt"
    with pytest.raises(ValueError):
        corpus.path_for("not-hex")


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "000_0123456789abcdef.txt"
    target.write_text("old content\n", encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(CorpusWriteError, match="No space left"):
        write_atomic(target, "new content\n")
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name], "no temp file left behind"


@pytest.mark.parametrize("outcome", ["published", "discarded", "unstaged"])
def test_a_retired_document_goes_with_its_changes_when_its_writes_do(tmp_path: Path, outcome: str) -> None:
    """``Corpus.retire`` (an article moved to another URL): the document and its change documents go at once,
    or, staged, after the commit and before the staged writes (which may reuse the name), or not at all when
    the item's writes are discarded."""
    corpus, key = Corpus(tmp_path), "0123456789abcdef"
    old = corpus.save(key, parse_document("# 旧\n\n旧文\n", "x"))
    (tmp_path / "changes").mkdir()
    change = tmp_path / "changes" / f"{old.stem}.v002.txt"
    change.write_text("# 旧\n\n改动\n", encoding="utf-8")
    staging = corpus.staging = Staging() if outcome != "unstaged" else None
    mark = staging.mark() if staging else 0
    corpus.retire(old.name)
    corpus.save(key, parse_document("# 新\n\n新文\n", "x"))  # the page at home: the same name, a new document
    if staging is not None:
        assert change.exists() and read_document(old).title == "旧", "nothing moves before the commit"
        if outcome == "discarded":
            staging.discard(mark)
        staging.publish()
    assert change.exists() is (outcome == "discarded")
    assert read_document(old).title == ("旧" if outcome == "discarded" else "新")
