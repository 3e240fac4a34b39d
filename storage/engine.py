"""Engines and sessions. SQLite (the default) gets WAL mode, foreign keys and a busy timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from newswatch.storage.errors import StorageError


def sqlite_url(data_dir: Path) -> str:
    """The default database: ``<data_dir>/newswatch.db``."""
    return f"sqlite:///{(data_dir / 'newswatch.db').resolve()}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get their folder created and their pragmas."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder {folder} of the SQLite database: {exc}") from exc
    kwargs.setdefault("pool_pre_ping", True)  # a connection lost mid-run is replaced, not reused
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot create an engine for {parsed.render_as_string()}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


TIMEOUT_ARGUMENT = {"postgresql": "connect_timeout", "mysql": "connect_timeout", "sqlite": "timeout"}


def database_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and for in-memory SQLite)."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def probe_database(url: str, timeout: float = 5.0) -> None:
    """Connect once and run one query, waiting ``timeout`` seconds at most where the driver lets us say so;
    StorageError saying why the database is not usable (unknown scheme, driver missing, unreachable)."""
    parsed = _parse(url)
    argument = TIMEOUT_ARGUMENT.get(parsed.get_backend_name())
    options: dict[str, Any] = {"connect_args": {argument: max(1, round(timeout))}} if argument else {}
    engine = make_engine(url, **options)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StorageError(f"database unreachable at {parsed.render_as_string()}: {error_reason(exc)}") from exc
    finally:
        engine.dispose()


def error_reason(exc: SQLAlchemyError) -> str:
    """The first line of the driver's message: what a one-line error shows."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:300]


def _parse(url: str) -> Any:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"not a database URL: {url!r}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def worker_engine(url: str) -> Engine:
    """An engine for one writer thread that batches its work in transactions with savepoints.

    SQLite: usable from the thread that was not the one that made it, and the driver's own
    transaction handling off (it begins late and takes a SAVEPOINT for the transaction's start, so a
    RELEASE would commit): SQLAlchemy says ``BEGIN IMMEDIATE`` itself, taking the write lock at the start
    (waiting ``busy_timeout``), so a batch never fails half-way on a lock another writer took."""
    backend = _parse(url).get_backend_name()
    if backend != "sqlite":
        return make_engine(url)
    engine = make_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _driver_transactions_off)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def batch_ready(engine: Engine) -> bool:
    """Whether ``engine`` suits a writer thread's batches: any server database's; on SQLite a
    :func:`worker_engine` (the write lock at the start, the driver's own transaction handling off)."""
    return engine.dialect.name != "sqlite" or event.contains(engine, "begin", _begin_immediate)


def _driver_transactions_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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


def ping(session: Session) -> None:
    """Run ``SELECT 1`` in the session's transaction (raises ``SQLAlchemyError`` when it is unusable)."""
    session.execute(text("SELECT 1"))
