"""`tenderproof log …`: the operator's tools for the transparency log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.fsutil import atomic_write
from tenderproof.ledger.audit import audit as audit_log
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.log import Appended
from tenderproof.ledger.note import open_note
from tenderproof.ledger.tiles import bundle_entries, check_entry, split_bundle, tile_path, tiles_to_serve

from .common import DataDir, Db, fail, log_for, progress

app = typer.Typer(help="The transparency log: append, checkpoint, tiles, proofs, audit.", no_args_is_help=True)


@app.command()
def vkey(data_dir: DataDir = None, db: Db = None) -> None:
    """Print the log's verifier key (C2SP signed-note vkey)."""
    log = log_for(data_dir, db)
    typer.echo(log.head().vkey)


@app.command()
def append(
    data_dir: DataDir = None,
    db: Db = None,
    batch: Annotated[int, typer.Option(min=1, help="Entries per durable transaction")] = 1000,
) -> None:
    """Append each line of stdin (without its newline) as one entry.

    All input is read and checked before anything is written; each batch is one durable
    transaction, and a batch is reported only once it has committed.
    """
    data = sys.stdin.buffer.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        fail("nothing to append: stdin is empty")
    for i, line in enumerate(lines):
        try:
            check_entry(line)
        except ValueError as e:
            fail(f"line {i + 1}: {e}; nothing was appended")
    log = log_for(data_dir, db)
    done: list[Appended] = []
    with progress() as bar:
        task = bar.add_task("appending", total=len(lines))
        for start in range(0, len(lines), batch):
            done.append(log.append(lines[start : start + batch]))
            bar.advance(task, done[-1].count)
    first, size = done[0].first, done[-1].size
    typer.echo(f"appended {len(lines)} entries at indexes {first}..{first + len(lines) - 1}; tree size {size}")


@app.command()
def checkpoint(data_dir: DataDir = None, db: Db = None) -> None:
    """Print the latest signed checkpoint, signing a new one if the tree grew."""
    log = log_for(data_dir, db, signing=True)
    typer.echo(log.checkpoint(), nl=False)


@app.command()
def proof(
    index: Annotated[int, typer.Argument(min=0, help="Index of the entry")],
    data_dir: DataDir = None,
    db: Db = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE, not stdout")] = None,
) -> None:
    """Print a C2SP tlog-proof of entry INDEX against the latest checkpoint."""
    log = log_for(data_dir, db, signing=True)
    text = log.tlog_proof(index).format()
    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write(output, text.encode())


@app.command()
def tiles(
    directory: Annotated[Path, typer.Argument(help="Where to write checkpoint and tile/…")],
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Write the log as static C2SP tlog-tiles: DIR/checkpoint and DIR/tile/…"""
    log = log_for(data_dir, db, signing=True)
    note = log.checkpoint()
    size = Checkpoint.parse(open_note(note, [log.log_verifier()]).text).size
    with log.db.reader.connect() as conn:
        sizes = [s for s, _ in log.store.checkpoints(conn)]
    todo = tiles_to_serve(size, sizes)
    written = 0
    with progress() as bar, log.db.reader.connect() as conn:
        task = bar.add_task("writing tiles", total=len(todo))
        for start in range(0, len(todo), 256):
            chunk = todo[start : start + 256]
            blobs = log.store.read_tiles(conn, [(lv, ix) for lv, ix, _ in chunk])
            for lv, ix, width in chunk:
                data = blobs.get((lv, ix))
                if data is None:
                    fail(f"tile {tile_path(lv, ix)} is missing from the database; run `tenderproof log audit`")
                # A narrower version of a stored tile: its first `width` hashes, or entries (level -1).
                data = data[: width * 32] if lv >= 0 else bundle_entries(split_bundle(data)[:width])
                atomic_write(directory / tile_path(lv, ix, width), data, durable=False)
                written += 1
            bar.advance(task, len(chunk))
    atomic_write(directory / "checkpoint", note.encode())
    typer.echo(f"wrote {written} tiles and the checkpoint of size {size} to {directory}")


@app.command()
def audit(data_dir: DataDir = None, db: Db = None) -> None:
    """Re-hash every entry, rebuild every tile and the root, check every stored checkpoint."""
    log = log_for(data_dir, db)
    with progress() as bar:
        task = bar.add_task("auditing", total=None)
        report = audit_log(log, progress=lambda done, total: bar.update(task, completed=done, total=total))
    if not report.ok:
        for p in report.problems:
            typer.echo(f"FAIL {p}", err=True)
        fail(f"audit failed with {len(report.problems)} problem(s) in the log of size {report.size}")
    typer.echo(
        f"audit ok: {report.size} entries, {report.tiles} tiles and {report.checkpoints} checkpoints verified"
    )
