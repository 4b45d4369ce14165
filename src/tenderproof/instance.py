"""One tenderproof installation: its data directory, its database and its log key.

The data directory holds the log's private key (`log.key`, mode 0600), its verifier key
(`log.vkey`) and, by default, the SQLite database. The database URL comes from `--db` or
TENDERPROOF_DATABASE_URL; the directory from `--data-dir` or TENDERPROOF_DATA_DIR; the public URL
the installation is reached at (optional) from `--public-url` or TENDERPROOF_PUBLIC_URL; who
publishes its OCDS data, under which licence and policy, with which ocid prefix, from
TENDERPROOF_OCDS_PUBLISHER, TENDERPROOF_OCDS_LICENSE, TENDERPROOF_OCDS_POLICY and
TENDERPROOF_OCID_PREFIX (`OcdsSettings`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tenderproof.fsutil import atomic_write
from tenderproof.ledger.log import Log
from tenderproof.ledger.merkle import EMPTY_ROOT
from tenderproof.ledger.note import Signer
from tenderproof.ledger.storage import LogNotInitialized
from tenderproof.store.db import Database, DatabaseError

DEFAULT_DATA_DIR = "./tenderproof-data"
DEFAULT_ORIGIN = "tenderproof.localhost/log"
KEY_FILE = "log.key"
VKEY_FILE = "log.vkey"
PUBLIC_URL_ENV = "TENDERPROOF_PUBLIC_URL"
MAX_PUBLIC_URL = 1000  # a base that every OCDS document URL repeats: a long one is a mistake
OCDS_PUBLISHER_ENV = "TENDERPROOF_OCDS_PUBLISHER"
OCDS_LICENSE_ENV = "TENDERPROOF_OCDS_LICENSE"
OCDS_POLICY_ENV = "TENDERPROOF_OCDS_POLICY"
OCID_PREFIX_ENV = "TENDERPROOF_OCID_PREFIX"
#: tenderproof's own prefix, until an installation registers one (the same as ocds.packages').
DEFAULT_OCID_PREFIX = "ocds-tndrpf-"
DEFAULT_PUBLISHER_NAME = "tenderproof"
#: OCDS 1.1 "Open Contracting Identifier": an ocid is a prefix registered with the Open
#: Contracting Partnership, "ocds-" and six lowercase letters or digits, then a hyphen and the
#: publisher's own identifier of the process.
OCID_PREFIX = re.compile(r"ocds-[a-z0-9]{6}-?")
_PUBLISHER = re.compile(r"(?P<name>[^<>]*?)\s*(?:<(?P<uri>[^<>]*)>)?")
MAX_NAME = 200


class InstanceError(RuntimeError):
    """The installation is missing, incomplete or inconsistent; the message says what to do."""


def http_url(value: str, what: str) -> str:
    """`value` if it is an absolute http(s) URL a stranger can use as it is (a host, no spaces,
    no credentials), else InstanceError naming `what`."""
    text = value.strip()
    what = f"{what} {text[:80]!r}"
    if not text or len(text) > MAX_PUBLIC_URL or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InstanceError(f"{what} must be an http(s) URL of at most {MAX_PUBLIC_URL} characters, "
                            "without spaces or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError as e:
        raise InstanceError(f"{what} is not a URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InstanceError(f"{what} must start with https:// (or http://) and name a host")
    if parts.username is not None or parts.password is not None:
        raise InstanceError(f"{what} must not hold credentials: it is published")
    return text


def public_url(value: str) -> str:
    """The installation's public base URL, e.g. https://tenders.example.gov (its path a prefix the
    server is reached under, if any), without a trailing slash; InstanceError if it is not one.

    Every OCDS document URL is this base followed by /api/documents/<sha256>, so it must be an
    absolute http(s) URL a stranger can use as it is: a host, no credentials, no query or fragment.
    """
    text = http_url(value, "the public URL")
    parts = urlsplit(text)
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InstanceError(f"the public URL {text[:80]!r} must have no query (?…) or fragment (#…): "
                            "document paths are added to it")
    return text.rstrip("/")


def ocid_prefix(value: str) -> str:
    """An ocid prefix as OCDS assigns them (`ocds-` and six lowercase letters or digits), ending in
    the hyphen that joins it to a tender's identifier; InstanceError otherwise."""
    text = value.strip()
    if not OCID_PREFIX.fullmatch(text):
        raise InstanceError(f"{OCID_PREFIX_ENV} {text[:40]!r} is not an ocid prefix: it must be 'ocds-' and six "
                            "lowercase letters or digits, as registered with the Open Contracting Partnership "
                            "(e.g. ocds-213czf)")
    return text if text.endswith("-") else f"{text}-"


