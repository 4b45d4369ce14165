"""`tenderproof log witness …` and `log policy`: the log operator's side of witnessing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.ledger import witnessing

from .common import DataDir, Db, fail, log_for

app = typer.Typer(help="Witnesses that cosign this log's checkpoints.", no_args_is_help=True)


@app.command("add")
def add(
    vkey: Annotated[str, typer.Argument(help="The witness's verifier key")], data_dir: DataDir = None, db: Db = None,
    url: Annotated[str | None, typer.Option(help="Where it serves tlog-witness add-checkpoint (URL/add-checkpoint); "
                                                 "`tenderproof serve` pushes every checkpoint there")] = None,
) -> None:
    """Register a witness by its verifier key (again: set its URL)."""
    name = witnessing.add_witness(log_for(data_dir, db), vkey.strip(), url)
    typer.echo(f"witness {name} registered" + (f" at {url}" if url else ""))


@app.command("list")
def list_(data_dir: DataDir = None, db: Db = None) -> None:
    """List the registered witnesses."""
    log = log_for(data_dir, db)
    with log.db.reader.connect() as conn:
        urls = log.store.witness_urls(conn)
        for name, vkey in log.store.witnesses(conn).items():
            at = f" at {urls[name]}" if urls.get(name) else ""
            typer.echo(f"{name} {vkey}{at} (last cosigned size {log.store.last_cosigned_size(conn, name)})")


@app.command("request")
def request(
    witness: Annotated[str, typer.Argument(help="The witness's name")],
    data_dir: DataDir = None,
    db: Db = None,
    old_size: Annotated[int | None, typer.Option(min=0, help="The size the witness last cosigned")] = None,
) -> None:
    """Print a tlog-witness add-checkpoint request for WITNESS (the latest checkpoint + proof)."""
    log = log_for(data_dir, db, signing=True)
    typer.echo(witnessing.witness_request(log, witness, old_size), nl=False)


@app.command("accept")
def accept(
    response: Annotated[Path, typer.Argument(help="The witness's response (signature lines); - for stdin")] = Path("-"),
    data_dir: DataDir = None,
    db: Db = None,
    size: Annotated[int | None, typer.Option(min=0, help="Size of the checkpoint cosigned [default: latest]")] = None,
) -> None:
    """Verify a witness's cosignatures and attach them to the checkpoint."""
    text = sys.stdin.read() if str(response) == "-" else response.read_text()
    names = witnessing.add_cosignatures(log_for(data_dir, db), text, size)
    if not names:
        fail("no cosignature from a registered witness in the response")
    typer.echo(f"attached cosignatures from {', '.join(names)}")


def policy(
    data_dir: DataDir = None,
    db: Db = None,
    quorum: Annotated[int | None, typer.Option(min=1, help="Witnesses needed, kept as the log's quorum "
                                                      "[default: the one kept, else all]")] = None,
) -> None:
    """Print a C2SP tlog-policy for verifiers: the log key, the witnesses, the quorum.

    --quorum K is kept: it is what makes a checkpoint "cosigned" (the pusher, /log/policy,
    /log/proof/N?cosigned=1)."""
    log = log_for(data_dir, db)
    if quorum is not None:
        witnessing.set_quorum(log, quorum)
    typer.echo(witnessing.policy(log), nl=False)
