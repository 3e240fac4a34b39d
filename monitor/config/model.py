"""Configuration: one TOML file (``newswatch.toml``), validated at start, with documented defaults.

Every key is optional; running with no file at all uses the defaults below. Unknown keys, wrong
types and out-of-range values are errors that name the key (``crawl.download_delay: ...``).
Any key can be overridden from the environment, ``NEWSWATCH_<SECTION>__<KEY>``, validated the same
way, errors naming the variable (:mod:`monitor.config.environment`); ``Config.origins`` says where each
value came from (file, env, default). Secrets never come from the file: an alert channel names the
environment variable that holds its SMTP password (``password_env``, default
``NEWSWATCH_SMTP_PASSWORD``) or webhook secret (``secret_env``, default ``NEWSWATCH_WEBHOOK_SECRET``);
an Apprise channel's URLs with tokens come from the variable named by ``urls_env``. Each such variable
may also be a ``_FILE`` or a systemd credential (:mod:`monitor.alerts.secrets`).
``NEWSWATCH_DATABASE_URL`` is the short form of ``NEWSWATCH_STORAGE__DATABASE_URL``. Relative paths
are relative to the config file's folder (or the current folder when there is no file).

The documented defaults, as a file, are in ``deploy/newswatch.example.toml``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError, with_config

from newswatch.crawler.options import (
    SECTION,
    Bool,
    Count,
    CrawlConfig,
    Float,
    PositiveSeconds,
    Seconds,
    Str,
    Strs,
)
from newswatch.monitor.alerts.channels.signing import SIGNINGS
from newswatch.monitor.alerts.digest import digest_of
from newswatch.monitor.alerts.secrets import Secrets
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.config.environment import Override, apply_overrides
from newswatch.storage.engine import sqlite_url
from newswatch.storage.errors import ConfigError

__all__ = ["AlertsConfig", "ChannelConfig", "Config", "CrawlConfig", "load_config"]

DEFAULT_FILE = "newswatch.toml"
SECRET_KEYS = {"password": "password_env", "secret": "secret_env"}


@with_config(SECTION)
@dataclass(frozen=True)
class RetentionConfig:
    """What ``newswatch prune`` and the daemon's daily prune may forget (0 = keep everything)."""

    raw_pages: Count = 0  # raw HTML of the newest N fetches per article (versions and anomalies) is kept
    outbox_days: Seconds = 0.0  # sent alert rows delivered longer ago than this are deleted
    runs_days: Seconds = 0.0  # crawl run rows finished longer ago than this are deleted


@with_config(SECTION)
@dataclass(frozen=True)
class StorageConfig:
    data_dir: Str = "data"  # SQLite file, state and logs live here
    database_url: Str = ""  # empty: sqlite:///<data_dir>/newswatch.db
    corpus_dir: Str = "data/corpus"  # where new articles and changes/ are written
    seeds_dir: Str = "seeds"  # the seed corpus and its source registry
    retention: RetentionConfig = RetentionConfig()


@with_config(SECTION)
@dataclass(frozen=True)
class TopicConfig:
    keywords: Strs = ()  # empty: the keywords file shipped in seeds/ (topics.toml)


@with_config(SECTION)
@dataclass(frozen=True)
class MonitorConfig:
    max_shrink: Float = 0.5  # a body losing more than this share is an anomaly, not a change


@with_config(SECTION)
@dataclass(frozen=True)
class ScheduleConfig:
    """How often the daemon does what (the one-shot ``run`` uses only the article ladder)."""

    feeds_minutes: Seconds = 30.0  # section pages and feeds of each source; adapts between the bounds
    feeds_min_minutes: Seconds = 10.0
    feeds_max_minutes: Seconds = 240.0
    sitemaps_hours: Seconds = 24.0  # sitemaps and sitemap indexes (with robots.txt)
    articles: Strs = ("3h=15m", "1d=1h", "3d=3h", "7d=1d", "30d=7d")  # AGE=EVERY, then stop
    removed: Strs = ("1d=6h", "7d=1d", "90d=7d")  # removed articles: AGE since removal=EVERY
    recheck_minutes: Seconds = 5.0  # how often the daemon looks for articles due by the ladder
    alerts_seconds: Seconds = 30.0  # the outbox worker's period
    seeds_minutes: Seconds = 60.0  # new seed documents are imported this often
    prune_hours: PositiveSeconds = 24.0  # storage.retention is applied this often
    jitter_seconds: Seconds = 60.0
    restart_spread_minutes: Seconds = 10.0  # after a restart, overdue work is spread over this window


