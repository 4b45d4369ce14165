"""The database tables, as SQLAlchemy Core metadata. Alembic migrations create them.

The ledger's tables hold only what is public: tiles (hashes and entry bundles), the tree head
and signed checkpoints with their cosignatures. The log's private key lives in the data
directory, never in the database.
"""

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()

#: One row per tile; a partial tile's row grows in place until the tile is full. Level -1 holds
#: the entry bundles, levels 1.. the hash tiles (C2SP tlog-tiles). Level-0 tiles are not stored:
#: they are the leaf hashes of the bundle with the same index, computed on read.
log_tiles = Table(
    "log_tiles",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

#: The single row (id = 1) every append advances by compare-and-swap on `size`.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("origin", String(255), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

#: At most one signed checkpoint per tree size: the primary key makes a second one impossible.
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
)

#: Witness cosignatures collected for a checkpoint, one line per witness key.
log_cosignatures = Table(
    "log_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("key_name", String(255), primary_key=True),
    Column("key_id", LargeBinary(4), primary_key=True),
    Column("line", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

#: The witnesses (C2SP tlog-witness) this log asks to cosign its checkpoints: public keys only.
log_witnesses = Table(
    "log_witnesses",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("vkey", Text, nullable=False, unique=True),
)


# --- procurement: projections (dropped and rebuilt from the ledger by `tenderproof rebuild`) ---

#: Current state of each tender, folded from its events (domain.state.evolve): the small core as
#: JSON; the collections that grow with activity are rows of `tender_rows`.
tenders = Table(
    "tenders",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("status", String(40), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("state", Text, nullable=False),
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

PROJECTIONS = (tenders, tender_rows, events, deadlines, ocds_releases)

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

#: Bearer tokens, stored only as SHA-256 hashes: a stolen database grants nothing.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("person_id", String(100), nullable=False, index=True),
    Column("label", String(200), nullable=False),
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
