"""`tenderproof record …`: export a tender's administrative record as one offline-verifiable
bundle, verify one, and manage litigation holds and document retention.

`verify_record_file` is also what `tenderproof verify RECORD.zip` runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.fsutil import atomic_write
from tenderproof.ledger import witness_push
from tenderproof.ledger.policy import Policy, PolicyError
from tenderproof.record import ROLES, export_record, holds, lift_hold, place_hold, purge_documents, verify_record
from tenderproof.record.retention import HOLD_ROLES
from tenderproof.record.verify import MAX_BUNDLE_BYTES

from .common import DataDir, Db, fail, service, text_or_file

app = typer.Typer(help="The administrative record: export and verify bundles; litigation holds.", no_args_is_help=True)
hold_app = typer.Typer(help="Litigation holds: while one is on a tender, nothing of its record is deleted.",
                       no_args_is_help=True)
app.add_typer(hold_app, name="hold")


@contextmanager
def _service(data_dir: Path | None, db: str | None, signing: bool = False) -> Iterator[Procurement]:
    """The installation's service, its connections closed when the command is done."""
    p = service(data_dir, db, signing=signing)
    try:
        yield p
    finally:
        p.db.dispose()


@app.command("export")
def export(
    tender: Annotated[str, typer.Argument(help="Tender id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle to write (a .zip)")],
    role: Annotated[str, typer.Option(help="Who the record is for: public, court or auditor")] = "public",
    actor: Annotated[str | None, typer.Option(help="court/auditor: the person exporting (logged as an access)")] = None,
    purpose: Annotated[str | None, typer.Option(help="court/auditor: the protective order or audit it is for")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Write TENDER's record: every event with its proof against one fresh checkpoint, the
    documents the role may see and, for court/auditor, the confidential payloads with their salts."""
    if role not in ROLES:
        fail(f"--role {role!r} is not one of {', '.join(ROLES)}", code=2)
    domain_role = ROLES[role]
    if domain_role is None and (actor or purpose):
        fail("--actor and --purpose are for court and auditor exports; a public export is not an access", code=2)
    if domain_role is not None and not (actor and purpose):
        fail(f"a {role} export discloses confidential content: give --actor and --purpose (it is logged as an access)",
             code=2)
    with _service(data_dir, db, signing=True) as p:
        ex = export_record(p, tender, role, actor=Actor(actor, domain_role) if domain_role and actor else None,
                           purpose=purpose, cosign=witness_push.cosign_now)
    atomic_write(output, ex.data)
    typer.echo(f"wrote {output}: record of tender {tender} for {role}: {ex.events} events, {ex.documents} documents, "
               f"{ex.confidential} confidential payloads; checkpoint of tree size {ex.checkpoint_size}")
    if ex.access_event is not None:
        typer.echo(f"the export is logged as access event {tender}#{ex.access_event.envelope['seq']} "
                   f"(ledger index {ex.access_event.index})")
    if ex.withheld:
        typer.echo(f"{len(ex.withheld)} referenced items withheld (listed in manifest.json)")


_SIZE = re.compile(r"([0-9]{1,19})\s*(?:([KMGT])(?:iB)?)?", re.IGNORECASE)
_UNITS = {None: 0, "K": 10, "M": 20, "G": 30, "T": 40}


def parse_size(text: str) -> int:
    """A byte count as people write it: 1048576, 500M, 4G (binary units: 1K = 1024, also KiB …)."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a size: give bytes, or a whole number with K, M, G or T (1024-based), "
                         "as in 500M or 4G")
    n = int(m[1]) << _UNITS[m[2] and m[2].upper()]
    if not 0 < n < 1 << 63:
        raise ValueError(f"{text!r} is not a size between one byte and 8 EiB")
    return n


MaxBytes = Annotated[str | None, typer.Option(
    "--max-bytes", metavar="SIZE", show_default="2G",
    help="Refuse a bundle whose members come to more than SIZE uncompressed (500M, 4G …)")]


def max_bytes_of(value: str | None) -> int:
    """The --max-bytes option's cap, or one line and exit 2."""
    if value is None:
        return MAX_BUNDLE_BYTES
    try:
        return parse_size(value)
    except ValueError as e:
        fail(f"--max-bytes: {e}", code=2)


def verify_record_file(path: Path, policy: Path | None, vkey: str | None, max_bytes: int = MAX_BUNDLE_BYTES) -> int:
    """Verify a record bundle offline; print one line per check (and per failure) and a verdict.
    A bundle whose members come to more than `max_bytes` uncompressed is refused unread.

    Returns 0 if valid, 1 if not, 2 if the inputs cannot be used (unreadable file or policy,
    both --policy and --vkey).
    """
    if policy is not None and vkey is not None:
        typer.echo("error: give at most one of --policy and --vkey", err=True)
        return 2
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        typer.echo(f"error: cannot read record {path}: {e.strerror}", err=True)
        return 2
    pol = None
    if policy is not None:
        try:
            pol = Policy.parse(Path(policy).read_bytes())
        except OSError as e:
            typer.echo(f"error: cannot read policy {policy}: {e.strerror}", err=True)
            return 2
        except PolicyError as e:
            typer.echo(f"error: policy {policy}: {e}", err=True)
            return 2
    report = verify_record(data, policy=pol, vkey=text_or_file(vkey) if vkey is not None else None,
                           max_bytes=max_bytes)
    for line in report.lines:
        typer.echo(str(line))
    typer.echo(report.summary())
    return 0 if report.valid else 1


@app.command("verify")
def verify(
    bundle: Annotated[Path, typer.Argument(help="A record bundle (.zip)")],
    policy: Annotated[Path | None, typer.Option("--policy", help="A C2SP tlog-policy file")] = None,
    vkey: Annotated[str | None, typer.Option("--vkey", help="The log's verifier key, or a file holding it")] = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Verify a record bundle offline. Exit 0 if valid, 1 if not."""
    raise typer.Exit(verify_record_file(bundle, policy, vkey, max_bytes_of(max_bytes)))


ActorOpt = Annotated[str, typer.Option("--actor", help="The person acting")]
ActorRole = Annotated[str, typer.Option("--actor-role", help=f"Their role: {', '.join(HOLD_ROLES)}")]


@hold_app.command("place")
def hold_place(
    tender: Annotated[str, typer.Argument(help="Tender id")],
    reason: Annotated[str, typer.Option(help="The case or order the hold is for")],
    actor: ActorOpt,
    actor_role: ActorRole = "reviewer",
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Place a litigation hold on TENDER."""
    with _service(data_dir, db) as p:
        h = place_hold(p, tender, reason, Actor(actor, actor_role))
    typer.echo(f"tender {tender} is under a litigation hold since {h['placed']}: {h['reason']}")


@hold_app.command("lift")
def hold_lift(
    tender: Annotated[str, typer.Argument(help="Tender id")],
    reason: Annotated[str, typer.Option(help="Why the hold ends (the case closed, the order)")],
    actor: ActorOpt,
    actor_role: ActorRole = "reviewer",
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Lift the litigation hold on TENDER."""
    with _service(data_dir, db) as p:
        lift_hold(p, tender, reason, Actor(actor, actor_role))
    typer.echo(f"litigation hold on tender {tender} lifted")


@hold_app.command("list")
def hold_list(data_dir: DataDir = None, db: Db = None) -> None:
    """List the litigation holds in force."""
    with _service(data_dir, db) as p:
        for tid, h in sorted(holds(p).items()):
            typer.echo(f"{tid}\t{h['placed']}\t{h['actor']['id']} ({h['actor']['role']})\t{h['reason']}")


@app.command("purge")
def purge(
    tender: Annotated[str, typer.Argument(help="Tender id")],
    older_than: Annotated[int, typer.Option("--older-than", min=0, help="Days since the tender's last event")],
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Delete an ended tender's stored public documents (refused under a litigation hold)."""
    with _service(data_dir, db) as p:
        deleted = purge_documents(p, tender, timedelta(days=older_than))
    typer.echo(f"deleted {len(deleted)} documents of tender {tender}")
