"""`tenderproof bid`: a bidder's commands, run on the bidder's own machine.

Seal a bid here (the server never sees it in the clear), submit it, keep one receipt file per
bid (never overwritten), check what the public record says of it, withdraw it before the
deadline. Withdrawal needs no stored secret: the server derives the bid's withdrawal key from the
bearer token it was submitted with, so the same token withdraws it and no other can.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import typer

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.envelope import canonical
from tenderproof.domain import Actor
from tenderproof.fsutil import atomic_write
from tenderproof.ledger.cosignature import verifier_from_vkey
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from .common import DataDir, Db, fail, service, text_or_file
from .http_client import ApiUrl, Server, Token, checked_id

bid_app = typer.Typer(help="Bidders: seal a bid on your own machine, submit it, keep the receipt, follow it.",
                      no_args_is_help=True)

Output = Annotated[Path, typer.Option("-o", "--output", help="Where to write")]
TenderOpt = Annotated[str, typer.Option("--tender", help="Tender id")]
ReceiptsDir = Annotated[Path, typer.Option(
    "--receipts", envvar="TENDERPROOF_RECEIPTS", help="Folder of kept receipts, one per bid under TENDER/")]
DEFAULT_RECEIPTS = Path("receipts")
SEALED_MAGIC = b"TPSB"
PROOF, ENTRY = ".tlog-proof", ".entry"
COSIGNED = ".cosigned" + PROOF  # the same receipt, against a checkpoint the witnesses' quorum cosigned


@bid_app.command("seal")
def bid_seal(
    path: Annotated[Path, typer.Argument(help="The bid: a file or a folder")],
    tender: TenderOpt,
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


def tender_view(server: Server, tender: str) -> dict:
    """The tender's public view (`GET /api/tenders/ID`): status, periods, bids, enquiries, opening key."""
    view = server.get_json(f"/api/tenders/{checked_id(tender, 'tender id')}")
    if not isinstance(view, dict) or view.get("id") != tender:
        fail(f"{server.url} did not answer with tender {tender}'s public view")
    return view


def _http_submit(server: Server, tender: str, path: Path, vkey: str | None,
                 lots: tuple[str, ...] = ()) -> tuple[dict, str]:
    """Seal PATH here (unless it is already sealed), POST it, return (response, log vkey)."""
    data = path.read_bytes() if path.is_file() else b""
    if data.startswith(SEALED_MAGIC):
        sealed = data
    else:
        opening = tender_view(server, tender).get("opening_key")
        if not opening:
            fail(f"tender {tender} is not open for bids (no opening key)")
        sealed = seal.seal_bid(tender, base64.b64decode(opening["public_key"]), seal.pack(path))
    # A retry with the same Idempotency-Key can never create a second bid.
    query = ("?" + urlencode([("lot", x) for x in lots])) if lots else ""
    body = server.post(f"/api/tenders/{tender}/bids{query}", content=sealed,
                       idempotency_key="bid-" + hashlib.sha256(sealed + "\0".join(lots).encode()).hexdigest())
    if not isinstance(body, dict) or not {"bid_id", "entry", "tlog_proof", "sealed_sha256"} <= body.keys():
        fail(f"{server.url} answered the bid without a receipt")
    return body, vkey or server.get_text("/log/vkey").strip()


def _write_new(path: Path, data: bytes) -> None:
    """Write PATH whole (atomically, durably) only if it does not exist: a kept receipt is never replaced."""
    tmp = path.with_name(f".{path.name}.new")
    atomic_write(tmp, data)
    try:
        os.link(tmp, path)  # fails if PATH exists, with no window in which it could be replaced
    finally:
        tmp.unlink()


def receipt_paths(receipts: Path, tender: str, bid_id: str, entry: bytes) -> tuple[Path, bool]:
    """Where a bid's receipt goes: RECEIPTS/TENDER/BID.tlog-proof, or, if that name holds another
    entry, BID-2, BID-3 …; True if this very entry is already kept there (a retried submission)."""
    folder = receipts / tender
    for n in range(1, 1000):
        stem = folder / (bid_id if n == 1 else f"{bid_id}-{n}")
        entry_file = stem.with_name(stem.name + ENTRY)
        if not entry_file.exists() and not stem.with_name(stem.name + PROOF).exists():
            return stem, False
        if entry_file.read_bytes() == entry:
            return stem, True
    fail(f"{folder} holds 999 receipts named {bid_id}; move some away")


