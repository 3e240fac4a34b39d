"""Normalization, diffs, rendering and change detection: pure functions over text."""

from __future__ import annotations

import json

import pytest

from newswatch.monitor.changes.detect import DetectOptions, Snapshot, classify, detect
from newswatch.monitor.changes.diff import diff_texts, sentences, similarity
from newswatch.monitor.changes.normalize import fingerprint, normalize_body
from newswatch.monitor.changes.render import to_html, to_json, to_text

BODY = (
    "DeepSeek发布了新一代大模型，引发全球关注。业内人士认为，这将改变行业格局！"
    "多家云服务商在春节假期加班接入，用户数在七天内突破一亿。\n\n"
    "据报道，该模型在多项测试中表现优异；其训练成本不到600万美元。"
    "这一数字远低于同类模型，令海外同行感到意外，也引发了对算力投入的讨论。\n\n"
    "专家指出，开源策略吸引了大量开发者。未来仍需观察其商业化进展。"
    "部分国家以数据安全为由限制使用，相关争议仍在持续发酵之中。"
)

NOISE = {
    "whitespace": BODY.replace("。", "。 \n").replace("，", " ，"),
    "punctuation-width": BODY.replace("，", ",").replace("；", ";"),
    "invisible": BODY.replace("大模型", "大\u200b模\ufeff型"),
    "view-counter": BODY + "\n\n阅读 12,345\n\n点赞 99",
    "timestamp-line": "2025-02-11 10:23:45\n\n" + BODY,
    "link-targets": BODY.replace("开源策略", "[开源策略](https://x.example/a?utm_source=1)"),
    "related-block": BODY + "\n\n相关阅读\n\n- 另一篇文章的标题\n- 第二篇推荐文章",
}


@pytest.mark.parametrize("name", sorted(NOISE), ids=str)
def test_noise_does_not_change_the_fingerprint(name: str) -> None:
    assert fingerprint(["标题", NOISE[name]]) == fingerprint(["标题", BODY])


def test_real_edits_change_the_fingerprint() -> None:
    assert fingerprint(["标题", BODY.replace("600万", "700万")]) != fingerprint(["标题", BODY])
    assert fingerprint(["新标题", BODY]) != fingerprint(["标题", BODY])


def test_sentences_split_after_chinese_and_western_punctuation() -> None:
    assert sentences("第一句。第二句！第三句？第四句；\nEnglish one. English two") == [
        "第一句。", "第二句！", "第三句？", "第四句；", "English one.", "English two",
    ]


def test_diff_marks_characters_inside_the_changed_sentence() -> None:
    diff = diff_texts(BODY, BODY.replace("不到600万美元", "约560万美元"))
    (edit,) = diff.changed
    assert edit.kind == "edit"
    assert "".join(f.text for f in edit.fragments if f.op != "+") == "其训练成本不到600万美元。"
    assert "".join(f.text for f in edit.fragments if f.op != "-") == "其训练成本约560万美元。"
    assert diff.deleted_chars + diff.inserted_chars <= 7, "only the changed characters are marked"
    text = to_text(diff)
    assert "- 其训练成本不到600万美元。" in text and "+ 其训练成本约560万美元。" in text
    assert "~ 其训练成本[-不到60-]{+约56+}0万美元。" in text
    assert json.loads(json.dumps(to_json(diff)))["changes"][0]["op"] == "edit"
    assert "<del>不到60</del><ins>约56</ins>" in to_html(diff)


def test_html_is_escaped() -> None:
    assert "&lt;script&gt;" in to_html(diff_texts("旧的句子。", "<script>alert(1)</script>。"))


def test_english_reads_sensibly() -> None:
    diff = diff_texts("The model was released. It costs little.", "The model was released. It costs very little.")
    (edit,) = diff.changed
    assert edit.old == "It costs little." and [f.text for f in edit.fragments if f.op == "+"] == ["very "]


