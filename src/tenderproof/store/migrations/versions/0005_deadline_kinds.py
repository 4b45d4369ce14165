"""Deadline kinds name their subject (a protest, a stay): widen the column.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadlines") as batch:
        batch.alter_column("kind", type_=sa.String(200), existing_type=sa.String(40), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("deadlines") as batch:
        batch.alter_column("kind", type_=sa.String(40), existing_type=sa.String(200), existing_nullable=False)
