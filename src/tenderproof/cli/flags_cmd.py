"""`tenderproof flags`: red flags over any OCDS file, or over tenderproof's own procurements."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from tenderproof.app.publication import stored_releases
from tenderproof.fsutil import atomic_writer
from tenderproof.ocds import packages
from tenderproof.store.schema import tenders

from .common import DataDir, Db, err, fail, progress, service


def flags(
    file: Annotated[
        Path | None, typer.Argument(help="OCDS data: JSON Lines of compiled releases, packages, arrays"),
    ] = None,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Cardinal-style settings (INI)")] = None,
    map_: Annotated[bool, typer.Option("--map", help="Add the Maps group (as Cardinal's --map)")] = False,
    no_meta: Annotated[bool, typer.Option("--no-meta", help="Leave out the Meta group")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the JSON here, not stdout")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here "
                                              "(distributions, thresholds, flagged identifiers)")] = None,
    ledger: Annotated[
        bool, typer.Option("--ledger", help="Flag tenderproof's own procurements (OCDS + ledger)"),
    ] = False,
    tender: Annotated[str | None, typer.Option(help="With --ledger: only this tender")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Compute red flags (OCP codes R…, agreeing with Cardinal; TP… from the ledger)."""
    # Only here: any module of tenderproof.flags loads the package, and with it DuckDB, which is
    # slow to import and which no other command needs.
    from tenderproof.flags import run
    from tenderproof.flags.results import write_json

    if ledger == (file is not None):
        fail("give an OCDS FILE, or --ledger for this installation's procurements", code=2)
    if html is not None and ledger:
        fail("--html works with an OCDS FILE, not with --ledger", code=2)
    if file is None:  # --ledger (checked above)
        result, problems = _ledger(data_dir, db, tender, settings_file, map_, no_meta)
    else:
        if not file.exists():
            fail(f"no such file: {file}", code=2)
        with progress() as bar:
            task = bar.add_task(f"flagging {file.name}", total=None)
            result, problems = run(file, settings_file, map=map_, no_meta=no_meta, html=html,
                                   progress=lambda done, total: bar.update(task, completed=done, total=total))
    for p in problems:
        err.print(f"warning: {p}", markup=False, soft_wrap=True)
    if html is not None:
        err.print(f"wrote the HTML report to {html}", markup=False, soft_wrap=True)
    if output is None:
        write_json(result, sys.stdout.write)
    else:
        with atomic_writer(output) as f:
            write_json(result, lambda text: f.write(text.encode()))
        flagged = sum(len(v) for k, v in result.items() if k in ("OCID", "Buyer", "ProcuringEntity", "Tenderer"))
        typer.echo(f"wrote {output}: {flagged} flagged ids, {len(problems)} input problem(s)")


def _ledger(data_dir, db, tender, settings_file, map_, no_meta):
    from tenderproof.flags import run  # only here: it loads DuckDB (see `flags`)
    from tenderproof.flags.ledger_flags import ledger_flags

    p = service(data_dir, db)
    with p.db.reader.connect() as conn:
        q = sa.select(tenders.c.id)
        if tender:
            q = q.where(tenders.c.id == tender)
        states = [state for r in conn.execute(q).all() if (state := p.state(r.id, conn)) is not None]
    releases = stored_releases(p, tender)
    if tender and not states:
        fail(f"no tender {tender}")
    records = packages.record_package(releases, publisher={"name": "tenderproof"}, uri="urn:tenderproof:flags",
                                      published_date="1970-01-01T00:00:00Z")["records"]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "compiled.jsonl"
        path.write_text("".join(json.dumps(r["compiledRelease"]) + "\n" for r in records))
        result, problems = run(path, settings_file, map=map_, no_meta=no_meta)
    own = ledger_flags(states, p.ocid_prefix)
    for ocid, codes in own["OCID"].items():
        result.setdefault("OCID", {}).setdefault(ocid, {}).update(codes)
    result["Evidence"] = own["Evidence"]
    return result, problems
