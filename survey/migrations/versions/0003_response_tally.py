"""response tally: answers counted per key, kept by triggers

Revision ID: 0003
Revises: 0002

The summary page counts a million answers in one pass over ix_response_summary; these tallies
hold the same counts per month, about a fifth as many rows. Triggers on ``response`` keep them,
so no code path can forget to: SQLite with row triggers, PostgreSQL with statement triggers
over the transition tables (one grouped upsert per statement, so a bulk COPY costs one).

A later migration that rebuilds ``response`` on SQLite (``batch_alter_table`` copies the table)
drops these triggers with it: it must call ``create_triggers`` again.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = "survey_id, has_free_text, label_mask, municipality, age_group, month, on_behalf"


def _key_values(row: str, dialect: str) -> str:
    """The tally key of a ``response`` row (``NEW``, ``OLD`` or a transition table's alias)."""
    month = (
        f"substr({row}.submitted_on, 1, 7)"
        if dialect == "sqlite"
        else f"to_char({row}.submitted_on, 'YYYY-MM')"
    )
    return (
        f"{row}.survey_id, {row}.has_free_text, {row}.label_mask, "
        f"coalesce({row}.municipality, ''), coalesce({row}.age_group, ''), {month}, "
        f"CASE WHEN {row}.on_behalf_of_other IS NULL THEN 0 "
        f"WHEN {row}.on_behalf_of_other THEN 2 ELSE 1 END"
    )


def _sqlite_add(row: str) -> str:
    return f"""
        INSERT INTO response_tally ({KEY}, answers) VALUES ({_key_values(row, "sqlite")}, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET answers = answers + 1;
    """


def _sqlite_remove(row: str) -> str:
    return f"""
        UPDATE response_tally SET answers = answers - 1
        WHERE ({KEY}) = ({_key_values(row, "sqlite")});
    """


SQLITE_TRIGGERS = (
    f"CREATE TRIGGER response_tally_insert AFTER INSERT ON response BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER response_tally_delete AFTER DELETE ON response "
    f"BEGIN {_sqlite_remove('OLD')} END",
    f"""
    CREATE TRIGGER response_tally_update
    AFTER UPDATE OF survey_id, submitted_on, municipality, age_group, on_behalf_of_other,
        has_free_text, label_mask ON response
    WHEN ({_key_values("OLD", "sqlite")}) IS NOT ({_key_values("NEW", "sqlite")})
    BEGIN {_sqlite_remove("OLD")} {_sqlite_add("NEW")} END
    """,
)


def _pg_add(table: str, sign: str) -> str:
    # Sorted by key, so that two transactions lock tally rows in the same order.
    return f"""
        INSERT INTO response_tally ({KEY}, answers)
        SELECT {_key_values("r", "postgresql")}, {sign}count(*) FROM {table} AS r
        GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ({KEY}) DO UPDATE SET answers = response_tally.answers + EXCLUDED.answers;
    """


POSTGRESQL_TRIGGERS = (
    f"""
    CREATE FUNCTION response_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_add("new_rows", "")} RETURN NULL; END $$
    """,
    f"""
    CREATE FUNCTION response_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_add("old_rows", "-")} RETURN NULL; END $$
    """,
    f"""
    CREATE FUNCTION response_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_add("old_rows", "-")} {_pg_add("new_rows", "")} RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER response_tally_insert AFTER INSERT ON response
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION response_tally_insert()
    """,
    """
    CREATE TRIGGER response_tally_delete AFTER DELETE ON response
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION response_tally_delete()
    """,
    """
    CREATE TRIGGER response_tally_update AFTER UPDATE ON response
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION response_tally_update()
    """,
)


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "response_tally",
        sa.Column("survey_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("has_free_text", sa.Boolean(), nullable=False),
        sa.Column("label_mask", sa.Integer(), nullable=False),
        sa.Column("municipality", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("age_group", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("on_behalf", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "survey_id",
            "has_free_text",
            "label_mask",
            "municipality",
            "age_group",
            "month",
            "on_behalf",
        ),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO response_tally ({KEY}, answers) "
        f"SELECT {_key_values('r', dialect)}, count(*) FROM response AS r "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    if dialect == "postgresql":
        op.execute("ANALYZE response_tally")  # plans for the summary from the first request
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER response_tally_{name}")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER response_tally_{name} ON response")
            op.execute(f"DROP FUNCTION response_tally_{name}()")
    op.drop_table("response_tally")