@with_config(SECTION)
@dataclass(frozen=True)
class DaemonConfig:
    metrics_host: Str = "127.0.0.1"
    metrics_port: Count = 8089  # /healthz and /metrics (Prometheus); 0 = off
    shutdown_seconds: Seconds = 30.0  # SIGTERM: in-flight work gets this long, then is abandoned


@with_config(SECTION)
@dataclass(frozen=True)
class QueueConfig:
    """Crawl workers on arq (Redis): ``daemon --role scheduler`` enqueues, ``newswatch worker`` crawls.
    Unused (Redis not needed) by the single-process daemon and by ``run``."""

    redis_url: Str = "redis://127.0.0.1:6379/0"  # redis://, rediss:// (TLS) or unix://
    queue_name: Str = "newswatch:queue"
    job_timeout_seconds: PositiveSeconds = 1200.0  # a job's lease: a killed worker's job runs again after it (+10 s)
    max_tries: Count = 3  # a job whose worker died this often is given up (the next plan enqueues it anew)
    worker_concurrency: Count = 2  # crawls one worker runs at once (each of another site)
    heartbeat_seconds: PositiveSeconds = 10.0  # how often a worker says it is alive (status, /metrics)
    dispatch_seconds: PositiveSeconds = 5.0  # how often the scheduler retries work it could not enqueue yet


@with_config(SECTION)
@dataclass(frozen=True)
class WebConfig:
    """The read-only web view (``newswatch serve``; the daemon serves it on its own port too)."""

    host: Str = "127.0.0.1"  # another address needs the credential in token_env
    port: Count = 8090  # newswatch serve
    token_env: Str = "NEWSWATCH_WEB_TOKEN"  # environment variable holding the token / basic-auth password
    in_daemon: Bool = True  # the daemon serves the view on daemon.metrics_host:metrics_port
    page_size: Count = 50  # items per page (view and API)
    feed_size: Count = 50  # entries per Atom feed


@with_config(SECTION)
@dataclass(frozen=True)
class Config:
    storage: StorageConfig = StorageConfig()
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    topic: TopicConfig = TopicConfig()
    monitor: MonitorConfig = MonitorConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    daemon: DaemonConfig = DaemonConfig()
    web: WebConfig = WebConfig()
    queue: QueueConfig = QueueConfig()
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    base_dir: Path = field(default=Path("."), metadata={"internal": True})
    # where each key's value came from: (dotted key, "file" | "env NAME" | "file NAME_FILE=..." | ...)
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False, metadata={"internal": True})

    def path(self, value: str) -> Path:
        """A configured path, resolved against the config file's folder."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate).resolve()

    @property
    def database_url(self) -> str:
        return self.storage.database_url or sqlite_url(self.path(self.storage.data_dir))


_CONFIG = TypeAdapter(Config)
INTERNAL = frozenset(f.name for f in dataclasses.fields(Config) if f.metadata.get("internal"))


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``None``: ``./newswatch.toml`` if present, else defaults),
    with the environment's overrides applied."""
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
    in_file = set(_dotted_keys(data))
    data, overrides = apply_overrides(Config, data, Secrets(env), SECRET_KEYS)
    try:
        config = validate(data)
    except ConfigError as exc:
        named = _named_by_variable(exc, overrides)
        if named is exc:
            raise
        raise named from exc
    origins = {key: "default" for key in _dotted_keys(dataclasses.asdict(config), Config)}
    origins.update({key: f"file {path.name}" for key in in_file if key in origins})
    origins.update({o.dotted: o.origin for o in overrides})
    return dataclasses.replace(config, base_dir=path.parent.resolve(), origins=tuple(sorted(origins.items())))


