"""The HTML part of an alert mail, pure: rendered from the Jinja2 templates in ``templates/`` beside this
module (autoescaped: every text escaped; inline styles only, mail clients drop style sheets), changes
shown sentence by sentence with ``<del>``/``<ins>`` from the structured diff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader

from newswatch.monitor.alerts.channels.mailtext import facts, headline, subject, summary
from newswatch.monitor.changes.events import Event

Field = tuple[str, Any, Any]  # a changed field other than the body: name, old, new


@cache
def templates() -> Environment:
    """The mail templates (package data in ``templates/``), autoescaped; built once."""
    return Environment(loader=PackageLoader("newswatch.monitor.alerts"), autoescape=True, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)


def _diff_parts(diff: Mapping[str, Any]) -> tuple[tuple[Field, ...], tuple[Mapping[str, Any], ...] | None]:
    """The changed fields and the changes of a structured diff; ``None`` changes when it is not one."""
    changes = diff.get("changes")
    if not isinstance(changes, list):
        return (), None
    fields = tuple((str(name), *((value.get("old"), value.get("new")) if isinstance(value, Mapping)
                                 else tuple(value)))
                   for name, value in (diff.get("fields") or {}).items())
    return fields, tuple(op for op in changes if isinstance(op, Mapping))


def diff_html(diff: Mapping[str, Any], diff_text: str) -> str:
    """The changed sentences with ``<del>``/``<ins>`` highlighting, from the structured diff (the text
    diff as is when ``diff`` is not the structure we know)."""
    macros = templates().get_template("_mail_macros.html").module
    return str(macros.diff(*_diff_parts(diff), diff_text))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EventView:
    """What the template shows of one event."""

    event: Event
    headline: str
    facts: tuple[tuple[str, str, bool], ...]  # label, value, shown as a link
    fields: tuple[Field, ...]
    ops: tuple[Mapping[str, Any], ...] | None
    diff_text: str
    excerpt: str | None  # a new article's first characters


def _view(event: Event) -> EventView:
    shown = tuple((label, value, label == "URL" and value.startswith(("https://", "http://")))
                  for label, value in facts(event))
    change, article = event.change, event.article
    fields, ops = _diff_parts(change.diff) if change is not None else ((), None)
    excerpt = article.excerpt if article is not None and event.type == "article.new" else None
    return EventView(event, headline(event), shown, fields, ops, change.diff_text if change else "", excerpt)


def html_body(events: Sequence[Event], label: str | None = None) -> str:
    """The HTML part: the event, or a numbered summary then every event; all text is escaped."""
    heading = None  # one event on its own
    if len(events) != 1 or label is not None:
        heading = f"{label}: {summary(events)}" if label else summary(events)
    return templates().get_template("mail.html").render(title=subject(events, label), heading=heading,
                                                        items=[_view(event) for event in events])
