"""The portal beyond the JEDI path: an empty log, tenders that end without an award, a tender
without an enquiry period, and a read-only installation (no log key) serving proofs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import init, open_log
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from .conftest import portal_app
from .htmlcheck import Page

T0 = datetime(2031, 3, 3, 10, 0, tzinfo=UTC)
BUYER = Actor("co", "buyer")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def portal(settings):
    log = init(settings, origin="test.tenderproof.localhost/log")
    clock = Clock()
    p = Procurement(log, settings.data_dir, clock)
    for o in ("op1", "op2"):
        bidding.register_official(p, o, o, seal.OfficialKeyPair.generate().public_bytes())
    with TestClient(portal_app(p)) as client:
        yield p, clock, client
    log.db.dispose()


def create(p: Procurement, clock: Clock, tid: str, title: str, enquiries: bool) -> None:
    p.execute(c.CreateTender(
        tid, title=title, description="", buyer={"id": "b", "name": "Borough Council"}, method="open",
        criteria="lowestPrice", items=[{"id": "i", "description": "paper", "classification": {"scheme": "CPV", "id": "30197630"}}],
        factors=[{"id": "price", "name": "Price", "kind": "price"}], tender_end=clock.now + timedelta(days=12),
        enquiry_end=clock.now + timedelta(days=4) if enquiries else None,
        panel={"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2"]}, opening_threshold=2,
    ), BUYER)
    bidding.publish(p, tid, BUYER)


def test_an_empty_log(portal):
    p, clock, client = portal
    home = client.get("/")
    assert home.status_code == 200 and "0 in all" in home.text and "No tender matches" in home.text
    log = client.get("/log")
    assert log.status_code == 200 and "0 entries" in log.text and "no witnesses registered" in log.text
    assert Page(log.text).problems() == []
    r = client.get("/events/0")
    assert r.status_code == 404 and "The log is empty." in r.text
    assert client.get("/events/0/proof").status_code == 404


def test_cancelled_and_unsuccessful_tenders(portal):
    p, clock, client = portal
    create(p, clock, "T-CANCEL", "Paper for the town hall", enquiries=False)
    clock.now += timedelta(days=2)
    p.execute(c.CancelTender("T-CANCEL", "The requirement was withdrawn by the council."), BUYER)
    create(p, clock, "T-NOBIDS", "Printer toner", enquiries=True)
    clock.now += timedelta(days=20)
    p.run_deadlines()

    html = client.get("/tenders/T-CANCEL").text
    page = Page(html)
    assert page.problems() == []
    assert "Cancelled: The requirement was withdrawn by the council." in page.text
    svg = ET.fromstring(html[html.index("<svg "):html.index("</svg>") + 6])
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Cancelled" in labels and "Enquiries" not in labels and "Submission deadline" in labels

    html = client.get("/tenders/T-NOBIDS").text
    page = Page(html)
    assert page.problems() == []
    assert "Unsuccessful: no bids were received by the deadline" in page.text
    assert "No bids on the record." in page.text and "Enquiry period closed" in page.text

    listing = client.get("/?status=cancelled").text
    assert "T-CANCEL" in listing and "T-NOBIDS" not in listing


def test_a_read_only_portal_serves_proofs_from_the_latest_checkpoint(portal, settings):
    """Without the log key (a read replica), proofs use the latest signed checkpoint."""
    p, clock, client = portal
    create(p, clock, "T-RO", "Chairs", enquiries=False)  # each batch signs the checkpoint of its size
    ro_log = open_log(settings, signing=False)
    try:
        ro = Procurement(ro_log, settings.data_dir, clock)
        assert ro_log.latest_checkpoint() == p.log.latest_checkpoint() and p.log.head().size == 2
        # An installation without the key signs nothing: what it appends is newer than any checkpoint.
        create(ro, clock, "T-RO2", "Desks", enquiries=False)
        with TestClient(portal_app(ro)) as ro_client:
            entry = ro_client.get("/events/1/entry").content
            proof = TlogProof.parse(ro_client.get("/events/1/proof").text)
            cp = verify_tlog_proof(proof, entry, verifiers=[ro_log.log_verifier()])
            assert cp.size == 2 < ro_log.head().size == 4
            late = ro_client.get("/events/3/proof")
            assert late.status_code == 503 and "newer than the latest checkpoint" in late.text
            log_page = ro_client.get("/log")
            assert log_page.status_code == 200 and "(the log has grown since)" in log_page.text
    finally:
        ro_log.db.dispose()
