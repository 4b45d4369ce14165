"""`tenderproof ocds export`: the OCDS data as CSV or Excel in flatten-tool's layout (api.exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenderproof.app.publication import stale_stored_release
from tenderproof.fsutil import atomic_writer

from .common import DataDir, Db, PublicUrl, fail, service
from .record_cmd import parse_size


def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write (.xlsx, or a .zip of CSV files)")],
    format: Annotated[str, typer.Option("--format", help="csv (a zip of one CSV per sheet) or xlsx")],
    tender: Annotated[str | None, typer.Option(help="Only this tender's releases")] = None,
    kind: Annotated[str, typer.Option(
        help="compiled: one row per contracting process (its latest state); releases: every release")] = "compiled",
    max_bytes: Annotated[str | None, typer.Option(
        "--max-bytes", metavar="SIZE", show_default="256M",
        help="Refuse an export whose JSON comes to more than SIZE (500M, 1G …): flatten-tool holds "
             "about twice that in memory")] = None,
    data_dir: DataDir = None,
    db: Db = None,
    public_url: PublicUrl = None,
) -> None:
    """Write the OCDS data flattened as the community's tools do: a `main` sheet and one per array."""
    from tenderproof.api import exports  # flatten-tool and FastAPI: loaded only by this command

    if format not in exports.FORMATS:
        fail(f"--format {format!r} is not one of {', '.join(exports.FORMATS)}", code=2)
    if kind not in exports.KINDS:
        fail(f"--kind {kind!r} is not one of {', '.join(exports.KINDS)}", code=2)
    try:
        cap = exports.CLI_MAX_BYTES if max_bytes is None else parse_size(max_bytes)
    except ValueError as e:
        fail(f"--max-bytes: {e}", code=2)
    p = service(data_dir, db, signing=False, public_url=public_url)
    if stale := stale_stored_release(p):  # as `ocds releases`: one file never mixes two settings
        fail(f"stored releases link documents as {stale}, not under {p.document_base_url or 'ni:'}; "
             "give the server's --public-url, or rebuild the releases with this one (`tenderproof rebuild`)")
    try:
        exports.check_size(p, tender, kind, cap)  # refused before any file is made
        with atomic_writer(output) as out:
            rows = exports.export(p, format, out, tender_id=tender, kind=kind, max_bytes=cap)
    except exports.ExportRefused as e:
        fail(str(e))
    what = "compiled releases (one per contracting process)" if kind == "compiled" else "releases"
    typer.echo(f"wrote {rows} {what} to {output}")
