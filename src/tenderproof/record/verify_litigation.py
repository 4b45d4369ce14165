"""What the court saw is part of the log: each administrative-record filing in a bundle names
the events it holds (the tender's event number, ledger index and leaf hash, RCFC App. C ¶22), and
each must be an event of this bundle, with that very leaf hash, proven at that very index. The
filing's own event is proven like every other, so a manifest cannot be rewritten either."""

from __future__ import annotations

from tenderproof.domain.events import EventType
from tenderproof.ledger.merkle import leaf_hash
from tenderproof.ledger.tlogproof import TlogProof, TlogProofError

from .bundle import event_name
from .reading import Reading


def check_record_filings(b: Reading) -> None:
    r = b.report
    events, proofs = b.of_kind("event"), b.of_kind("proof")
    for seq, env in sorted(b.envs.items()):
        if env.get("type") != EventType.LITIGATION_RECORD_FILED:
            continue
        payload = env.get("payload") or {}
        name, bad = event_name(seq), []
        manifest = payload.get("manifest") or []
        for i, entry in enumerate(manifest):
            s = entry.get("seq")
            if s not in events or s not in proofs:
                bad.append(f"entry {i}: event seq {s} is not in the bundle")
                continue
            if leaf_hash(events[s]).hex() != entry.get("leaf_hash"):
                bad.append(f"entry {i}: the leaf hash of event seq {s} is not the one filed")
                continue
            try:
                index = TlogProof.parse(proofs[s]).index
            except TlogProofError:
                continue  # check_events already failed this proof
            if index != entry.get("index"):
                bad.append(f"entry {i}: event seq {s} is at ledger index {index}, the filing says {entry.get('index')}")
        if bad:
            r.fail(name, f"administrative record {payload.get('id')!r} names what the log does not hold: "
                         + "; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
        else:
            r.ok(name, f"administrative record {payload.get('id')!r} of protest {payload.get('protest')!r}: all "
                       f"{len(manifest)} events filed are events of this record, each proven in the log at the "
                       "index filed (what the court saw is a subset of the log)")
