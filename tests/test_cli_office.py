"""An office's whole tender through the CLI: docs/office.md run block by block against a live
server on a fresh data directory (onboarding, drafting with a document, publication, an answered
enquiry, an amended deadline after bids are in, the opening, ratings, the award, a debriefing,
the contract), and the CLI's officer commands refusing bad input in one line."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tenderproof.api import bodies, routes
from tenderproof.app import accounts
from tenderproof.app.service import Procurement
from tenderproof.cli.officer_cmd import check_locally
from tenderproof.instance import init

from .app.conftest import Clock
from .live_server import Walkthrough, cli, serving

DOC = Path(__file__).resolve().parents[1] / "docs" / "office.md"
START = datetime(2030, 1, 6, 15, 0, tzinfo=UTC)
AFTER_DEADLINE = datetime(2030, 2, 9, 15, 0, tzinfo=UTC)  # the amended deadline is 2030-02-08T22:00Z
AFTER_STANDSTILL = datetime(2030, 3, 25, 15, 0, tzinfo=UTC)
WHO = {"buyer": "co", "evaluator": "ev", "ssa": "ssa"}  # how the document names people with a role


@pytest.fixture
def office(settings):
    clock = Clock(START)
    p = Procurement(init(settings, origin="office.tenderproof.localhost/log"), settings.data_dir, clock)
    with serving(p) as url:
        yield p, clock, url
    p.log.db.dispose()


def test_a_whole_tender_as_documented(office, settings, tmp_path):
    p, clock, url = office
    base = Walkthrough.environment(url)
    tokens: dict[str, str] = {}

    def env_for(who: str) -> dict[str, str]:
        env = dict(base)
        if who == "operator":
            env.update(TENDERPROOF_DATA_DIR=str(settings.data_dir), TENDERPROOF_DATABASE_URL=settings.db_url)
        elif who != "anyone":
            env["TENDERPROOF_TOKEN"] = tokens[WHO.get(who, who)]
        return env

    walk = Walkthrough(DOC.read_text(), tmp_path, env_for)
    assert [s.split(" ", 1)[0] for s, _, _ in walk.blocks] == [
        "1.", "2.", "2.", "3.", "4.", "4.", "5.", "5.", "6.", "7.", "8.", "9.", "10.", "10.", "11.", "12."]
    for section, people, script in walk.blocks:
        number = section.split(" ", 1)[0]
        if number == "7.":  # the deadline passes (what `serve`'s deadline worker does every second)
            clock.now = AFTER_DEADLINE
            p.run_deadlines()
        if number == "11.":
            clock.now = AFTER_STANDSTILL
            p.run_deadlines()
        for who in people:
            walk.run(section, who, script)
            home = walk.home(who)
            if who == "operator" and (home / "tokens.csv").exists() and not tokens:
                # The operator hands each person their token.
                with (home / "tokens.csv").open() as f:
                    tokens.update({row["id"]: row["token"] for row in csv.DictReader(f)})
            if (home / "my.pub").exists():  # what an official sends the operator
                (walk.home("operator") / f"{who}.pub").write_text((home / "my.pub").read_text())
    out = walk.outputs
    assert out[("1.", "operator")].startswith("imported 7 people from people.csv")
    assert out[("3.", "buyer")] == ("create: tender OFF-1: tender.created logged at index 0\n"
                                    "publish: tender OFF-1: tender.published logged at index 1\n")

    state = p.state("OFF-1")
    # The deadline moved after the bids were in, with its rationale and the amendment's document.
    assert state["periods"]["tender_end"] == "2030-02-08T22:00:00Z"
    assert [a["rationale"] for a in state["amendments"]] == ["More time after the answer on weekend support"]
    # The enquiry is answered, and does not say who asked.
    (q,) = state["enquiries"].values()
    assert q["answer"].startswith("Yes: on-call support") and "acme" not in json.dumps(q)
    # Both bids opened; acme's won on the evaluators' ratings; globex was debriefed; the contract is signed.
    bidders = {b["id"]: b["bidder"] for b in state["bids"].values()}
    assert sorted(bidders.values()) == ["acme", "globex"]
    (award,) = state["awards"]
    assert bidders[award["bid"]] == "acme" and award["value"] == {"amount": "1150000.00", "currency": "USD"}
    assert set(state["debriefings"]) == {"globex"}
    letter = (walk.home("globex") / "debriefing.json").read_bytes()
    assert hashlib.sha256(letter).hexdigest() == state["debriefings"]["globex"]["document_sha256"]
    assert state["contract"]["id"] == "OFF-1-C1" and state["status"] == "complete"

    # Anyone downloaded every listed document, each verified against the digest the tender lists,
    # and each is byte for byte what the buyer uploaded.
    listed = {d["sha256"]: d for d in state["documents"]}
    assert {d["id"] for d in listed.values()} == {"rfp", "amendment-1"}
    uploaded = {hashlib.sha256(f.read_bytes()).hexdigest(): f.read_bytes()
                for f in (walk.home("buyer") / "rfp.txt", walk.home("buyer") / "amendment-1.txt")}
    assert set(uploaded) == set(listed)
    for sha, content in uploaded.items():
        assert (walk.home("anyone") / f"{sha}.txt").read_bytes() == content
    assert out[("12.", "anyone")] == "".join(f"{sha}.txt: SHA-256 {sha} verified\n" for sha in listed)
    # Every step is on the public log, which audits clean, and the projections rebuild from it.
    audit, _ = cli("log", "audit", "--data-dir", settings.data_dir, "--db", settings.db_url)
    assert f"{p.log.head().size} entries" in audit
    cli("rebuild", "--check", "--data-dir", settings.data_dir, "--db", settings.db_url)


def test_officer_commands_refuse_bad_input_in_one_line(office, tmp_path):
    p, clock, url = office
    api = ["--api", url, "--token", "tp_nobody"]
    # Checked here by the domain's rules before anything is sent: a missing field, a time without
    # its offset, JSON that is not JSON, a field the command does not have, an amount that is no amount.
    _, err = cli("officer", "answer", "--tender", "T-1", "--enquiry-id", "q-1", *api, check=2)
    assert err == "error: missing --answer\n"
    _, err = cli("officer", "sign", "--tender", "T-1", "--contract-id", "C-1", "--value",
                 '{"amount": "1", "currency": "USD"}', "--period-end", "2031-01-01T00:00:00", *api, check=2)
    assert "--period-end '2031-01-01T00:00:00' is not an ISO 8601 time with its offset" in err
    _, err = cli("officer", "amend", "--tender", "T-1", "--rationale", "r", "--changes", "{tender_end:", *api, check=2)
    assert err.startswith("error: --changes is not JSON")
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"enquiry_id": "q-1", "answer": "a", "colour": "red"}))
    _, err = cli("officer", "answer", "--tender", "T-1", "--body", body, *api, check=2)
    assert err.startswith("error: AnswerQuestion has no field colour")
    _, err = cli("officer", "award", "--tender", "T-1", "--bid-id", "b-1", "--rationale", "r",
                 "--value", '{"amount": "lots", "currency": "USD"}', *api, check=2)
    assert "amount" in err
    body.write_text("[1, 2]")
    _, err = cli("officer", "answer", "--tender", "T-1", "--body", body, *api, check=2)
    assert "holds a JSON list, not an object" in err
    _, err = cli("officer", "contact", "--tender", "T-1", "--official", "co", "--party", "x", "--when",
                 "2030-01-01T00:00:00Z", "--channel", "phone", "--summary", "s", "--role", "janitor", *api, check=2)
    assert "--role 'janitor' is not one of buyer, evaluator, ssa, opening_official, hca" in err
    # Sent, and refused by the server: one line with its problem code.
    _, err = cli("officer", "publish", "--tender", "T-1", *api, check=1)
    assert err.startswith("error: HTTP 401 ")
    # Nothing of any of it reached the log.
    assert p.log.head().size == 0
    # The example bodies are what the API documents, and each is a command the CLI accepts as a body.
    out, _ = cli("officer", "example", "answer")
    assert json.loads(out) == {k: v for k, v in bodies.EXAMPLES["AnswerQuestion"].items() if k != "tender_id"}
    _, err = cli("officer", "example", "bribe", check=2)
    assert err.startswith("error: no command 'bribe': one of create, amend")


@pytest.mark.parametrize("route", routes.COMMAND_ROUTES, ids=lambda r: r.verb)
def test_every_documented_example_passes_the_cli_checks(route):
    """Each command's example body (the API's own) is what `--body` takes: the CLI's checks accept it."""
    example = {k: v for k, v in bodies.EXAMPLES[route.command.__name__].items() if k != "tender_id"}
    check_locally(route.command, "T-1", example)  # a refusal would exit


