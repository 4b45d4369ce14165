"""`tenderproof scenario|rebuild|ocds|tender`: the procurement from the command line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from tenderproof.app.publication import iter_stored_releases, package_metadata, stale_stored_release
from tenderproof.app.rebuild import rebuild as rebuild_projections
from tenderproof.domain.model import parse_time
from tenderproof.fsutil import atomic_write, atomic_writer
from tenderproof.instance import init as init_instance
from tenderproof.ocds import packages
from tenderproof.scenario.runner import Clock, Runner, Scenario, actions_reference
from tenderproof.store.schema import tenders

from .common import DataDir, Db, PublicUrl, close, fail, log_for, progress, service, service_at, settings

scenario_app = typer.Typer(help="Replay procurement scenarios with their own dates.", no_args_is_help=True)
ocds_app = typer.Typer(help="Open Contracting Data Standard output.", no_args_is_help=True)

@scenario_app.command("run")
def scenario_run(
    name: Annotated[str, typer.Argument(help="A built-in scenario (jedi, jwcc) or a .toml file")],
    data_dir: DataDir = None,
    db: Db = None,
    until: Annotated[str | None, typer.Option(help="Replay only up to this date (YYYY-MM-DD or a time)")] = None,
    public_url: PublicUrl = None,
) -> None:
    """Replay a scenario into the data directory (initializing it if needed)."""
    sc = Scenario.load(name)
    stop = None
    if until:
        try:
            stop = parse_time(until + ("T23:59:59Z" if len(until) == 10 else ""))
        except ValueError:
            fail(f"--until {until!r} is not a date (YYYY-MM-DD) or an RFC 3339 time", code=2)
    s = settings(data_dir, db, public_url)
    close(init_instance(s))
    clock = Clock()
    p = service_at(s, clock)
    with progress() as bar:
        task = bar.add_task(f"replaying {sc.name}", total=len(sc.steps))
        report = Runner(p, clock, s.data_dir / "scenario-keys").run(sc, stop, lambda i: bar.update(task, completed=i))
    head = p.log.head()
    for line in report.refusals:  # each with the rule's code and its reason, which cites the law
        typer.echo(f"as expected, {line}")
    typer.echo(f"{sc.title}: {report.steps} steps, {report.events} events; log size {head.size}")
    if report.stopped_at:
        typer.echo(f"stopped before the step at {report.stopped_at}")
    for tid in sorted({st.get("tender") or st.get("args", {}).get("tender_id") for st in sc.steps} - {None}):
        state = p.state(tid)
        if state:
            typer.echo(f"tender {tid}: {state['status']}")


@scenario_app.command("actions")
def scenario_actions() -> None:
    """The actions a scenario step may `do`, with their arguments (the table of docs/scenarios.md)."""
    typer.echo(actions_reference(), nl=False)


def rebuild(
    data_dir: DataDir = None,
    db: Db = None,
    check: Annotated[bool, typer.Option("--check", help="Only compare the rebuilt state with the live one")] = False,
    public_url: PublicUrl = None,
) -> None:
    """Drop the projections and rebuild them from the ledger (or, with --check, compare).

    OCDS releases are rebuilt with the public URL given (that is how a new one reaches the
    releases published before it); --check compares with releases published under the same."""
    p = service_at(settings(data_dir, db, public_url))
    report = rebuild_projections(p, check=check)
    if check and not report.identical:
        for d in report.differences:
            typer.echo(f"DIFF {d}", err=True)
        stale = stale_stored_release(p)
        hint = f" (releases link documents as {stale}: is --public-url the server's?)" if stale else ""
        fail(f"rebuilt state differs from the live state in {len(report.differences)} table(s){hint}")
    verb = "identical to the live state" if check else "rebuilt"
    typer.echo(f"{report.events} events of {report.tenders} tenders replayed: {verb}")


Output = Annotated[Path, typer.Option("-o", "--output", help="Where to write")]


def _service(data_dir: Path | None, db: str | None, public_url: str | None):
    """The installation's service, refused (one line) if a stored release links its documents
    otherwise than the public URL given would: a bulk file never mixes two installations' URLs,
    or URLs and ni: URIs."""
    p = service_at(settings(data_dir, db, public_url))
    if stale := stale_stored_release(p):
        fail(f"stored releases link documents as {stale}, not under {p.document_base_url or 'ni:'}; "
             "give the server's --public-url, or rebuild the releases with this one (`tenderproof rebuild`)")
    return p


def _published() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class _Counted:
    """An iterable that counts what passes through it (what the command reports it wrote)."""

    def __init__(self, items: Iterable[dict]) -> None:
        self.items, self.n = items, 0

    def __iter__(self) -> Iterator[dict]:
        for item in self.items:
            self.n += 1
            yield item


def _write(output: Path, chunks: Iterable[str]) -> None:
    """Write `chunks` to `output` as they come (in constant memory), renamed into place at the end."""
    with atomic_writer(output) as f:
        for chunk in chunks:
            f.write(chunk.encode())


@ocds_app.command("releases")
def ocds_releases_cmd(output: Output, data_dir: DataDir = None, db: Db = None, public_url: PublicUrl = None) -> None:
    """Write a release package of every release, in ledger order."""
    p = _service(data_dir, db, public_url)
    rels = _Counted(iter_stored_releases(p))
    _write(output, packages.iter_release_package(rels, **package_metadata(p, output.resolve().as_uri(), _published())))
    typer.echo(f"wrote {rels.n} releases to {output}")


@ocds_app.command("records")
def ocds_records_cmd(output: Output, data_dir: DataDir = None, db: Db = None, public_url: PublicUrl = None) -> None:
    """Write a record package: one record per contracting process in ocid order, compiled with ocdsmerge."""
    p = _service(data_dir, db, public_url)
    recs = _Counted(packages.records(iter_stored_releases(p, by_ocid=True)))
    meta = package_metadata(p, output.resolve().as_uri(), _published())
    _write(output, packages.stream_package(packages.record_metadata(**meta), "records", recs))
    typer.echo(f"wrote {recs.n} records to {output}")


@ocds_app.command("jsonl")
def ocds_jsonl_cmd(output: Output, data_dir: DataDir = None, db: Db = None, public_url: PublicUrl = None) -> None:
    """Write every release as JSON Lines (bulk), in ledger order."""
    rels = _Counted(iter_stored_releases(_service(data_dir, db, public_url)))
    _write(output, packages.iter_jsonl(rels))
    typer.echo(f"wrote {rels.n} releases to {output}")


tender_app = typer.Typer(help="Read tenders and their events.", no_args_is_help=True)


@tender_app.command("list")
def tender_list(data_dir: DataDir = None, db: Db = None) -> None:
    """List tenders with their status."""
    p = service(data_dir, db)
    with p.db.reader.connect() as conn:
        for r in conn.execute(sa.select(tenders.c.id, tenders.c.status, tenders.c.title).order_by(tenders.c.id)):
            typer.echo(f"{r.id}\t{r.status}\t{r.title}")


@tender_app.command("events")
def tender_events(
    tender: Annotated[str, typer.Argument(help="Tender id")],
    data_dir: DataDir = None,
    db: Db = None,
    type: Annotated[str | None, typer.Option("--type", help="Only events of this type")] = None,
) -> None:
    """The tender's timeline: ledger index, time, event type, actor."""
    events = service(data_dir, db).events(tender)
    if not events:
        fail(f"no tender {tender}")
    for e in events:
        if type and e.envelope["type"] != type:
            continue
        actor = e.envelope["actor"]
        who = f"{actor.get('id', '(sealed)')} ({actor['role']})"
        typer.echo(f"{e.index}\t{e.envelope['time']}\t{e.envelope['type']}\t{who}")


@tender_app.command("entry")
def tender_entry(
    index: Annotated[int, typer.Argument(min=0, help="Ledger index")],
    output: Output,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Write the exact bytes of the log entry INDEX (to verify a proof of it)."""
    atomic_write(output, log_for(data_dir, db).entry(index))
    typer.echo(f"wrote entry {index} to {output}")
