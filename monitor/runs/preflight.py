"""The checks every command that crawls runs before it starts, and ``newswatch config`` runs alone.

One function, :func:`preflight`, so ``config`` says exactly what ``run`` and ``daemon`` would: the alert
channels are built (kinds known, URLs usable, secrets present in the environment), the folders are
usable (``storage.data_dir`` and ``storage.corpus_dir`` are folders, or can be created, and can be
written), the database URL works (scheme known, driver importable, one connection made within
``CONNECT_TIMEOUT`` seconds; a SQLite file that does not exist yet needs only a folder that can hold it),
and the source registry and topic keywords load (every noise rule compiled).
The first failure is a :class:`~storage.errors.ConfigError` naming its key, one line, nothing crawled.
Only the probes touch the disk: a temporary file created and removed in each folder (the only honest
test of "writable", also for root and read-only mounts); nothing is created otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from newswatch.monitor.alerts.registry import Channel, build_channels
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.paths import check_folder
from newswatch.monitor.sources.registry import Registry
from newswatch.storage.engine import database_path, probe_database
from newswatch.storage.errors import ConfigError, StorageError

CONNECT_TIMEOUT = 5.0  # seconds for the database probe


@dataclass(frozen=True)
class Ready:
    """What the checks built and a run goes on with."""

    channels: tuple[Channel, ...]


def preflight(config: Config, environ: Mapping[str, str] | None = None,
              connect_timeout: float = CONNECT_TIMEOUT) -> Ready:
    """Every check ``run`` needs before it crawls; the first failure raises ConfigError naming the key."""
    env = os.environ if environ is None else environ
    channels = build_channels(config.alerts, env)
    check_folder(config.path(config.storage.data_dir), "storage.data_dir")
    check_folder(config.path(config.storage.corpus_dir), "storage.corpus_dir")
    check_database(config, connect_timeout)
    check_sources(config)
    return Ready(channels)


def check_sources(config: Config) -> None:
    """The registry (``sources.toml``: every rule compiled) and the topic keywords load as ``run`` loads
    them; their errors name the file and the entry."""
    from newswatch.monitor.runs.run import keywords
    from newswatch.monitor.sources.registry import load_registry

    registry = load_registry(config.path(config.storage.seeds_dir))
    keywords(config)
    check_browser(registry)


def check_browser(registry: Registry) -> None:
    """A source with ``render = "browser"`` needs the system's Chromium (never downloaded by newswatch)."""
    from newswatch.crawler.fetch.render import NO_CHROMIUM, find_chromium

    rendered = [i for i, source in enumerate(registry.sources) if source.render == "browser"]
    if rendered and find_chromium() is None:
        raise ConfigError(f"sources.toml: source[{rendered[0]}].render", NO_CHROMIUM)


def check_database(config: Config, timeout: float) -> None:
    """The database URL works: a connection and a query, or (a SQLite file not made yet) a folder for it."""
    origin = dict(config.origins).get("storage.database_url", "")
    key = origin.removeprefix("env ") if origin.startswith("env ") else "storage.database_url"
    if not config.storage.database_url:
        key = "storage.data_dir"  # the default database lives there
    try:
        path = database_path(config.database_url)
        if path is not None and path.exists() and not path.is_file():
            raise ConfigError(key, f"the SQLite database {path} is not a file")
        if path is None or path.exists():
            probe_database(config.database_url, timeout)
    except StorageError as exc:
        raise ConfigError(key, str(exc)) from exc
    if path is not None and not path.exists():
        check_folder(path.parent, key)  # the first run creates the file there
