"""`tenderproof scenario|rebuild|ocds|bid|official`: the procurement from the command line."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.envelope import canonical
from tenderproof.app.publication import stored_releases
from tenderproof.app.rebuild import rebuild as rebuild_projections
from tenderproof.domain import Actor
from tenderproof.domain.model import parse_time
from tenderproof.fsutil import atomic_write
from tenderproof.instance import init as init_instance
from tenderproof.ledger.cosignature import verifier_from_vkey
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof
from tenderproof.ocds import packages
from tenderproof.scenario.runner import Clock, Runner, Scenario
from tenderproof.store.schema import tenders

from .common import DataDir, Db, close, fail, log_for, progress, service, settings, text_or_file

scenario_app = typer.Typer(help="Replay procurement scenarios with their own dates.", no_args_is_help=True)
ocds_app = typer.Typer(help="Open Contracting Data Standard output.", no_args_is_help=True)
bid_app = typer.Typer(help="Bidders: seal a bid on your own machine, submit it, keep the receipt.",
                      no_args_is_help=True)
official_app = typer.Typer(help="Officials: key pairs for bid opening.", no_args_is_help=True)

PUBLISHER = {"name": "tenderproof"}


@scenario_app.command("run")
def scenario_run(
    name: Annotated[str, typer.Argument(help="A built-in scenario (jedi) or a .toml file")],
    data_dir: DataDir = None,
    db: Db = None,
    until: Annotated[str | None, typer.Option(help="Replay only up to this date (YYYY-MM-DD or a time)")] = None,
) -> None:
    """Replay a scenario into the data directory (initializing it if needed)."""
    sc = Scenario.load(name)
    stop = None
    if until:
        try:
            stop = parse_time(until + ("T23:59:59Z" if len(until) == 10 else ""))
        except ValueError:
            fail(f"--until {until!r} is not a date (YYYY-MM-DD) or an RFC 3339 time", code=2)
    s = settings(data_dir, db)
    close(init_instance(s))
    clock = Clock()
    p = service(data_dir, db, clock)
    with progress() as bar:
        task = bar.add_task(f"replaying {sc.name}", total=len(sc.steps))
        report = Runner(p, clock, s.data_dir / "scenario-keys").run(sc, stop, lambda i: bar.update(task, completed=i))
    head = p.log.head()
    typer.echo(f"{sc.title}: {report.steps} steps, {report.events} events; log size {head.size}")
    if report.stopped_at:
        typer.echo(f"stopped before the step at {report.stopped_at}")
    for tid in sorted({st.get("tender") or st.get("args", {}).get("tender_id") for st in sc.steps} - {None}):
        state = p.state(tid)
        if state:
            typer.echo(f"tender {tid}: {state['status']}")


def rebuild(
    data_dir: DataDir = None,
    db: Db = None,
    check: Annotated[bool, typer.Option("--check", help="Only compare the rebuilt state with the live one")] = False,
) -> None:
    """Drop the projections and rebuild them from the ledger (or, with --check, compare)."""
    report = rebuild_projections(service(data_dir, db), check=check)
    if check and not report.identical:
        for d in report.differences:
            typer.echo(f"DIFF {d}", err=True)
        fail(f"rebuilt state differs from the live state in {len(report.differences)} table(s)")
    verb = "identical to the live state" if check else "rebuilt"
    typer.echo(f"{report.events} events of {report.tenders} tenders replayed: {verb}")


Output = Annotated[Path, typer.Option("-o", "--output", help="Where to write")]


def _published() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@ocds_app.command("releases")
def ocds_releases_cmd(output: Output, data_dir: DataDir = None, db: Db = None) -> None:
    """Write a release package of every release."""
    rels = stored_releases(service(data_dir, db))
    pkg = packages.release_package(rels, publisher=PUBLISHER, uri=output.resolve().as_uri(),
                                   published_date=_published())
    atomic_write(output, packages.dumps(pkg).encode())
    typer.echo(f"wrote {len(rels)} releases to {output}")


@ocds_app.command("records")
def ocds_records_cmd(output: Output, data_dir: DataDir = None, db: Db = None) -> None:
    """Write a record package: one record per contracting process, compiled with ocdsmerge."""
    rels = stored_releases(service(data_dir, db))
    pkg = packages.record_package(rels, publisher=PUBLISHER, uri=output.resolve().as_uri(), published_date=_published())
    atomic_write(output, packages.dumps(pkg).encode())
    typer.echo(f"wrote {len(pkg['records'])} records to {output}")


@ocds_app.command("jsonl")
def ocds_jsonl_cmd(output: Output, data_dir: DataDir = None, db: Db = None) -> None:
    """Write every release as JSON Lines (bulk)."""
    rels = stored_releases(service(data_dir, db))
    atomic_write(output, packages.jsonl(rels).encode())
    typer.echo(f"wrote {len(rels)} releases to {output}")


@official_app.command("keygen")
def official_keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="Private key file (created with mode 0600)")],
) -> None:
    """Generate an official's key pair; prints the public key (base64) to register."""
    if output.exists():
        fail(f"{output} exists; refusing to overwrite a private key")
    kp = seal.OfficialKeyPair.generate()
    atomic_write(output, kp.private_bytes(), mode=0o600)
    typer.echo(base64.b64encode(kp.public_bytes()).decode())


