"""One run at a time per storage, one schema upgrade at a time: locks a killed process cannot leave stuck.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held for the
run; the server releases it when the connection ends, also when the process is killed. SQLite (and
anything file-based): ``flock`` on ``<database>.lock`` beside the database file, the file named by its
resolved real path (a symlink or ``..`` reaches the same lock); the kernel releases it when the process
dies. Either way a second run fails at once with :class:`RunLocked`.

:func:`migration_lock` serialises schema upgrades the same way (its own key and ``<database>.migrate.lock``)
but waits for its turn, up to ``timeout`` seconds: any number of ``newswatch db upgrade`` may start at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from newswatch.storage.errors import MigrationError, StorageError


class RunLocked(StorageError):
    """Another newswatch run holds the lock on this storage."""


def advisory_key(connection: Connection, name: str) -> int:
    """The advisory-lock key of ``name`` in the connection's schema (installs may share a database)."""
    return int(connection.execute(text("SELECT hashtextextended(current_schema() || ':' || :n, 0)"),
                                  {"n": name}).scalar_one())


@contextlib.contextmanager
def run_lock(engine: Engine, name: str = "newswatch.run") -> Iterator[None]:
    """Hold the run lock for the ``with`` block; raise :class:`RunLocked` when it is taken."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name):
            yield
        return
    path = lock_file(engine, ".lock")
    if path is None:
        yield
        return
    with _flock(path, name):
        yield


MIGRATION_TIMEOUT = 600.0  # seconds an upgrade waits for another one to finish


@contextlib.contextmanager
def migration_lock(engine: Engine, timeout: float = MIGRATION_TIMEOUT) -> Iterator[None]:
    """Hold the schema-upgrade lock for the ``with`` block, waiting up to ``timeout`` seconds for it."""
    if engine.dialect.name == "postgresql":
        with _advisory_wait(engine, "newswatch.migrate", timeout):
            yield
        return
    path = lock_file(engine, ".migrate.lock")
    if path is None:
        yield
        return
    with _flock_wait(path, timeout):
        yield


def lock_file(engine: Engine, suffix: str) -> Path | None:
    """``<database><suffix>`` beside the real database file (symlinks resolved); None without a file."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.dialect.name != "sqlite":
        return None
    real = Path(database).resolve()
    return real.with_name(real.name + suffix)


@contextlib.contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[None]:
    with engine.connect() as connection:
        key = advisory_key(connection, name)
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not taken:
            raise RunLocked("another newswatch run is using this database (PostgreSQL advisory lock held)")
        try:
            yield
        finally:
            with contextlib.suppress(SQLAlchemyError):  # a lost session has released its locks already
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()


@contextlib.contextmanager
def _flock(path: Path, name: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise RunLocked(f"another newswatch run (pid {holder}) is using {path.with_suffix('')}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {name}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_wait(engine: Engine, name: str, timeout: float) -> Iterator[None]:
    with engine.connect() as connection:
        key = advisory_key(connection, name)
        # SET LOCAL: the wait bound ends with this transaction, the session-level lock stays until unlocked
        connection.execute(text(f"SET LOCAL lock_timeout = {max(1, round(timeout * 1000))}"))
        try:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        except SQLAlchemyError as exc:
            raise MigrationError(f"another schema upgrade held the lock for more than {timeout:g} s") from exc
        connection.commit()
        try:
            yield
        finally:
            with contextlib.suppress(SQLAlchemyError):
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()


@contextlib.contextmanager
def _flock_wait(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise MigrationError(f"another schema upgrade held {path} for more than {timeout:g} s") from exc
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
