"""Opening storage for a command: the engine, the session factory, the schema check."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.config import Config
from storage.engine import make_engine, session_factory
from storage.migrate import require_current


@dataclass(frozen=True)
class Storage:
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def open_storage(config: Config, check_schema: bool = True) -> Storage:
    """The configured database; with ``check_schema`` it must be migrated to the newest revision."""
    engine = make_engine(config.database_url)
    if check_schema:
        try:
            require_current(engine)
        except BaseException:
            engine.dispose()
            raise
    return Storage(engine, session_factory(engine))
