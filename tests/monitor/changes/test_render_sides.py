"""The side-by-side HTML diff (old left, new right, escaped), and the stored structured diff read back."""

from __future__ import annotations

import pytest

from monitor.changes.diff import diff_texts
from monitor.changes.render import from_json, to_html_sides, to_json

CASES = {
    "edit": ("第一句。数字不到60。", "第一句。数字约56。",
             '<tr class="edit"><td>数字<del>不到60</del>。</td><td>数字<ins>约56</ins>。</td></tr>'),
    "insert": ("第一句。", "第一句。新句子。", '<tr class="insert"><td></td><td><ins>新句子。</ins></td></tr>'),
    "delete": ("第一句。旧句子。", "第一句。", '<tr class="delete"><td><del>旧句子。</del></td><td></td></tr>'),
    "escaped": ("旧的句子。", "<script>alert(1)</script>。", "&lt;script&gt;"),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_sides(case: str) -> None:
    old, new, expected = CASES[case]
    html = to_html_sides(diff_texts(old, new), labels=("v1", "v2"))
    assert expected in html and "<script>" not in html
    assert html.startswith('<table class="newswatch-diff-sides"><thead><tr><th>v1</th><th>v2</th></tr></thead>')


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_the_stored_structured_diff_gives_back_the_changed_ops(case: str) -> None:
    old, new, _expected = CASES[case]
    diff = diff_texts(old, new)
    assert from_json(to_json(diff)).ops == diff.changed
