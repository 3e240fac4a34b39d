"""Per-source ignore patterns: matches are out of the fingerprint and the diff, bounded in time."""

from __future__ import annotations

import pytest

from newswatch.monitor.changes.detect import Snapshot, detect
from newswatch.monitor.changes.ignore import IgnoreRules, compile_pattern, compile_patterns

# a real article's closing lines (tests/fixtures/zh_news n4k-chinese_article_002, news.cn)
BODY = ("据了解，短缺药品信息监测共享正在多维度推进。国家卫生健康委依托全国公立医疗卫生机构短缺药品信息直报系统开展短缺"
        "药品监测。\n\n此外，多层次提升短缺药品应对处置水平。\n\n【纠错】\n【责任编辑:张樵苏\n】")
EDITOR = r"【责任编辑:[^】]*】"


def rules(*patterns: str) -> IgnoreRules:
    compiled = compile_patterns(patterns)
    assert compiled is not None
    return compiled


@pytest.mark.parametrize(
    ("patterns", "edited", "outcome"),
    [((), BODY.replace("张樵苏", "王小明、李大伟"), "changed"),
     ((EDITOR,), BODY.replace("张樵苏", "王小明、李大伟"), "unchanged"),
     ((EDITOR,), BODY.replace("多维度推进", "全方位推进"), "changed"),
     ((r"^【纠错】$", EDITOR), BODY.replace("【纠错】", ""), "unchanged")],
    ids=["no-pattern", "edit-inside-a-match", "edit-outside-the-matches", "line-anchors"],
)
def test_ignored_text_does_not_count(patterns: tuple[str, ...], edited: str, outcome: str) -> None:
    old, new = Snapshot("短缺药品保供稳价", BODY), Snapshot("短缺药品保供稳价", edited)
    if patterns:
        old, _ = rules(*patterns).snapshot(old)
        new, _ = rules(*patterns).snapshot(new)
    detection = detect(old, new)
    assert detection.outcome == outcome
    if outcome == "changed" and patterns:
        assert detection.diff is not None and "张樵苏" not in str(detection.diff.ops), "ignored text is not in the diff"


def test_strip_counts_what_it_removed_and_keeps_the_rest() -> None:
    stripped = rules(EDITOR, r"纠错").strip(BODY)
    assert stripped.removed == 2 and "张樵苏" not in stripped.text and "短缺药品信息监测共享" in stripped.text


def test_title_is_filtered_too() -> None:
    snapshot, _ = rules(r"（\d+月\d+日更新）").snapshot(Snapshot("短缺药品保供稳价（11月17日更新）", BODY))
    assert snapshot.title == "短缺药品保供稳价" and snapshot.body == BODY


def test_a_runaway_pattern_is_skipped_not_hung() -> None:
    compiled = rules(r"(x+x+)+y", EDITOR)
    stripped = compiled.strip("x" * 5000 + "\n" + BODY)
    assert stripped.timed_out == ("(x+x+)+y",)
    assert "张樵苏" not in stripped.text, "the other patterns still apply"
    assert stripped.text.startswith("x" * 5000)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("[", "not a regular expression"), ("", "empty pattern"), ("a*", "matches the empty string"),
     ("x" * 501, "longer than")],
    ids=["syntax", "empty", "matches-empty", "too-long"],
)
def test_bad_patterns_say_why(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_pattern(pattern)


def test_too_many_patterns() -> None:
    with pytest.raises(ValueError, match="at most 50"):
        compile_patterns([f"word{i}" for i in range(51)])
    assert compile_patterns([]) is None
