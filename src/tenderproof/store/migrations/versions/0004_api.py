"""The API's doors: people, hashed bearer tokens, role grants, idempotency records.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(100), nullable=False, index=True),
        sa.Column("label", sa.String(200), nullable=False),
    )
    op.create_table(
        "grants",
        sa.Column("person_id", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(40), primary_key=True),
        sa.Column("tender_id", sa.String(100), primary_key=True),
    )
    op.create_table(
        "idempotency",
        sa.Column("person_id", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("idempotency", "grants", "api_tokens", "people"):
        op.drop_table(name)
