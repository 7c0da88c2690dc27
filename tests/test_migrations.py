"""The migrations, on the database of the pass (SQLite, or PostgreSQL with TOASOAN_TEST_DATABASE=postgres):
up from empty, down to nothing, up again, and the schema they make is the one the models describe."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from newsroom.db import make_engine
from newsroom.records import Base


def alembic(engine, *steps: tuple[str, str]) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("newsroom.migrations")))
    for step, revision in steps:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, step)(cfg, revision)


def differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def test_upgrade_downgrade_upgrade_and_the_models_match(tmp_path, new_database):
    engine = make_engine(new_database(migrated=False) or f"sqlite:///{tmp_path / 'toasoan.db'}")
    try:
        alembic(engine, ("upgrade", "head"))
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert differences(engine) == []
        alembic(engine, ("downgrade", "base"))
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        alembic(engine, ("upgrade", "head"))
        assert set(inspect(engine).get_table_names()) == tables
        assert differences(engine) == []
    finally:
        engine.dispose()
