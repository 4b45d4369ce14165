"""`tenderproof verify`: check a tlog-proof offline, against a log key or a tlog-policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenderproof.ledger.cosignature import verifier_from_vkey
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from .common import fail, text_or_file
from .record_cmd import MaxBytes, max_bytes_of, verify_record_file


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        fail(f"cannot read {what} {path}: {e.strerror}", code=2)


def verify(
    proof: Annotated[Path, typer.Argument(help="A C2SP tlog-proof file, or a record bundle (.zip)")],
    entry: Annotated[Path | None, typer.Option("--entry", help="File holding the entry's exact bytes")] = None,
    vkey: Annotated[str | None, typer.Option("--vkey", help="The log's verifier key, or a file holding it")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="A C2SP tlog-policy file")] = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Verify offline: a tlog-proof of ENTRY, or an administrative record (.zip). Exit 0 if valid, 1 if not."""
    if proof.suffix == ".zip":
        raise typer.Exit(verify_record_file(proof, policy, vkey, max_bytes_of(max_bytes)))
    if max_bytes is not None:
        fail("--max-bytes caps a record bundle (.zip); a tlog-proof has no such cap", code=2)
    if entry is None:
        fail("give --entry FILE with the exact bytes of the entry the proof is for", code=2)
    if (vkey is None) == (policy is None):
        fail("give exactly one of --vkey and --policy", code=2)
    proof_text = _read(proof, "proof")
    entry_bytes = _read(entry, "entry")
    try:
        parsed = TlogProof.parse(proof_text.decode("utf-8"))
        if policy is not None:
            pol = Policy.parse(_read(policy, "policy").decode("utf-8"))
            cp = verify_tlog_proof(parsed, entry_bytes, policy=pol)
        elif vkey is not None:  # exactly one of the two is given (checked above)
            cp = verify_tlog_proof(parsed, entry_bytes, verifiers=[verifier_from_vkey(text_or_file(vkey))])
    except (ValueError, UnicodeDecodeError) as e:
        fail(f"invalid: {e}", code=1)
    typer.echo(f"valid: entry {parsed.index} is in log {cp.origin} at tree size {cp.size}")
