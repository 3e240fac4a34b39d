"""Rendering one :class:`~monitor.changes.diff.Diff` three ways, pure (rendering never does transport):

- text: unified-style, one sentence a line (``-`` old, ``+`` new, two-space context), edits shown as
  the old and new sentence with ``[-deleted-]{+inserted+}`` markers: for email and corpus files;
- JSON: a structure for webhooks (ops with their fragments, and counts);
- HTML: ``<del>``/``<ins>`` highlighting, escaped; inline (:func:`to_html`) or side by side
  (:func:`to_html_sides`: a table, the old text left and the new right), from the Jinja2 templates in
  ``templates/`` beside this module (autoescaped).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader

from newswatch.monitor.changes.diff import Diff, Fragment, Op

CONTEXT = 1  # unchanged sentences shown around a change


def _visible(diff: Diff, context: int) -> list[Op | None]:
    """The ops to show, with ``None`` where unchanged sentences are skipped."""
    keep: set[int] = set()
    for index, op in enumerate(diff.ops):
        if op.kind != "equal":
            keep.update(range(index - context, index + context + 1))
    shown: list[Op | None] = []
    last = -1
    for index, op in enumerate(diff.ops):
        if index in keep:
            if (last >= 0 and index > last + 1) or last < 0 < index:
                shown.append(None)
            shown.append(op)
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


def to_text(diff: Diff, context: int = CONTEXT) -> str:
    rows: list[str] = []
    for op in _visible(diff, context):
        rows.extend(["…"] if op is None else _text_op(op))
    return "\n".join(rows)


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


@cache
def templates() -> Environment:
    """The diff templates (package data in ``templates/``), autoescaped; built once."""
    return Environment(loader=PackageLoader("newswatch.monitor.changes"), autoescape=True, trim_blocks=True,
                       lstrip_blocks=True)


def to_html(diff: Diff, context: int = CONTEXT) -> str:
    return templates().get_template("diff_inline.html").render(rows=_visible(diff, context))


def to_html_sides(diff: Diff, context: int = CONTEXT, labels: tuple[str, str] = ("old", "new")) -> str:
    """Side by side: one table row per sentence, old left, new right, edits highlighted, escaped."""
    return templates().get_template("diff_sides.html").render(rows=_visible(diff, context), labels=labels)
