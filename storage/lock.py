"""One run at a time per storage: a lock that a killed process cannot leave stuck.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held for the
run; the server releases it when the connection ends, also when the process is killed. SQLite (and
anything file-based): ``flock`` on ``<database>.lock`` beside the database file; the kernel releases
it when the process dies. Either way a second run fails at once with :class:`RunLocked`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.errors import StorageError


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
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with _flock(Path(database).with_suffix(Path(database).suffix + ".lock"), name):
        yield


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
