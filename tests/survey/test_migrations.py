"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from survey.db import create_db_engine
from tests.conftest import BOTH_DATABASES


@BOTH_DATABASES
def test_migrations_match_the_models(database_url):
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()

    assert differences == [], "write a migration: viktigt db revision -m '…'"
