"""Alembic environment: runs against the connection handed over by survey.migrate."""

from alembic import context
from sqlmodel import SQLModel

import survey.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `viktigt db upgrade`, which provides the connection.")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
