"""The trust network end to end, on 127.0.0.1: a log served over HTTP (a Procurement taking real
bids), three witnesses (`tenderproof.witness.server`, each under its own uvicorn) with quorum 2,
the log's pusher, and two monitors that each gossip with the other and take the witnesses'
`GET /checkpoint/{origin}` as peers. What issue 15 asks of it:

(a) bids are cosigned by at least two witnesses, and both monitors follow and agree;
(b) a second history under the same log key is refused by every witness (evidence kept by the one
    it was pushed to), and the monitor it is shown to, and the other, raise split-view alerts;
(c) a rollback is an alert at a monitor and refused by a witness;
(d) a witness stopped in the middle of appends blocks nothing, the other two meet the quorum, and
    restarted from its directory it still holds what it acknowledged.

No sleeps: every wait is a bounded `Pusher.wait_for` on a condition, with a deadline.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tenderproof.api import create_app as api_app
from tenderproof.ledger import witness_push, witnessing
from tenderproof.ledger.checkpoint import Checkpoint
from tenderproof.ledger.note import parse_note
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof
from tenderproof.ledger.witness_push import Pusher, WitnessStatus
from tenderproof.monitor import Monitor
from tenderproof.monitor.gossip import gossip_app
from tenderproof.record.export import export_record
from tenderproof.witness import Request, Witness
from tenderproof.witness.server import create_app as witness_app

from .app.conftest import TID, World, world  # noqa: F401  (the fixture)
from .live_server import cli, serving
from .monitor.conftest import Front, envelopes, procurement, serve_asgi

WAIT = 15.0  # seconds: the deadline of waits that normally end in milliseconds
QUORUM = 2


@dataclass
class Network:
    world: World
    log_url: str
    fronts: list[Front]  # the log as each monitor reads it (switchable to another log)
    witnesses: list[Witness]
    wurls: list[str]
    servers: list[contextlib.ExitStack]  # closing one stops that witness's server
    pusher: Pusher
    monitors: list[Monitor] = field(default_factory=list)

    @property
    def log(self):
        return self.world.p.log

    def grow(self, *entries: bytes) -> int:
        """Append and sign the checkpoint (as the writer's batch does); the new size."""
        if entries:
            self.log.append(list(entries))
        self.log.checkpoint()
        return self.log.head().size

    def status(self, name: str) -> WitnessStatus:
        return next((s for s in self.pusher.status() if s.name == name), WitnessStatus(name, "", 0))

    def all_at(self, size: int, names: list[str] | None = None) -> bool:
        names = names or [w.name for w in self.witnesses]
        return all(self.status(n).cosigned_size >= size for n in names)

    def wait(self, ready, what: str) -> None:
        assert self.pusher.wait_for(ready, WAIT), f"not within {WAIT} s: {what}; status {self.pusher.status()}"

    def poll(self) -> list[list[dict]]:
        """One round of each monitor, the second first and then both again, so that each has
        seen the other's gossip; the new alerts of each."""
        out: list[list[dict]] = [[], []]
        for i in (1, 0, 1, 0):
            out[i] += self.monitors[i].poll()
        return out


def peer_url(wurl: str, origin: str) -> str:
    return f"{wurl}/checkpoint/{origin}"


@contextlib.contextmanager
def running(pusher: Pusher) -> Iterator[Pusher]:
    stop = threading.Event()
    thread = threading.Thread(target=pusher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield pusher
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


@pytest.fixture
def net(world, tmp_path) -> Iterator[Network]:  # noqa: F811  (world is the fixture imported above)
    log = world.p.log
    origin = log.head().origin
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(serving(world.p))
        fronts = [Front(api_app(world.p)) for _ in range(2)]  # each monitor reads the log through its own
        front_urls = [stack.enter_context(serve_asgi(f)) + "/log" for f in fronts]
        witnesses, wurls, servers = [], [], []
        for i in range(1, 4):
            w = Witness.init(tmp_path / f"w{i}", f"w{i}.example/witness")
            w.trust_log(log.head().vkey)
            server = stack.enter_context(contextlib.ExitStack())
            wurl = server.enter_context(serve_asgi(witness_app(w)))
            witnessing.add_witness(log, w.vkey, wurl)
            witnesses.append(w)
            wurls.append(wurl)
            servers.append(server)
        witnessing.set_quorum(log, QUORUM)
        pusher = stack.enter_context(running(Pusher(log)))
        gossip = [stack.enter_context(serve_asgi(gossip_app(tmp_path / f"m{i}"))) for i in range(2)]
        n = Network(world, url + "/log", fronts, witnesses, wurls, servers, pusher)
        for i in range(2):
            peers = [gossip[1 - i] + "/checkpoint"] + [peer_url(u, origin) for u in wurls]
            n.monitors.append(Monitor(tmp_path / f"m{i}", front_urls[i], log.head().vkey, peers=peers))
        yield n


def kinds(alerts: list[dict]) -> list[str]:
    return [a["kind"] for a in alerts]


def bid_round(n: Network) -> int:
    n.world.create()
    n.world.publish()
    for bidder in ("acme", "globex"):
        n.world.bid(bidder, f"{bidder} proposal".encode(), bid_id=f"bid-{bidder}")
    return n.grow()


def test_a_bids_are_cosigned_by_a_quorum_and_the_monitors_agree(net):
    size = bid_round(net)
    assert net.pusher.wait_cosigned(size, WAIT)
    note = witnessing.cosigned_checkpoint(net.log, Policy.parse(witnessing.policy(net.log)))
    assert note is not None and Checkpoint.parse(parse_note(note)[0]).size == size
    cosigners = {s.name for s in parse_note(note)[1]} & {w.name for w in net.witnesses}
    assert len(cosigners) >= QUORUM
    # Over plain HTTP too: the log serves the cosigned checkpoint it would give a verifier.
    proof = httpx.get(f"{net.log_url}/proof/0", params={"cosigned": 1})
    assert proof.status_code == 200
    net.wait(lambda: net.all_at(size), "all three witnesses cosign")
    assert net.poll() == [[], []]
    held = [m.held() for m in net.monitors]
    assert held[0] == held[1] and held[0][0] == size and all(m.state["position"] == size for m in net.monitors)
    # More bids: followed from where they were, still in agreement with each other and the witnesses.
    net.world.bid("initech", b"initech proposal", bid_id="bid-initech")
    size = net.grow()
    net.wait(lambda: net.all_at(size), "the next checkpoint cosigned")
    assert net.poll() == [[], []]
    assert net.monitors[0].held() == net.monitors[1].held() and net.monitors[0].held()[0] == size
    for wurl in net.wurls:  # each witness's view is the monitors' view
        served = httpx.get(peer_url(wurl, net.log.head().origin))
        assert Checkpoint.parse(parse_note(served.text)[0]).root == net.monitors[0].held()[1]


def test_b_a_split_view_is_refused_by_the_witnesses_and_seen_by_both_monitors(net, tmp_path, settings):
    size = bid_round(net)
    net.wait(lambda: net.all_at(size), "the honest checkpoint cosigned by all")
    honest = net.log.latest_checkpoint()
    # The operator keeps a second history under the same key: as many entries, other ones.
    fork = procurement(tmp_path, "fork", key_from=settings.data_dir)
    fork.log.append(envelopes(size, "forged"))
    forged = fork.log.checkpoint()
    assert Checkpoint.parse(parse_note(forged)[0]).size == size
    # It pushes the forged checkpoint to one witness, with its own pusher: refused, evidence kept.
    w1 = net.witnesses[0]
    witnessing.add_witness(fork.log, w1.vkey, net.wurls[0])
    fork_pusher = Pusher(fork.log)
    with running(fork_pusher):
        assert fork_pusher.wait_for(lambda: any(s.failures for s in fork_pusher.status()), WAIT)
        assert "409" in (fork_pusher.status()[0].last_error or "")
    evidence = httpx.get(f"{net.wurls[0]}/evidence").json()
    assert [e["reason"].split(":")[0] for e in evidence] == ["fork"]
    assert parse_note(evidence[0]["held"])[0] == parse_note(honest)[0]
    assert parse_note(evidence[0]["offered"].partition("\n\n")[2])[0] == parse_note(forged)[0]
    # Every other witness refuses it too, whatever old size it is offered with.
    for w, wurl in zip(net.witnesses[1:], net.wurls[1:], strict=True):
        for old in (0, size):
            r = httpx.post(f"{wurl}/add-checkpoint", content=Request(old, [], forged).format())
            assert (r.status_code, r.text) == (409, f"{size}\n")
        assert parse_note(w.state()["logs"][net.log.head().origin]["checkpoint"])[0] == parse_note(honest)[0]
    # Longer, with a real proof of the other history: inconsistent (422), also kept.
    fork.log.append(envelopes(1, "forged", start=size))
    r = httpx.post(f"{net.wurls[1]}/add-checkpoint", content=Request(size, fork.log.consistency_proof(size, size + 1),
                                                                       fork.log.checkpoint()).format())
    assert r.status_code == 422
    # The forged view (now of size + 1) is shown to the second monitor only.
    net.fronts[1].app = api_app(fork)
    victim = net.monitors[1].poll()
    shown = fork.log.latest_checkpoint()
    fork.log.db.dispose()
    assert net.monitors[1].held()[0] == size + 1
    # The victim sees that every witness holds another history ...
    assert set(kinds(victim)) == {"split-view"}
    assert {a["evidence"]["peer"] for a in victim} == {peer_url(u, net.log.head().origin) for u in net.wurls}
    assert shown is not None and all(a["evidence"]["held"] == shown for a in victim)  # both notes kept
    assert {parse_note(a["evidence"]["offered"])[0] for a in victim} == {parse_note(honest)[0]}
    # ... and the honest log goes on; the other monitor, ahead of the victim, finds that the
    # victim's gossiped checkpoint is not a state of the log it follows.
    size = net.grow(*envelopes(2, "honest", start=size))
    net.wait(lambda: net.all_at(size), "the honest log cosigned further")
    other = net.monitors[0].poll()
    assert kinds(other) == ["split-view"] and net.monitors[0].held()[0] == size
    assert other[0]["evidence"]["offered"] == shown and other[0]["evidence"]["peer"].endswith("/checkpoint")


def test_c_a_rollback_is_an_alert_at_a_monitor_and_refused_by_a_witness(net, tmp_path, settings):
    first = envelopes(5, "early")
    size1 = net.grow(*first)
    size2 = net.grow(*envelopes(3, "late", start=5))
    net.wait(lambda: net.all_at(size2), "cosigned by all")
    assert net.poll() == [[], []]
    # The operator serves an older state: a log of the same key holding only the first entries.
    old = procurement(tmp_path, "old", key_from=settings.data_dir)
    old.log.append(first)
    stale = old.log.checkpoint()
    assert Checkpoint.parse(parse_note(stale)[0]).size == size1
    net.fronts[0].app = api_app(old)
    alerts = net.monitors[0].poll()
    old.log.db.dispose()
    assert kinds(alerts) == ["rollback"]
    assert alerts[0]["evidence"]["offered"] == stale and net.monitors[0].held()[0] == size2
    # The witness refuses it: below what it holds (409 with its size), or with old above the size (400).
    for wurl, w in zip(net.wurls, net.witnesses, strict=True):
        r = httpx.post(f"{wurl}/add-checkpoint", content=Request(size1, [], stale).format())
        assert (r.status_code, r.text) == (409, f"{size2}\n")
        r = httpx.post(f"{wurl}/add-checkpoint", content=Request(size2, [], stale).format())
        assert r.status_code == 400
        assert w.state()["logs"][net.log.head().origin]["size"] == size2


def test_d_a_witness_stopped_mid_stream_blocks_nothing_and_keeps_what_it_acknowledged(net, tmp_path):
    w3 = net.witnesses[2]
    size = net.grow(*envelopes(3, "before"))
    net.wait(lambda: net.all_at(size), "cosigned by all")
    slowest = 0.0
    for i in range(20):
        if i == 7:
            net.servers[2].close()  # the third witness's server stops between two appends
        t0 = time.perf_counter()
        size = net.grow(*envelopes(1, "during", start=i))
        slowest = max(slowest, time.perf_counter() - t0)
    assert slowest < 1.0, f"an append took {slowest:.3f} s while a witness went away"
    assert net.pusher.wait_cosigned(size, WAIT)
    others = [w.name for w in net.witnesses[:2]]
    net.wait(lambda: net.all_at(size, others) and net.status(w3.name).failures >= 1, "the other two cosign")
    acknowledged = net.status(w3.name).cosigned_size
    held = Witness(w3.dir).state()["logs"][net.log.head().origin]["size"]
    # What it answered before stopping is on disk (it may also hold one the log never heard back of).
    assert 0 < acknowledged <= held < size
    # Restarted from the same directory: it knows where it was ...
    with serve_asgi(witness_app(Witness(w3.dir))) as wurl:
        r = httpx.post(f"{wurl}/add-checkpoint", content=witnessing.witness_request(net.log, w3.name, old_size=0))
        assert (r.status_code, r.text) == (409, f"{held}\n")
        # ... and, given its new address, it is brought up to date by the pusher.
        witnessing.add_witness(net.log, w3.vkey, wurl)
        size = net.grow(b"after the restart")
        net.wait(lambda: net.all_at(size), "the restarted witness cosigns the next")
        assert net.status(w3.name).last_error is None
    assert Witness(w3.dir).state()["logs"][net.log.head().origin]["size"] == size


def test_e_a_bidder_keeps_a_cosigned_proof_beside_each_receipt(net, tmp_path):
    """`bid cosigned`: each kept receipt is proven again against the quorum's checkpoint, verified
    against the policy before it is written; a stricter policy than the witnesses met refuses."""
    net.servers[2].close()  # the third witness is down: two of three cosign, the log's quorum
    size = bid_round(net)
    assert net.pusher.wait_cosigned(size, WAIT)
    receipts = tmp_path / "receipts" / TID
    receipts.mkdir(parents=True)
    bids = [i for i in range(size) if b'"bid.submitted"' in net.log.entry(i)]
    assert len(bids) == 2
    for n, index in enumerate(bids):
        (receipts / f"bid-{n}.entry").write_bytes(net.log.entry(index))
        (receipts / f"bid-{n}.tlog-proof").write_text(net.log.tlog_proof(index).format())
    policy = tmp_path / "log.tlog-policy"
    policy.write_text(witnessing.policy(net.log))
    out, _ = cli("bid", "cosigned", "--policy", policy, "--api", net.log_url.removesuffix("/log"),
                 "--receipts", tmp_path / "receipts")
    assert out.splitlines()[-1] == "2 cosigned proofs kept, 0 kept before, 0 not cosigned yet"
    for n, index in enumerate(bids):
        kept = TlogProof.parse((receipts / f"bid-{n}.cosigned.tlog-proof").read_text())
        cp = verify_tlog_proof(kept, (receipts / f"bid-{n}.entry").read_bytes(), policy=Policy.parse(policy.read_text()))
        assert kept.index == index and cp.size >= size
    # Listed with their receipts, and never fetched twice.
    listing, _ = cli("bid", "receipts", "--receipts", tmp_path / "receipts")
    assert listing.count("cosigned: ") == 2 and len(listing.splitlines()) == 2
    again, _ = cli("bid", "cosigned", "--policy", policy, "--api", net.log_url.removesuffix("/log"),
                   "--receipts", tmp_path / "receipts")
    assert again.splitlines()[-1] == "0 cosigned proofs kept, 2 kept before, 0 not cosigned yet"
    # A verifier that asks for all three witnesses, where two cosigned, is not satisfied.
    strict = tmp_path / "strict.tlog-policy"
    strict.write_text(re.sub(rf"^(group \S+ ){QUORUM} ", r"\g<1>all ", policy.read_text(), count=1, flags=re.M))
    assert strict.read_text() != policy.read_text()
    for f in receipts.glob("*.cosigned.tlog-proof"):
        f.unlink()
    _, err = cli("bid", "cosigned", "--policy", strict, "--api", net.log_url.removesuffix("/log"),
                 "--receipts", tmp_path / "receipts", check=1)
    assert "does not verify against" in err
    assert not list(receipts.glob("*.cosigned.tlog-proof"))


def test_f_a_record_bundle_carries_the_quorums_cosignatures(net, tmp_path):
    """A record export waits (boundedly) for its checkpoint's cosignatures, so the bundle a court
    receives verifies against the policy: the quorum of witnesses saw that history."""
    bid_round(net)
    bundle = tmp_path / "record.zip"
    bundle.write_bytes(export_record(net.world.p, TID, "public", cosign=witness_push.cosign_now).data)
    with zipfile.ZipFile(bundle) as z:
        note = z.read("checkpoint").decode()
    cosigners = {s.name for s in parse_note(note)[1]} & {w.name for w in net.witnesses}
    assert len(cosigners) >= QUORUM
    policy = tmp_path / "log.tlog-policy"
    policy.write_text(witnessing.policy(net.log))
    out, _ = cli("verify", bundle, "--policy", policy)
    assert out.splitlines()[-1].startswith("valid: the administrative record of tender " + TID)
