"""What a command opens: storage (the engine, the session factory, the schema check), and the limits
of a single guarded fetch (``newswatch extract URL``, ``sources add``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.config.model import Config
from newswatch.monitor.config.paths import check_storage_paths
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.migrate_state import require_current

if TYPE_CHECKING:  # the fetch (http.client, ssl) is loaded by the commands that fetch one page
    from newswatch.crawler.fetch.single import FetchLimits


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def open_storage(config: Config, check_schema: bool = True) -> Storage:
    """The configured database; with ``check_schema`` it must be migrated to the newest revision.

    Every command opens storage here, so every command checks its paths alike (``storage.data_dir`` a
    folder or creatable, a SQLite file's folder too): a ConfigError naming the key, never a traceback."""
    check_storage_paths(config)
    engine = make_engine(config.database_url)
    if check_schema:
        try:
            require_current(engine)
        except BaseException:
            engine.dispose()
            raise
    return Storage(engine, session_factory(engine))


def fetch_limits(config: Config) -> FetchLimits:
    """The crawl's guard and caps for one page fetched outside a crawl."""
    from newswatch.crawler.fetch.single import FetchLimits

    crawl = config.crawl
    agent = f"{crawl.user_agent} (+{crawl.contact_url})" if crawl.contact_url else crawl.user_agent
    return FetchLimits(crawl.allow_networks, crawl.max_page_bytes, crawl.download_timeout, agent)
