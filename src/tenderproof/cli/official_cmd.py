"""`tenderproof official`: an official's key pair, declaration, and share of a tender's opening key.

Each bid-opening official keeps a private key on their own machine. At publication the tender's
opening key is split k-of-n and each share encrypted to one official's public key; the encrypted
shares are public (in the log and the tender's view). After the deadline, each official decrypts
their own share here (`share open`: the private key never leaves this machine) and hands it in
(`share submit`); the k-th share opens every bid. docs/opening.md walks the whole ceremony.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path
from typing import Annotated

import typer

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.domain.model import ENQUIRIES, OPENING, TENDERING
from tenderproof.fsutil import atomic_write

from .bid_cmd import TenderOpt, tender_view
from .common import DataDir, Db, fail, read_input, service
from .http_client import ApiUrl, Server, Token, checked_id

official_app = typer.Typer(help="Officials: key pairs, declarations, and shares of the bid-opening key.",
                           no_args_is_help=True)
share_app = typer.Typer(help="Your share of a tender's bid-opening key: decrypt it here, hand it in.",
                        no_args_is_help=True)
official_app.add_typer(share_app, name="share")

SHARE_MAGIC = b"TPDS"  # a decrypted share envelope (seal.opening)
MAX_SHARE_BYTES = 4096  # a SLIP-39 share with its two ids is a few hundred bytes
MAX_KEY_BYTES = 4096


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


@official_app.command("declare")
def official_declare(
    tender: TenderOpt,
    conflict: Annotated[bool, typer.Option("--conflict/--no-conflict", help="Whether you have a conflict of interest")],
    api: ApiUrl,
    token: Token,
    role: Annotated[str, typer.Option(help="The official role you act in on this tender")] = "opening_official",
    details: Annotated[str, typer.Option(help="What the conflict is (required with --conflict)")] = "",
    holding: Annotated[list[str] | None, typer.Option(help="A financial interest you hold (repeatable)")] = None,
) -> None:
    """Sign your conflict-of-interest declaration for the tender (needed before you act on it)."""
    tender = checked_id(tender, "tender id")
    body = {"role": role, "has_conflict": conflict, "details": details, "holdings": holding or []}
    result = Server(api, token).post(f"/api/tenders/{tender}/declarations", json_body=body,
                                     idempotency_key=f"declare-{tender}-{role}-{hashlib.sha256(repr(body).encode()).hexdigest()[:16]}")
    typer.echo(f"declaration for tender {tender} logged at index {result['events'][0]['index']}")


def load_private_key(path: Path) -> seal.OfficialKeyPair:
    """The official's private key file, refused if others could read it (like the log's own key)."""
    try:
        info = path.stat()
        if info.st_size > MAX_KEY_BYTES:
            fail(f"{path} is not an official's private key (too large)")
        data = path.read_bytes()
    except OSError as e:
        fail(f"cannot read the private key {path}: {e.strerror}", code=2)
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        fail(f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}): chmod 600 it first")
    try:
        return seal.OfficialKeyPair.from_private_bytes(data)
    except seal.SealError:
        fail(f"{path} is not an official's private key (made by `tenderproof official keygen`)")


def _opening_key(view: dict, tender: str) -> dict[str, bytes]:
    """The tender's encrypted shares by official, once the deadline has passed and before the opening."""
    opening, status = view.get("opening_key"), view.get("status")
    if not opening:
        fail(f"tender {tender} has no opening key: it is not published (status {status})")
    if status in (ENQUIRIES, TENDERING):
        fail(f"tender {tender} is {status}: shares are opened only after the submission deadline "
             f"{(view.get('periods') or {}).get('tender_end')}")
    if status != OPENING:
        fail(f"tender {tender} is {status}, not awaiting its opening: there is no share to hand in")
    return {o: base64.b64decode(s) for o, s in opening["encrypted_shares"].items()}


@share_app.command("open")
def share_open(
    tender: TenderOpt,
    key: Annotated[Path, typer.Option("--key", help="Your private key file (from `official keygen`); stays here")],
    api: ApiUrl,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the share here (mode 0600) [default: base64 on stdout]")] = None,
    official: Annotated[str | None, typer.Option(help="Your official id [default: the one this key opens]")] = None,
) -> None:
    """Decrypt your share of the tender's opening key on this machine (the key is never sent)."""
    tender = checked_id(tender, "tender id")
    keypair = load_private_key(key)
    shares = _opening_key(tender_view(Server(api), tender), tender)
    named = ", ".join(sorted(shares))
    if official is not None and official not in shares:
        fail(f"{official} is not an opening official of tender {tender} (its officials: {named})")
    opened: dict[str, bytes] = {}
    for oid in [official] if official else sorted(shares):
        try:
            opened[oid] = seal.decrypt_share(tender, oid, shares[oid], keypair)
        except seal.SealError:
            continue  # not this official's share, or not this key
    if not opened:
        fail(f"{key} is not {official}'s key: it cannot open their share of tender {tender}" if official else
             f"{key} opens none of tender {tender}'s shares: you are not one of its opening officials ({named}), "
             "or this is not the key you registered")
    oid, share = next(iter(opened.items()))
    if output is None:
        typer.echo(base64.b64encode(share).decode())
        return
    atomic_write(output, share, mode=0o600)
    typer.echo(f"share of tender {tender} for official {oid} written to {output} (mode 0600); hand it in with "
               f"`tenderproof official share submit --tender {tender} --share {output}`")


def _read_share(path: Path) -> bytes:
    data = read_input(path, MAX_SHARE_BYTES, f"{path} is not a decrypted share (larger than {MAX_SHARE_BYTES} bytes)")
    if not data.startswith(SHARE_MAGIC):
        try:
            data = base64.b64decode(data.strip(), validate=True)
        except ValueError:
            data = b""
    if not data.startswith(SHARE_MAGIC):
        fail(f"{path} is not a decrypted share (made by `tenderproof official share open`)", code=2)
    return data


@share_app.command("submit")
def share_submit(
    tender: TenderOpt,
    share: Annotated[Path, typer.Option("--share", help="The file `share open` wrote (or - for stdin)")],
    api: ApiUrl,
    token: Token,
) -> None:
    """Hand in your decrypted share; the k-th share opens every bid at once."""
    tender = checked_id(tender, "tender id")
    data = _read_share(share)
    server = Server(api, token)
    result = server.post(f"/api/tenders/{tender}/shares", content=data,
                         idempotency_key="share-" + hashlib.sha256(data).hexdigest())
    events = result.get("events") or []
    index = events[0]["index"] if events else "?"
    if any(e.get("type") == "bids.opened" for e in events):
        typer.echo(f"share of tender {tender} accepted (logged at index {index}); it was the k-th: the bids are open")
        return
    view = tender_view(server, tender)
    typer.echo(f"share of tender {tender} accepted (logged at index {index}); {len(view['shares_submitted'])} of "
               f"the {view['opening_threshold']} needed are in")
