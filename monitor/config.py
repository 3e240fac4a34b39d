"""Configuration: one TOML file (``newswatch.toml``), validated at start, with documented defaults.

Every key is optional; running with no file at all uses the defaults below. Unknown keys, wrong
types and out-of-range values are errors that name the key (``crawl.download_delay: ...``).
Secrets never come from the file: the SMTP password is read from ``NEWSWATCH_SMTP_PASSWORD`` and
the webhook secret from ``NEWSWATCH_WEBHOOK_SECRET``. ``NEWSWATCH_DATABASE_URL`` overrides
``storage.database_url``. Relative paths are relative to the config file's folder (or the
current folder when there is no file).

The documented defaults, as a file, are in ``deploy/newswatch.example.toml``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from storage.engine import sqlite_url
from storage.errors import ConfigError

DEFAULT_FILE = "newswatch.toml"
SECRET_KEYS = {"password": "NEWSWATCH_SMTP_PASSWORD", "secret": "NEWSWATCH_WEBHOOK_SECRET"}


@dataclass(frozen=True)
class StorageConfig:
    data_dir: str = "data"  # SQLite file, state and logs live here
    database_url: str = ""  # empty: sqlite:///<data_dir>/newswatch.db
    corpus_dir: str = "data/corpus"  # where new articles and changes/ are written
    seeds_dir: str = "seeds"  # the seed corpus and its source registry


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = "newswatch/0.1"
    contact_url: str = "https://github.com/newswatch/newswatch"
    obey_robots: bool = True
    allow_networks: tuple[str, ...] = ()  # private networks that may be fetched (tests: 127.0.0.0/8)
    concurrency_per_domain: int = 2
    download_delay: float = 1.0  # seconds between requests to one domain (AutoThrottle start)
    download_timeout: float = 30.0
    retries: int = 2
    max_page_bytes: int = 5 * 1024 * 1024
    max_feed_bytes: int = 2 * 1024 * 1024
    max_depth: int = 2  # link following from section pages
    max_pages_per_site: int = 200
    closespider_timeout: int = 900  # a crawl that hangs is bounded


@dataclass(frozen=True)
class TopicConfig:
    keywords: tuple[str, ...] = ()  # empty: the keywords file shipped in seeds/ (topics.toml)


@dataclass(frozen=True)
class MonitorConfig:
    max_shrink: float = 0.5  # a body losing more than this share is an anomaly, not a change


@dataclass(frozen=True)
class ScheduleConfig:
    interval_minutes: int = 60
    jitter_seconds: int = 60


@dataclass(frozen=True)
class EmailConfig:
    host: str = ""  # empty: email alerts are off
    port: int = 587
    starttls: bool = True
    username: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    password: str = field(default="", metadata={"secret": True})


@dataclass(frozen=True)
class WebhookConfig:
    url: str = ""  # empty: webhook alerts are off
    timeout: float = 10.0
    secret: str = field(default="", metadata={"secret": True})


@dataclass(frozen=True)
class AlertsConfig:
    email: EmailConfig = EmailConfig()
    webhook: WebhookConfig = WebhookConfig()
    max_attempts: int = 8


@dataclass(frozen=True)
class Config:
    storage: StorageConfig = StorageConfig()
    crawl: CrawlConfig = CrawlConfig()
    topic: TopicConfig = TopicConfig()
    monitor: MonitorConfig = MonitorConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    alerts: AlertsConfig = AlertsConfig()
    base_dir: Path = field(default=Path("."), metadata={"internal": True})

    def path(self, value: str) -> Path:
        """A configured path, resolved against the config file's folder."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    @property
    def database_url(self) -> str:
        return self.storage.database_url or sqlite_url(self.path(self.storage.data_dir))


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``None``: ``./newswatch.toml`` if present, else defaults)."""
    env = os.environ if environ is None else environ
    explicit = path is not None
    path = path or Path(env.get("NEWSWATCH_CONFIG", DEFAULT_FILE))
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    elif explicit or "NEWSWATCH_CONFIG" in env:
        raise ConfigError(str(path), "config file not found")
    config = _build(Config, data, "")
    config = dataclasses.replace(config, base_dir=path.parent.resolve())
    return _apply_environment(config, env)


def _apply_environment(config: Config, env: Mapping[str, str]) -> Config:
    storage = config.storage
    if env.get("NEWSWATCH_DATABASE_URL"):
        storage = dataclasses.replace(storage, database_url=env["NEWSWATCH_DATABASE_URL"])
    email = dataclasses.replace(config.alerts.email, password=env.get("NEWSWATCH_SMTP_PASSWORD", ""))
    webhook = dataclasses.replace(config.alerts.webhook, secret=env.get("NEWSWATCH_WEBHOOK_SECRET", ""))
    alerts = dataclasses.replace(config.alerts, email=email, webhook=webhook)
    return dataclasses.replace(config, storage=storage, alerts=alerts)


def _build(cls: type[Any], data: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(prefix.rstrip(".") or "<file>", "expected a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        dotted = prefix + key
        if key not in fields:
            raise ConfigError(dotted, f"unknown key (known: {', '.join(sorted(fields))})")
        if fields[key].metadata.get("secret"):
            env_name = SECRET_KEYS[key]
            raise ConfigError(dotted, f"secrets are not read from the file: set {env_name} instead")
        values[key] = _convert(hints[key], raw, dotted)
    built = cls(**values)
    _check_ranges(built, prefix)
    return built


def _convert(hint: Any, raw: Any, dotted: str) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, raw, dotted + ".")
    origin = get_origin(hint)
    if origin is tuple:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(dotted, f"expected a list of strings, got {raw!r}")
        return tuple(raw)
    if origin in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    if hint is float and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if (hint is int and isinstance(raw, bool)) or not isinstance(raw, hint):
        raise ConfigError(dotted, f"expected {_type_name(hint)}, got {raw!r}")
    return raw


def _type_name(hint: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def _check_ranges(section: Any, prefix: str) -> None:
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ConfigError(prefix + f.name, f"must not be negative, got {value}")
    if isinstance(section, CrawlConfig):
        for name in ("concurrency_per_domain", "max_page_bytes", "max_feed_bytes", "download_timeout"):
            if getattr(section, name) <= 0:
                raise ConfigError(prefix + name, "must be greater than zero")
    if isinstance(section, CrawlConfig):
        _check_networks(section.allow_networks, prefix + "allow_networks")
    if isinstance(section, MonitorConfig) and not 0 < section.max_shrink < 1:
        raise ConfigError(prefix + "max_shrink", "must be between 0 and 1")
    if isinstance(section, ScheduleConfig) and section.interval_minutes < 1:
        raise ConfigError(prefix + "interval_minutes", "must be at least 1")


def _check_networks(values: tuple[str, ...], key: str) -> None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ConfigError(key, f"not a network (CIDR like 127.0.0.0/8): {value!r}") from exc
