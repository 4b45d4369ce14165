"""`tenderproof bid cosigned`: a bidder's receipts, proven again against a cosigned checkpoint.

A receipt is answered the moment the bid is logged, against a checkpoint only the log has signed.
Once the log's witnesses have cosigned a later checkpoint (the policy's quorum), the server proves
the same entry against it (`GET /log/proof/N?cosigned=1`); this keeps that proof beside the
receipt, verified here against the tlog-policy first. A court then needs no trust in the operator
for the bid's time and content: k independent witnesses saw the same log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenderproof.ledger.policy import Policy, PolicyError
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from .bid_cmd import COSIGNED, DEFAULT_RECEIPTS, ENTRY, PROOF, ReceiptsDir, _write_new
from .common import fail
from .http_client import ApiUrl, Server, checked_id

MAX_POLICY_BYTES = 64 * 1024


def bid_cosigned(
    policy: Annotated[Path, typer.Option("--policy", help="The log's tlog-policy (log key, witnesses, quorum), "
                                                            "from a source other than the server")],
    api: ApiUrl,
    tender: Annotated[str | None, typer.Option("--tender", help="Only this tender's receipts")] = None,
    receipts: ReceiptsDir = DEFAULT_RECEIPTS,
) -> None:
    """Keep, beside each receipt, its proof against a checkpoint the witnesses' quorum cosigned."""
    try:
        text = policy.read_bytes()[: MAX_POLICY_BYTES + 1]
        pol = Policy.parse(text.decode("utf-8"))
    except OSError as e:
        fail(f"cannot read {policy}: {e.strerror}", code=2)
    except (UnicodeDecodeError, PolicyError, ValueError) as e:
        fail(f"{policy} is not a tlog-policy: {e}", code=2)
    folders = [receipts / checked_id(tender, "tender id")] if tender else sorted(
        d for d in (receipts.iterdir() if receipts.is_dir() else ()) if d.is_dir())
    server = Server(api)
    kept = waiting = already = 0
    for folder in folders:
        for proof_file in sorted(folder.glob("*" + PROOF)):
            if proof_file.name.endswith(COSIGNED):
                continue
            target = proof_file.with_name(proof_file.name.removesuffix(PROOF) + COSIGNED)
            if target.exists():
                already += 1
                continue
            try:
                entry = proof_file.with_suffix(ENTRY).read_bytes()
                index = TlogProof.parse(proof_file.read_text()).index
            except (OSError, ValueError) as e:
                fail(f"{proof_file} is not a receipt: {e}")
            r = server.request("GET", f"/log/proof/{index}?cosigned=1", accept=frozenset({404}))
            if r.status_code == 404:
                waiting += 1
                typer.echo(f"{proof_file}: not cosigned yet")
                continue
            try:
                cp = verify_tlog_proof(TlogProof.parse(r.text), entry, policy=pol)
            except ValueError as e:
                fail(f"the server's cosigned proof of entry {index} does not verify against {policy}: {e}")
            _write_new(target, r.content)
            kept += 1
            typer.echo(f"{target}: entry {index} in the checkpoint of size {cp.size}, cosigned by the policy's quorum")
    typer.echo(f"{kept} cosigned proofs kept, {already} kept before, {waiting} not cosigned yet")
