"""``NEWSWATCH_<SECTION>__<KEY>`` overrides: typed and validated like the file, errors naming the variable,
each value's origin kept; values from ``_FILE`` and systemd credentials too."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from newswatch.monitor.config.model import Config, load_config
from newswatch.storage.errors import ConfigError

FILE = ('[crawl]\ndownload_delay = 2\n[[alerts.channels]]\nname = "ops-hook"\nkind = "webhook"\n'
        'url = "https://hooks.example.org/a"\n')


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(FILE, encoding="utf-8")
    return path


def value(config: Config, dotted: str) -> Any:
    current: Any = config
    for part in dotted.replace("[0]", ".0").split("."):
        current = current[int(part)] if part.isdigit() else getattr(current, part)
    return current


OVERRIDES = {
    "float": ("NEWSWATCH_CRAWL__DOWNLOAD_DELAY", "0.25", "crawl.download_delay", 0.25),
    "int": ("NEWSWATCH_CRAWL__RETRIES", "5", "crawl.retries", 5),
    "bool": ("NEWSWATCH_CRAWL__OBEY_ROBOTS", "false", "crawl.obey_robots", False),
    "string": ("NEWSWATCH_STORAGE__CORPUS_DIR", "/srv/corpus", "storage.corpus_dir", "/srv/corpus"),
    "list-commas": ("NEWSWATCH_CRAWL__ALLOW_NETWORKS", "127.0.0.0/8, 10.0.0.0/8", "crawl.allow_networks",
                    ("127.0.0.0/8", "10.0.0.0/8")),
    "list-toml": ("NEWSWATCH_TOPIC__KEYWORDS", '["芯片, 半导体", "AI"]', "topic.keywords", ("芯片, 半导体", "AI")),
    "channel-key-by-name": ("NEWSWATCH_ALERTS__CHANNELS__OPS_HOOK__TIMEOUT", "3", "alerts.channels[0].timeout", 3.0),
    "nested-table-key": ("NEWSWATCH_STORAGE__RETENTION__RAW_PAGES", "3", "storage.retention.raw_pages", 3),
    "short-database-url": ("NEWSWATCH_DATABASE_URL", "postgresql+psycopg://u@h/db", "storage.database_url",
                           "postgresql+psycopg://u@h/db"),
}


@pytest.mark.parametrize("case", sorted(OVERRIDES), ids=str)
def test_every_key_can_be_set_from_the_environment(config_file: Path, case: str) -> None:
    variable, text, dotted, expected = OVERRIDES[case]
    config = load_config(config_file, {variable: text})
    assert value(config, dotted) == expected
    assert dict(config.origins)[dotted] == f"env {variable}"


def test_origins_say_file_env_or_default(config_file: Path) -> None:
    config = load_config(config_file, {"NEWSWATCH_CRAWL__RETRIES": "4"})
    origins = dict(config.origins)
    assert origins["crawl.download_delay"] == "file newswatch.toml"
    assert origins["crawl.retries"] == "env NEWSWATCH_CRAWL__RETRIES"
    assert origins["crawl.user_agent"] == "default"
    assert origins["alerts.channels[0].url"] == "file newswatch.toml"
    assert origins["alerts.channels[0].events"] == "default"
    assert leaf_keys(Config()) <= set(origins), "every key has an origin"


def leaf_keys(section: Any, prefix: str = "") -> set[str]:
    """Every key of the configuration, nested tables walked (alerts.channels, a list, left out)."""
    keys: set[str] = set()
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if f.metadata.get("internal") or f.name == "channels":
            continue
        keys |= leaf_keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else {prefix + f.name}
    return keys


ERRORS = {
    "not-a-number": ({"NEWSWATCH_CRAWL__RETRIES": "three"}, "NEWSWATCH_CRAWL__RETRIES", "expected an integer"),
    "out-of-range": ({"NEWSWATCH_CRAWL__RETRIES": "-1"}, "NEWSWATCH_CRAWL__RETRIES", "must not be negative"),
    "not-a-bool": ({"NEWSWATCH_CRAWL__OBEY_ROBOTS": "maybe"}, "NEWSWATCH_CRAWL__OBEY_ROBOTS", "true or false"),
    "bad-network": ({"NEWSWATCH_CRAWL__ALLOW_NETWORKS": "127.0.0.0/33"}, "NEWSWATCH_CRAWL__ALLOW_NETWORKS",
                    "not a network"),
    "bad-ladder": ({"NEWSWATCH_SCHEDULE__ARTICLES": "3h=15x"}, "NEWSWATCH_SCHEDULE__ARTICLES", "not a duration"),
    "typo-in-key": ({"NEWSWATCH_CRAWL__DOWNLOAD_DEALY": "1"}, "NEWSWATCH_CRAWL__DOWNLOAD_DEALY", "no key"),
    "typo-in-section": ({"NEWSWATCH_CRAWLER__RETRIES": "1"}, "NEWSWATCH_CRAWLER__RETRIES", "no section"),
    "unknown-channel": ({"NEWSWATCH_ALERTS__CHANNELS__DESK__URL": "x"}, "NEWSWATCH_ALERTS__CHANNELS__DESK__URL",
                        "no channel named like 'desk'"),
    "secret-as-key": ({"NEWSWATCH_ALERTS__CHANNELS__OPS_HOOK__SECRET": "x"},
                      "NEWSWATCH_ALERTS__CHANNELS__OPS_HOOK__SECRET", "secrets are not config keys"),
    "both-forms": ({"NEWSWATCH_DATABASE_URL": "sqlite:///a.db", "NEWSWATCH_STORAGE__DATABASE_URL": "sqlite:///b.db"},
                   "NEWSWATCH_STORAGE__DATABASE_URL", "keep one"),
    "a-table-not-a-key": ({"NEWSWATCH_STORAGE__RETENTION": "3"}, "NEWSWATCH_STORAGE__RETENTION", "is a table"),
    "key-of-a-value": ({"NEWSWATCH_CRAWL__RETRIES__MAX": "3"}, "NEWSWATCH_CRAWL__RETRIES__MAX", "is not a table"),
    "bad-toml-list": ({"NEWSWATCH_TOPIC__KEYWORDS": '["a", '}, "NEWSWATCH_TOPIC__KEYWORDS", "not a TOML value"),
}


@pytest.mark.parametrize("case", sorted(ERRORS), ids=str)
def test_bad_values_are_errors_naming_the_variable(config_file: Path, case: str) -> None:
    environ, variable, reason = ERRORS[case]
    with pytest.raises(ConfigError) as info:
        load_config(config_file, environ)
    assert info.value.key == variable
    assert reason in str(info.value)


def test_values_from_files_and_systemd_credentials(config_file: Path, tmp_path: Path) -> None:
    (tmp_path / "db-url").write_text("postgresql+psycopg://newswatch:pw@db/newswatch\n", encoding="utf-8")
    config = load_config(config_file, {"NEWSWATCH_STORAGE__DATABASE_URL_FILE": str(tmp_path / "db-url")})
    assert config.database_url == "postgresql+psycopg://newswatch:pw@db/newswatch"
    origin = dict(config.origins)["storage.database_url"]
    assert origin == f"file NEWSWATCH_STORAGE__DATABASE_URL_FILE={tmp_path}/db-url"
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "NEWSWATCH_CRAWL__USER_AGENT").write_text("newswatch-test/1", encoding="utf-8")
    config = load_config(config_file, {"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")})
    assert config.crawl.user_agent == "newswatch-test/1"
    assert dict(config.origins)["crawl.user_agent"] == f"credential {tmp_path}/creds/NEWSWATCH_CRAWL__USER_AGENT"


def test_unrelated_variables_are_left_alone(config_file: Path) -> None:
    config = load_config(config_file, {"NEWSWATCH_REQUIRE_POSTGRES": "1", "NEWSWATCH_SMTP_PASSWORD": "x",
                                       "NEWSWATCH_DATABASE_URL": ""})
    assert config == load_config(config_file, {})
