"""Webhooks (issue 13): subscriptions, their deliveries, and the cursor of matched events
(store/webhook_tables.py).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("person_id", sa.String(100), nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("tender_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("buyer_id", sa.String(200), nullable=False, server_default=""),
        sa.Column("event_types", sa.Text, nullable=False, server_default=""),
        sa.Column("after", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(30), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(40), nullable=False),
        sa.Column("ledger_index", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due", sa.String(30), nullable=False, index=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("updated", sa.String(30), nullable=False),
        sa.UniqueConstraint("subscription_id", "ledger_index", name="uq_webhook_deliveries_event"),
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("after", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursor")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