@official_app.command("register")
def official_register(
    official_id: Annotated[str, typer.Argument(help="The official's id")],
    public_key: Annotated[str, typer.Argument(help="The public key printed by keygen (base64)")],
    name: Annotated[str, typer.Option(help="Full name")] = "",
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Register an official's public key (operator)."""
    bidding.register_official(service(data_dir, db), official_id, name or official_id, base64.b64decode(public_key))
    typer.echo(f"registered {official_id}")


@bid_app.command("seal")
def bid_seal(
    path: Annotated[Path, typer.Argument(help="The bid: a file or a folder")],
    tender: Annotated[str, typer.Option(help="Tender id")],
    key: Annotated[str, typer.Option(help="The tender's public key (base64), or a file holding it")],
    output: Output,
) -> None:
    """Seal a bid on your own machine: pack PATH and encrypt it to the tender's key."""
    key_text = text_or_file(key)
    sealed = seal.seal_bid(tender, base64.b64decode(key_text), seal.pack(path))
    atomic_write(output, sealed)
    typer.echo(f"sealed {path} for {tender}: {len(sealed)} bytes, sha256 {seal.sealed_digest(sealed)}")


@bid_app.command("key")
def bid_key(tender: Annotated[str, typer.Argument(help="Tender id")], data_dir: DataDir = None, db: Db = None) -> None:
    """Print a published tender's bid-opening public key (base64)."""
    state = service(data_dir, db).state(tender)
    if state is None:
        fail(f"no tender {tender}")
    typer.echo(base64.b64encode(bidding.public_key(state)).decode())


SEALED_MAGIC = b"TPSB"


def _http_submit(api: str, token: str, tender: str, path: Path, vkey: str | None) -> tuple[dict, str]:
    """Seal PATH here (unless it is already sealed), POST it, return (response, log vkey)."""
    import httpx  # only here: the HTTP client is slow to import, and only this command talks to a server

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=60) as http:
        data = path.read_bytes() if path.is_file() else b""
        if data.startswith(SEALED_MAGIC):
            sealed = data
        else:
            r = http.get(f"/api/tenders/{tender}")
            if r.status_code != 200:
                fail(f"cannot read tender {tender}: {_detail(r)}")
            opening = r.json().get("opening_key")
            if not opening:
                fail(f"tender {tender} is not open for bids (no opening key)")
            sealed = seal.seal_bid(tender, base64.b64decode(opening["public_key"]), seal.pack(path))
        key = "bid-" + hashlib.sha256(sealed).hexdigest()
        for attempt in range(3):  # a retry with the same Idempotency-Key can never create a second bid
            try:
                r = http.post(f"/api/tenders/{tender}/bids", content=sealed,
                              headers={"Content-Type": "application/octet-stream", "Idempotency-Key": key})
                break
            except httpx.TransportError as e:
                if attempt == 2:
                    fail(f"cannot reach {api}: {e}")
        if r.status_code != 201:
            fail(f"bid refused: {_detail(r)}")
        return r.json(), vkey or http.get("/log/vkey").text.strip()


def _detail(r) -> str:
    try:
        return r.json().get("detail", r.text)
    except ValueError:
        return f"HTTP {r.status_code}"


@bid_app.command("submit")
def bid_submit(
    path: Annotated[Path, typer.Argument(help="Your bid (a file or folder, sealed here) or a sealed blob")],
    tender: Annotated[str, typer.Option(help="Tender id")],
    api: Annotated[str | None, typer.Option(help="The tenderproof server, e.g. http://127.0.0.1:8000")] = None,
    token: Annotated[str | None, typer.Option(envvar="TENDERPROOF_TOKEN", help="Your API token")] = None,
    receipt: Annotated[Path | None, typer.Option(help="Receipt file [default: receipt-TENDER.tlog-proof]")] = None,
    vkey: Annotated[
        str | None, typer.Option(help="The log's verifier key (or a file) to check the receipt against"),
    ] = None,
    bidder: Annotated[str | None, typer.Option(help="Operator-local mode (no --api): the bidder's id")] = None,
    name: Annotated[str | None, typer.Option(help="Operator-local mode: the bidder's name")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Seal on your machine, submit, and keep a receipt verified offline before reporting success."""
    receipt = receipt or Path(f"receipt-{tender}.tlog-proof")
    if vkey:
        vkey = text_or_file(vkey)
    if api:
        if not token:
            fail("--token (or TENDERPROOF_TOKEN) is required with --api", code=2)
        body, vkey = _http_submit(api, token, tender, path, vkey)
        entry, proof = base64.b64decode(body["entry"]), TlogProof.parse(body["tlog_proof"])
        digest = body["sealed_sha256"]
    else:
        if not (bidder and name):
            fail("without --api, give --bidder and --name (operator-local mode)", code=2)
        p = service(data_dir, db)
        data = path.read_bytes()
        if not data.startswith(SEALED_MAGIC):
            state = p.state(tender)
            if state is None:
                fail(f"no tender {tender}")
            data = seal.seal_bid(tender, bidding.public_key(state), seal.pack(path))
        r = bidding.submit_bid(p, tender, Actor(bidder, "bidder"), name, data)
        entry, proof, digest = canonical(r.envelope), r.proof or p.log.tlog_proof(r.index), r.sealed_sha256
        vkey = vkey or p.log.head().vkey
    cp = verify_tlog_proof(proof, entry, verifiers=[verifier_from_vkey(vkey)])
    if json.loads(entry)["payload"]["sealed_sha256"] != digest:
        fail("the receipt's entry is not this bid's commitment")
    atomic_write(receipt, proof.format().encode())
    atomic_write(receipt.with_suffix(".entry"), entry)
    typer.echo(f"bid logged at index {proof.index} (sealed sha256 {digest}); receipt verified against "
               f"checkpoint {cp.size} of {cp.origin}: {receipt} and {receipt.with_suffix('.entry')}")


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
