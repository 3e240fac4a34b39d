"""Alembic migrations, run from code: ``newswatch db upgrade`` calls :func:`upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import error_reason
from storage.errors import MigrationError, StorageError
from storage.lock import migration_lock

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent). Upgrades of one database take turns
    (:func:`storage.lock.migration_lock`): the next one finds the schema current and does nothing."""
    try:
        with migration_lock(engine):
            command.upgrade(alembic_config(engine), revision)
    except (CommandError, SQLAlchemyError) as exc:
        raise MigrationError(f"schema upgrade failed: {exc}") from exc


def downgrade(engine: Engine, revision: str) -> None:
    try:
        with migration_lock(engine):
            command.downgrade(alembic_config(engine), revision)
    except (CommandError, SQLAlchemyError) as exc:
        raise MigrationError(f"schema downgrade failed: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StorageError(f"database unreachable at {engine.url.render_as_string()}: {error_reason(exc)}") from exc


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def require_current(engine: Engine) -> None:
    """Raise :class:`MigrationError` unless the database is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise MigrationError(
            f"database schema is at {current or 'nothing'}, expected {head}: run `newswatch db upgrade`"
        )
