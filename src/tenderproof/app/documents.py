"""Documents anyone may download, and the officers' uploads they come from.

An officer uploads a file (`Upload`): it is streamed into the content-addressed store under a
size limit, with a media type from an allowed list (`Limits`), and the answer is its SHA-256.
The file becomes public only when a public event refers to it: a tender's creation or an
amendment listing it in `documents` (what `public_document` finds in the tenders' states). Being
in the store makes nothing public: sealed bids and debriefing letters are stored there too, and
no event lists them as a tender's document, so no download serves them. A debriefing letter is
the offeror's alone (FAR 15.506(d) gives it to the offeror, not the public); only its digest is
logged, and only its offeror and the tender's buyers fetch it (`debriefing_letter`,
`may_read_letter`). A download (`open_download`, `open_letter`) re-hashes what it serves as it
goes (`DocumentStore.stream`), so nothing but the logged content is ever sent whole.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from tenderproof.domain.commands.fields import MAX_DOCUMENT_SIZE
from tenderproof.store.documents import DocumentError as DocumentError  # re-exported for the portal
from tenderproof.store.documents import DocumentTooLarge, Incoming
from tenderproof.store.schema import tenders
from tenderproof.store.tender_rows import TableRows

from . import accounts
from .service import Procurement

#: 100 MiB: a solicitation with scanned drawings fits, while one request cannot fill a disk or
#: hold a worker for long; a larger set goes up as several documents or a zip of parts.
DEFAULT_MAX_SIZE = 100 * 2**20
#: What a procurement office publishes, with the file extension a download is named with: PDF,
#: Office (OOXML, legacy binary, OpenDocument), plain text and CSV, images, zip. Not HTML, SVG or
#: anything else a browser would run: a document served from the portal's origin must not script it.
MEDIA_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    "application/zip": ".zip",
}
UNKNOWN_TYPE = "application/octet-stream"
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")  # RFC 6838 §4.2
_DIGEST = re.compile(r"[0-9a-f]{64}")


class DocumentRefused(ValueError):
    """An upload the limits refuse; `code` says which (document-too-large, unsupported-media-type,
    empty-document)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class Limits:
    """What an upload may be: set by TENDERPROOF_MAX_DOCUMENT_BYTES and TENDERPROOF_DOCUMENT_TYPES
    (media types, comma-separated), else the defaults above."""

    max_size: int = DEFAULT_MAX_SIZE
    media_types: frozenset[str] = field(default_factory=lambda: frozenset(MEDIA_TYPES))

    def __post_init__(self) -> None:
        if not 1 <= self.max_size <= MAX_DOCUMENT_SIZE:  # a larger one could not be listed in a command
            raise ValueError(f"the document size limit must be 1 to {MAX_DOCUMENT_SIZE} bytes, not {self.max_size}")
        bad = sorted(t for t in self.media_types if not _MEDIA_TYPE.fullmatch(t))
        if bad or not self.media_types:
            raise ValueError(f"not media types: {', '.join(bad) or '(none given)'}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        size, types = env.get("TENDERPROOF_MAX_DOCUMENT_BYTES"), env.get("TENDERPROOF_DOCUMENT_TYPES")
        try:
            max_size = int(size) if size else DEFAULT_MAX_SIZE
        except ValueError:
            raise ValueError(f"TENDERPROOF_MAX_DOCUMENT_BYTES must be a number of bytes, not {size!r}") from None
        media = frozenset(t.strip().lower() for t in types.split(",") if t.strip()) if types else frozenset(MEDIA_TYPES)
        return cls(max_size, media)


def accepted_type(limits: Limits, content_type: str | None) -> str:
    """The media type of an upload (parameters dropped), or DocumentRefused if not allowed."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    if essence not in limits.media_types:
        allowed = ", ".join(sorted(limits.media_types))
        said = f"{essence!r} is not" if essence else "no Content-Type is"
        raise DocumentRefused("unsupported-media-type", f"{said} an accepted document type; accepted: {allowed}")
    return essence


def check_length(limits: Limits, content_length: str | None) -> None:
    """Refuse at once an upload whose declared length is over the limit (it is counted anyway)."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limits.max_size:
        raise DocumentRefused("document-too-large", f"the document is {int(content_length):,} bytes; "
                                                    f"at most {limits.max_size:,} are accepted")


@dataclass(frozen=True)
class Uploaded:
    sha256: str
    size: int
    media_type: str


class Upload:
    """One upload into the public store, written part by part as it arrives."""

    def __init__(self, p: Procurement, limits: Limits, media_type: str) -> None:
        self.p, self.media_type = p, media_type
        self._incoming: Incoming = p.documents.receive(limits.max_size)

    def write(self, part: bytes) -> None:
        try:
            self._incoming.write(part)
        except DocumentTooLarge as e:
            self._incoming.abort()
            raise DocumentRefused("document-too-large", str(e)) from None

    def abort(self) -> None:
        self._incoming.abort()

    def finish(self) -> Uploaded:
        """Durable under its digest; the same content uploaded again changes nothing."""
        if self._incoming.size == 0:
            self._incoming.abort()
            raise DocumentRefused("empty-document", "the document is empty")
        digest, size = self._incoming.finish()
        return Uploaded(digest, size, self.p.documents.set_media_type(digest, self.media_type))


# --- what is public ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicDocument:
    """A document a public event lists, as the tender's state holds it."""

    sha256: str
    size: int
    id: str
    title: str
    tender_id: str
    date: str
    media_type: str

    @property
    def filename(self) -> str:
        # Document ids are [A-Za-z0-9._:-]; ':' is not allowed in file names on every system.
        return self.id.replace(":", "_") + MEDIA_TYPES.get(self.media_type, "")


def public_document(p: Procurement, sha256: str) -> PublicDocument | None:
    """The document with this digest if a tender lists it (created or amended with it), else None."""
    if not _DIGEST.fullmatch(sha256):
        return None
    # A digest is 64 hex characters: as text it can match only where it is written out, and each
    # match is confirmed in the tender's document list (not a bid's or a debriefing's digest).
    query = sa.select(tenders.c.id, tenders.c.state).where(tenders.c.state.contains(sha256)).order_by(tenders.c.id)
    with p.db.reader.connect() as conn:
        for row in conn.execute(query):
            for d in json.loads(row.state).get("documents", []):
                if d["sha256"] == sha256:
                    media = d.get("format") or p.documents.media_type(sha256) or UNKNOWN_TYPE
                    return PublicDocument(sha256, d["size"], d["id"], d["title"], row.id, d["date"], media)
    return None


@dataclass(frozen=True)
class Download:
    """A public document's content, in parts, and the headers it is served with."""

    document: PublicDocument
    size: int
    parts: Iterator[bytes]

    def headers(self) -> dict[str, str]:
        d = self.document
        return {
            "ETag": f'"{d.sha256}"',
            "Content-Length": str(self.size),
            "Content-Disposition": f'attachment; filename="{d.filename}"',
            # Content-addressed: the bytes under this name never change.
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        }


def open_download(p: Procurement, doc: PublicDocument) -> Download:
    """The content of a public document, to serve. Raises DocumentError if the stored copy is gone
    or damaged: before anything is sent if it fits one part, else before its last part is sent."""
    size, parts = _open(p, doc.sha256)
    return Download(doc, size, parts)


def _open(p: Procurement, sha256: str) -> tuple[int, Iterator[bytes]]:
    parts = p.documents.stream(sha256)
    first = next(parts)  # opens and, for a one-part document, verifies before a header is sent
    return p.documents.size(sha256), itertools.chain([first], parts)


# --- a debriefing letter, for its offeror ------------------------------------------------------

LETTER_TYPE = "application/json"  # the letter is the canonical JSON `app.debriefing` builds


def may_read_letter(p: Procurement, person_id: str, tender_id: str, bidder_id: str) -> bool:
    """The offeror debriefed (FAR 15.506(d): the debriefing is given to the offeror), acting as a
    bidder, or a buyer of the tender (the contracting officer gave it). Decided from the grants
    alone, before anything of the tender is read, so a refusal tells nothing of a letter."""
    return ((person_id == bidder_id and accounts.may_act(p, person_id, "bidder", tender_id))
            or accounts.may_act(p, person_id, "buyer", tender_id))


@dataclass(frozen=True)
class Letter:
    """A debriefing letter as its `debriefing.given` event logged it."""

    tender_id: str
    bidder_id: str
    sha256: str
    date: str

    def headers(self, size: int) -> dict[str, str]:
        name = f"debriefing-{self.tender_id}-{self.bidder_id}.json".replace(":", "_")
        return {
            "ETag": f'"{self.sha256}"',
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",  # the offeror's alone: no shared cache keeps it
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        }


def debriefing_letter(p: Procurement, tender_id: str, bidder_id: str) -> Letter | None:
    """The letter given to `bidder_id` on the tender (the tender's row of it only), or None."""
    with p.db.reader.connect() as conn:
        row = TableRows(conn, tender_id, "debriefings").get(bidder_id)
    return None if row is None else Letter(tender_id, bidder_id, row["document_sha256"], row["date"])


def open_letter(p: Procurement, letter: Letter) -> tuple[int, Iterator[bytes]]:
    """The letter's content as logged (its size and parts); DocumentError as `open_download`."""
    return _open(p, letter.sha256)
