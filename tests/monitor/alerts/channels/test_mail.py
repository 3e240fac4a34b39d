"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, implicit TLS, AUTH.

The TLS certificate is self-signed, made here with ``cryptography``; the client trusts exactly that
certificate through the channel's ``ssl_context``.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newswatch.monitor.alerts.channels.mail import EmailChannel, render_email
from newswatch.monitor.alerts.channels.mailhtml import diff_html
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.events import ArticleInfo, ChangeInfo, Event, event_id
from newswatch.monitor.changes.render import to_json, to_text
from newswatch.monitor.config.model import ChannelConfig
from newswatch.storage.errors import ConfigError, DeliveryError
from tests.monitor.sample_events import (
    URL,
    WHEN,
    all_events,
    anomaly_event,
    changed_event,
    failing_event,
    new_event,
)
from tests.monitor.smtp_server import (
    PASSWORD,
    USER,
    Authenticator,
    Certificate,
    Server,
    free_port,
    make_certificate,
    start_smtp,
)

SENDER = "Newswatch <newswatch@example.org>"
RECIPIENTS = ("desk@example.org", "编辑 <editor@example.org>")
TITLE = "短缺药品保供稳价 全力保障临床用药需求"


# -- a real SMTP server (tests/monitor/smtp_server.py) ---------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., Server]]:
    """Starts aiosmtpd servers (keyword arguments go to the Controller); all are stopped afterwards."""
    controllers: list[Controller] = []

    def start(**kwargs: Any) -> Server:
        controller, server = start_smtp(**kwargs)
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


def config(port: int, /, **overrides: Any) -> ChannelConfig:
    values: dict[str, Any] = {"name": "desk", "kind": "email", "host": "127.0.0.1", "port": port,
                              "security": "none", "sender": SENDER, "recipients": RECIPIENTS, "timeout": 5.0}
    return ChannelConfig(**{**values, **overrides})


def channel(port: int, environ: dict[str, str] | None = None, ssl_context: ssl.SSLContext | None = None,
            **overrides: Any) -> EmailChannel:
    return EmailChannel.from_config(config(port, **overrides), environ or {}, "alerts.channels[0]",
                                    ssl_context=ssl_context)


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()


# -- transport --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["none", "starttls", "tls"], ids=["plain", "starttls", "implicit-tls"])
def test_delivers_over_each_security(smtp_server: Callable[..., Server], certificate: Certificate,
                                     security: str) -> None:
    server_options: dict[str, dict[str, Any]] = {
        "none": {},
        "starttls": {"tls_context": certificate.server_context(), "require_starttls": True},
        "tls": {"ssl_context": certificate.server_context()},
    }
    server = smtp_server(**server_options[security])
    channel(server.port, security=security, ssl_context=certificate.client_context()).send([changed_event()])
    [received] = server.received
    assert received.encrypted is (security != "none")
    assert received.mail_from == "newswatch@example.org"
    assert received.rcpt_tos == ["desk@example.org", "editor@example.org"]
    assert received.message["Subject"] == f"[newswatch] 更新：{TITLE} (addition)"


@pytest.mark.parametrize(("security", "mechanism"), [("starttls", "LOGIN"), ("starttls", "PLAIN"), ("tls", "PLAIN")],
                         ids=["starttls-auth-login", "starttls-auth-plain", "implicit-tls-auth-plain"])
def test_logs_in_with_the_password_from_the_environment(
        smtp_server: Callable[..., Server], certificate: Certificate, security: str, mechanism: str) -> None:
    authenticator = Authenticator()
    other = "PLAIN" if mechanism == "LOGIN" else "LOGIN"
    tls = ({"tls_context": certificate.server_context(), "require_starttls": True, "auth_required": True}
           if security == "starttls" else {"ssl_context": certificate.server_context(), "auth_require_tls": False})
    server = smtp_server(authenticator=authenticator, auth_exclude_mechanism=[other], **tls)
    environ = {"DESK_SMTP_PASSWORD": PASSWORD}
    desk = channel(server.port, environ, certificate.client_context(), security=security, username=USER,
                   password_env="DESK_SMTP_PASSWORD")
    desk.send([new_event()])
    assert authenticator.mechanisms == [mechanism]
    assert len(server.received) == 1


