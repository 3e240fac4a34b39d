"""Rendering one :class:`~monitor.changes.diff.Diff` three ways, pure (rendering never does transport):

- text: unified-style, one sentence a line (``-`` old, ``+`` new, two-space context), edits shown as
  the old and new sentence with ``[-deleted-]{+inserted+}`` markers: for email and corpus files;
- JSON: a structure for webhooks (ops with their fragments, and counts);
- HTML: ``<del>``/``<ins>`` highlighting, escaped; inline (:func:`to_html`) or side by side
  (:func:`to_html_sides`: a table, the old text left and the new right).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from monitor.changes.diff import Diff, Fragment, Op

CONTEXT = 1  # unchanged sentences shown around a change


def _visible(diff: Diff, context: int) -> list[tuple[int, Op] | None]:
    """The ops to show, with ``None`` where unchanged sentences are skipped."""
    keep: set[int] = set()
    for index, op in enumerate(diff.ops):
        if op.kind != "equal":
            keep.update(range(index - context, index + context + 1))
    shown: list[tuple[int, Op] | None] = []
    last = -1
    for index, op in enumerate(diff.ops):
        if index in keep:
            if (last >= 0 and index > last + 1) or last < 0 < index:
                shown.append(None)
            shown.append((index, op))
            last = index
    return shown


def marked(op: Op) -> str:
    """An edited sentence with inline ``[-deleted-]{+inserted+}`` markers."""
    parts = []
    for fragment in op.fragments:
        if fragment.op == "=":
            parts.append(fragment.text)
        else:
            parts.append(f"[-{fragment.text}-]" if fragment.op == "-" else f"{{+{fragment.text}+}}")
    return "".join(parts)


def fields_text(fields: dict[str, tuple[str | None, str | None]]) -> str:
    """Changed fields other than the body, one line each: ``title: old → new``."""
    return "\n".join(f"{name}: {old or '∅'} → {new or '∅'}" for name, (old, new) in fields.items())


def _text_op(op: Op) -> list[str]:
    if op.kind == "edit":
        return [f"- {op.old}", f"+ {op.new}", f"~ {marked(op)}"]
    return [{"equal": f"  {op.old}", "delete": f"- {op.old}", "insert": f"+ {op.new}"}[op.kind]]


def _html_op(op: Op) -> list[str]:
    if op.kind == "edit":
        return [f"<p>{_html_fragments(op)}</p>"]
    return [{"equal": f"<p>{escape(op.old)}</p>", "delete": f"<p><del>{escape(op.old)}</del></p>",
             "insert": f"<p><ins>{escape(op.new)}</ins></p>"}[op.kind]]


def _render(diff: Diff, context: int, skip: str, render_op: Callable[[Op], list[str]]) -> list[str]:
    """The shown part of ``diff`` (changes with ``context``), one op at a time, ``skip`` for gaps."""
    rows: list[str] = []
    for item in _visible(diff, context):
        rows.extend([skip] if item is None else render_op(item[1]))
    return rows


def to_text(diff: Diff, context: int = CONTEXT) -> str:
    return "\n".join(_render(diff, context, "…", _text_op))


def to_json(diff: Diff) -> dict[str, Any]:
    ops = []
    for op in diff.changed:
        entry: dict[str, Any] = {"op": op.kind}
        if op.old:
            entry["old"] = op.old
        if op.new:
            entry["new"] = op.new
        if op.fragments:
            entry["fragments"] = [[f.op, f.text] for f in op.fragments]
        ops.append(entry)
    return {"inserted_chars": diff.inserted_chars, "deleted_chars": diff.deleted_chars, "changes": ops}


def from_json(data: dict[str, Any]) -> Diff:
    """The structured diff of :func:`to_json` back as a :class:`Diff` of its changed ops (no context)."""
    ops = tuple(Op(str(entry["op"]), str(entry.get("old", "")), str(entry.get("new", "")),
                   tuple(Fragment(str(op), str(text)) for op, text in entry.get("fragments", ())))
                for entry in data.get("changes", ()))
    return Diff(ops)


def to_html(diff: Diff, context: int = CONTEXT) -> str:
    rows = _render(diff, context, '<p class="skip">…</p>', _html_op)
    return '<div class="newswatch-diff">' + "".join(rows) + "</div>"


def _html_fragments(op: Op) -> str:
    tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    return "".join(tags[f.op].format(escape(f.text)) for f in op.fragments)


def _side(op: Op, keep: str) -> str:
    """One side of an op: the old side keeps ``-`` fragments, the new side ``+`` fragments."""
    if op.kind == "edit":
        tag = "del" if keep == "-" else "ins"
        return "".join(escape(f.text) if f.op == "=" else f"<{tag}>{escape(f.text)}</{tag}>"
                       for f in op.fragments if f.op in ("=", keep))
    text = op.old if keep == "-" else op.new
    if op.kind == "equal" or not text:
        return escape(text)
    tag = "del" if keep == "-" else "ins"
    return f"<{tag}>{escape(text)}</{tag}>"


def _sides_op(op: Op) -> list[str]:
    return [f'<tr class="{op.kind}"><td>{_side(op, "-")}</td><td>{_side(op, "+")}</td></tr>']


def to_html_sides(diff: Diff, context: int = CONTEXT, labels: tuple[str, str] = ("old", "new")) -> str:
    """Side by side: one table row per sentence, old left, new right, edits highlighted, escaped."""
    head = f"<thead><tr><th>{escape(labels[0])}</th><th>{escape(labels[1])}</th></tr></thead>"
    rows = _render(diff, context, '<tr class="skip"><td>…</td><td>…</td></tr>', _sides_op)
    return f'<table class="newswatch-diff-sides">{head}<tbody>{"".join(rows)}</tbody></table>'
