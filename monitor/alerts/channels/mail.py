"""The email channel: alert events as UTF-8 mails with a plain-text and an HTML part, sent over SMTP.

Rendering is pure (:func:`render_email` builds an :class:`~email.message.EmailMessage` from the words of
:mod:`monitor.alerts.channels.mailtext` and the HTML part of :mod:`monitor.alerts.channels.mailhtml`); only
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, ClassVar

from newswatch.monitor.alerts.channels.mailhtml import html_body
from newswatch.monitor.alerts.channels.mailtext import one_line, subject, text_body
from newswatch.monitor.alerts.digest import DigestSchedule, digest_label, digest_of
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.alerts.settings import ChannelConfig
from newswatch.monitor.changes.events import Event, event_id
from newswatch.storage.errors import ConfigError, DeliveryError

if TYPE_CHECKING:
    from newswatch.monitor.alerts.registry import Channel

EVENT_ID_HEADER = "X-Newswatch-Event-Id"
EVENT_TYPE_HEADER = "X-Newswatch-Event-Type"
DEFAULT_TIMEOUT = 30.0  # seconds, when the channel's ``timeout`` is not usable
SECURITY = ("starttls", "tls", "none")
# 7bit: non-ASCII parts are base64 or quoted-printable, so any SMTP server carries them unchanged
POLICY = default_policy.clone(cte_type="7bit")


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
    return f"{code} {one_line(message)}"


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


if TYPE_CHECKING:  # mypy: an EmailChannel is a monitor.alerts.registry.Channel

    def _is_channel(channel: EmailChannel) -> Channel:
        return channel
