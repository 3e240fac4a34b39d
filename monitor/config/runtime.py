"""What a command opens: storage (the engine, the session factory, the schema check), and the limits
of a single guarded fetch (``newswatch extract URL``, ``sources add``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.config.model import Config
from newswatch.monitor.config.paths import check_storage_paths
from newswatch.storage.engine import make_engine, session_factory, worker_engine
from newswatch.storage.migrate_state import require_current

if TYPE_CHECKING:  # the fetch (http.client, ssl) is loaded by the commands that fetch one page
    from newswatch.crawler.fetch.single import FetchLimits


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessions: sessionmaker[Session]
    writers: list[Engine] = field(default_factory=list, compare=False, repr=False)  # the crawls' engine, once made

    def writer(self) -> Engine:
        """The engine every crawl of this storage records with: on a server database this one; on SQLite one
        engine beside it (``storage.engine.worker_engine``: a batch begins with the write lock, on the
        crawl's recording thread), made at the first crawl and kept until :meth:`close`."""
        if self.engine.dialect.name != "sqlite":
            return self.engine
        if not self.writers:
            self.writers.append(worker_engine(self.engine.url.render_as_string(hide_password=False)))
        return self.writers[0]

    def close(self) -> None:
        for writer in self.writers:
            writer.dispose()
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
