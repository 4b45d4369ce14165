"""Search (issue 13): a tender's public dates, value and currency as columns of `tenders`, each
sort with its (column, id) index, and `tender_terms`, the words a tender is found by per field.

The new columns and table are projections: an older database's are filled by `tenderproof
rebuild` after this migration (until then its tenders are found by title and id only, as before).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (("published", sa.String(30), ""), ("tender_end", sa.String(30), ""), ("awarded", sa.String(30), ""),
            ("amount", sa.Float(), "0"), ("currency", sa.String(3), ""))
_SORTS = ("published", "tender_end", "awarded", "amount", "title")


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        for name, type_, default in _COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    for name in _SORTS:
        op.create_index(f"ix_tenders_{name}", "tenders", [name, "id"])
    op.create_table(
        "tender_terms",
        sa.Column("tender_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        # Compared by code point, so a prefix is a range of the index (store/schema.py TERM).
        sa.Column("term", sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql"), primary_key=True),
    )
    op.create_index("ix_tender_terms_lookup", "tender_terms", ["kind", "term", "tender_id"])


def downgrade() -> None:
    op.drop_index("ix_tender_terms_lookup", "tender_terms")
    op.drop_table("tender_terms")
    for name in _SORTS:
        op.drop_index(f"ix_tenders_{name}", "tenders")
    with op.batch_alter_table("tenders") as batch:
        for name, _, _ in reversed(_COLUMNS):
            batch.drop_column(name)
