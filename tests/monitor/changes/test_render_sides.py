"""The side-by-side HTML diff (old left, new right, escaped), and the stored structured diff read back."""

from __future__ import annotations

import pytest

from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.render import from_json, templates, to_html, to_html_sides, to_json

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


def test_the_html_diffs_are_whole_and_escaped_labels_too() -> None:
    diff = diff_texts("一。二。三。四。五。", "一。二改<b>。三。四。五。六&。")
    inline = to_html(diff)
    assert inline == ('<div class="newswatch-diff"><p>一。</p><p>二<ins>改&lt;b&gt;</ins>。</p><p>三。</p>'
                      '<p class="skip">…</p><p>五。</p><p><ins>六&amp;。</ins></p></div>')
    sides = to_html_sides(diff, labels=("<v1>", "v&2"))
    assert sides.startswith('<table class="newswatch-diff-sides"><thead><tr><th>&lt;v1&gt;</th><th>v&amp;2</th>')
    assert '<tr class="skip"><td>…</td><td>…</td></tr>' in sides and sides.endswith("</tbody></table>")
    assert templates() is templates()  # one Environment, built once
