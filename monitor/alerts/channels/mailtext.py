"""The words of an alert, pure: one line per event (``更新：<title> (addition)``), digest summaries and
subjects, and the plain-text body of a mail (also the text of Apprise notifications)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from newswatch.monitor.changes.events import EVENT_TYPES, Event

PREFIX = "[newswatch]"
MAX_TITLE = 80  # characters of a title in a subject line
HEADLINES = {"article.new": "新文章", "article.changed": "更新", "article.anomaly": "异常",
             "article.removed": "删稿", "article.restored": "恢复", "source.failing": "来源故障",
             "source.quiet": "来源沉寂"}
DIGEST_LABELS = {"article.new": "new", "article.changed": "changed", "article.anomaly": "anomalous",
                 "article.removed": "removed", "article.restored": "restored", "source.failing": "failing",
                 "source.quiet": "quiet"}


def one_line(text: str) -> str:
    return " ".join(text.split())


def _title(event: Event, limit: int | None = None) -> str:
    if event.article is None:
        return one_line(event.source or "?")
    title = one_line(event.article.title or "") or event.article.url
    return title if limit is None or len(title) <= limit else title[: limit - 1] + "…"


def headline(event: Event, limit: int | None = None) -> str:
    """What happened, in one line: ``更新：<title> (addition)``."""
    label = HEADLINES.get(event.type, event.type)
    title = _title(event, limit)
    if event.type == "article.changed" and event.change is not None:
        change = event.change
        if change.reverted_to is not None:
            return f"恢复旧版：{title} (back to v{change.reverted_to})"
        return f"{label}：{title} ({change.change_class})"
    if event.type == "article.anomaly":
        return f"{label}：{title} ({event.anomaly or 'anomaly'})"
    if event.type in ("article.removed", "article.restored") and event.removal is not None:
        return f"{label}：{title} ({event.removal.kind})"
    if event.type in ("source.failing", "source.quiet") and event.detail:
        return f"{label}：{title} ({one_line(event.detail)})"
    return f"{label}：{title}"


def summary(events: Sequence[Event]) -> str:
    """``3 events: 1 new, 2 changed`` (types in their documented order)."""
    counts = Counter(event.type for event in events)
    order = [t for t in EVENT_TYPES if t in counts] + sorted(t for t in counts if t not in EVENT_TYPES)
    parts = ", ".join(f"{counts[t]} {DIGEST_LABELS.get(t, t)}" for t in order)
    noun = "event" if len(events) == 1 else "events"
    return f"{len(events)} {noun}: {parts}"


def subject(events: Sequence[Event], label: str | None = None) -> str:
    if label is not None:
        return f"{PREFIX} {label}: {summary(events)}"
    if len(events) == 1:
        return f"{PREFIX} {headline(events[0], MAX_TITLE)}"
    return f"{PREFIX} {summary(events)}"


def facts(event: Event) -> list[tuple[str, str]]:
    """The label/value lines shown above an event's details."""
    facts: list[tuple[str, str]] = []
    article, change = event.article, event.change
    if article is not None:
        facts.append(("URL", article.url))
        if article.author or article.published:
            facts.append(("Article", " · ".join(p for p in (article.author, article.published) if p)))
    if event.source:
        facts.append(("Source", event.source))
    if change is not None:
        facts.append(("Version", f"v{change.from_version} → v{change.to_version}"
                                 f" (+{change.inserted_chars} / -{change.deleted_chars} characters)"))
        facts.append(("Changed", ", ".join(change.changed_fields) or "-"))
    if event.anomaly:
        facts.append(("Anomaly", event.anomaly))
    if event.removal is not None:
        removal = event.removal
        how = " · ".join(p for p in (removal.kind, f"HTTP {removal.http_status}" if removal.http_status else None,
                                     removal.notice, removal.location) if p)
        facts.append(("Removed", how))
    facts.append(("When", event.occurred_at.strftime("%Y-%m-%d %H:%M %Z").strip()))
    return facts


def _event_text(event: Event) -> str:
    lines = [headline(event), ""]
    shown = facts(event)
    width = max(len(label) for label, _ in shown)
    lines.extend(f"{label + ':':<{width + 1}} {value}" for label, value in shown)
    if event.detail:
        lines.extend(("", event.detail))
    if event.change is not None and event.change.diff_text:
        lines.extend(("", event.change.diff_text))
    elif event.article is not None and event.article.excerpt and event.type == "article.new":
        lines.extend(("", event.article.excerpt))
    lines.extend(("", f"Event {event.type} {event.id}"))
    return "\n".join(lines)


def text_body(events: Sequence[Event], label: str | None = None) -> str:
    """The plain-text part: the event, or a numbered summary then every event."""
    if len(events) == 1 and label is None:
        return _event_text(events[0]) + "\n"
    lines = [f"{label}: {summary(events)}" if label else summary(events), ""]
    lines.extend(f"{number}. {headline(event)}" for number, event in enumerate(events, 1))
    sections = [_event_text(event) for event in events]
    rule = "\n\n" + "=" * 40 + "\n\n"
    return "\n".join(lines) + rule + rule.join(sections) + "\n"
