"""Procurement: projections (tenders, events, deadlines, OCDS releases) and private state.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenders",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(40), nullable=False, index=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("ledger_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tender_id", sa.String(100), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("time", sa.String(30), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.UniqueConstraint("tender_id", "seq", name="uq_events_tender_seq"),
    )
    op.create_table(
        "deadlines",
        sa.Column("tender_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("due", sa.String(30), nullable=False, index=True),
    )
    op.create_table(
        "ocds_releases",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("tender_id", sa.String(100), nullable=False, index=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, index=True),
        sa.Column("release", sa.Text, nullable=False),
    )
    op.create_table(
        "confidential",
        sa.Column("commitment", sa.String(80), primary_key=True),
        sa.Column("tender_id", sa.String(100), nullable=False, index=True),
        sa.Column("salt", sa.LargeBinary(32), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_table(
        "officials",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "key_shares",
        sa.Column("tender_id", sa.String(100), primary_key=True),
        sa.Column("official", sa.String(100), primary_key=True),
        sa.Column("share", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for name in ("key_shares", "officials", "confidential", "ocds_releases", "deadlines", "events", "tenders"):
        op.drop_table(name)