@bid_app.command("submit")
def bid_submit(
    path: Annotated[Path, typer.Argument(help="Your bid (a file or folder, sealed here) or a sealed blob")],
    tender: TenderOpt,
    api: Annotated[str | None, typer.Option(envvar="TENDERPROOF_API",
                                            help="The tenderproof server, e.g. http://127.0.0.1:8000")] = None,
    token: Annotated[str | None, typer.Option(envvar="TENDERPROOF_TOKEN", help="Your API token")] = None,
    receipt: Annotated[Path | None, typer.Option(
        help="Receipt file (refused if it exists) [default: RECEIPTS/TENDER/BID.tlog-proof]")] = None,
    receipts: ReceiptsDir = DEFAULT_RECEIPTS,
    vkey: Annotated[
        str | None, typer.Option(help="The log's verifier key (or a file) to check the receipt against"),
    ] = None,
    lot: Annotated[list[str] | None, typer.Option(
        help="In a tender divided into lots: a lot the bid covers (repeat for each)")] = None,
    bidder: Annotated[str | None, typer.Option(help="Operator-local mode (no --api): the bidder's id")] = None,
    name: Annotated[str | None, typer.Option(help="Operator-local mode: the bidder's name")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Seal on your machine, submit, and keep a receipt verified offline before reporting success."""
    tender = checked_id(tender, "tender id")
    if receipt is not None:
        for f in (receipt, receipt.with_suffix(ENTRY)):
            if f.exists():
                fail(f"{f} exists; refusing to overwrite a receipt (give another --receipt)", code=2)
    if vkey:
        vkey = text_or_file(vkey)
    if api:
        if not token:
            fail("--token (or TENDERPROOF_TOKEN) is required with --api", code=2)
        lots = tuple(checked_id(x, "lot id") for x in lot or ())
        body, vkey = _http_submit(Server(api, token), tender, path, vkey, lots)
        entry, proof = base64.b64decode(body["entry"]), TlogProof.parse(body["tlog_proof"])
        digest = body["sealed_sha256"]
    else:
        if not (bidder and name):
            fail("without --api, give --bidder and --name (operator-local mode)", code=2)
        p = service(data_dir, db)
        data = path.read_bytes() if path.is_file() else b""
        if not data.startswith(SEALED_MAGIC):
            state = p.state(tender)
            if state is None:
                fail(f"no tender {tender}")
            data = seal.seal_bid(tender, bidding.public_key(state), seal.pack(path))
        r = bidding.submit_bid(p, tender, Actor(bidder, "bidder"), name, data,
                               lots=tuple(checked_id(x, "lot id") for x in lot or ()))
        entry, proof, digest = canonical(r.envelope), r.proof or p.log.tlog_proof(r.index), r.sealed_sha256
        vkey = vkey or p.log.head().vkey
    cp = verify_tlog_proof(proof, entry, verifiers=[verifier_from_vkey(vkey)])
    payload = json.loads(entry)["payload"]
    if payload["sealed_sha256"] != digest:
        fail("the receipt's entry is not this bid's commitment")
    bid_id = checked_id(payload["id"], "bid id")
    kept = False
    if receipt is None:
        stem, kept = receipt_paths(receipts, tender, bid_id, entry)
        receipt = stem.with_name(stem.name + PROOF)
    entry_file = receipt.with_suffix(ENTRY)
    if not kept:
        _write_new(entry_file, entry)
        _write_new(receipt, proof.format().encode())
    typer.echo(f"bid {bid_id} logged at index {proof.index} (sealed sha256 {digest}); receipt verified against "
               f"checkpoint {cp.size} of {cp.origin}: {receipt} and {entry_file}"
               + (" (already kept)" if kept else ""))


@bid_app.command("receipts")
def bid_receipts(
    tender: Annotated[str | None, typer.Option("--tender", help="Only this tender's receipts")] = None,
    receipts: ReceiptsDir = DEFAULT_RECEIPTS,
    vkey: Annotated[str | None, typer.Option(help="Verify each receipt offline against this log key (or file)")] = None,
) -> None:
    """List the receipts kept, one per bid; with --vkey, verify each offline. Exit 1 if any is invalid."""
    folders = [receipts / checked_id(tender, "tender id")] if tender else sorted(
        d for d in (receipts.iterdir() if receipts.is_dir() else ()) if d.is_dir())
    verifier = verifier_from_vkey(text_or_file(vkey)) if vkey else None
    found = bad = 0
    for folder in folders:
        for proof_file in sorted(folder.glob("*" + PROOF)):
            if proof_file.name.endswith(COSIGNED):
                continue  # listed with its receipt
            found += 1
            entry_file = proof_file.with_suffix(ENTRY)
            try:
                entry = entry_file.read_bytes()
                payload = json.loads(entry)["payload"]
                proof = TlogProof.parse(proof_file.read_text())
                note = ""
                if verifier is not None:
                    cp = verify_tlog_proof(proof, entry, verifiers=[verifier])
                    note = f"\tverified at checkpoint {cp.size}"
                cosigned = proof_file.with_name(proof_file.name.removesuffix(PROOF) + COSIGNED)
                note += f"\tcosigned: {cosigned}" if cosigned.exists() else ""
                typer.echo(f"{folder.name}\t{payload['id']}\tindex {proof.index}\tsha256 {payload['sealed_sha256']}"
                           f"\t{proof_file}{note}")
            except (OSError, ValueError, KeyError, TypeError) as e:
                bad += 1
                typer.echo(f"{folder.name}\t{proof_file.name}\tINVALID: {str(e).splitlines()[0] if str(e) else e!r}")
    if not found:
        fail(f"no receipts in {folders[0] if tender else receipts}")
    if bad:
        fail(f"{bad} of {found} receipts are invalid")


@bid_app.command("status")
def bid_status(
    tender: TenderOpt,
    api: ApiUrl,
    bid: Annotated[list[str] | None, typer.Option(
        "--bid", help="A bid id (repeatable) [default: every bid with a receipt kept for TENDER]")] = None,
    receipts: ReceiptsDir = DEFAULT_RECEIPTS,
) -> None:
    """What the public record says of your bids, and of the tender's status and deadline."""
    tender = checked_id(tender, "tender id")
    ids = [checked_id(b, "bid id") for b in bid] if bid else sorted(
        json.loads(f.read_bytes())["payload"]["id"] for f in (receipts / tender).glob("*" + ENTRY))
    if not ids:
        fail(f"give --bid: no receipts kept in {receipts / tender}", code=2)
    view = tender_view(Server(api), tender)
    bids = {b["id"]: b for b in view.get("bids", [])}
    deadline = (view.get("periods") or {}).get("tender_end")
    typer.echo(f"tender {tender}: {view['status']}; bids close at {deadline}; {len(bids)} bids on the record")
    missing = []
    for bid_id in ids:
        b = bids.get(bid_id)
        if b is None:
            missing.append(bid_id)
            typer.echo(f"bid {bid_id}: not on the record")
            continue
        extra = f", replaced by {b['replaced_by']}" if b.get("replaced_by") else ""
        typer.echo(f"bid {bid_id}: {b['status']} (received {b['date']}, sealed sha256 {b['sealed_sha256']}){extra}")
    if missing:
        fail(f"tender {tender} has no bid {', '.join(missing)}")


@bid_app.command("withdraw")
def bid_withdraw(
    tender: TenderOpt,
    bid: Annotated[str, typer.Option("--bid", help="The bid id (printed by `bid submit`)")],
    api: ApiUrl,
    token: Token,
) -> None:
    """Withdraw your bid before the deadline, with the token you submitted it with."""
    tender, bid = checked_id(tender, "tender id"), checked_id(bid, "bid id")
    body = Server(api, token).post(f"/api/tenders/{tender}/bids/withdrawals", json_body={"bid_id": bid},
                                   idempotency_key=f"withdraw-{tender}-{bid}")
    index = body["events"][0]["index"] if body.get("events") else "?"
    typer.echo(f"bid {bid} withdrawn from tender {tender} (logged at index {index})")


@bid_app.command("debriefing")
def bid_debriefing(
    tender: TenderOpt,
    bidder: Annotated[str, typer.Option("--bidder", help="Whose letter: your own bidder id (a buyer may name any)")],
    api: ApiUrl,
    token: Token,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where to write [default: debriefing-TENDER-BIDDER.json]")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists")] = False,
) -> None:
    """Fetch your written debriefing (FAR 15.506(d)) and check it is the letter the log committed to."""
    tender, bidder = checked_id(tender, "tender id"), checked_id(bidder, "bidder id")
    output = output or Path(f"debriefing-{tender}-{bidder}.json".replace(":", "_"))
    if output.exists() and not force:
        fail(f"{output} exists; refusing to overwrite it (give --force, or another -o)", code=2)
    server = Server(api, token)
    letter = server.request("GET", f"/api/tenders/{tender}/debriefings/{bidder}/letter").content
    # The server checked the letter against its digest; check it against the public log too.
    try:
        given = [(e["index"], e["envelope"]["payload"]["document_sha256"])
                 for e in server.get_json(f"/api/tenders/{tender}/events")
                 if e["envelope"]["type"] == "debriefing.given" and e["envelope"]["payload"]["bidder"] == bidder]
    except (KeyError, TypeError):
        fail(f"{server.url} did not answer with tender {tender}'s events; nothing written")
    if not given:
        fail(f"tender {tender}'s events hold no debriefing of {bidder}; nothing written")
    index, logged = given[-1]
    digest = hashlib.sha256(letter).hexdigest()
    if digest != logged:
        fail(f"the letter has SHA-256 {digest}, but event {index} logged {logged}; nothing written")
    if force:
        atomic_write(output, letter)
    else:
        _write_new(output, letter)
    typer.echo(f"debriefing of {bidder} on tender {tender} written to {output} ({len(letter)} bytes, sha256 {digest}, "
               f"as logged at index {index})")
