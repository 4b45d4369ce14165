"""`tenderproof document`: upload a tender's documents, download and check anyone's.

An upload stores the file content-addressed and prints the entry to list in the tender's
`documents` (at creation, `officer create`, or by amendment, `officer amend --changes`): only a
listed document is public, and listing puts its SHA-256 on the log with the event. A download
is checked against the digest it was asked by, so a server cannot hand out another file.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.domain import InvalidCommand
from tenderproof.domain.commands.fields import documents as check_documents

from .common import fail
from .http_client import ApiUrl, Server, Token, checked_id

document_app = typer.Typer(help="Tender documents: upload (officers), download and verify (anyone).",
                           no_args_is_help=True)

PART = 1 << 20  # bytes read and sent at a time: memory stays bounded whatever the file's size
DIGEST = re.compile(r"[0-9a-f]{64}")
# Types the server accepts by default that Python's table names otherwise or not at all.
TYPES = {".csv": "text/csv", ".txt": "text/plain", ".md": "text/markdown"}


def _parts(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while part := f.read(PART):
            yield part


@document_app.command("upload")
def document_upload(
    file: Annotated[Path, typer.Argument(help="The file to upload", exists=True, dir_okay=False, readable=True)],
    api: ApiUrl,
    token: Token,
    media_type: Annotated[str | None, typer.Option(
        "--type", help="Its media type [default: from the file's extension]")] = None,
    doc_id: Annotated[str | None, typer.Option(
        "--id", help="Its id within the tender [default: the file's name]")] = None,
    title: Annotated[str | None, typer.Option(help="Its title [default: the file's name]")] = None,
) -> None:
    """Upload a document (role: buyer); prints the JSON entry to list in a tender's `documents`."""
    media = media_type or TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0]
    if not media:
        fail(f"cannot tell the media type of {file.name}: give --type", code=2)
    entry = {"id": doc_id or re.sub(r"[^A-Za-z0-9._-]", "-", file.stem)[:64] or "document",
             "title": title or file.name}
    size = file.stat().st_size
    if size == 0:
        fail(f"{file} is empty", code=2)
    stored = Server(api, token).post("/api/documents", content=_parts(file), content_type=media, length=size)
    entry |= {"sha256": stored["sha256"], "size": stored["size"], "format": stored["media_type"]}
    try:
        check_documents([entry])  # the entry as a command will check it
    except InvalidCommand as e:
        fail(str(e), code=2)
    typer.echo(json.dumps(entry, ensure_ascii=False))


@document_app.command("get")
def document_get(
    sha256: Annotated[str, typer.Argument(help="The document's SHA-256 (as a tender lists it)")],
    api: ApiUrl,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it")],
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists")] = False,
) -> None:
    """Download a document a tender lists; it is written only if its content has that SHA-256."""
    sha256 = sha256.strip().lower()
    if not DIGEST.fullmatch(sha256):
        fail(f"{sha256!r} is not a SHA-256 (64 hex digits)", code=2)
    if output.exists() and not force:
        fail(f"{output} exists; give --force to overwrite it", code=2)
    Server(api).download(f"/api/documents/{sha256}", output, sha256=sha256)
    typer.echo(f"{output}: SHA-256 {sha256} verified")


@document_app.command("list")
def document_list(
    tender: Annotated[str, typer.Option("--tender", help="Tender id")],
    api: ApiUrl,
) -> None:
    """A tender's documents (tab-separated: SHA-256, size, id, title)."""
    tender = checked_id(tender, "tender id")
    view = Server(api).get_json(f"/api/tenders/{tender}")
    docs = view.get("documents") or []
    if not docs:
        typer.echo(f"tender {tender} lists no documents")
    for d in docs:
        typer.echo("\t".join([d["sha256"], str(d.get("size", "")), d["id"], " ".join(d["title"].split())]))
