"""The deadline rush (issue 10): a tender's growing collections as rows of their own, and
confidential parts sealed to the tender's opening key until the opening.

`tenders.state` now holds only the small core of a tender's state; bids, enquiries, refusals, …
are rows of `tender_rows`. Projections of an older database are rebuilt from the ledger with
`tenderproof rebuild` after this migration.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tender_rows",
        sa.Column("tender_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("row", sa.Text, nullable=False),
    )
    with op.batch_alter_table("confidential") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("until_opening", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("confidential") as batch:
        batch.drop_column("until_opening")
        batch.drop_column("sealed")
    op.drop_table("tender_rows")
