"""Secrets never printed: URL passwords, secret query values and header values become ``***``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.crawler.redact import redact_text, redact_tree, redact_url
from newswatch.monitor.cli.main import cli

URLS = {
    "password": ("https://user:hunter2@hooks.example.org/in", "https://user:***@hooks.example.org/in"),
    "token": ("https://hooks.example.org/in?token=abc123&x=1", "https://hooks.example.org/in?token=***&x=1"),
    "api-key": ("https://h.example.org/rss?api_key=K1&page=2", "https://h.example.org/rss?api_key=***&page=2"),
    "sig": ("https://h.example.org/f?sig=0a9f&expires=99", "https://h.example.org/f?sig=***&expires=99"),
    "secret-and-key": ("https://h.example.org/?client_secret=s&key=k", "https://h.example.org/?client_secret=***&key=***"),
    "access-token": ("https://h.example.org/?access_token=t", "https://h.example.org/?access_token=***"),
    "database": ("postgresql+psycopg://nw:pw@db/nw?sslmode=require", "postgresql+psycopg://nw:***@db/nw?sslmode=require"),
    "apprise": ("mailtos://bot:app-pass@smtp.example.org?to=a@b.org", "mailtos://bot:***@smtp.example.org?to=a@b.org"),
    "nothing-secret": ("https://news.example.cn/a.html?id=3&page=2", "https://news.example.cn/a.html?id=3&page=2"),
    "user-only": ("https://user@h.example.org/", "https://user@h.example.org/"),
    "keyword-not-key": ("https://h.example.org/search?keyword=%E6%96%B0", "https://h.example.org/search?keyword=%E6%96%B0"),
}


@pytest.mark.parametrize(("url", "shown"), list(URLS.values()), ids=list(URLS))
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_urls_inside_messages_and_trees() -> None:
    message = "delivery to https://h.example.org/in?token=abc failed; retry at 10:00"
    assert redact_text(message) == "delivery to https://h.example.org/in?token=*** failed; retry at 10:00"
    tree = {"channels": [{"url": "https://h.example.org/?sig=s", "headers": {"Authorization": "Bearer x"}}],
            "retries": 3, "name": "新华网"}
    assert redact_tree(tree) == {"channels": [{"url": "https://h.example.org/?sig=***",
                                               "headers": {"Authorization": "***"}}],
                                 "retries": 3, "name": "新华网"}


def test_config_masks_a_webhook_token_and_apprise_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "nw.toml"
    config.write_text(
        '[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "https://hooks.example.org/in?token=T0KEN"\n'
        '[[alerts.channels]]\nname = "mail"\nkind = "apprise"\nurls = ["mailtos://bot:PASSW0RD@smtp.example.org"]\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSWATCH_WEBHOOK_SECRET", "s" * 32)
    result = CliRunner().invoke(cli, ["--config", str(config), "config"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "T0KEN" not in result.output and "PASSW0RD" not in result.output and "s" * 32 not in result.output
    channels = json.loads(result.output)["alerts"]["channels"]
    assert channels[0]["url"] == "https://hooks.example.org/in?token=***"
    assert channels[1]["urls"] == ["mailtos://bot:***@smtp.example.org"]


def test_a_failed_delivery_keeps_no_secret_in_the_outbox() -> None:
    """An Apprise or webhook error quoting its target URL: the outbox (shown by `alerts list` and the web
    view) keeps the message with the token masked."""
    from newswatch.monitor.alerts.outbox import _send
    from newswatch.storage.errors import DeliveryError

    class Failing:
        name = "hook"

        def send(self, events: object) -> None:
            raise DeliveryError("POST https://hooks.example.org/in?token=T0KEN failed: 500")

    error = _send(Failing(), [])  # type: ignore[arg-type]
    assert error == "POST https://hooks.example.org/in?token=*** failed: 500"


def test_the_run_prints_failed_urls_without_their_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """A private feed (``?token=``) that fails: the run's error line and its JSON keep the token masked."""
    from newswatch.crawler.items import FetchError
    from newswatch.monitor.cli.run import _print_summary, summary_json
    from newswatch.monitor.runs.run import RunSummary

    error = FetchError("https://news.example.cn/rss?token=T0KEN", "http_403", "GET https://news.example.cn/rss?token=T0KEN")
    summary = RunSummary(1, "partial", {}, (error,), (), ())
    _print_summary(summary, quiet=True)
    printed = capsys.readouterr().err
    assert "T0KEN" not in printed and "token=***" in printed
    assert "T0KEN" not in json.dumps(summary_json(summary))
