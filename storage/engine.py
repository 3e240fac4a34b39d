"""Engines and sessions. SQLite (the default) gets WAL mode, foreign keys and a busy timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageError


def sqlite_url(data_dir: Path) -> str:
    """The default database: ``<data_dir>/newswatch.db``."""
    return f"sqlite:///{(data_dir / 'newswatch.db').resolve()}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get their folder created and their pragmas."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("pool_pre_ping", True)  # a connection lost mid-run is replaced, not reused
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot create an engine for {parsed.render_as_string()}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (mapped to StorageError)."""
    session = factory()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageError(f"database error: {exc.__class__.__name__}: {exc}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
