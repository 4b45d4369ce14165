"""The witnesses a log asks for cosignatures.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_witnesses",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("vkey", sa.Text, nullable=False, unique=True),
    )


def downgrade() -> None:
    op.drop_table("log_witnesses")
