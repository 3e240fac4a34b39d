"""The HTML part of an alert mail, pure: inline styles only (mail clients drop style sheets), every
text escaped, changes shown sentence by sentence with ``<del>``/``<ins>`` from the structured diff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from monitor.alerts.events import Event
from monitor.alerts.mailtext import facts, headline, subject, summary

INS_STYLE = "background-color:#e6ffec;color:#116329;text-decoration:underline"
DEL_STYLE = "background-color:#ffebe9;color:#82071e;text-decoration:line-through"
BODY_STYLE = "font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;line-height:1.6;color:#1f2328"
MUTED_STYLE = "color:#656d76;font-size:12px"


def _ins(text: str) -> str:
    return f'<ins style="{INS_STYLE}">{escape(text)}</ins>'


def _del(text: str) -> str:
    return f'<del style="{DEL_STYLE}">{escape(text)}</del>'


def _fragments_html(fragments: Sequence[Sequence[str]]) -> str:
    parts = []
    for op, text in fragments:
        parts.append(_ins(text) if op == "+" else _del(text) if op == "-" else escape(text))
    return "".join(parts)


def _op_html(op: Mapping[str, Any]) -> str:
    kind = op.get("op")
    if kind == "insert":
        return f"<p>＋ {_ins(str(op.get('new', '')))}</p>"
    if kind == "delete":
        return f"<p>－ {_del(str(op.get('old', '')))}</p>"
    if op.get("fragments"):
        return f"<p>～ {_fragments_html(op['fragments'])}</p>"
    return f"<p>－ {_del(str(op.get('old', '')))}<br>＋ {_ins(str(op.get('new', '')))}</p>"


def _field_html(name: str, value: Any) -> str:
    old, new = (value.get("old"), value.get("new")) if isinstance(value, Mapping) else tuple(value)
    return f"<p><b>{escape(name)}</b>: {_del(old or '∅')} → {_ins(new or '∅')}</p>"


def diff_html(diff: Mapping[str, Any], diff_text: str) -> str:
    """The changed sentences with ``<del>``/``<ins>`` highlighting, from the structured diff."""
    fields = diff.get("fields") or {}
    changes = diff.get("changes")
    if not isinstance(changes, list):  # not the structure we know: show the text diff as is
        return f'<pre style="white-space:pre-wrap">{escape(diff_text)}</pre>'
    rows = [_field_html(str(name), value) for name, value in fields.items()]
    rows.extend(_op_html(op) for op in changes if isinstance(op, Mapping))
    return '<div class="newswatch-diff">' + "".join(rows) + "</div>"


def _link(url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">{escape(url)}</a>'
    return escape(url)


def _event_html(event: Event, level: int) -> str:
    parts = [f"<h{level}>{escape(headline(event))}</h{level}>", '<table style="border-collapse:collapse">']
    for label, value in facts(event):
        shown = _link(value) if label == "URL" else escape(value)
        parts.append(f'<tr><td style="padding-right:1em;{MUTED_STYLE}">{escape(label)}</td><td>{shown}</td></tr>')
    parts.append("</table>")
    if event.detail:
        parts.append(f"<p>{escape(event.detail)}</p>")
    if event.change is not None:
        parts.append(diff_html(event.change.diff, event.change.diff_text))
    elif event.article is not None and event.article.excerpt and event.type == "article.new":
        parts.append(f'<blockquote style="{MUTED_STYLE}">{escape(event.article.excerpt)}</blockquote>')
    parts.append(f'<p style="{MUTED_STYLE}">Event {escape(event.type)} {escape(event.id)}</p>')
    return "\n".join(parts)


def html_body(events: Sequence[Event], label: str | None = None) -> str:
    """The HTML part (inline styles only: mail clients drop style sheets); all text is escaped."""
    if len(events) == 1 and label is None:
        content = _event_html(events[0], 2)
    else:
        items = "".join(f"<li>{escape(headline(event))}</li>" for event in events)
        sections = "\n<hr>\n".join(_event_html(event, 3) for event in events)
        heading = f"{label}: {summary(events)}" if label else summary(events)
        content = f"<h2>{escape(heading)}</h2>\n<ol>{items}</ol>\n<hr>\n{sections}"
    title = escape(subject(events, label))
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f'<body style="{BODY_STYLE}">\n{content}\n</body></html>\n')
