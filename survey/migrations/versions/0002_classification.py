"""classification

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "classification",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("classified_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id"),
    )
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_classification_model_version"), ["model_version"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_classification_uncertain"), ["uncertain"], unique=False
        )

    op.create_table(
        "responselabel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "label"),
    )
    with op.batch_alter_table("responselabel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responselabel_dimension"), ["dimension"], unique=False)
        batch_op.create_index(batch_op.f("ix_responselabel_label"), ["label"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_responselabel_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("responselabel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responselabel_response_id"))
        batch_op.drop_index(batch_op.f("ix_responselabel_label"))
        batch_op.drop_index(batch_op.f("ix_responselabel_dimension"))

    op.drop_table("responselabel")
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_uncertain"))
        batch_op.drop_index(batch_op.f("ix_classification_model_version"))

    op.drop_table("classification")