CLASSES = {
    "title": (Snapshot("新标题", BODY), "title"),
    "addition": (Snapshot("标题", BODY + "\n\n更正：本文第二段的数据已更新。"), "addition"),
    "deletion": (Snapshot("标题", BODY.replace("未来仍需观察其商业化进展。", "")), "deletion"),
    "body-edit": (Snapshot("标题", BODY.replace("开源策略吸引了大量开发者", "闭源策略让开发者望而却步")), "body_edit"),
    "minor-typo": (Snapshot("标题", BODY.replace("业内人士", "业界人士")), "minor"),
    "changed-number-is-an-edit": (Snapshot("标题", BODY.replace("不到600万美元", "不到800万美元")), "body_edit"),
    "metadata-only": (Snapshot("标题", BODY, author="新作者"), "metadata_only"),
    "paragraphs-moved": (Snapshot("标题", "\n\n".join(BODY.split("\n\n")[::-1])), "reordered"),
    "sentence-moved": (Snapshot("标题", BODY.replace("未来仍需观察其商业化进展。", "")
                                .replace("专家指出，", "未来仍需观察其商业化进展。专家指出，")), "reordered"),
    "moved-and-edited": (Snapshot("标题", "\n\n".join(BODY.split("\n\n")[::-1]).replace("600万", "700万")),
                         "body_edit"),
    "moved-and-added": (Snapshot("标题", "\n\n".join(BODY.split("\n\n")[::-1]) + "\n\n更正：数据已更新。"),
                        "body_edit"),
}


@pytest.mark.parametrize("name", sorted(CLASSES), ids=str)
def test_change_classes(name: str) -> None:
    current, expected = CLASSES[name]
    found = detect(Snapshot("标题", BODY), current)
    assert (found.outcome, found.change_class) == ("changed", expected)


ANOMALIES = {
    "empty": (Snapshot("标题", ""), "empty"),
    "near-empty": (Snapshot("标题", "页面正在维护。"), "near_empty"),
    "shrink": (Snapshot("标题", BODY.split("\n\n")[0]), "shrink"),  # a third is left
    "language-switch": (Snapshot("标题", BODY, language="en"), "language_switch"),
}


@pytest.mark.parametrize("name", sorted(ANOMALIES), ids=str)
def test_anomalies_are_not_changes(name: str) -> None:
    current, reason = ANOMALIES[name]
    found = detect(Snapshot("标题", BODY, language="zh"), current)
    assert (found.outcome, found.anomaly, found.change_class) == ("anomaly", reason, None)


def test_shrink_threshold_is_configurable() -> None:
    shorter = Snapshot("标题", BODY.split("\n\n")[0])
    assert detect(Snapshot("标题", BODY), shorter, options=DetectOptions(max_shrink=0.9)).outcome == "changed"


def test_unchanged_computes_no_diff_and_revert_names_the_version() -> None:
    same = detect(Snapshot("标题", BODY), Snapshot("标题", NOISE["whitespace"]))
    assert (same.outcome, same.diff) == ("unchanged", None)
    original = Snapshot("标题", BODY)
    edited = Snapshot("标题", BODY + "\n\n补充：新的进展。")
    back = detect(edited, original, earlier={original.fingerprint: 1})
    assert (back.outcome, back.reverted_to, back.change_class) == ("revert", 1, "deletion")


def test_first_fetch_after_a_seed_is_a_baseline() -> None:
    seed = Snapshot("标题", "微信扫一扫\n\n" + BODY + "\n\n取消\n\n允许")
    found = detect(seed, Snapshot("标题", BODY), previous_is_seed=True)
    assert found.outcome == "baseline" and found.similarity is not None and 0.5 < found.similarity < 1
    assert similarity(BODY, BODY) == 1.0


def test_classify_without_body_diff_is_metadata() -> None:
    assert classify(("date",), diff_texts(BODY, BODY), DetectOptions()) == "metadata_only"


def test_normalize_body_drops_decoration() -> None:
    assert normalize_body("## 小标题\n\n**加粗**的 文字 ![图](https://x/y.jpg)") == "小标题\n加粗的文字"
