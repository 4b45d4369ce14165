"""`kill -9` of the server in the middle of a deadline rush, three times, and two server
processes at once (issue 10).

Bidders post sealed bids over HTTP to a real `tenderproof serve`; the server is killed with
SIGKILL while bids are in flight, restarted on the same data directory, and killed again. Every
bid the server acknowledged (201 with a receipt) must be in the log exactly as the receipt says,
its receipt must verify offline, the audit and the projections' rebuild must pass, and the
closing of the tender fires exactly once, however many deadline workers run.
"""

from __future__ import annotations

import base64
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tenderproof import seal
from tenderproof.app import accounts, bidding
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.instance import init, open_log
from tenderproof.ledger.audit import audit
from tenderproof.ledger.cosignature import verifier_from_vkey
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from ..app.conftest import _package

pytestmark = pytest.mark.slow
TID = "RUSH-1"
BIDDERS = 8
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(settings) -> tuple[dict[str, str], bytes]:
    log = init(settings, origin="rush.tenderproof.localhost/log")
    p = Procurement(log, settings.data_dir)
    tokens = {}
    for i in range(BIDDERS):
        accounts.add_person(p, f"b{i}", f"Bidder {i}")
        accounts.grant(p, f"b{i}", "bidder")
        tokens[f"b{i}"] = accounts.issue_token(p, f"b{i}")
    opener_keys = {f"op{i}": seal.OfficialKeyPair.generate() for i in (1, 2)}
    for o, kp in opener_keys.items():
        bidding.register_official(p, o, o, kp.public_bytes())
    now = datetime.now(UTC)
    p.execute(c.CreateTender(
        TID, title="Rush", description="kill -9 test", buyer={"id": "agency", "name": "Agency"}, method="open",
        criteria="lowestPrice", items=[{"id": "i1", "description": "x", "classification": {"scheme": "CPV", "id": "72000000"}}],
        factors=[{"id": "price", "name": "Price", "kind": "price"}], tender_end=now + timedelta(hours=1),
        enquiry_end=None, panel={"evaluator": ["ev"], "ssa": ["ssa"], "opening_official": list(opener_keys)},
        opening_threshold=2, value={"amount": "1", "currency": "USD"}), Actor("co", "buyer"))
    bidding.publish(p, TID, Actor("co", "buyer"))
    key = base64.b64decode(p.state(TID)["opening"]["public_key"])
    log.db.dispose()
    return tokens, key


class Server:
    def __init__(self, settings, workers: int = 1) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tenderproof", "serve", "--data-dir", str(settings.data_dir), "--db", settings.db_url,
             "--port", str(self.port), "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # readiness, not synchronisation: bounded
            try:
                if httpx.get(f"{self.url}/log/checkpoint", timeout=1).status_code in (200, 404):
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.proc.stderr.read().decode()[-2000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL


def _rush_until_killed(server: Server, tokens: dict[str, str], key: bytes, acked: list[dict], kill_after: int) -> None:
    """Bidders post until the server dies; it is killed once `kill_after` more bids are acknowledged."""
    target = len(acked) + kill_after
    stop = threading.Event()
    lock = threading.Lock()

    def bidder(who: str) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                blob = seal.seal_bid(TID, key, _package(f"{who} {time.monotonic_ns()}".encode()))
                try:
                    r = client.post(f"/api/tenders/{TID}/bids", content=blob,
                                    headers={"Authorization": f"Bearer {tokens[who]}"})
                except httpx.TransportError:
                    return  # the server died with this bid in flight: not acknowledged
                assert r.status_code == 201, r.text
                with lock:
                    acked.append(r.json())
                    if len(acked) >= target and not stop.is_set():
                        stop.set()
                        server.kill()

    with ThreadPoolExecutor(len(tokens)) as pool:
        list(pool.map(bidder, tokens))


def _verify(settings, acked: list[dict]) -> None:
    """Every acknowledged bid is in the log as its receipt says, the receipt verifies offline,
    and the log passes its audit."""
    log = open_log(settings)
    try:
        verifier = verifier_from_vkey(log.head().vkey)
        for receipt in acked:
            entry = base64.b64decode(receipt["entry"])
            assert log.entry(receipt["events"][0]["index"]) == entry
            verify_tlog_proof(TlogProof.parse(receipt["tlog_proof"]), entry, [verifier])
        report = audit(log)
        assert report.ok, report.problems
    finally:
        log.db.dispose()


def test_two_server_processes_take_turns_at_one_log(settings):
    """`serve --workers 2`: two processes, each with its own writer, batch into one log."""
    tokens, key = _setup(settings)
    server = Server(settings, workers=2)
    acked: list[dict] = []
    try:
        def bidder(who: str) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for i in range(15):
                    blob = seal.seal_bid(TID, key, _package(f"{who} {i}".encode()))
                    r = client.post(f"/api/tenders/{TID}/bids", content=blob,
                                    headers={"Authorization": f"Bearer {tokens[who]}"})
                    assert r.status_code == 201, r.text
                    acked.append(r.json())

        with ThreadPoolExecutor(len(tokens)) as pool:
            list(pool.map(bidder, tokens))
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=60)
    assert len({r["events"][0]["index"] for r in acked}) == BIDDERS * 15
    _verify(settings, acked)
    p = Procurement(open_log(settings), settings.data_dir)
    try:
        assert len(p.state(TID)["bids"]) == BIDDERS * 15
        assert rebuild(p, check=True).identical
    finally:
        p.db.dispose()


def test_kill_9_in_the_rush_loses_no_acknowledged_bid(settings):
    tokens, key = _setup(settings)
    acked: list[dict] = []
    for _ in range(ROUNDS):
        _rush_until_killed(Server(settings), tokens, key, acked, kill_after=40)
    assert len(acked) >= ROUNDS * 40
    _verify(settings, acked)
    # After the deadline, two deadline workers race: the closing fires exactly once.
    late = datetime.now(UTC) + timedelta(hours=2)
    workers = [Procurement(open_log(settings, signing=True), settings.data_dir, clock=lambda: late) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            fired = [e for batch in pool.map(lambda w: w.run_deadlines(), workers) for e in batch]
        assert [e.envelope["type"] for e in fired] == ["tender.tendering_closed"]
        state = workers[0].state(TID)
        assert state["status"] == "active.opening"
        assert {b["id"] for b in state["bids"].values()} >= {r["bid_id"] for r in acked}
        assert rebuild(workers[0], check=True).identical
    finally:
        for w in workers:
            w.db.dispose()
