"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import migrate
from storage.db import Database
from storage.models import EXPRESSION_INDEXES, metadata
from storage.repos import ideas


def _comparable(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


async def test_migrated_schema_matches_models(db: Database) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        opts = {"compare_type": True, "include_object": _comparable}
        context = MigrationContext.configure(connection, opts=opts)
        with warnings.catch_warnings():
            # SQLite's reflection cannot read expression indexes; they are checked below.
            warnings.filterwarnings("ignore", ".*expression-based index")
            return compare_metadata(context, metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_upgrade_is_idempotent(db: Database) -> None:
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_expression_indexes_exist_and_the_top_listing_reads_its_index(db: Database) -> None:
    async with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'idea'"
            )
            compiled = ideas._TOP_FLAT.compile(dialect=conn.dialect)
            plan = await conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled.string}", ("open", 10, 0)
            )
            steps = " ".join(str(row[-1]) for row in plan)
            assert "ix_idea_open_top" in steps and "TEMP B-TREE" not in steps
        else:
            names = await conn.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'idea'")
            )
        assert EXPRESSION_INDEXES <= {row[0] for row in names}