def _named_by_variable(exc: ConfigError, overrides: tuple[Override, ...]) -> ConfigError:
    """An error in a value set from the environment names the variable that set it."""
    for override in overrides:
        if exc.key == override.dotted or exc.key.startswith(override.dotted + "["):
            return ConfigError(override.variable, f"{exc.reason} (it sets {exc.key})")
    return exc


def _dotted_keys(data: Mapping[str, Any], cls: type[Any] | None = None, prefix: str = "") -> list[str]:
    """Every leaf key of a config table as ``section.key`` / ``alerts.channels[0].url``."""
    keys = []
    for key, value in data.items():
        if cls is not None and key in {f.name for f in dataclasses.fields(cls) if f.metadata.get("internal")}:
            continue
        if isinstance(value, Mapping):
            keys += _dotted_keys(value, None, f"{prefix}{key}.")
        elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                keys += _dotted_keys(item, None, f"{prefix}{key}[{index}].")
        else:
            keys.append(prefix + key)
    return keys


def validate(data: Mapping[str, Any]) -> Config:
    """The file's tables (overrides applied) as a :class:`Config`: pydantic checks the types and the ranges,
    then the checks that span keys; ConfigError names the key."""
    if not isinstance(data, Mapping):
        raise ConfigError("<file>", "expected a table")
    _refuse_keys(data, "")
    try:
        config = _CONFIG.validate_python(data)
    except ValidationError as exc:
        raise _config_error(exc.errors(include_url=False)[0]) from exc
    _check(config)
    return config


