"""The log's tables, as SQLAlchemy Core metadata (Alembic migrations in `store` create them).

They hold only what is public: tiles (hashes and entry bundles), the tree head, signed
checkpoints with their cosignatures, and the witnesses' public keys. The log's private key lives
in the data directory, never in the database. The rest of the product's tables join this
`metadata` (store.schema).
"""

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

#: The witnesses (C2SP tlog-witness) this log asks to cosign its checkpoints: public keys, and
#: the URL each serves add-checkpoint under (NULL: asked by hand, `log witness request`).
log_witnesses = Table(
    "log_witnesses",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("vkey", Text, nullable=False, unique=True),
    Column("url", Text, nullable=True),
)

#: The single row (id = 1) holding the quorum the operator chose (`log policy --quorum K`): how
#: many witnesses make a checkpoint "cosigned". No row: all of them.
log_policy = Table(
    "log_policy",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("quorum", Integer, nullable=False),
)
