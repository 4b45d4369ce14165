"""The bidder's CLI against a real server: submit (one receipt file per bid, never overwritten),
receipts, status, withdraw, enquiries; and every network or HTTP failure as one line and exit 1."""

from __future__ import annotations

import hashlib
import os
import socket
from datetime import timedelta

import pytest

from .api.conftest import make_api
from .api.test_debriefing_letter import TID as DEB
from .api.test_debriefing_letter import awarded, debrief
from .live_server import cli, dead_url, serving

TID = "CLI-1"
TENDER = {
    "tender_id": TID, "title": "Cloud", "description": "", "buyer": {"id": "agency", "name": "Agency"},
    "method": "open", "criteria": "lowestPrice",
    "items": [{"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}],
    "factors": [{"id": "tech", "name": "Technical"}, {"id": "price", "name": "Price", "kind": "price"}],
    "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["op1", "op2", "op3"]},
    "opening_threshold": 2,
}


@pytest.fixture
def live(settings):
    a = make_api(settings, "cli.tenderproof.localhost/log")
    body = dict(TENDER, tender_end=(a.clock.now + timedelta(days=30)).isoformat(),
                enquiry_end=(a.clock.now + timedelta(days=10)).isoformat())
    assert a.post("/api/tenders", "co", json=body).status_code == 201
    assert a.post(f"/api/tenders/{TID}/publication", "co").status_code == 201
    with serving(a.p) as url:
        yield a, url
    a.p.log.db.dispose()


def _bid(tmp_path, name: str, text: str):
    d = tmp_path / name
    d.mkdir()
    (d / "price.txt").write_text(text)
    return d


def test_bidder_asks_submits_follows_and_withdraws(live, tmp_path):
    a, url = live
    acme = ["--api", url, "--token", a.tokens["acme"]]
    receipts = tmp_path / "receipts"
    # Enquiries: asked without a name, listed with their answers.
    out, _ = cli("enquiry", "ask", "--tender", TID, "--question", "Is\nFedRAMP High required?", *acme)
    qid = out.split()[1]
    assert out.startswith(f"enquiry {qid} asked on tender {TID}")
    out, _ = cli("enquiry", "list", "--tender", TID, "--api", url)
    assert out == f"{qid}\t{out.split(chr(9))[1]}\tIs FedRAMP High required?\t(not answered yet)\n"
    assert a.post(f"/api/tenders/{TID}/enquiries/answers", "co", json={"enquiry_id": qid, "answer": "Yes."}
                  ).status_code == 201
    out, _ = cli("enquiry", "list", "--tender", TID, "--api", url)
    assert out.rstrip().endswith("\tYes.")
    # Two submissions keep two receipts; the first file is never touched again.
    out, _ = cli("bid", "submit", _bid(tmp_path, "b1", "PRICE 100"), "--tender", TID, "--receipts", receipts, *acme)
    first = out.split()[1]
    assert out.startswith(f"bid {first} logged at index") and "receipt verified" in out
    kept = receipts / TID / f"{first}.tlog-proof"
    before = kept.read_bytes()
    out, _ = cli("bid", "submit", _bid(tmp_path, "b2", "PRICE 90"), "--tender", TID, "--receipts", receipts, *acme)
    second = out.split()[1]
    assert second != first and kept.read_bytes() == before
    assert sorted(p.name for p in (receipts / TID).iterdir()) == sorted(
        f"{b}{s}" for b in (first, second) for s in (".entry", ".tlog-proof"))
    # The same sealed blob sent again (a retry): the server replays; the receipt is already kept.
    key = a.get(f"/api/tenders/{TID}").json()["opening_key"]["public_key"]
    sealed = tmp_path / "b3.sealed"
    cli("bid", "seal", _bid(tmp_path, "b3", "PRICE 80"), "--tender", TID, "--key", key, "-o", sealed)
    out1, _ = cli("bid", "submit", sealed, "--tender", TID, "--receipts", receipts, *acme)
    out2, _ = cli("bid", "submit", sealed, "--tender", TID, "--receipts", receipts, *acme)
    third = out1.split()[1]
    assert out2.split()[1] == third and out2.rstrip().endswith("(already kept)")
    assert len(list((receipts / TID).iterdir())) == 6
    # An explicit --receipt that exists is refused before anything is sent.
    size = a.p.log.head().size
    cli("bid", "submit", sealed, "--tender", TID, "--receipt", kept, *acme, check=2)
    assert a.p.log.head().size == size
    # The receipts, verified offline.
    out, _ = cli("bid", "receipts", "--receipts", receipts, "--vkey", a.p.log.head().vkey)
    lines = out.splitlines()
    assert len(lines) == 3 and all("verified at checkpoint" in line for line in lines)
    assert {line.split("\t")[1] for line in lines} == {first, second, third}
    # Status from the public record, for every bid with a kept receipt.
    out, _ = cli("bid", "status", "--tender", TID, "--api", url, "--receipts", receipts)
    assert out.startswith(f"tender {TID}: active.enquiries; bids close at ")
    assert all(f"bid {b}: submitted" in out for b in (first, second, third))
    # Withdrawal: by the token that submitted it, and by no other.
    _, err = cli("bid", "withdraw", "--tender", TID, "--bid", first, "--api", url, "--token", a.tokens["globex"],
                 check=1)
    assert err == f"error: HTTP 404 not-found: no bid {first} of yours on tender {TID}\n"
    out, _ = cli("bid", "withdraw", "--tender", TID, "--bid", first, *acme)
    assert out.startswith(f"bid {first} withdrawn from tender {TID}")
    out, _ = cli("bid", "status", "--tender", TID, "--bid", first, "--api", url)
    assert f"bid {first}: withdrawn" in out
    # A bid the record does not hold.
    _, err = cli("bid", "status", "--tender", TID, "--bid", "bid-nope", "--api", url, check=1)
    assert err == f"error: tender {TID} has no bid bid-nope\n"
    # A damaged receipt is reported, and the listing fails.
    (receipts / TID / f"{second}.entry").write_bytes(b"{}")
    _, err = cli("bid", "receipts", "--receipts", receipts, "--vkey", a.p.log.head().vkey, check=1)
    assert "1 of 3 receipts are invalid" in err


def test_every_failure_is_one_line(live, tmp_path):
    a, url = live
    bid = _bid(tmp_path, "b", "PRICE 1")
    tok = ["--token", a.tokens["acme"]]
    dead = dead_url()
    # Nobody listens: connection refused, for every command that talks to a server.
    for args in (["bid", "submit", bid, "--tender", TID, "--api", dead, *tok],
                 ["bid", "status", "--tender", TID, "--bid", "b-1", "--api", dead],
                 ["bid", "withdraw", "--tender", TID, "--bid", "b-1", "--api", dead, *tok],
                 ["enquiry", "ask", "--tender", TID, "--question", "q?", "--api", dead, *tok],
                 ["enquiry", "list", "--tender", TID, "--api", dead]):
        _, err = cli(*args, check=1)
        assert err.startswith(f"error: cannot reach {dead}: ") and "refused" in err.lower(), err
    # A name that does not resolve.
    _, err = cli("enquiry", "list", "--tender", TID, "--api", "http://tenders.invalid", check=1)
    assert err.startswith("error: cannot reach http://tenders.invalid: ")
    # A server that accepts the connection and never answers: the read times out.
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        env = dict(os.environ, TENDERPROOF_HTTP_TIMEOUT="1")
        _, err = cli("enquiry", "list", "--tender", TID, "--api", f"http://127.0.0.1:{mute.getsockname()[1]}",
                     env=env, check=1)
        assert "did not answer GET /api/tenders/CLI-1 within 1 s" in err
    # Not a URL; not an id.
    cli("enquiry", "list", "--tender", TID, "--api", "ftp://example.org", check=2)
    _, err = cli("bid", "status", "--tender", "../log", "--bid", "b", "--api", url, check=2)
    assert "tender id '../log' must be" in err
    # HTTP 401: a token the server does not know.
    _, err = cli("bid", "withdraw", "--tender", TID, "--bid", "b-1", "--api", url, "--token", "tp_wrong", check=1)
    assert err.startswith("error: HTTP 401 unauthenticated: ")
    # HTTP 404: no such tender; no such bid of yours.
    _, err = cli("enquiry", "list", "--tender", "NOPE", "--api", url, check=1)
    assert err == "error: HTTP 404 not-found: no tender NOPE\n"
    _, err = cli("bid", "withdraw", "--tender", TID, "--bid", "bid-0", "--api", url, *tok, check=1)
    assert err == f"error: HTTP 404 not-found: no bid bid-0 of yours on tender {TID}\n"
    # HTTP 422: a blob that is not a padded sealed bid; a bid sealed for another tender.
    fake = tmp_path / "fake.sealed"
    fake.write_bytes(b"TPSB" + os.urandom(100))
    _, err = cli("bid", "submit", fake, "--tender", TID, "--api", url, *tok, check=1)
    assert err.startswith("error: HTTP 422 not-sealed: ")
    # HTTP 409: an enquiry after the enquiry period; a withdrawal after the deadline.
    a.clock.advance(days=11)
    _, err = cli("enquiry", "ask", "--tender", TID, "--question", "late?", "--api", url, *tok, check=1)
    assert err.startswith("error: HTTP 409 enquiries-closed: the enquiry period ended at ")
    out, _ = cli("bid", "submit", bid, "--tender", TID, "--api", url, *tok, "--receipts", tmp_path / "r")
    bid_id = out.split()[1]
    a.clock.advance(days=20)
    _, err = cli("bid", "withdraw", "--tender", TID, "--bid", bid_id, "--api", url, *tok, check=1)
    assert err == "error: HTTP 409 late-withdrawal: bids can only be withdrawn before the submission deadline\n"
    # Nothing of a token or a traceback ever reaches the output.
    assert a.tokens["acme"] not in err and "Traceback" not in err


def test_a_key_for_another_tender_is_refused_with_one_line(live, tmp_path):
    a, url = live
    other = dict(TENDER, tender_id="CLI-2", tender_end=(a.clock.now + timedelta(days=30)).isoformat())
    assert a.post("/api/tenders", "co", json=other).status_code == 201
    assert a.post("/api/tenders/CLI-2/publication", "co").status_code == 201
    key2 = a.get("/api/tenders/CLI-2").json()["opening_key"]["public_key"]
    sealed = tmp_path / "x.sealed"
    cli("bid", "seal", _bid(tmp_path, "b", "PRICE 7"), "--tender", "CLI-2", "--key", key2, "-o", sealed)
    _, err = cli("bid", "submit", sealed, "--tender", TID, "--api", url, "--token", a.tokens["acme"],
                 "--receipts", tmp_path / "r", check=1)
    assert err == f"error: HTTP 422 wrong-tender: the bid was sealed for tender 'CLI-2', not '{TID}'\n"
    assert not (tmp_path / "r").exists()


def test_the_offeror_fetches_its_debriefing_letter(live, tmp_path):
    a, url = live
    awarded(a)
    logged = debrief(a, "globex")
    globex = ["--api", url, "--token", a.tokens["globex"]]
    out, _ = cli("bid", "debriefing", "--tender", DEB, "--bidder", "globex", *globex, cwd=tmp_path)
    kept = tmp_path / f"debriefing-{DEB}-globex.json"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == logged
    index = next(e.index for e in a.p.events(DEB) if e.envelope["type"] == "debriefing.given")
    assert out == (f"debriefing of globex on tender {DEB} written to {kept.name} ({kept.stat().st_size} bytes, "
                   f"sha256 {logged}, as logged at index {index})\n")
    # An existing file is kept unless --force.
    kept.write_bytes(b"my notes")
    _, err = cli("bid", "debriefing", "--tender", DEB, "--bidder", "globex", *globex, "-o", kept, check=2)
    assert err == f"error: {kept} exists; refusing to overwrite it (give --force, or another -o)\n"
    assert kept.read_bytes() == b"my notes"
    cli("bid", "debriefing", "--tender", DEB, "--bidder", "globex", *globex, "-o", kept, "--force")
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == logged
    # The buyer may fetch it too; the awardee may not, and nothing is written.
    other = tmp_path / "other.json"
    cli("bid", "debriefing", "--tender", DEB, "--bidder", "globex", "--api", url, "--token", a.tokens["co"], "-o", other)
    assert other.read_bytes() == kept.read_bytes()
    _, err = cli("bid", "debriefing", "--tender", DEB, "--bidder", "globex", "--api", url, "--token", a.tokens["acme"],
                 "-o", tmp_path / "stolen.json", check=1)
    assert err.startswith("error: HTTP 403 forbidden: ") and not (tmp_path / "stolen.json").exists()
    # No debriefing of globex on the CLI tender: one line, nothing written.
    _, err = cli("bid", "debriefing", "--tender", TID, "--bidder", "globex", *globex, "-o", tmp_path / "n.json",
                 check=1)
    assert err == f"error: HTTP 404 not-found: no debriefing of globex on tender {TID}\n"
    assert not (tmp_path / "n.json").exists()
