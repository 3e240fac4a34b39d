"""``newswatch alerts``: list, retry, deliver and test against a real receiver."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.monitor.alerts.outbox import route_events
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.changes.emit import record_event
from newswatch.monitor.cli.main import cli
from newswatch.monitor.config.model import load_config
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.migrate import upgrade
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.sample_events import changed_event, new_event


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    port = free_port()
    (tmp_path / "newswatch.toml").write_text(
        '[alerts]\nmax_attempts = 1\nlease_seconds = 0.0\n[[alerts.channels]]\nname = "hook"\nkind = "webhook"\n'
        f'url = "http://127.0.0.1:{port}/in"\nsecret_env = "HOOK_SECRET"\ntimeout = 1.0\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("HOOK_SECRET", "k")
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event)
    channels = build_channels(load_config(tmp_path / "newswatch.toml").alerts)
    route_events(sessions, channels, lambda: datetime.now(UTC))  # the outbox rows `alerts list` shows
    engine.dispose()
    return tmp_path, port


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_deliver_dead_retry(workspace: tuple[Path, int]) -> None:
    _folder, port = workspace
    assert invoke("alerts", "list").count("pending") == 2
    assert "sent 0  failed 0  dead 2" in invoke("alerts", "deliver")  # receiver down, one attempt allowed
    assert invoke("alerts", "list", "--state", "dead").count("dead") == 2
    assert "2 row(s) due again" in invoke("alerts", "retry", "--dead")
    receiver = Receiver(["200"]).start(port)
    try:
        assert "sent 2" in invoke("alerts", "deliver")
        assert "sent a test event to hook" in invoke("alerts", "test", "hook")
    finally:
        receiver.stop()
    assert sorted(receiver.delivered[:2]) == sorted([new_event().id, changed_event().id])
    assert len(receiver.seen) == 3
    assert invoke("alerts", "list", "--state", "sent").count("sent") == 2


def test_unknown_channel_for_test(workspace: tuple[Path, int]) -> None:
    result = CliRunner().invoke(cli, ["alerts", "test", "nope"])
    assert result.exit_code == 2 and "no channel 'nope'" in result.output
