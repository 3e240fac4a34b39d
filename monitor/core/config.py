"""Configuration: one TOML file (``newswatch.toml``), validated at start, with documented defaults.

Every key is optional; running with no file at all uses the defaults below. Unknown keys, wrong
types and out-of-range values are errors that name the key (``crawl.download_delay: ...``).
Any key can be overridden from the environment, ``NEWSWATCH_<SECTION>__<KEY>``, validated the same
way, errors naming the variable (:mod:`monitor.core.overrides`); ``Config.origins`` says where each
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
import ipaddress
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from monitor.alerts.digest import digest_of
from monitor.alerts.secrets import Secrets
from monitor.alerts.settings import AlertsConfig, ChannelConfig
from monitor.alerts.signing import SIGNINGS
from monitor.core.overrides import Override, apply_overrides
from storage.engine import sqlite_url
from storage.errors import ConfigError

DEFAULT_FILE = "newswatch.toml"
SECRET_KEYS = {"password": "password_env", "secret": "secret_env"}


@dataclass(frozen=True)
class RetentionConfig:
    """What ``newswatch prune`` and the daemon's daily prune may forget (0 = keep everything)."""

    raw_pages: int = 0  # raw HTML of the newest N fetches per article (versions and anomalies) is kept
    outbox_days: float = 0.0  # sent alert rows delivered longer ago than this are deleted
    runs_days: float = 0.0  # crawl run rows finished longer ago than this are deleted


@dataclass(frozen=True)
class StorageConfig:
    data_dir: str = "data"  # SQLite file, state and logs live here
    database_url: str = ""  # empty: sqlite:///<data_dir>/newswatch.db
    corpus_dir: str = "data/corpus"  # where new articles and changes/ are written
    seeds_dir: str = "seeds"  # the seed corpus and its source registry
    retention: RetentionConfig = RetentionConfig()


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = "newswatch/0.1"
    contact_url: str = "https://github.com/newswatch/newswatch"
    obey_robots: bool = True
    allow_networks: tuple[str, ...] = ()  # private networks that may be fetched (tests: 127.0.0.0/8)
    dns_servers: tuple[str, ...] = ()  # "host:port" DNS servers the crawl asks; empty: the system's resolver
    concurrency: int = 16  # requests in flight at once, all sites together (a waiting retry takes none)
    concurrency_per_domain: int = 2
    download_delay: float = 1.0  # seconds between requests to one domain (AutoThrottle start)
    download_timeout: float = 30.0
    retries: int = 2
    retry_after_max: float = 120.0  # seconds; a longer Retry-After is not waited for (the next run retries)
    max_page_bytes: int = 5 * 1024 * 1024
    max_feed_bytes: int = 2 * 1024 * 1024
    max_sitemap_bytes: int = 50 * 1024 * 1024  # the sitemap protocol's limit (uncompressed, .gz too)
    max_depth: int = 2  # link following from section pages
    max_pages_per_site: int = 200
    closespider_timeout: int = 900  # a crawl that hangs is bounded
    extract_workers: int | None = None  # extraction processes; None: one per core; 0 or 1: in-process


@dataclass(frozen=True)
class TopicConfig:
    keywords: tuple[str, ...] = ()  # empty: the keywords file shipped in seeds/ (topics.toml)


@dataclass(frozen=True)
class MonitorConfig:
    max_shrink: float = 0.5  # a body losing more than this share is an anomaly, not a change


@dataclass(frozen=True)
class ScheduleConfig:
    """How often the daemon does what (the one-shot ``run`` uses only the article ladder)."""

    feeds_minutes: float = 30.0  # section pages and feeds of each source; adapts between the bounds
    feeds_min_minutes: float = 10.0
    feeds_max_minutes: float = 240.0
    sitemaps_hours: float = 24.0  # sitemaps and sitemap indexes (with robots.txt)
    articles: tuple[str, ...] = ("3h=15m", "1d=1h", "3d=3h", "7d=1d", "30d=7d")  # AGE=EVERY, then stop
    removed: tuple[str, ...] = ("1d=6h", "7d=1d", "90d=7d")  # removed articles: AGE since removal=EVERY
    recheck_minutes: float = 5.0  # how often the daemon looks for articles due by the ladder
    alerts_seconds: float = 30.0  # the outbox worker's period
    seeds_minutes: float = 60.0  # new seed documents are imported this often
    prune_hours: float = 24.0  # storage.retention is applied this often
    jitter_seconds: float = 60.0
    restart_spread_minutes: float = 10.0  # after a restart, overdue work is spread over this window


@dataclass(frozen=True)
class DaemonConfig:
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8089  # /healthz and /metrics (Prometheus); 0 = off
    shutdown_seconds: float = 30.0  # SIGTERM: in-flight work gets this long, then is abandoned


