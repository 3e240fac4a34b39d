"""Configuration: defaults without a file, clear errors naming the key, secrets only from the env."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from newswatch.monitor.config.model import Config, load_config
from newswatch.storage.errors import ConfigError
from tests.conftest import ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert dataclasses.replace(config, base_dir=Path(".")) == Config()
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'newswatch.db'}"


def test_example_file_documents_the_defaults() -> None:
    example = load_config(ROOT / "deploy" / "newswatch.example.toml", environ={})
    assert dataclasses.replace(example, base_dir=Path(".")) == Config()


def test_values_and_relative_paths(tmp_path: Path) -> None:
    path = _write(tmp_path, '[crawl]\ndownload_delay = 2\n[storage]\ncorpus_dir = "out/c"\n'
                            '[topic]\nkeywords = ["DeepSeek"]\n')
    config = load_config(path, environ={})
    assert config.crawl.download_delay == 2.0
    assert config.topic.keywords == ("DeepSeek",)
    assert config.path(config.storage.corpus_dir) == tmp_path.resolve() / "out" / "c"


BAD = {
    "unknown-key": ('[crawl]\ndownload_dealy = 1\n', "crawl.download_dealy", "unknown key"),
    "unknown-section": ('[crawler]\nx = 1\n', "crawler", "unknown key"),
    "wrong-type": ('[crawl]\nretries = "three"\n', "crawl.retries", "expected an integer"),
    "bool-for-int": ('[crawl]\nretries = true\n', "crawl.retries", "expected an integer"),
    "negative": ('[crawl]\ndownload_delay = -1\n', "crawl.download_delay", "must not be negative"),
    "zero-cap": ('[crawl]\nmax_page_bytes = 0\n', "crawl.max_page_bytes", "greater than zero"),
    "list-type": ('[[alerts.channels]]\nname = "m"\nrecipients = "a@b.c"\n', "alerts.channels[0].recipients",
                  "list of strings"),
    "channel-needs-name": ('[[alerts.channels]]\nkind = "email"\n', "alerts.channels[0].name", "needs a name"),
    "channel-security": ('[[alerts.channels]]\nname = "m"\nsecurity = "ssl"\n', "alerts.channels[0].security",
                         "starttls, tls or none"),
    "channels-not-list": ('[alerts]\nchannels = 3\n', "alerts.channels", "list of tables"),
    "section-not-table": ('crawl = 3\n', "crawl", "expected a table"),
    "secret-in-file": ('[[alerts.channels]]\nname = "m"\npassword = "hunter2"\n', "alerts.channels[0].password",
                       "password_env"),
    "webhook-secret-in-file": ('[[alerts.channels]]\nname = "h"\nsecret = "s"\n', "alerts.channels[0].secret",
                               "secret_env"),
    "bad-network": ('[crawl]\nallow_networks = ["127.0.0.0/33"]\n', "crawl.allow_networks", "not a network"),
    "bad-ladder": ('[schedule]\narticles = ["3h=15x"]\n', "schedule.articles", "not a duration"),
    "ladder-order": ('[schedule]\narticles = ["3d=1h", "3h=15m"]\n', "schedule.articles", "increasing age"),
    "bad-toml": ('[crawl\n', "newswatch.toml", "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=str)
def test_errors_name_the_key(tmp_path: Path, case: str) -> None:
    text, key, reason = BAD[case]
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), environ={})
    assert info.value.key.endswith(key)
    assert reason in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_database_from_environment_and_channels_from_file(tmp_path: Path) -> None:
    env = {"NEWSWATCH_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    text = ('[storage]\ndatabase_url = "sqlite:///x.db"\n'
            '[[alerts.channels]]\nname = "ops"\nkind = "webhook"\nurl = "http://127.0.0.1:9/h"\n'
            'secret_env = "OPS_SECRET"\n[[alerts.channels]]\nname = "desk"\nkind = "email"\ndigest = true\n')
    config = load_config(_write(tmp_path, text), environ=env)
    assert config.database_url == "postgresql+psycopg://u@h/db"
    ops, desk = config.alerts.channels
    assert (ops.name, ops.kind, ops.secret_env, ops.events) == ("ops", "webhook", "OPS_SECRET",
                                                                ("article.new", "article.changed", "article.removed",
                                                                 "article.restored", "source.failing", "source.quiet"))
    assert (desk.kind, desk.digest, desk.change_classes) == ("email", True, ("title", "body_edit", "addition",
                                                                            "deletion"))


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, "[schedule]\nfeeds_minutes = 15\n")
    assert load_config(environ={"NEWSWATCH_CONFIG": str(path)}).schedule.feeds_minutes == 15.0


def test_the_crawl_section_is_the_crawlers_own(tmp_path: Path) -> None:
    from newswatch.crawler.options import CrawlConfig

    config = load_config(_write(tmp_path, "[crawl]\nretries = 4\n"), environ={})
    assert type(config.crawl) is CrawlConfig and config.crawl == CrawlConfig(retries=4)
