"""The migrations build exactly the schema the code declares."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cityops.adapters.db.tables import metadata


def test_migrated_schema_matches_the_tables_in_code(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
