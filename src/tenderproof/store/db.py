"""Opening the database: SQLite (embedded default) or PostgreSQL, and running migrations.

SQLite runs in WAL mode with synchronous=FULL, so a committed transaction survives a crash or
power loss. Writers open their transaction with BEGIN IMMEDIATE: the write lock is taken before
the tree head is read, so two processes never both build on the same head (the compare-and-swap
on the head still guards it). PostgreSQL gets the same guarantee from SELECT … FOR UPDATE on the
head row plus the compare-and-swap.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest Alembic revision; a test checks it is the head of the migrations folder. Kept
#: here so that opening a database does not import Alembic (a cold CLI call stays fast).
SCHEMA_REVISION = "0010"


#: The database refused a value (PostgreSQL: a NUL character in text): bad input, not a crash.
#: Named here so the API answers it without knowing the database library.
RefusedValue = DataError


class DatabaseError(RuntimeError):
    """The database cannot be opened or is not in the expected state."""


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and pick the psycopg 3 driver for them."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r}") from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseError(f"unsupported database {u.drivername!r}: use sqlite:/// or postgresql://")
    return u.render_as_string(hide_password=False)


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


#: Connections kept per engine. At the deadline some 64 threads read at once (`api.bid_door`), each
#: a few short reads a bid: fewer connections than threads had them queue for one (issue 10). A
#: SQLite connection is a file descriptor and a page cache; a PostgreSQL one is a server process,
#: and the server takes 100 by default, so there each process keeps fewer.
SQLITE_READERS = 64
POSTGRES_POOL, POSTGRES_OVERFLOW = 16, 24


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    # The writer engine serves one batch at a time (`app.writer`) and the odd admin write.
    pool = {"pool_size": 5, "max_overflow": 10} if immediate else {"pool_size": SQLITE_READERS, "max_overflow": 16}
    engine = sa.create_engine(url, connect_args={"timeout": 60}, **pool)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Database:
    """A reader engine and a writer engine over one database (the same engine on PostgreSQL)."""

    url: str
    reader: Engine
    writer: Engine

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @classmethod
    def open(cls, url: str) -> Database:
        url = normalize_url(url)
        if url.startswith("sqlite"):
            path = make_url(url).database
            if path and path != ":memory:" and not Path(path).parent.is_dir():
                raise DatabaseError(f"directory for SQLite database {path} does not exist")
            return cls(url, _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True))
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=POSTGRES_POOL, max_overflow=POSTGRES_OVERFLOW)
        return cls(url, engine, engine)

    def writer_lock(self) -> contextlib.AbstractContextManager:
        """Held around each write batch. On a SQLite file it is an exclusive lock on a file beside
        the database, so that writers of several processes queue in the kernel and the next one
        starts the moment the last one ends (SQLite's own busy handler would poll with sleeps of
        up to 100 ms). PostgreSQL's row lock on the log head already queues them: nothing here."""
        path = make_url(self.url).database if self.dialect == "sqlite" else None
        if not path or path == ":memory:":
            return contextlib.nullcontext()
        return _flock(Path(path + ".writer-lock"))

    def check(self) -> None:
        """Connect once, turning a refused connection into one clear error."""
        try:
            with self.reader.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except OperationalError as e:
            first = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
            raise DatabaseError(f"cannot connect to {make_url(self.url).render_as_string()}: {first}") from None

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        # Imported here, not at the top: Alembic takes about 0.1 s to import and only this needs it.
        from alembic import command
        from alembic.config import Config

        self.check()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        """The schema's Alembic revision, or None for an empty database."""
        with self.reader.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def is_current(self) -> bool:
        """True if the schema is at the newest revision."""
        return self.revision() == SCHEMA_REVISION

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()
