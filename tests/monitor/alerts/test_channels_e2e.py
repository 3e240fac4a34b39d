"""Every channel kind end to end through ``newswatch run`` and ``newswatch daemon`` (child processes, as a
user starts them) on the replayed fixture site: plain email to aiosmtpd, STARTTLS with a login against
aiosmtpd with a certificate made here, a signed webhook to a loopback receiver, and Apprise's ``json://``
to a loopback server. Each receiver gets the five new articles, once each. A channel kind of the registry
without a case here fails the suite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newswatch.crawler.pipeline.recorder import Recorder
from newswatch.crawler.settings import plain_data_problem
from newswatch.monitor.alerts.channels.webhook import verify_signature
from newswatch.monitor.alerts.registry import channel_kinds
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.monitor.config.model import load_config
from newswatch.monitor.runs.run import crawl_options, recorders, run_settings
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.alerts.channels.test_apprise import event_ids
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.smtp_server import PASSWORD, USER, Authenticator, Certificate, make_certificate, start_smtp

NEW_ARTICLES = 5  # what the fixture site's cassette holds
SECRET = "e2e-signing-secret"
FAST = """
[schedule]
feeds_minutes = 0.02
feeds_min_minutes = 0.01
feeds_max_minutes = 0.1
recheck_minutes = 0.05
alerts_seconds = 0.5
jitter_seconds = 0.0
restart_spread_minutes = 0.0
articles = ["3650d=0s"]
[daemon]
metrics_port = 0
shutdown_seconds = 15.0
"""


@dataclass
class Sink:
    """A started receiver: the channel's config table, the environment it needs, what it received."""

    table: str
    env: dict[str, str]
    events: Callable[[], list[str]]  # event ids received, in order
    stop: Callable[[], None]


def _email_sink(security: str, certificate: Certificate) -> Sink:
    login = security == "starttls"
    options = ({"tls_context": certificate.server_context(), "require_starttls": True, "auth_required": True,
                "authenticator": Authenticator()} if login else {})
    controller, server = start_smtp(**options)
    table = (f'kind = "email"\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "{security}"\n'
             'sender = "Newswatch <newswatch@example.org>"\nrecipients = ["desk@example.org"]\ntimeout = 10.0\n')
    env: dict[str, str] = {}
    if login:  # the child trusts exactly the test certificate, as a deployment with a private CA would
        table += f'username = "{USER}"\npassword_env = "E2E_SMTP_PASSWORD"\n'
        env = {"E2E_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(certificate.cert_file)}

    def events() -> list[str]:
        assert all(r.encrypted is login for r in server.received), "STARTTLS used exactly when configured"
        return [str(r.message["X-Newswatch-Event-Id"]) for r in server.received]

    return Sink(table, env, events, controller.stop)


def _webhook_sink() -> Sink:
    port = free_port()
    receiver = Receiver(["200"]).start(port)
    table = f'kind = "webhook"\nurl = "http://127.0.0.1:{port}/in"\nsecret_env = "E2E_HOOK_SECRET"\n'

    def events() -> list[str]:
        assert all(verify_signature(SECRET, body, headers) for headers, body in receiver.seen)
        return list(receiver.delivered)

    return Sink(table, {"E2E_HOOK_SECRET": SECRET}, events, receiver.stop)


def _apprise_sink() -> Sink:
    """Apprise's json:// to a loopback HTTP server; its URL (a token would live there) from the environment."""
    server = SiteServer().start()
    server.add("/in", b"")
    table = 'kind = "apprise"\nurls_env = "E2E_APPRISE_URLS"\n'

    def events() -> list[str]:
        posts = [r for r in server.requests if r.method == "POST" and r.path == "/in"]
        return [found for r in posts for found in event_ids(json.loads(r.body)["message"])]

    return Sink(table, {"E2E_APPRISE_URLS": server.url("/in").replace("http://", "json://")}, events, server.stop)


CASES: dict[str, tuple[str, Callable[[Certificate], Sink]]] = {
    "apprise-json": ("apprise", lambda cert: _apprise_sink()),
    "email-plain": ("email", lambda cert: _email_sink("none", cert)),
    "email-starttls-login": ("email", lambda cert: _email_sink("starttls", cert)),
    "webhook": ("webhook", lambda cert: _webhook_sink()),
}


def test_every_channel_kind_has_an_end_to_end_case() -> None:
    assert {kind for kind, _make in CASES.values()} == set(channel_kinds())


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=sorted(CASES), ids=str)
def sink(request: pytest.FixtureRequest, certificate: Certificate) -> Iterator[Sink]:
    _kind, make = CASES[request.param]
    started = make(certificate)
    yield started
    started.stop()


def _workspace(folder: Path, sink: Sink) -> Path:
    config = write_workspace(folder, f"http://127.0.0.1:{FIXED_PORT}")
    text = config.read_text(encoding="utf-8").replace('[schedule]\narticles = ["3650d=0s"]\n', "")
    config.write_text(text + FAST + '[[alerts.channels]]\nname = "desk"\n' + sink.table, encoding="utf-8")
    migrate(config)
    checked = newswatch(config, "config", env=sink.env)
    assert checked.returncode == 0, checked.stderr  # `config` accepts what `run` accepts
    return config


def test_run_delivers_through_the_channel(tmp_path: Path, sink: Sink) -> None:
    config = _workspace(tmp_path, sink)
    result = newswatch(config, "run", "--replay", str(CASSETTE), env=sink.env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"alerts_sent {NEW_ARTICLES}" in result.stdout
    received = sink.events()
    assert len(received) == len(set(received)) == NEW_ARTICLES


def test_daemon_delivers_through_the_channel(tmp_path: Path, sink: Sink) -> None:
    config = _workspace(tmp_path, sink)
    with running_daemon(config, ["--replay", str(CASSETTE)], tmp_path, env=sink.env) as daemon:
        deadline = time.monotonic() + 120
        while len(sink.events()) < NEW_ARTICLES and daemon.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        err = stop_daemon(daemon)
    assert daemon.returncode == 0, err[-3000:]
    received = sink.events()
    assert len(received) == len(set(received)) == NEW_ARTICLES, err[-3000:]


def test_the_settings_a_crawl_gets_are_plain_data_and_carry_no_channel_and_no_recorder(tmp_path: Path) -> None:
    """The channels stay with delivery (their rules are applied there); the recorder is handed over as an
    object, never named by a setting."""
    tables = "".join(f'[[alerts.channels]]\nname = "c{i}"\nkind = "{kind}"\nhost = "127.0.0.1"\n'
                     f'sender = "n@example.org"\nrecipients = ["d@example.org"]\nurl = "http://127.0.0.1:9/in"\n'
                     'urls = ["json://127.0.0.1:9/in"]\n'
                     for i, kind in enumerate(channel_kinds()))
    (tmp_path / "newswatch.toml").write_text(tables, encoding="utf-8")
    config = load_config(tmp_path / "newswatch.toml")
    settings = run_settings(config, crawl_options(config), "WARNING", "off")
    assert plain_data_problem(settings) is None
    assert not [key for key in settings if "RECORDER" in key or "CHANNEL" in key]
    recorder = recorders(config)()
    assert isinstance(recorder, Recorder) and isinstance(recorder, ChangeRecorder)
    assert recorder.corpus.folder == config.path(config.storage.corpus_dir)
