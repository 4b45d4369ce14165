"""What every command shares: the --data-dir/--db options, opening the log and the service, error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from tenderproof.app.service import Procurement, utcnow
from tenderproof.domain.errors import Refused
from tenderproof.instance import PUBLIC_URL_ENV, InstanceError, Settings, open_log
from tenderproof.ledger.log import Log

err = Console(stderr=True, highlight=False)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="TENDERPROOF_DATA_DIR", help="Data directory [default: ./tenderproof-data]"),
]
Db = Annotated[
    str | None,
    typer.Option("--db", envvar="TENDERPROOF_DATABASE_URL", help="Database URL [default: SQLite in the data dir]"),
]
PublicUrl = Annotated[str | None, typer.Option(
    "--public-url", envvar=PUBLIC_URL_ENV, show_envvar=True,
    help="The https:// URL the installation is reached at: OCDS releases link each document to its "
         "download there (else an ni: URI). Give the same to serve, scenario run, rebuild and ocds")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit non-zero."""
    err.print(f"error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def text_or_file(value: str) -> str:
    """A key given inline, or the path of a file holding it."""
    if len(value) < 4096 and "\n" not in value:
        try:
            if Path(value).is_file():
                return Path(value).read_text().strip()
        except OSError:
            pass
    return value.strip()


def read_input(path: Path, limit: int, too_large: str) -> bytes:
    """A file's bytes, or stdin's when the path is `-`, read no further than `limit` (so memory
    stays bounded whatever is given); more than that ends the command with `too_large`."""
    try:
        with (sys.stdin.buffer if str(path) == "-" else path.open("rb")) as f:
            data = f.read(limit + 1)
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", code=2)
    if len(data) > limit:
        fail(too_large, code=2)
    return data


def settings(data_dir: Path | None, db: str | None, public_url: str | None = None) -> Settings:
    """The installation's settings (its public URL from the option or TENDERPROOF_PUBLIC_URL); a
    public URL that is not one ends the command (exit 2)."""
    try:
        return Settings.resolve(data_dir, db, public_url)
    except InstanceError as e:
        fail(str(e), code=2)


def log_for(data_dir: Path | None, db: str | None, signing: bool = False) -> Log:
    return open_log(settings(data_dir, db), signing=signing)


def service(data_dir: Path | None, db: str | None, clock: Callable[[], datetime] = utcnow,
            signing: bool = True, public_url: str | None = None) -> Procurement:
    """The installation's procurement service (on the real clock unless given another), publishing
    under its public URL."""
    return service_at(settings(data_dir, db, public_url), clock, signing)


def service_at(s: Settings, clock: Callable[[], datetime] = utcnow, signing: bool = True) -> Procurement:
    return Procurement(open_log(s, signing=signing), s.data_dir, clock, public_url=s.public_url, publication=s.ocds)


def close(log: Log) -> None:
    """Close the connections of the log's database (its reader and writer engines may be one)."""
    for engine in {log.db.reader, log.db.writer}:
        engine.dispose()


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def run_guarded(app: typer.Typer) -> None:
    """Run the Typer app; every expected failure becomes one line on stderr and exit code 1.

    Typer (standalone) already handles usage errors (exit 2), typer.Exit and Ctrl-C.
    """
    try:
        app()
    except (Refused, ValueError, RuntimeError, OSError, SQLAlchemyError) as e:
        text = str(e).strip()
        msg = text.splitlines()[0] if text else type(e).__name__
        err.print(f"error: {msg}", markup=False, soft_wrap=True)
        sys.exit(1)
