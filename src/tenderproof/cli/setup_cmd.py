"""`tenderproof init`."""

from __future__ import annotations

from typing import Annotated

import typer

from tenderproof.instance import DEFAULT_ORIGIN
from tenderproof.instance import init as init_instance

from .common import DataDir, Db, close, settings


def init(
    data_dir: DataDir = None,
    db: Db = None,
    origin: Annotated[str, typer.Option(help="The log's origin line (its unique name)")] = DEFAULT_ORIGIN,
) -> None:
    """Create the data directory, the database and the log key. Safe to run again."""
    s = settings(data_dir, db)
    log = init_instance(s, origin)
    head = log.head()
    typer.echo(f"data directory: {s.data_dir}")
    typer.echo(f"database: {log.db.writer.dialect.name}")
    typer.echo(f"log: {head.origin} (size {head.size})")
    typer.echo(f"verifier key: {head.vkey}")
    close(log)