@dataclass(frozen=True)
class OcdsSettings:
    """Who publishes the installation's OCDS data (`ocds.packages.Publication`): the publisher's
    name and URI, the URL of the data's licence and of the publication policy, the ocid prefix."""

    publisher_name: str = DEFAULT_PUBLISHER_NAME
    publisher_uri: str | None = None
    license: str | None = None
    publication_policy: str | None = None
    ocid_prefix: str = DEFAULT_OCID_PREFIX

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> OcdsSettings:
        """The settings the environment gives, the defaults for the rest; InstanceError (saying
        which variable and what it must be) for a value that is not one."""
        name, uri = DEFAULT_PUBLISHER_NAME, None
        if publisher := env.get(OCDS_PUBLISHER_ENV, "").strip():
            m = _PUBLISHER.fullmatch(publisher)
            if m is None or not m["name"] or len(m["name"]) > MAX_NAME or not m["name"].isprintable():
                raise InstanceError(f"{OCDS_PUBLISHER_ENV} {publisher[:80]!r} must be the publisher's name (at most "
                                    f"{MAX_NAME} characters), optionally followed by its URL in angle brackets: "
                                    "'Ministry of Works <https://works.example.gov>'")
            name = m["name"]
            uri = http_url(m["uri"], f"the publisher's URL in {OCDS_PUBLISHER_ENV}") if m["uri"] is not None else None
        license = env.get(OCDS_LICENSE_ENV, "").strip()
        policy = env.get(OCDS_POLICY_ENV, "").strip()
        prefix = env.get(OCID_PREFIX_ENV, "").strip()
        return cls(name, uri, http_url(license, f"{OCDS_LICENSE_ENV} (the licence's URL)") if license else None,
                   http_url(policy, f"{OCDS_POLICY_ENV} (the publication policy's URL)") if policy else None,
                   ocid_prefix(prefix) if prefix else DEFAULT_OCID_PREFIX)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    public_url: str | None = None  # where the installation is reached; OCDS document URLs start with it
    ocds: OcdsSettings = field(default_factory=OcdsSettings)  # who publishes its OCDS data

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike | None = None, db: str | None = None,
                public: str | None = None) -> Settings:
        """The settings from the arguments, else the environment, else the defaults; InstanceError
        if the public URL or an OCDS setting is given but is not one."""
        d = Path(data_dir or os.environ.get("TENDERPROOF_DATA_DIR") or DEFAULT_DATA_DIR)
        url = db or os.environ.get("TENDERPROOF_DATABASE_URL") or f"sqlite:///{(d / 'tenderproof.db').resolve()}"
        given = public or os.environ.get(PUBLIC_URL_ENV)
        return cls(d, url, public_url(given) if given else None, OcdsSettings.from_env())

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    @property
    def vkey_path(self) -> Path:
        return self.data_dir / VKEY_FILE


def init(settings: Settings, origin: str = DEFAULT_ORIGIN) -> Log:
    """Create the data directory, the database schema and the log key; idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.key_path.exists():
        signer = load_signer(settings)
    else:
        signer = Signer.generate(origin)
        atomic_write(settings.key_path, (signer.skey + "\n").encode(), mode=0o600)
    atomic_write(settings.vkey_path, (signer.vkey + "\n").encode())
    db = Database.open(settings.db_url)
    db.migrate()
    log = Log(db, signer)
    with db.writer.begin() as conn:
        try:
            head = log.store.head(conn)
        except LogNotInitialized:
            log.store.create_head(conn, signer.name, signer.vkey, EMPTY_ROOT)
        else:
            if head.vkey != signer.vkey:
                raise InstanceError(
                    f"the database already holds the log {head.origin!r} with key {head.vkey}, "
                    f"but {settings.key_path} holds {signer.vkey}"
                )
    return log


def load_signer(settings: Settings) -> Signer:
    try:
        mode = settings.key_path.stat().st_mode & 0o777
        if mode & 0o077:
            raise InstanceError(f"{settings.key_path} is readable by others (mode {mode:o}); chmod 600 it")
        return Signer.from_skey(settings.key_path.read_text().strip())
    except FileNotFoundError:
        raise InstanceError(f"no log key at {settings.key_path}; run `tenderproof init`") from None


def open_log(settings: Settings, signing: bool = False) -> Log:
    """Open an initialized installation. `signing` loads the private key (for checkpoints)."""
    if settings.db_url.startswith("sqlite") and not settings.data_dir.is_dir():
        raise InstanceError(f"no data directory at {settings.data_dir}; run `tenderproof init` first")
    db = Database.open(settings.db_url)
    try:
        db.check()
        if not db.is_current():
            raise InstanceError(f"the database at {settings.db_url} is not initialized; run `tenderproof init`")
    except DatabaseError:
        db.dispose()
        raise
    signer = load_signer(settings) if signing else None
    return Log(db, signer)
