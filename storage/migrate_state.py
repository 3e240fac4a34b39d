"""Where the schema stands, without Alembic: the revision a database is at (its ``alembic_version``
row, read with plain SQL) against :data:`HEAD_REVISION`, the newest revision the code knows.

Every command that opens storage checks the schema; importing Alembic for that took ~80 ms of a run with
nothing to do. Alembic is imported only to migrate (:mod:`storage.migrate`); a test keeps
:data:`HEAD_REVISION` equal to the head of ``storage/migrations``.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from newswatch.storage.engine import error_reason
from newswatch.storage.errors import MigrationError, StorageError

HEAD_REVISION = "0009"  # the newest file in storage/migrations/versions (tests/storage check it)
VERSION_TABLE = "alembic_version"  # Alembic's default version table (storage/migrations/env.py keeps it)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated). Like Alembic's
    ``MigrationContext.get_current_revision``: a version table with several rows is an error."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except SQLAlchemyError as exc:
        raise StorageError(f"database unreachable at {engine.url.render_as_string()}: {error_reason(exc)}") from exc
    if len(rows) > 1:
        raise MigrationError(f"database schema has several revisions ({', '.join(map(str, rows))}): "
                             "run `newswatch db upgrade`")
    return str(rows[0]) if rows else None


def require_current(engine: Engine) -> None:
    """Raise :class:`MigrationError` unless the database is at :data:`HEAD_REVISION`."""
    current = current_revision(engine)
    if current != HEAD_REVISION:
        raise MigrationError(
            f"database schema is at {current or 'nothing'}, expected {HEAD_REVISION}: run `newswatch db upgrade`"
        )