def test_document_commands_refuse_in_one_line(office, settings, tmp_path):
    p, clock, url = office
    accounts.add_person(p, "co", "Casey")
    accounts.grant(p, "co", "buyer")
    token = accounts.issue_token(p, "co", "test")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    _, err = cli("document", "upload", exe, "--type", "application/x-msdownload", "--api", url, "--token", token,
                 check=1)
    assert err.startswith("error: HTTP 415 unsupported-media-type: ")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    _, err = cli("document", "upload", empty, "--api", url, "--token", token, check=2)
    assert err == f"error: {empty} is empty\n"
    unknown = tmp_path / "notes.zzz-unknown"
    unknown.write_bytes(b"x")
    _, err = cli("document", "upload", unknown, "--api", url, "--token", token, check=2)
    assert err == "error: cannot tell the media type of notes.zzz-unknown: give --type\n"
    # A file is stored, but not public until a tender lists it: nobody can download it yet.
    text = tmp_path / "terms.txt"
    text.write_text("Terms")
    entry, _ = cli("document", "upload", text, "--api", url, "--token", token)
    sha = json.loads(entry)["sha256"]
    assert json.loads(entry) == {"id": "terms", "title": "terms.txt", "sha256": sha, "size": 5, "format": "text/plain"}
    _, err = cli("document", "get", sha, "--api", url, "-o", tmp_path / "got.txt", check=1)
    assert err.startswith("error: HTTP 404 not-found: ") and not (tmp_path / "got.txt").exists()
    _, err = cli("document", "get", "abc", "--api", url, "-o", tmp_path / "got.txt", check=2)
    assert err == "error: 'abc' is not a SHA-256 (64 hex digits)\n"
    _, err = cli("document", "get", sha, "--api", url, "-o", text, check=2)
    assert err == f"error: {text} exists; give --force to overwrite it\n"
    assert text.read_text() == "Terms"
