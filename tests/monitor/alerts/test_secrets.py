"""Secrets from ``<VARIABLE>_FILE`` and systemd credentials, used by real deliveries: an SMTP login on
aiosmtpd and a signed webhook verified by a loopback receiver."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from newswatch.monitor.alerts.channels.webhook import verify_signature
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.alerts.secrets import MAX_SECRET_BYTES, Secrets
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.storage.errors import ConfigError
from tests.monitor.alerts.channels.test_mail import (  # noqa: F401 - fixtures
    PASSWORD,
    USER,
    Authenticator,
    Certificate,
    Server,
    certificate,
    channel,
    smtp_server,
)
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.sample_events import new_event


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("environ", "expected", "origin"),
    [({"S": "direct"}, "direct", "env S"),
     ({"S_FILE": "{dir}/s"}, "from the file", "file S_FILE={dir}/s"),
     ({"CREDENTIALS_DIRECTORY": "{dir}/creds"}, "from systemd", "credential {dir}/creds/S")],
    ids=["variable", "file", "systemd-credential"],
)
def test_where_a_secret_comes_from(tmp_path: Path, environ: dict[str, str], expected: str, origin: str) -> None:
    write(tmp_path / "s", "from the file\n")
    (tmp_path / "creds").mkdir()
    write(tmp_path / "creds" / "S", "from systemd\n")
    secrets = Secrets({k: v.format(dir=tmp_path) for k, v in environ.items()})
    assert secrets.get("S") == expected, "one trailing newline removed"
    assert secrets.origin("S") == origin.format(dir=tmp_path)
    assert "S" in secrets and secrets.get("OTHER") is None


@pytest.mark.parametrize(
    ("environ", "match"),
    [({"S": "a", "S_FILE": "{dir}/s"}, "both S and S_FILE are set"),
     ({"S_FILE": "{dir}/missing"}, "S_FILE: cannot read"),
     ({"S_FILE": "{dir}/big"}, "larger than"),
     ({"S_FILE": "{dir}/binary"}, "not UTF-8")],
    ids=["both", "missing-file", "too-large", "not-text"],
)
def test_bad_secret_files_name_the_variable(tmp_path: Path, environ: dict[str, str], match: str) -> None:
    write(tmp_path / "s", "x")
    write(tmp_path / "big", "x" * (MAX_SECRET_BYTES + 1))
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match=match):
        Secrets({k: v.format(dir=tmp_path) for k, v in environ.items()}).get("S")


def test_smtp_password_from_a_file(smtp_server: Callable[..., Server], certificate: Certificate,  # noqa: F811
                                   tmp_path: Path) -> None:
    authenticator = Authenticator()
    server = smtp_server(authenticator=authenticator, tls_context=certificate.server_context(), require_starttls=True,
                         auth_required=True)
    environ = Secrets({"DESK_SMTP_PASSWORD_FILE": str(write(tmp_path / "smtp", PASSWORD + "\n"))})
    desk = channel(server.port, environ, certificate.client_context(), security="starttls",  # type: ignore[arg-type]
                   username=USER, password_env="DESK_SMTP_PASSWORD")
    desk.send([new_event()])
    assert authenticator.mechanisms and len(server.received) == 1


def test_webhook_secret_from_a_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "creds").mkdir()
    write(tmp_path / "creds" / "HOOK_SECRET", "s3cret-from-systemd\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    port = free_port()
    config = AlertsConfig(channels=(ChannelConfig(name="hook", kind="webhook", url=f"http://127.0.0.1:{port}/in",
                                                  secret_env="HOOK_SECRET", timeout=5.0),))
    [hook] = build_channels(config)  # the process environment, read as newswatch reads it
    receiver = Receiver(["200"]).start(port)
    try:
        hook.send([new_event()])
    finally:
        receiver.stop()
    [(headers, body)] = receiver.seen
    assert verify_signature("s3cret-from-systemd", body, headers)
    assert not verify_signature("s3cret-from-systemd\n", body, headers)
