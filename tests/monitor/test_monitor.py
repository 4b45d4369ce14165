"""The monitor against real logs over HTTP: it follows, resumes without reading again, watches,
and catches rollbacks, forks, bad signatures and split views (each with both checkpoints kept)."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from tenderproof.domain import commands as c
from tenderproof.ledger import merkle
from tenderproof.ledger.note import parse_note
from tenderproof.monitor import Monitor, Watchlist, compact
from tenderproof.monitor.gossip import gossip_app
from tenderproof.monitor.state import load

from ..app.conftest import EVAL, SSA, TID
from .conftest import envelopes, procurement, serve_asgi


def vkey(p) -> str:
    return p.log.head().vkey


def kinds(alerts) -> list[str]:
    return [a["kind"] for a in alerts]


def test_follows_from_scratch_then_new_entries(tmp_path, served):
    p = procurement(tmp_path, "a")
    p.log.append(envelopes(600))
    front, url = served(p)
    m = Monitor(tmp_path / "m", url, vkey(p))
    assert m.poll() == []
    assert (m.state["size"], m.state["position"]) == (600, 600)
    entries = [x for x in front.paths if "/tile/entries/" in x]
    assert entries == ["/log/tile/entries/000", "/log/tile/entries/001", "/log/tile/entries/002.p/88"]
    p.log.append(envelopes(130, start=600))
    assert m.poll() == []
    assert (m.state["size"], m.state["position"]) == (730, 730)
    frontier = [base64.b64decode(h) for h in m.state["frontier"]]
    with p.log.db.reader.connect() as conn:
        assert compact.root(frontier) == p.log.root(730, conn)


def test_resumes_after_restart_without_reading_again(tmp_path, served):
    p = procurement(tmp_path, "a")
    p.log.append(envelopes(600))
    front, url = served(p)
    Monitor(tmp_path / "m", url, vkey(p)).poll()
    # A restart: a new process, the same directory. Nothing new: one request, the checkpoint.
    front.paths.clear()
    again = Monitor(tmp_path / "m", url, vkey(p))
    assert again.poll() == [] and front.paths == ["/log/checkpoint"]
    p.log.append(envelopes(100, start=600))
    front.paths.clear()
    again = Monitor(tmp_path / "m", url, vkey(p))
    assert again.poll() == []
    # Only the last, grown bundle is read; the consistency proof 600 -> 700 needs a few hash tiles.
    assert [x for x in front.paths if "/tile/entries/" in x] == ["/log/tile/entries/002.p/188"]
    assert again.state["position"] == 700


def test_watchlist_names_the_supplier_only_from_the_opening(world, tmp_path, served):
    watch = tmp_path / "watch.toml"
    watch.write_text('companies = ["Globex"]\nbuyers = ["agency"]\nclassifications = ["72000000"]\n')
    _, url = served(world.p)
    m = Monitor(tmp_path / "m", url, vkey(world.p), Watchlist.load(watch))
    world.create()
    world.publish()
    # Neutral bid ids: a bid's id is public from the start, a bidder's name only from the opening.
    world.bid("acme", b"ACME proposal", bid_id="bid-1")
    world.bid("globex", b"GLOBEX proposal", bid_id="bid-2")
    before = m.poll()
    assert {a["evidence"]["category"] for a in before} == {"buyers", "classifications"}
    assert all(a["evidence"]["type"] == "tender.created" for a in before)
    sealed_until = m.state["position"]
    world.clock.advance(days=31)
    world.p.run_deadlines()
    world.open()
    world.declare(EVAL)
    for bid, tech in (("bid-1", "Good"), ("bid-2", "Outstanding")):
        world.p.execute(c.RateProposal(TID, bid, "tech", tech), EVAL)
        world.p.execute(c.RateProposal(TID, bid, "price", "900"), EVAL)
    world.declare(SSA)
    world.p.execute(c.DecideAward(TID, "bid-2", {"amount": "900", "currency": "USD"}, "best value"), SSA)
    after = [a for a in m.poll() if a["evidence"]["category"] == "companies"]
    award = [a for a in after if a["evidence"]["type"] == "award.decided"]
    assert len(award) == 1 and award[0]["evidence"]["path"].startswith("payload.supplier.")
    assert award[0]["evidence"]["value"].lower() == "globex" and award[0]["evidence"]["tender"] == TID
    assert all(a["evidence"]["index"] >= sealed_until for a in after)


def test_rollback_fork_and_bad_signature_are_alerts_that_keep_both(tmp_path, served):
    a = procurement(tmp_path, "a")
    a.log.append(envelopes(10))
    front, url = served(a)
    m = Monitor(tmp_path / "m", url, vkey(a))
    m.poll()
    held = m.state["checkpoint"]
    smaller = procurement(tmp_path, "small", key_from=tmp_path / "a")
    smaller.log.append(envelopes(4))
    front.app = served(smaller)[0].app
    rollback = m.poll()
    assert kinds(rollback) == ["rollback"] and rollback[0]["evidence"]["held"] == held
    assert parse_note(rollback[0]["evidence"]["offered"])[0].split("\n")[1] == "4"
    assert m.poll() == []  # raised once, not every round
    other = procurement(tmp_path, "other", key_from=tmp_path / "a")
    other.log.append(envelopes(10, tag="other"))
    front.app = served(other)[0].app
    assert kinds(m.poll()) == ["fork"]
    stranger = procurement(tmp_path, "stranger")  # same origin, another key
    stranger.log.append(envelopes(12))
    front.app = served(stranger)[0].app
    assert kinds(m.poll()) == ["bad-signature"]
    # The monitor never moved past what it verified, and the alerts survive a restart.
    state = load(tmp_path / "m", url, vkey(a), a.log.head().origin)
    assert (state["checkpoint"], state["size"], state["position"]) == (held, 10, 10)
    assert kinds(state["alerts"]) == ["rollback", "fork", "bad-signature"]


def test_split_view_is_caught_by_both_monitors_through_gossip(tmp_path, served):
    a = procurement(tmp_path, "a")
    b = procurement(tmp_path, "b", key_from=tmp_path / "a")
    a.log.append(envelopes(300, tag="a"))
    b.log.append(envelopes(300, tag="b"))  # the same key and size: another history
    _, url_a = served(a)
    _, url_b = served(b)
    with serve_asgi(gossip_app(tmp_path / "ma")) as gossip_a, serve_asgi(gossip_app(tmp_path / "mb")) as gossip_b:
        ma = Monitor(tmp_path / "ma", url_a, vkey(a), peers=[f"{gossip_b}/checkpoint"])
        mb = Monitor(tmp_path / "mb", url_b, vkey(b), peers=[f"{gossip_a}/checkpoint"])
        assert ma.poll() == []  # its peer has verified nothing yet
        seen_b = mb.poll()
        seen_a = ma.poll()
    for seen, mine, theirs in ((seen_a, ma, mb), (seen_b, mb, ma)):
        assert kinds(seen) == ["split-view"]
        ev = seen[0]["evidence"]
        assert (ev["held"], ev["offered"]) == (mine.state["checkpoint"], theirs.state["checkpoint"])


def test_split_view_at_a_smaller_size_is_caught_by_a_consistency_proof(tmp_path, served):
    a = procurement(tmp_path, "a")
    b = procurement(tmp_path, "b", key_from=tmp_path / "a")
    a.log.append(envelopes(300, tag="a"))
    b.log.append(envelopes(290, tag="a") + envelopes(30, tag="b"))  # 290 shared, then it forks
    _, url_a = served(a)
    _, url_b = served(b)
    with serve_asgi(gossip_app(tmp_path / "ma")) as gossip_a:
        ma = Monitor(tmp_path / "ma", url_a, vkey(a))
        ma.poll()
        mb = Monitor(tmp_path / "mb", url_b, vkey(b), peers=[f"{gossip_a}/checkpoint"])
        assert kinds(mb.poll()) == ["split-view"]
    # An honest peer behind us is no alert: a third monitor on b at size 320 agrees with itself.
    b2 = Monitor(tmp_path / "mb2", url_b, vkey(b))
    b2.poll()
    b.log.append(envelopes(5, tag="c"))
    with serve_asgi(gossip_app(tmp_path / "mb2")) as gossip_b2:
        mb.peers = [type(mb.remote)(f"{gossip_b2}/checkpoint")]
        assert mb.poll() == []


@given(st.lists(st.binary(max_size=8), max_size=70), st.integers(min_value=0, max_value=70))
def test_compact_range_root_is_the_tree_hash(entries, cut):
    """RFC 9162 §2.1.1: the compact range's root is MTH, however the entries are split."""
    cut = min(cut, len(entries))
    mem = merkle.MemoryHashes()
    for e in entries:
        mem.append(e)
    f, n = compact.extend([], 0, entries[:cut])
    f, n = compact.extend(f, n, entries[cut:])
    assert n == len(entries) and len(f) == bin(n).count("1")
    assert compact.root(f) == merkle.tree_hash(n, mem)


def test_watchlist_words_and_bad_files(tmp_path):
    w = Watchlist({"companies": ["Acme Corp"]})
    env = {"type": "award.decided", "tender": "T", "payload": {"supplier": {"name": "ACME  corp."}}}
    assert [m.path for m in w.matches(json.dumps(env).encode())] == ["payload.supplier.name"]
    env["payload"]["supplier"]["name"] = "Acme Corporation"
    assert w.matches(json.dumps(env).encode()) == []
    assert w.matches(b"Acme Corp, not an envelope") == []
    bad = tmp_path / "w.json"
    bad.write_text('{"suppliers": ["x"]}')
    import pytest

    from tenderproof.monitor import MonitorError
    with pytest.raises(MonitorError, match="unknown keys"):
        Watchlist.load(bad)
