"""The email channel: alert events as UTF-8 mails with a plain-text and an HTML part, sent over SMTP.

Rendering is pure (:func:`render_email` builds an :class:`~email.message.EmailMessage`); only
:meth:`EmailChannel.send` talks SMTP: STARTTLS, implicit TLS (SMTP over SSL) or plain, with a login
when a username is configured (the password comes from the environment variable ``password_env``).

One event makes one mail whose subject says what happened (``[newswatch] 更新：<title> (addition)``);
a digest channel sends one mail per delivery pass listing every event (``[newswatch] 3 events: 1 new,
2 changed``), a scheduled digest one mail per period (``[newswatch] daily digest (08:00 UTC): 3 events: …``).
Changes are shown sentence by sentence: the text part uses the event's ``diff_text``
(``[-deleted-]{+inserted+}`` markers), the HTML part renders the structured diff with ``<del>``/``<ins>``.
Every mail names its events in ``X-Newswatch-Event-Id`` and carries a ``Message-ID`` derived from
them, so a mail resent by the outbox is recognisable as the same mail.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from html import escape
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.alerts.digest import DigestSchedule, digest_label, digest_of
from monitor.alerts.events import EVENT_TYPES, Event, event_id
from monitor.alerts.rules import Rules
from monitor.alerts.settings import ChannelConfig
from storage.errors import ConfigError, DeliveryError

if TYPE_CHECKING:
    from monitor.alerts.channels import Channel

PREFIX = "[newswatch]"
EVENT_ID_HEADER = "X-Newswatch-Event-Id"
EVENT_TYPE_HEADER = "X-Newswatch-Event-Type"
MAX_TITLE = 80  # characters of a title in a subject line
DEFAULT_TIMEOUT = 30.0  # seconds, when the channel's ``timeout`` is not usable
SECURITY = ("starttls", "tls", "none")
# 7bit: non-ASCII parts are base64 or quoted-printable, so any SMTP server carries them unchanged
POLICY = default_policy.clone(cte_type="7bit")

HEADLINES = {"article.new": "新文章", "article.changed": "更新", "article.anomaly": "异常",
             "article.removed": "删稿", "article.restored": "恢复", "source.failing": "来源故障",
             "source.quiet": "来源沉寂"}
DIGEST_LABELS = {"article.new": "new", "article.changed": "changed", "article.anomaly": "anomalous",
                 "article.removed": "removed", "article.restored": "restored", "source.failing": "failing",
                 "source.quiet": "quiet"}
INS_STYLE = "background-color:#e6ffec;color:#116329;text-decoration:underline"
DEL_STYLE = "background-color:#ffebe9;color:#82071e;text-decoration:line-through"
BODY_STYLE = "font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;line-height:1.6;color:#1f2328"
MUTED_STYLE = "color:#656d76;font-size:12px"


# -- rendering (pure) ---------------------------------------------------------------------------------


def render_email(events: Sequence[Event], sender: str, recipients: Sequence[str],
                 label: str | None = None) -> EmailMessage:
    """The mail for ``events``: one event, or a digest of several (pure: no transport); ``label`` names a
    scheduled digest (``daily digest (08:00 Asia/Shanghai)``)."""
    if not events:
        raise ValueError("render_email needs at least one event")
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject(events, label)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(max(event.occurred_at for event in events))
    message["Message-ID"] = message_id(events, sender)
    message[EVENT_ID_HEADER] = " ".join(event.id for event in events)
    if len(events) == 1:
        message[EVENT_TYPE_HEADER] = events[0].type
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(text_body(events, label), subtype="plain", charset="utf-8")
    message.add_alternative(html_body(events, label), subtype="html", charset="utf-8")
    return message


def message_id(events: Sequence[Event], sender: str) -> str:
    """``<id.newswatch@domain>``: the same events always give the same Message-ID."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not domain or not domain.isascii():
        domain = "newswatch.invalid"
    if len(events) == 1:
        return f"<{events[0].id}.newswatch@{domain}>"
    return f"<digest.{event_id(*sorted(event.id for event in events))}.newswatch@{domain}>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _title(event: Event, limit: int | None = None) -> str:
    if event.article is None:
        return _one_line(event.source or "?")
    title = _one_line(event.article.title or "") or event.article.url
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
        return f"{label}：{title} ({_one_line(event.detail)})"
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


def _facts(event: Event) -> list[tuple[str, str]]:
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
    facts = _facts(event)
    width = max(len(label) for label, _ in facts)
    lines.extend(f"{label + ':':<{width + 1}} {value}" for label, value in facts)
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
    for label, value in _facts(event):
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


