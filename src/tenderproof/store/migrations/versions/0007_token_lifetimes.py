"""People and access (issue 11): bearer tokens get a public id, a creation time, an expiry and a
revocation time.

Tokens issued before this migration get a random id, the migration's time as their creation, and
no expiry (they were issued without one; revoke them with `tenderproof person revoke`).

Revision ID: 0007
Revises: 0006
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("created", sa.String(20), nullable=True))
        batch.add_column(sa.Column("expires", sa.String(20), nullable=True))
        batch.add_column(sa.Column("revoked", sa.String(20), nullable=True))
    conn = op.get_bind()
    tokens = sa.table("api_tokens", sa.column("token_sha256", sa.String), sa.column("id", sa.String),
                      sa.column("created", sa.String))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for (h,) in conn.execute(sa.select(tokens.c.token_sha256)).all():
        conn.execute(sa.update(tokens).where(tokens.c.token_sha256 == h).values(id="tok_" + secrets.token_hex(6),
                                                                                  created=now))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("id", existing_type=sa.String(40), nullable=False)
        batch.alter_column("created", existing_type=sa.String(20), nullable=False)
        batch.create_unique_constraint("uq_api_tokens_id", ["id"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("uq_api_tokens_id", type_="unique")
        for name in ("revoked", "expires", "created", "id"):
            batch.drop_column(name)
