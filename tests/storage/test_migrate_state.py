"""The schema check without Alembic (storage.migrate_state) agrees with Alembic and refuses what it refused."""

from __future__ import annotations

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from newswatch.storage.errors import MigrationError
from newswatch.storage.migrate import downgrade, head_revision, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision, require_current


def _alembic_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_known_head_is_alembics_head() -> None:
    assert head_revision() == HEAD_REVISION


def test_a_current_schema_passes_and_reads_as_alembic_reads_it(engine: Engine) -> None:
    assert current_revision(engine) == _alembic_revision(engine) == HEAD_REVISION
    require_current(engine)


def test_an_older_schema_is_refused(engine: Engine) -> None:
    downgrade(engine, "0003")
    assert current_revision(engine) == _alembic_revision(engine) == "0003"
    with pytest.raises(MigrationError, match=r"at 0003, expected .*newswatch db upgrade"):
        require_current(engine)
    upgrade(engine)
    require_current(engine)


def test_a_never_migrated_database_is_refused(engine: Engine) -> None:
    downgrade(engine, "base")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    assert current_revision(engine) is None
    with pytest.raises(MigrationError, match="at nothing, expected"):
        require_current(engine)
    upgrade(engine)


def test_a_newer_schema_than_the_code_knows_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert current_revision(engine) == "9999"
    with pytest.raises(MigrationError, match="at 9999, expected"):
        require_current(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))


def test_several_revision_rows_are_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0003')"))
    with pytest.raises(MigrationError, match="several revisions"):
        require_current(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version WHERE version_num = '0003'"))
