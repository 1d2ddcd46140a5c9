"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "barrierreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("page", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "survey",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("framework", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submission_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("on_behalf_of_other", sa.Boolean(), nullable=True),
        sa.Column("age_group", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("municipality", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_submitted_on"), ["submitted_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_response_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "likertanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "statement_id"),
    )
    with op.batch_alter_table("likertanswer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_likertanswer_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("likertanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_likertanswer_response_id"))

    op.drop_table("likertanswer")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_survey_id"))
        batch_op.drop_index(batch_op.f("ix_response_submitted_on"))

    op.drop_table("response")
    op.drop_table("survey")
    op.drop_table("barrierreport")
