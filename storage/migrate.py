"""Alembic migrations, run from code: ``newswatch db upgrade`` calls :func:`upgrade`. Checking where
the schema stands needs no Alembic (:mod:`storage.migrate_state`: what every command does)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from newswatch.storage.errors import MigrationError
from newswatch.storage.lock import migration_lock
from newswatch.storage.migrate_state import current_revision, require_current

__all__ = ["current_revision", "downgrade", "head_revision", "require_current", "upgrade"]

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


def head_revision() -> str | None:
    """The newest revision of ``storage/migrations`` (what :data:`~storage.migrate_state.HEAD_REVISION`
    must name)."""
    return ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
