"""A throw-away newswatch installation for tests: config file, seeds folder, SQLite database, corpus.

    workspace = Workspace(tmp_path / "newswatch")
    workspace.add_seeds(Path("tests/seeds/001_0123456789abcdef.txt"))   # optional: copies
    workspace.set_sources({"Example News": "https://news.example.org/"})
    workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})      # any newswatch.toml key
    workspace.newswatch("db", "upgrade")                                 # the CLI, on this workspace

Layout under ``root``: ``newswatch.toml``, ``seeds/`` (seed documents and ``sources.toml``),
``data/newswatch.db`` and ``data/corpus/`` (``changes/`` inside). The config differs from newswatch's
defaults in two ways, both for replays: every stored article is re-checked on every run
(``schedule.articles = ["3650d=0s"]``, and ``schedule.removed`` alike, so a second replay sees what
changed)
``crawl.download_delay = 0`` (a cassette needs no politeness; a recording keeps the polite default).

Sources given to :meth:`Workspace.set_sources` are written to the registry (``seeds/sources.toml``),
which a run crawls whole. Commands run as child processes of the current Python (``sys.executable``),
with the workspace's config and none of the caller's ``NEWSWATCH_*`` variables (``NEWSWATCH_CONFIG``,
``NEWSWATCH_DATABASE_URL``, overrides, secrets). Before the first one that needs the database the
migrations are applied here, in this process (what ``newswatch db upgrade`` does, without a child process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from newswatch.monitor.testing.channels import ChannelLike, ChannelSpec, ConfigValue, channel_specs
from newswatch.monitor.testing.tomltext import table
from newswatch.storage.errors import ConfigError, ReplayError

CONFIG_FILE = "newswatch.toml"
REGISTRY_FILE = "sources.toml"
DEFAULT_TIMEOUT = 600.0
CALLER_ENV_PREFIX = "NEWSWATCH_"  # the caller's config file, database, overrides and secrets stay out
_MAIN = "import sys; from newswatch.monitor.cli.main import main; sys.argv[0] = 'newswatch'; main()"
DEFAULTS: Mapping[str, Mapping[str, ConfigValue]] = MappingProxyType({
    "storage": {"data_dir": "data", "corpus_dir": "data/corpus", "seeds_dir": "seeds"},
    "schedule": {"articles": ("3650d=0s",), "removed": ("3650d=0s",)},  # re-check every stored article every run
})
_PLACE = "the workspace keeps its database, corpus and seeds under its root (results are read from there)"
OWNED: Mapping[str, Mapping[str, str]] = MappingProxyType({  # keys configure() refuses, and why
    "storage": {key: _PLACE for key in ("data_dir", "database_url", "corpus_dir", "seeds_dir")},
    "alerts": {"channels": "give channels with channels=[...] or set_channels()"},
})
REPLAY_DEFAULTS: Mapping[str, Mapping[str, ConfigValue]] = MappingProxyType({"crawl": {"download_delay": 0.0}})


@dataclass(frozen=True)
class Source:
    """A registry entry (``seeds/sources.toml``): a site and any feeds, sitemaps or section pages."""

    name: str
    site: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()

    def entry(self) -> dict[str, ConfigValue]:
        found: dict[str, ConfigValue] = {"name": self.name}
        if self.site:
            found["site"] = self.site
        found.update({k: v for k, v in (("feeds", self.feeds), ("sitemaps", self.sitemaps),
                                        ("pages", self.pages)) if v})
        return found


SourcesLike = Mapping[str, str] | Sequence[Source]


def as_sources(sources: SourcesLike) -> tuple[Source, ...]:
    """``{"name": "https://site/"}`` or :class:`Source` values, checked: names unique and not empty."""
    found = tuple(Source(n, s) for n, s in sources.items()) if isinstance(sources, Mapping) else tuple(sources)
    for index, source in enumerate(found):
        if not isinstance(source, Source) or not source.name.strip():
            raise ConfigError(f"sources[{index}]", f"expected a Source with a name, got {source!r}")
        if not (source.site or source.feeds or source.sitemaps or source.pages):
            raise ConfigError(f"sources[{index}]", f"{source.name!r} has no site, feeds, sitemaps or pages")
        if source.name in [s.name for s in found[:index]]:
            raise ConfigError(f"sources[{index}].name", f"two sources are called {source.name!r}")
    return found


class Workspace:
    """See the module doc. Nothing is written outside ``root``."""

    def __init__(self, root: Path, seeds: Iterable[Path] = ()) -> None:
        self.root = root.resolve()
        self.seeds_dir.mkdir(parents=True, exist_ok=True)
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        self._overrides: dict[str, dict[str, object]] = {}
        self._channels: tuple[ChannelSpec, ...] = ()
        self._sources: tuple[Source, ...] = ()
        self._schema_ready = False
        self.add_seeds(*seeds)
        self.write_config()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # -- layout ------------------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def corpus_dir(self) -> Path:
        return self.data_dir / "corpus"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "newswatch.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"

    @property
    def sources(self) -> tuple[Source, ...]:
        return self._sources

    @property
    def channels(self) -> tuple[ChannelSpec, ...]:
        return self._channels

    # -- what to crawl -----------------------------------------------------------------------------------
    def add_seeds(self, *paths: Path) -> tuple[Path, ...]:
        """Copy seed documents (``*.txt``) into ``seeds/``, keeping their names; returns the copies."""
        copies = []
        for path in map(Path, paths):
            if not path.is_file() or path.suffix != ".txt":
                raise ConfigError(f"seeds: {path}", "expected an existing seed document (*.txt)")
            target = self.seeds_dir / path.name
            if target.exists():
                raise ConfigError(f"seeds: {path}", f"the workspace already has a seed called {path.name}")
            shutil.copyfile(path, target)
            copies.append(target)
        return tuple(copies)

    def set_sources(self, sources: SourcesLike) -> None:
        """Write the source registry, replacing the previous one."""
        found = as_sources(sources)
        entries = "\n".join(table("source", s.entry(), f"sources[{i}]", array=True) for i, s in enumerate(found))
        (self.seeds_dir / REGISTRY_FILE).write_text(entries, encoding="utf-8")
        self._sources = found

    def set_channels(self, channels: Sequence[ChannelLike]) -> None:
        """The alert channels of the next runs (replacing the previous ones)."""
        self._channels = channel_specs(channels)

    def configure(self, **sections: Mapping[str, object]) -> None:
        """Set ``newswatch.toml`` keys, e.g. ``configure(crawl={"allow_networks": ["127.0.0.0/8"]})``;
        newswatch validates them when a command runs (its error names the key)."""
        for section, values in sections.items():
            if not isinstance(values, Mapping):
                raise ConfigError(section, f"expected a table of keys, got {values!r}")
            owned = sorted(set(values) & set(OWNED.get(section, ())))
            if owned:
                raise ConfigError(f"{section}.{owned[0]}", OWNED[section][owned[0]])
            self._overrides.setdefault(section, {}).update(values)

    # -- files and commands --------------------------------------------------------------------------------
    def config_text(self, replaying: bool = True) -> str:
        """The ``newswatch.toml`` the next command reads (pure but for the workspace's state)."""
        sections: dict[str, dict[str, object]] = {k: dict(v) for k, v in DEFAULTS.items()}
        for name, defaults in (REPLAY_DEFAULTS if replaying else {}).items():
            sections.setdefault(name, {}).update(defaults)
        for name, overrides in self._overrides.items():
            sections.setdefault(name, {}).update(overrides)
        parts = [table(name, entries, name) for name, entries in sections.items()]
        parts += [table("alerts.channels", c.table, f"channels[{i}]", array=True)
                  for i, c in enumerate(self._channels)]
        return "# written by newswatch's pytest plugin (monitor.testing)\n" + "\n".join(parts)

    def write_config(self, replaying: bool = True) -> Path:
        self.config_path.write_text(self.config_text(replaying), encoding="utf-8")
        return self.config_path

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's environment: the caller's without any ``NEWSWATCH_*`` variable (config file, database,
        ``NEWSWATCH_<SECTION>__<KEY>`` overrides, secrets), plus the channels' secrets and ``extra``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(CALLER_ENV_PREFIX)}
        for channel in self._channels:
            env.update(channel.env)
        env.update(extra or {})
        return env

    def newswatch(self, *args: str, env: Mapping[str, str] | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run ``newswatch --config <workspace config> ARGS...`` and return what it printed and its status
        (the schema is created first, for every command but ``db`` and ``config``)."""
        if args[:1] not in (("db",), ("config",)):
            self.ensure_schema()
        command = [sys.executable, "-c", _MAIN, "--config", str(self.config_path), *args]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root,
                                  env=self.environment(env), check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReplayError(f"newswatch {' '.join(args)} did not finish within {timeout:g} s") from exc

    def ensure_schema(self) -> None:
        """The migrations, once per workspace (``newswatch db upgrade``'s work, in this process: a child
        process costs seconds); ReplayError with the migration's message on failure."""
        if self._schema_ready:
            return
        from newswatch.storage.engine import make_engine  # loaded when a command first needs the database
        from newswatch.storage.errors import MigrationError
        from newswatch.storage.migrate import upgrade

        self.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.database_url)
        try:
            upgrade(engine)
        except MigrationError as exc:
            raise ReplayError(f"newswatch db upgrade failed: {exc}") from exc
        finally:
            engine.dispose()
        self._schema_ready = True
