"""The opening ceremony from the officials' CLI: docs/opening.md run block by block against a live
server on a fresh data directory, and every refusal of `official share open|submit` as one line."""

from __future__ import annotations

import base64
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tenderproof import seal
from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.instance import init

from .app.conftest import T0, Clock
from .live_server import Walkthrough, cli, dead_url, serving

DOC = Path(__file__).resolve().parents[1] / "docs" / "opening.md"
PEOPLE = {"co": "buyer", "alice": "opening_official", "bob": "opening_official", "carol": "opening_official",
          "acme": "bidder", "globex": "bidder"}
AFTER_DEADLINE = datetime(2030, 2, 2, tzinfo=UTC)  # the documented tender_end is 2030-02-01T22:00Z


class Office:
    """A fresh installation on a settable clock, served live, with an account and token per person."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.clock = Clock(T0)
        self.p = Procurement(init(settings, origin="opening.tenderproof.localhost/log"), settings.data_dir, self.clock)
        self.tokens = {}
        for who, role in PEOPLE.items():
            accounts.add_person(self.p, who, who.title())
            accounts.grant(self.p, who, role)
            self.tokens[who] = accounts.issue_token(self.p, who, "test")
        self.url = ""

    def pass_deadline(self, when: datetime = AFTER_DEADLINE) -> None:
        self.clock.now = when
        self.p.run_deadlines()  # what `serve`'s deadline worker does every second


@pytest.fixture
def office(settings):
    o = Office(settings)
    with serving(o.p) as url:
        o.url = url
        yield o
    o.p.log.db.dispose()


def test_the_opening_ceremony_as_documented(office, tmp_path):
    """docs/opening.md, run as written: every official, the operator, the buyer, a bidder, anyone."""
    o = office
    base = Walkthrough.environment(o.url)

    def env_for(who):
        env = dict(base)
        if who == "operator":
            env.update(TENDERPROOF_DATA_DIR=str(o.settings.data_dir), TENDERPROOF_DATABASE_URL=o.settings.db_url)
        elif who != "anyone":
            env["TENDERPROOF_TOKEN"] = o.tokens["co" if who == "buyer" else who]
        return env

    walk = Walkthrough(DOC.read_text(), tmp_path, env_for)
    assert len(walk.blocks) == 7
    for section, people, script in walk.blocks:
        if section.startswith("6.") and o.p.state("OPS-7")["status"] != "active.opening":
            o.pass_deadline()
        for who in people:
            walk.run(section, who, script)
            if (walk.home(who) / "my.pub").exists():  # what an official sends the operator
                (walk.home("operator") / f"{who}.pub").write_text((walk.home(who) / "my.pub").read_text())
    outputs = walk.outputs
    # The officials' keys stayed on their machines, private; their shares were removed after use.
    for who in ("alice", "bob", "carol"):
        key = tmp_path / who / "my.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert not (tmp_path / who / "OPS-7.share").exists()
    assert "1 of the 2 needed are in" in outputs[("6.", "alice")]
    assert "it was the k-th: the bids are open" in outputs[("6.", "bob")]
    assert outputs[("4.", "acme")].startswith("bid bid-")
    # The bids are open, named; the shares are gone from the server; the opening verifies.
    state = o.p.state("OPS-7")
    assert state["status"] == "active.evaluation" and state["opened"] is not None
    assert [b["bidder"] for b in state["bids"].values()] == ["acme"]
    assert outputs[("7.", "anyone")].startswith("valid: entry ")
    assert "valid" in outputs[("7.", "operator")].splitlines()[-1].lower()
    # No official's private key reached the server: not in any file of its data directory.
    seeds = [(tmp_path / w / "my.key").read_bytes()[5:] for w in ("alice", "bob", "carol")]
    for f in o.settings.data_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(s in data for s in seeds), f"a private key in {f}"


TENDER = {
    "tender_id": "K-1", "title": "Keys", "description": "", "buyer": {"id": "agency", "name": "Agency"},
    "method": "open", "criteria": "lowestPrice",
    "items": [{"id": "i1", "description": "x", "classification": {"scheme": "CPV", "id": "72000000"}}],
    "factors": [{"id": "price", "name": "Price", "kind": "price"}],
    "panel": {"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": ["alice", "bob", "carol"]},
    "opening_threshold": 2, "tender_end": "2030-01-15T12:00:00Z",
}


def test_share_open_and_submit_refusals(office, tmp_path):
    o = office
    keys = {}
    for who in ("alice", "bob", "carol", "mallory"):
        keys[who] = tmp_path / f"{who}.key"
        pub, _ = cli("official", "keygen", "-o", keys[who])
        if who != "mallory":
            cli("official", "register", who, pub.strip(), "--data-dir", o.settings.data_dir, "--db", o.settings.db_url)
    auth = {"Authorization": f"Bearer {o.tokens['co']}"}
    assert httpx.post(f"{o.url}/api/tenders", json=TENDER, headers=auth).status_code == 201
    assert httpx.post(f"{o.url}/api/tenders/K-1/publication", headers=auth).status_code == 201
    api = ["--api", o.url]

    def as_(who):
        return [*api, "--token", o.tokens[who]]

    # Too early: the deadline has not passed.
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["alice"], *api, check=1)
    assert err == "error: tender K-1 is active.tendering: shares are opened only after the submission deadline " \
                  "2030-01-15T12:00:00Z\n"
    proposal = tmp_path / "proposal"
    proposal.mkdir()
    (proposal / "price.txt").write_text("PRICE 5")
    cli("bid", "submit", proposal, "--tender", "K-1", *as_("acme"), "--receipts", tmp_path / "receipts")
    o.pass_deadline(datetime(2030, 1, 16, tzinfo=UTC))
    # A key that opens no share; an official not named; somebody else's share.
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["mallory"], *api, check=1)
    assert "opens none of tender K-1's shares: you are not one of its opening officials (alice, bob, carol)" in err
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["alice"], "--official", "dave", *api,
                 check=1)
    assert err == "error: dave is not an opening official of tender K-1 (its officials: alice, bob, carol)\n"
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["alice"], "--official", "bob", *api,
                 check=1)
    assert "is not bob's key" in err
    # A key file others can read, or that is no key at all.
    keys["alice"].chmod(0o644)
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["alice"], *api, check=1)
    assert "is readable by others (mode 644): chmod 600 it first" in err
    keys["alice"].chmod(0o600)
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"TPKS" + os.urandom(40))
    junk.chmod(0o600)
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", junk, *api, check=1)
    assert "is not an official's private key" in err
    # Alice's share, to stdout (base64), handed in from stdin; first without a declaration.
    b64, _ = cli("official", "share", "open", "--tender", "K-1", "--key", keys["alice"], *api)
    encrypted = base64.b64decode(o.p.state("K-1")["opening"]["encrypted_shares"]["alice"])
    share = seal.decrypt_share("K-1", "alice", encrypted, seal.OfficialKeyPair.from_private_bytes(
        keys["alice"].read_bytes()))
    assert base64.b64decode(b64) == share
    _, err = cli("official", "share", "submit", "--tender", "K-1", "--share", "-", *as_("alice"), stdin=b64.encode(),
                 check=1)
    assert err.startswith("error: HTTP 403 no-declaration: ")
    cli("official", "declare", "--tender", "K-1", "--no-conflict", *as_("alice"))
    out, _ = cli("official", "share", "submit", "--tender", "K-1", "--share", "-", *as_("alice"), stdin=b64.encode())
    assert "1 of the 2 needed are in" in out
    # Not a share at all; alice's share handed in by bob; the share server unreachable.
    bad = tmp_path / "bad.share"
    bad.write_text("hello")
    cli("official", "share", "submit", "--tender", "K-1", "--share", bad, *as_("bob"), check=2)
    cli("official", "declare", "--tender", "K-1", "--no-conflict", *as_("bob"))
    alices = tmp_path / "alice.share"
    alices.write_bytes(share)
    _, err = cli("official", "share", "submit", "--tender", "K-1", "--share", alices, *as_("bob"), check=1)
    assert err.startswith("error: HTTP 422 bad-share: this share cannot be bob's share of tender K-1")
    bobs = tmp_path / "bob.share"
    out, _ = cli("official", "share", "open", "--tender", "K-1", "--key", keys["bob"], *api, "-o", bobs)
    assert "for official bob written to" in out and stat.S_IMODE(bobs.stat().st_mode) == 0o600
    _, err = cli("official", "share", "submit", "--tender", "K-1", "--share", bobs, "--api", dead_url(),
                 "--token", o.tokens["bob"], check=1)
    assert err.startswith("error: cannot reach ")
    assert list(o.p.state("K-1")["shares"]) == ["alice"]
    # The k-th share opens the bids; after that there is nothing to open.
    out, _ = cli("official", "share", "submit", "--tender", "K-1", "--share", bobs, *as_("bob"))
    assert "it was the k-th: the bids are open" in out
    _, err = cli("official", "share", "open", "--tender", "K-1", "--key", keys["carol"], *api, check=1)
    assert err == "error: tender K-1 is active.evaluation, not awaiting its opening: there is no share to hand in\n"
    # Keygen never overwrites a private key.
    _, err = cli("official", "keygen", "-o", keys["alice"], check=1)
    assert "refusing to overwrite a private key" in err