@dataclass(frozen=True)
class QueueConfig:
    """Crawl workers on arq (Redis): ``daemon --role scheduler`` enqueues, ``newswatch worker`` crawls.
    Unused (Redis not needed) by the single-process daemon and by ``run``."""

    redis_url: str = "redis://127.0.0.1:6379/0"  # redis://, rediss:// (TLS) or unix://
    queue_name: str = "newswatch:queue"
    job_timeout_seconds: float = 1200.0  # a job's lease: a killed worker's job runs again after it (+10 s)
    max_tries: int = 3  # a job whose worker died this often is given up (the next plan enqueues it anew)
    worker_concurrency: int = 2  # crawls one worker runs at once (each of another site)
    heartbeat_seconds: float = 10.0  # how often a worker says it is alive (status, /metrics)
    dispatch_seconds: float = 5.0  # how often the scheduler retries work it could not enqueue yet


@dataclass(frozen=True)
class WebConfig:
    """The read-only web view (``newswatch serve``; the daemon serves it on its own port too)."""

    host: str = "127.0.0.1"  # another address needs the credential in token_env
    port: int = 8090  # newswatch serve
    token_env: str = "NEWSWATCH_WEB_TOKEN"  # environment variable holding the token / basic-auth password
    in_daemon: bool = True  # the daemon serves the view on daemon.metrics_host:metrics_port
    page_size: int = 50  # items per page (view and API)
    feed_size: int = 50  # entries per Atom feed


@dataclass(frozen=True)
class Config:
    storage: StorageConfig = StorageConfig()
    crawl: CrawlConfig = CrawlConfig()
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
        config: Config = _build(Config, data, "")
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


def _build(cls: type[Any], data: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(prefix.rstrip(".") or "<file>", "expected a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        dotted = prefix + key
        if key in SECRET_KEYS:
            raise ConfigError(dotted, f"secrets are not read from the file: name an environment variable "
                                      f"with {SECRET_KEYS[key]} and set it there")
        if key not in fields:
            raise ConfigError(dotted, f"unknown key (known: {', '.join(sorted(fields))})")
        values[key] = _convert(hints[key], raw, dotted)
    built = cls(**values)
    _check_ranges(built, prefix)
    return built


def _convert(hint: Any, raw: Any, dotted: str) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, raw, dotted + ".")
    origin = get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(get_args(hint)[0]):
        item = get_args(hint)[0]
        if not isinstance(raw, list):
            raise ConfigError(dotted, "expected a list of tables ([[...]])")
        return tuple(_build(item, entry, f"{dotted}[{index}].") for index, entry in enumerate(raw))
    if origin is tuple:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(dotted, f"expected a list of strings, got {raw!r}")
        return tuple(raw)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(hint) if a is not type(None)]
        hint = next((m for m in members if isinstance(raw, m) and not (m is int and isinstance(raw, bool))),
                    members[0])
        if len(members) > 1 and not isinstance(raw, hint):
            raise ConfigError(dotted, f"expected {' or '.join(_type_name(m) for m in members)}, got {raw!r}")
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
        for name in ("concurrency", "concurrency_per_domain", "max_page_bytes", "max_feed_bytes", "max_sitemap_bytes",
                     "download_timeout"):
            if getattr(section, name) <= 0:
                raise ConfigError(prefix + name, "must be greater than zero")
    if isinstance(section, CrawlConfig):
        _check_networks(section.allow_networks, prefix + "allow_networks")
        _check_servers(section.dns_servers, prefix + "dns_servers")
    if isinstance(section, ChannelConfig):
        _check_channel(section, prefix)
    if isinstance(section, MonitorConfig) and not 0 < section.max_shrink < 1:
        raise ConfigError(prefix + "max_shrink", "must be between 0 and 1")
    if isinstance(section, WebConfig | DaemonConfig):
        _check_http(section, prefix)
    if isinstance(section, QueueConfig):
        _check_queue(section, prefix)
    if isinstance(section, ScheduleConfig):
        from monitor.core.schedule import parse_ladder

        parse_ladder(section.articles, prefix + "articles")
        parse_ladder(section.removed, prefix + "removed")
        if section.prune_hours <= 0:
            raise ConfigError(prefix + "prune_hours", "must be greater than zero")
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


def _check_networks(values: tuple[str, ...], key: str) -> None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ConfigError(key, f"not a network (CIDR like 127.0.0.0/8): {value!r}") from exc


def _check_servers(values: tuple[str, ...], key: str) -> None:
    from crawler.netguard import parse_servers

    try:
        parse_servers(values)
    except ValueError as exc:
        raise ConfigError(key, str(exc)) from exc


def _check_channel(channel: ChannelConfig, prefix: str) -> None:
    if not channel.name:
        raise ConfigError(prefix + "name", "every channel needs a name")
    if channel.security not in ("starttls", "tls", "none"):
        raise ConfigError(prefix + "security", f"expected starttls, tls or none, got {channel.security!r}")
    digest_of(channel, prefix.rstrip("."))
    if channel.signing not in SIGNINGS:
        raise ConfigError(prefix + "signing", f"expected one of {', '.join(SIGNINGS)}, got {channel.signing!r}")
