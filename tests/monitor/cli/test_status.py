"""``newswatch status``: columns aligned by display width, every registered source listed, the next digest
of each scheduled-digest channel."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswatch.monitor.cli.columns import display_width, pad
from newswatch.monitor.cli.main import main
from newswatch.monitor.cli.run import digest_lines
from newswatch.monitor.config.model import load_config
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import AlertOutbox, Source

REGISTRY = """[[source]]
name = "新华网"
site = "https://www.news.cn/"

[[source]]
name = "BBC"
site = "https://www.bbc.com/"

[[source]]
name = "澎湃新闻（上海）"
site = "https://www.thepaper.cn/"
"""
CHANNELS = """[[alerts.channels]]
name = "morning"
kind = "webhook"
url = "https://hooks.example.org/in"
digest = "daily 08:00"
digest_timezone = "Asia/Shanghai"
"""


@pytest.mark.parametrize(("text", "width"), [("BBC", 3), ("新华网", 6), ("澎湃新闻（上海）", 16), ("é", 1),
                                             ("e\u0301", 1), ("ＡＢ", 4)],
                         ids=["latin", "han", "fullwidth-parens", "precomposed", "combining", "fullwidth-latin"])
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width
    assert display_width(pad(text, 20)) == 20


def test_status_aligns_columns_and_lists_every_registered_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "sources.toml").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "nw.toml").write_text('[storage]\ndata_dir = "data"\nseeds_dir = "seeds"\n', encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as session:  # only 新华网 was ever checked
        session.add(Source(name="新华网", kind="site", url="https://www.news.cn/",
                           last_checked_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC)))
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["newswatch", "--config", "nw.toml", "status"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if " last " in line and not line.startswith("articles ")]
    assert sorted(line.split()[0] for line in rows) == sorted(["新华网", "BBC", "澎湃新闻（上海）"])
    assert len({display_width(line.split(" last ")[0]) for line in rows}) == 1  # "last" in one column
    assert next(line for line in rows if line.startswith("BBC")).endswith("never checked")


def test_the_next_digest_per_channel(tmp_path: Path) -> None:
    (tmp_path / "nw.toml").write_text(CHANNELS, encoding="utf-8")
    config = load_config(tmp_path / "nw.toml")
    now = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: the next send is tomorrow 08:00
    assert digest_lines(config, {}, now) == [
        "digest morning: daily 08:00 Asia/Shanghai, next 2026-12-08 08:00 CST, 0 alerts waiting"]
    held = {"morning": (3, datetime(2026, 12, 8, 0, 0))}  # naive UTC from SQLite
    assert digest_lines(config, held, now)[0].endswith("next 2026-12-08 08:00 CST, 3 alerts waiting")


def test_digest_waits_come_from_the_outbox(sessions: object) -> None:
    from sqlalchemy.orm import Session, sessionmaker

    from newswatch.monitor.runs.status import digest_waits

    assert isinstance(sessions, sessionmaker)
    factory: sessionmaker[Session] = sessions
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    with transaction(factory) as session:
        session.add_all([AlertOutbox(event_id=f"e{i}", channel="morning", event_kind="new", payload={},
                                     next_attempt_at=due) for i in range(3)])
        session.add(AlertOutbox(event_id="s", channel="morning", event_kind="new", payload={}, state="sent"))
    with factory() as session:
        count, when = digest_waits(session)["morning"]
    assert count == 3 and when is not None and when.replace(tzinfo=UTC) == due