def _refuse_keys(data: Mapping[str, Any], prefix: str) -> None:
    """Secrets are never read from the file; the internal fields are no keys."""
    for key, value in data.items():
        dotted = prefix + str(key)
        if key in SECRET_KEYS:
            raise ConfigError(dotted, f"secrets are not read from the file: name an environment variable "
                                      f"with {SECRET_KEYS[key]} and set it there")
        if not prefix and key in INTERNAL:
            raise ConfigError(dotted, f"unknown key (known: {', '.join(sorted(_fields(Config)))})")
        if isinstance(value, Mapping):
            _refuse_keys(value, dotted + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _refuse_keys(item, f"{dotted}[{index}].")


def _config_error(error: Any) -> ConfigError:
    """pydantic's first error as ours: the dotted key and a reason in the file's words."""
    loc: tuple[str | int, ...] = error["loc"]
    hint: Any = Config
    dotted, depth = "", 0
    for part in loc:  # walk the fields; what is left names a list item or a union member
        if isinstance(part, str) and _is_section(hint) and part in _fields(hint):
            hint, dotted = _fields(hint)[part], f"{dotted}.{part}" if dotted else part
        elif isinstance(part, int) and _table_list_item(hint) is not None:
            hint, dotted = _table_list_item(hint), f"{dotted}[{part}]"
        else:
            break
        depth += 1
    kind = error["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        known = ", ".join(sorted(_fields(hint))) if _is_section(hint) else ""
        return ConfigError(f"{dotted}.{loc[depth]}" if dotted else str(loc[depth]), f"unknown key (known: {known})")
    key = dotted or "<file>"
    if kind == "value_error":
        return ConfigError(key, str(error["ctx"]["error"]))
    if kind == "greater_than_equal" and error["ctx"]["ge"] == 0:
        return ConfigError(key, f"must not be negative, got {error['input']}")
    if kind == "greater_than" and error["ctx"]["gt"] == 0:
        return ConfigError(key, "must be greater than zero")
    if kind.startswith(("greater_than", "less_than")):
        return ConfigError(key, error["msg"])
    item = any(isinstance(part, int) for part in loc[depth:])  # a list's item: the list itself is not at hand
    return ConfigError(key, _expected(hint, None if item else error["input"]))


def _expected(hint: Any, raw: Any) -> str:
    if _is_section(hint):
        return "expected a table"
    if _table_list_item(hint) is not None:
        return "expected a list of tables ([[...]])"
    got = f", got {raw!r}" if raw is not None else ""
    if get_origin(hint) is tuple:
        return f"expected a list of strings{got}"
    members = [a for a in get_args(hint) if a is not type(None)] if get_origin(hint) in (Union, types.UnionType) \
        else [hint]
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return f"expected {' or '.join(names.get(m, getattr(m, '__name__', str(m))) for m in members)}{got}"


def _is_section(hint: Any) -> bool:
    return dataclasses.is_dataclass(hint) and isinstance(hint, type)


def _table_list_item(hint: Any) -> Any:
    args = get_args(hint)
    return args[0] if get_origin(hint) is tuple and args and _is_section(args[0]) else None


def _fields(cls: type[Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def _check(config: Config) -> None:
    """The checks that span keys or name a set of values (the types and ranges are checked already)."""
    if not 0 < config.monitor.max_shrink < 1:
        raise ConfigError("monitor.max_shrink", "must be between 0 and 1")
    _check_http(config.web, "web.")
    _check_http(config.daemon, "daemon.")
    _check_queue(config.queue, "queue.")
    _check_schedule(config.schedule, "schedule.")
    for index, channel in enumerate(config.alerts.channels):
        _check_channel(channel, f"alerts.channels[{index}].")


def _check_schedule(section: ScheduleConfig, prefix: str) -> None:
    from newswatch.monitor.schedule.intervals import parse_ladder

    parse_ladder(section.articles, prefix + "articles")
    parse_ladder(section.removed, prefix + "removed")
    if not 0 < section.feeds_min_minutes <= section.feeds_minutes <= section.feeds_max_minutes:
        raise ConfigError(prefix + "feeds_minutes", "needs 0 < feeds_min_minutes <= feeds_minutes <= "
                                                      "feeds_max_minutes")


def _check_http(section: WebConfig | DaemonConfig, prefix: str) -> None:
    port, port_key = (section.port, "port") if isinstance(section, WebConfig) else (section.metrics_port,
                                                                                  "metrics_port")
    if port > 65535:
        raise ConfigError(prefix + port_key, f"not a TCP port (0-65535): {port}")
    host, host_key = (section.host, "host") if isinstance(section, WebConfig) else (section.metrics_host,
                                                                                  "metrics_host")
    if not host.strip():
        raise ConfigError(prefix + host_key, "must name an address, e.g. 127.0.0.1")
    if isinstance(section, WebConfig):
        if not section.token_env.strip():
            raise ConfigError(prefix + "token_env", "must name an environment variable")
        for key in ("page_size", "feed_size"):
            if not 1 <= getattr(section, key) <= 200:
                raise ConfigError(prefix + key, f"must be between 1 and 200, got {getattr(section, key)}")


def _check_queue(section: QueueConfig, prefix: str) -> None:
    if not section.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(prefix + "redis_url", f"not a redis://, rediss:// or unix:// URL: {section.redis_url!r}")
    if not section.queue_name.strip():
        raise ConfigError(prefix + "queue_name", "must not be empty")
    for key, low, high in (("max_tries", 1, 100), ("worker_concurrency", 1, 64)):
        if not low <= getattr(section, key) <= high:
            raise ConfigError(prefix + key, f"must be between {low} and {high}, got {getattr(section, key)}")
    for key in ("job_timeout_seconds", "heartbeat_seconds", "dispatch_seconds"):
        if getattr(section, key) <= 0:
            raise ConfigError(prefix + key, "must be greater than zero")


def _check_channel(channel: ChannelConfig, prefix: str) -> None:
    if not channel.name:
        raise ConfigError(prefix + "name", "every channel needs a name")
    if channel.security not in ("starttls", "tls", "none"):
        raise ConfigError(prefix + "security", f"expected starttls, tls or none, got {channel.security!r}")
    digest_of(channel, prefix.rstrip("."))
    if channel.signing not in SIGNINGS:
        raise ConfigError(prefix + "signing", f"expected one of {', '.join(SIGNINGS)}, got {channel.signing!r}")
