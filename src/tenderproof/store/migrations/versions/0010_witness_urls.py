"""Witnesses online (issue 15): the URL each witness serves add-checkpoint under, and the quorum
the operator chose for the log's tlog-policy (ledger/tables.py).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("log_witnesses", sa.Column("url", sa.Text, nullable=True))
    op.create_table(
        "log_policy",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("quorum", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_policy")
    with op.batch_alter_table("log_witnesses") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("url")
