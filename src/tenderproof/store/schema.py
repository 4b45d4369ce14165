"""The database tables, as SQLAlchemy Core metadata. Alembic migrations create them.

The ledger's tables (`ledger.tables`) hold only what is public: tiles (hashes and entry bundles),
the tree head and signed checkpoints with their cosignatures. The log's private key lives in the
data directory, never in the database.
"""

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, Text

# The log's own tables are the ledger's (it knows nothing of procurement, nor of this module); the
# procurement's tables join them in the one metadata, so one migration history covers the database.
from tenderproof.ledger.tables import log_checkpoints, log_cosignatures, log_head, log_tiles, log_witnesses, metadata

# --- procurement: projections (dropped and rebuilt from the ledger by `tenderproof rebuild`) ---

#: Current state of each tender, folded from its events (domain.state.evolve): the small core as
#: JSON; the collections that grow with activity are rows of `tender_rows`.
#: The search columns (issue 13) are the public fields a list is sorted and filtered by: dates
#: are RFC 3339 UTC or "" when not yet known; `amount` is the tender's estimated value as a float,
#: for ranges and ordering only (the exact decimal stays in `state`). Each sort has an index on
#: (column, id), for keyset paging in that order.
tenders = Table(
    "tenders",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("status", String(40), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("published", String(30), nullable=False, server_default=""),
    Column("tender_end", String(30), nullable=False, server_default=""),
    Column("awarded", String(30), nullable=False, server_default=""),
    Column("amount", sa.Float, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False, server_default=""),
    sa.Index("ix_tenders_published", "published", "id"),
    sa.Index("ix_tenders_tender_end", "tender_end", "id"),
    sa.Index("ix_tenders_awarded", "awarded", "id"),
    sa.Index("ix_tenders_amount", "amount", "id"),
    sa.Index("ix_tenders_title", "title", "id"),
)

#: A search term's column: compared by code point (PostgreSQL's "C" collation, SQLite's default
#: BINARY), so that a prefix is a range of the index: `prefix <= term < successor(prefix)`.
TERM = String(200).with_variant(String(200, collation="C"), "postgresql")

#: The words a tender is found by, per field (issue 13): `text` (title, description, id), `buyer`,
#: `supplier` (awarded), `bidder` (only from the opening on: before it who bid is sealed) and
#: `class` (items' classification scheme and id). Lower case, one word a row (app/search.py).
tender_terms = Table(
    "tender_terms",
    metadata,
    Column("tender_id", String(100), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("term", TERM, primary_key=True),
    sa.Index("ix_tender_terms_lookup", "kind", "term", "tender_id"),
)

#: One row of a tender's growing collections (domain.rows): a bid, an enquiry, a refusal, …
tender_rows = Table(
    "tender_rows",
    metadata,
    Column("tender_id", String(100), primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("row", Text, nullable=False),
)

#: Every procurement event, by ledger index: the public envelope exactly as logged.
events = Table(
    "events",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("tender_id", String(100), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(60), nullable=False),
    Column("time", String(30), nullable=False),
    Column("envelope", Text, nullable=False),
    sa.UniqueConstraint("tender_id", "seq", name="uq_events_tender_seq"),
)

#: Deadlines the worker must act on, soonest first (RFC 3339 UTC strings sort as times).
deadlines = Table(
    "deadlines",
    metadata,
    Column("tender_id", String(100), primary_key=True),
    Column("kind", String(200), primary_key=True),
    Column("due", String(30), nullable=False, index=True),
)

#: OCDS releases, one per public state change.
ocds_releases = Table(
    "ocds_releases",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("tender_id", String(100), nullable=False, index=True),
    Column("ledger_index", BigInteger, nullable=False, index=True),
    Column("release", Text, nullable=False),
)

PROJECTIONS = (tenders, tender_rows, tender_terms, events, deadlines, ocds_releases)

# --- procurement: private state, never dropped, never published -----------------------------

#: Confidential payloads behind the salted commitments in the log (DESIGN.md §4.3). What would
#: name a bidder before the opening (`until_opening`) is kept only as `sealed`, HPKE to the
#: tender's opening key (salt and content empty), until the opening unseals it; the state never
#: folds it in before then, so a copy of the database does not say who bid (issue 10).
confidential = Table(
    "confidential",
    metadata,
    Column("commitment", String(80), primary_key=True),
    Column("tender_id", String(100), nullable=False, index=True),
    Column("salt", LargeBinary(32), nullable=False),
    Column("content", Text, nullable=False),
    Column("sealed", LargeBinary, nullable=True),
    Column("until_opening", sa.Boolean, nullable=False, server_default=sa.false()),
)

#: Officials' public keys, to which tender opening-key shares are encrypted (registry, not log).
officials = Table(
    "officials",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
)

#: Decrypted key shares handed in by opening officials, held only until the opening.
key_shares = Table(
    "key_shares",
    metadata,
    Column("tender_id", String(100), primary_key=True),
    Column("official", String(100), primary_key=True),
    Column("share", LargeBinary, nullable=False),
)


# --- people, tokens, roles, idempotency (the API's doors) -------------------------------------

#: A person or a company that acts through the API.
people = Table(
    "people",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
)

#: Bearer tokens, stored only as SHA-256 hashes: a stolen database grants nothing. `id` is a
#: random public name for the token (listing, revoking), unrelated to the token or its hash.
#: Times are RFC 3339 UTC (they sort as time); `expires` None never expires, `revoked` None is live.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("person_id", String(100), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("id", String(40), nullable=False, unique=True),
    Column("created", String(20), nullable=False),
    Column("expires", String(20), nullable=True),
    Column("revoked", String(20), nullable=True),
)

#: Who may act in which role, on which tender ("*" for every tender).
grants = Table(
    "grants",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("role", String(40), primary_key=True),
    Column("tender_id", String(100), primary_key=True),
)

#: Responses to POSTs with an Idempotency-Key, written in the command's own transaction. `key` is
#: HMAC-SHA256(bearer token, person ‖ Idempotency-Key) and `person_id` is empty, so the table
#: does not say who sent what (a bid's receipt would name its bidder); only the token's holder
#: finds the row again.
idempotency = Table(
    "idempotency",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

__all__ = [
    "api_tokens",
    "confidential",
    "deadlines",
    "events",
    "grants",
    "idempotency",
    "key_shares",
    "log_checkpoints",
    "log_cosignatures",
    "log_head",
    "log_tiles",
    "log_witnesses",
    "metadata",
    "ocds_releases",
    "officials",
    "people",
    "tender_rows",
    "tender_terms",
    "tenders",
]

# The webhooks' tables join the one metadata whatever is imported first (migration 0009).
from tenderproof.store.webhook_tables import WEBHOOK_TABLES  # noqa: E402,F401