# -- transport ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class EmailChannel:
    """Alerts by email (``kind = "email"``); ``send`` delivers one mail for the events it is given."""

    kind: ClassVar[str] = "email"
    name: str
    rules: Rules
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    digest: bool = False
    timeout: float = DEFAULT_TIMEOUT
    schedule: DigestSchedule | None = None
    ssl_context: ssl.SSLContext = field(default_factory=ssl.create_default_context, repr=False)

    @classmethod
    def from_config(cls, config: ChannelConfig, environ: Mapping[str, str], where: str,
                    *, ssl_context: ssl.SSLContext | None = None) -> EmailChannel:
        """The channel for ``[[alerts.channels]]`` entry ``where``; ConfigError names a missing key."""
        _check_config(config, where)
        password = _password(config, environ, where) if config.username else ""
        digest, schedule = digest_of(config, where)
        return cls(
            name=config.name, rules=Rules.from_config(config), host=config.host.strip(), sender=config.sender,
            recipients=tuple(config.recipients), port=config.port, security=config.security,
            username=config.username, password=password, digest=digest, schedule=schedule,
            timeout=config.timeout if config.timeout > 0 else DEFAULT_TIMEOUT,
            ssl_context=ssl_context or ssl.create_default_context(),
        )

    def render(self, events: Sequence[Event]) -> EmailMessage:
        return render_email(events, self.sender, self.recipients, digest_label(self.schedule))

    def send(self, events: Sequence[Event]) -> None:
        """Deliver one mail for ``events`` (nothing to do for none); DeliveryError on any failure."""
        if not events:
            return
        message = self.render(events)
        recipients = [parseaddr(r)[1] or r for r in self.recipients]
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message, from_addr=parseaddr(self.sender)[1] or self.sender,
                                            to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            raise DeliveryError(f"email channel {self.name!r}: {self._describe(exc)}") from exc
        if refused:
            raise DeliveryError(f"email channel {self.name!r}: mail {message['Message-ID']} accepted for some "
                                f"recipients but refused for {_refusals(refused)}")

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self.ssl_context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _describe(self, exc: BaseException) -> str:
        """A sentence saying what went wrong, for the outbox and the logs."""
        server = f"{self.host}:{self.port} ({self.security})"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"{server} refused the login of {self.username!r}: {_reply(exc.smtp_code, exc.smtp_error)}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return f"{server} refused every recipient: {_refusals(exc.recipients)}"
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return f"{server} refused the sender {exc.sender!r}: {_reply(exc.smtp_code, exc.smtp_error)}"
        if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
            return f"no answer from {server} within {self.timeout:g} seconds"
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return f"{server} does not support what is needed: {exc}"
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"{server} answered {_reply(exc.smtp_code, exc.smtp_error)}"
        if isinstance(exc, smtplib.SMTPException):
            return f"SMTP failure with {server}: {exc}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"the TLS certificate of {server} is not trusted: {exc.verify_message}"
        if isinstance(exc, ssl.SSLError):
            return f"TLS failure with {server}: {exc}"
        if isinstance(exc, ConnectionRefusedError):
            return f"{server} refused the connection (is an SMTP server listening there?)"
        if isinstance(exc, TimeoutError):
            return f"no answer from {server} within {self.timeout:g} seconds"
        return f"cannot talk to {server}: {exc}"


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {_one_line(message)}"


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({_reply(code, text)})" for address, (code, text) in refused.items())


def _password(config: ChannelConfig, environ: Mapping[str, str], where: str) -> str:
    password = environ.get(config.password_env, "") if config.password_env else ""
    if not password:
        raise ConfigError(f"{where}.password_env", f"environment variable {config.password_env!r} is not set "
                                                   f"(it holds the SMTP password of {config.username!r})")
    if not (config.username.isascii() and password.isascii()):  # smtplib sends AUTH data as ASCII only
        key = "username" if not config.username.isascii() else "password_env"
        raise ConfigError(f"{where}.{key}", "SMTP login needs an ASCII user name and password")
    return password


def _check_config(config: ChannelConfig, where: str) -> None:
    """The keys an email channel cannot work without."""
    if not config.host.strip():
        raise ConfigError(f"{where}.host", "an email channel needs the SMTP server's host name")
    if config.security not in SECURITY:
        raise ConfigError(f"{where}.security", f"expected starttls, tls or none, got {config.security!r}")
    if not 0 < config.port < 65536:
        raise ConfigError(f"{where}.port", f"not a TCP port: {config.port}")
    if "@" not in parseaddr(config.sender)[1]:
        raise ConfigError(f"{where}.sender", f"an email channel needs a sender address, got {config.sender!r}")
    if not config.recipients:
        raise ConfigError(f"{where}.recipients", "an email channel needs at least one recipient")
    for address in config.recipients:
        if "@" not in parseaddr(address)[1]:
            raise ConfigError(f"{where}.recipients", f"not an email address: {address!r}")


if TYPE_CHECKING:  # mypy: an EmailChannel is a monitor.alerts.channels.Channel

    def _is_channel(channel: EmailChannel) -> Channel:
        return channel
