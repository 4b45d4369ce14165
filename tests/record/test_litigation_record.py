"""An administrative record filed with a manifest the log does not bear out: the domain accepts
any logged event number in the log's order, and the offline verifier is what proves each entry's
ledger index and leaf hash (record/verify_litigation.py). A careless or dishonest filing fails it."""

from __future__ import annotations

import pytest

from tenderproof.app.litigation import record_manifest
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.record import export_record, verify_record

from ..app.conftest import BUYER, TID

ACME = Actor("acme", "bidder")
COURT = Actor("cofc", "reviewer")


def filed(done, tamper) -> list[str]:
    """acme's suit, the record filed with a manifest `tamper`ed; the verifier's failures."""
    done.p.execute(c.FileProtest(TID, "cofc-1", "cofc", "Unequal treatment."), ACME)
    done.p.execute(c.DocketProtest(TID, "cofc-1"), COURT)
    manifest = record_manifest(done.p, TID)
    tamper(manifest[-1])
    done.p.execute(c.FileAdministrativeRecord(TID, "cofc-1", "ar-1", "The record.", manifest), BUYER)
    report = verify_record(export_record(done.p, TID).data)
    return [x.text for x in report.failures]


def test_an_honest_manifest_verifies(done):
    assert filed(done, lambda entry: None) == []


@pytest.mark.parametrize(("tamper", "says"), [
    (lambda e: e.update(index=e["index"] + 1000), "the filing says"),
    (lambda e: e.update(leaf_hash="00" * 32), "is not the one filed"),
])
def test_a_manifest_the_log_does_not_bear_out_fails_verification(done, tamper, says):
    failures = filed(done, tamper)
    assert len(failures) == 1 and "names what the log does not hold" in failures[0] and says in failures[0]