def test_wrong_password_is_a_delivery_error(smtp_server: Callable[..., Server], certificate: Certificate) -> None:
    server = smtp_server(authenticator=Authenticator(), auth_required=True, require_starttls=True,
                         tls_context=certificate.server_context())
    desk = channel(server.port, {"NEWSWATCH_SMTP_PASSWORD": "wrong"}, certificate.client_context(),
                   security="starttls", username=USER)
    with pytest.raises(DeliveryError, match=r"refused the login of 'newswatch': 535") as caught:
        desk.send([new_event()])
    assert "wrong" not in str(caught.value)
    assert server.received == []


def test_untrusted_certificate_is_a_delivery_error(smtp_server: Callable[..., Server],
                                                   certificate: Certificate) -> None:
    server = smtp_server(tls_context=certificate.server_context(), require_starttls=True)
    desk = channel(server.port, security="starttls", ssl_context=ssl.create_default_context())
    with pytest.raises(DeliveryError, match=r"certificate .* is not trusted") as caught:
        desk.send([new_event()])
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert server.received == []


def test_starttls_against_a_server_without_it(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    with pytest.raises(DeliveryError, match=r"does not support .*STARTTLS"):
        channel(server.port, security="starttls").send([new_event()])
    assert server.received == []


def test_refused_connection_is_a_delivery_error() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(DeliveryError, match=rf"127\.0\.0\.1:{port} .* refused the connection") as caught:
        channel(port).send([new_event()])
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:  # accepts TCP connections (backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with pytest.raises(DeliveryError, match=r"no answer from .* within 0.3 seconds"):
            channel(listener.getsockname()[1], timeout=0.3).send([new_event()])


@pytest.mark.parametrize(("recipients", "delivered", "error"), [
    (("nobody@example.org",), [], r"refused every recipient: nobody@example.org \(550 5.1.1 no such mailbox\)"),
    (("desk@example.org", "nobody@example.org"), ["desk@example.org"],
     r"accepted for some recipients but refused for nobody@example.org \(550"),
], ids=["all-refused", "some-refused"])
def test_refused_recipients_are_a_delivery_error(smtp_server: Callable[..., Server], recipients: tuple[str, ...],
                                                 delivered: list[str], error: str) -> None:
    server = smtp_server()
    with pytest.raises(DeliveryError, match=error):
        channel(server.port, recipients=recipients).send([new_event()])
    assert [rcpt for r in server.received for rcpt in r.rcpt_tos] == delivered


def test_nothing_to_send_sends_nothing() -> None:
    channel(free_port()).send([])  # no connection is attempted (nothing listens on that port)


# -- content ----------------------------------------------------------------------------------------------


def test_changed_article_mail(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    event = changed_event()
    channel(server.port).send([event])
    [received] = server.received
    message = received.message
    assert message["X-Newswatch-Event-Id"] == event.id
    assert message["X-Newswatch-Event-Type"] == "article.changed"
    assert message["Message-ID"] == f"<{event.id}.newswatch@example.org>"
    assert message["To"] == "desk@example.org, 编辑 <editor@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert event.change is not None and event.change.diff_text in text
    assert "~ 记者17日从国家卫生健康委获悉，相关部门持续[-优化-]{+完善+}短缺药品监测{+预警+}体系。" in text
    assert URL in text and "v1 → v2 (+28 / -2 characters)" in text
    assert ">优化</del>" in html and ">完善</ins>" in html and ">预警</ins>" in html
    assert "<del style=" in html and "<ins style=" in html
    assert ">更正：本文此前将发布日期误写为16日，现已更正。</ins>" in html
    assert f'<a href="{URL}">' in html


def test_chinese_subject_is_an_encoded_header() -> None:
    message = render_email([changed_event()], SENDER, RECIPIENTS)
    raw = message.as_bytes()
    assert raw.isascii()  # headers RFC 2047-encoded, bodies base64/quoted-printable: any server carries it
    assert b"Subject: [newswatch] =?utf-8?" in raw
    parsed = message_from_bytes(raw, policy=default_policy)
    assert parsed["Subject"] == f"[newswatch] 更新：{TITLE} (addition)"
    for part in parsed.walk():
        if not part.is_multipart():
            assert part.get_content_charset() == "utf-8"


def _reverted() -> Event:
    event = changed_event()
    assert event.change is not None
    return dataclasses.replace(event, change=dataclasses.replace(event.change, reverted_to=1))


@pytest.mark.parametrize(("make", "expected"), [
    (new_event, f"[newswatch] 新文章：{TITLE}"),
    (changed_event, f"[newswatch] 更新：{TITLE} (addition)"),
    (_reverted, f"[newswatch] 恢复旧版：{TITLE} (back to v1)"),
    (anomaly_event, f"[newswatch] 异常：{TITLE} (error_page)"),
    (failing_event, "[newswatch] 来源故障：新华网 (3 consecutive runs failed: HTTP 503)"),
], ids=["new", "changed", "reverted", "anomaly", "source-failing"])
def test_subject_says_what_happened(make: Callable[[], Event], expected: str) -> None:
    assert render_email([make()], SENDER, RECIPIENTS)["Subject"] == expected


def test_long_or_multiline_title_is_shortened_to_one_line() -> None:
    event = new_event()
    assert event.article is not None
    title = "第一行\n" + "长" * 200
    message = render_email([dataclasses.replace(event, article=dataclasses.replace(event.article, title=title))],
                           SENDER, RECIPIENTS)
    assert message["Subject"] == "[newswatch] 新文章：第一行 " + "长" * 75 + "…"


def _hostile_event() -> Event:
    """Markup in the title, the diff and a changed field: it must reach the HTML part as text."""
    old, new = "标题是<b>旧的</b>。", "标题是<b>新的</b> & <script>alert(1)</script>。"
    diff = diff_texts(old, new)
    structured = {**to_json(diff), "fields": {"title": {"old": "<i>旧</i>", "new": "<i>新</i>"}}}
    change = ChangeInfo("title", ("title", "body"), 3, 4, diff.inserted_chars, diff.deleted_chars, to_text(diff),
                        structured)
    article = ArticleInfo("javascript:alert(1)", '<script>alert("x")</script> & 标题', version=4)
    return Event(event_id("article.changed", "hostile", 4), "article.changed", WHEN, "<src>", article, change)


def test_html_part_escapes_everything() -> None:
    _, html = parts(render_email([_hostile_event()], SENDER, RECIPIENTS))
    for markup in ("<script", "<b>旧", "<b>新", "<i>", "<src>"):
        assert markup not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 标题" in html  # Jinja2's (markupsafe's) &#34;
    assert "&lt;b&gt;" in html and "&amp; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ">&lt;i&gt;旧&lt;/i&gt;</del> → <ins" in html  # the changed title field
    assert 'href="javascript' not in html  # only http(s) URLs become links


def test_digest_is_one_mail_listing_every_event(smtp_server: Callable[..., Server]) -> None:
    server = smtp_server()
    events = all_events()
    desk = channel(server.port, digest=True)
    assert desk.digest is True
    desk.send(events)
    [received] = server.received
    message = received.message
    assert message["Subject"] == "[newswatch] 4 events: 1 new, 1 changed, 1 anomalous, 1 failing"
    assert message["X-Newswatch-Event-Id"].split() == [event.id for event in events]
    assert "X-Newswatch-Event-Type" not in message
    text, html = parts(message)
    for headline in (f"新文章：{TITLE}", f"更新：{TITLE} (addition)", f"异常：{TITLE} (error_page)",
                     "来源故障：新华网"):
        assert headline in text and headline in html
    assert "[-优化-]{+完善+}" in text and ">完善</ins>" in html
    assert text.count("Event ") == 4


def test_message_id_is_derived_from_the_events() -> None:
    events = all_events()
    one = render_email(events, SENDER, RECIPIENTS)
    again = render_email(list(reversed(events)), "other@example.org", RECIPIENTS)
    assert one["Message-ID"].startswith("<digest.") and one["Message-ID"].endswith(".newswatch@example.org>")
    assert one["Message-ID"] == again["Message-ID"]  # same events, any order, same Message-ID
    assert render_email(events[:2], SENDER, RECIPIENTS)["Message-ID"] != one["Message-ID"]
    assert render_email([events[0]], SENDER, RECIPIENTS)["Message-ID"] == f"<{events[0].id}.newswatch@example.org>"


def test_render_needs_an_event() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        render_email([], SENDER, RECIPIENTS)


# -- configuration ----------------------------------------------------------------------------------------


def test_from_config() -> None:
    desk = channel(2525, {"DESK_PW": PASSWORD}, security="tls", username=USER, password_env="DESK_PW",
                   digest=True, include=("药品",), timeout=7.5)
    assert (desk.kind, desk.name, desk.host, desk.port, desk.security) == ("email", "desk", "127.0.0.1", 2525, "tls")
    assert (desk.username, desk.password, desk.digest, desk.timeout) == (USER, PASSWORD, True, 7.5)
    assert desk.rules == Rules.from_config(config(2525, include=("药品",)))
    assert PASSWORD not in repr(desk)
    assert isinstance(desk.ssl_context, ssl.SSLContext)


@pytest.mark.parametrize(("overrides", "environ", "key"), [
    ({"host": ""}, {}, "host"),
    ({"sender": ""}, {}, "sender"),
    ({"sender": "not an address"}, {}, "sender"),
    ({"recipients": ()}, {}, "recipients"),
    ({"recipients": ("desk@example.org", "desk")}, {}, "recipients"),
    ({"username": USER}, {}, "password_env"),
    ({"username": USER, "password_env": "DESK_PW"}, {"NEWSWATCH_SMTP_PASSWORD": PASSWORD}, "password_env"),
    ({"security": "ssl"}, {}, "security"),
    ({"port": 0}, {}, "port"),
    ({"username": USER}, {"NEWSWATCH_SMTP_PASSWORD": "密码"}, "password_env"),
    ({"username": "编辑"}, {"NEWSWATCH_SMTP_PASSWORD": PASSWORD}, "username"),
], ids=["no-host", "no-sender", "bad-sender", "no-recipients", "bad-recipient", "password-unset",
        "named-password-unset", "bad-security", "bad-port",
        "non-ascii-password", "non-ascii-username"])
def test_config_errors_name_the_key(overrides: dict[str, Any], environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmailChannel.from_config(config(25, **overrides), environ, "alerts.channels[2]")
    assert caught.value.key == f"alerts.channels[2].{key}"


def test_the_html_diff_of_each_kind_of_change() -> None:
    ins = '<ins style="background-color:#e6ffec;color:#116329;text-decoration:underline">'
    dels = '<del style="background-color:#ffebe9;color:#82071e;text-decoration:line-through">'
    diff = {"fields": {"title": ["旧", None]}, "changes": [
        {"op": "insert", "new": "新<句>"}, {"op": "delete", "old": "旧句"}, {"op": "edit", "old": "甲", "new": "乙"},
        {"op": "edit", "fragments": [["=", "共"], ["-", "旧"], ["+", "新"]]}, "not a change"]}
    assert diff_html(diff, "unused") == (
        f'<div class="newswatch-diff"><p><b>title</b>: {dels}旧</del> → {ins}∅</ins></p>'
        f"<p>＋ {ins}新&lt;句&gt;</ins></p><p>－ {dels}旧句</del></p><p>－ {dels}甲</del><br>＋ {ins}乙</ins></p>"
        f"<p>～ 共{dels}旧</del>{ins}新</ins></p></div>")
    assert diff_html({"changes": "?"}, "- a <b>\n+ b") == '<pre style="white-space:pre-wrap">- a &lt;b&gt;\n+ b</pre>'
