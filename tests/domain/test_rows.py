"""The copy-on-write collections of a tender's state (domain.rows), and `evolve` never changing
the state it is given (issue 10: states are layered, not deep-copied)."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import state as domain_state
from tenderproof.domain.rows import COLLECTIONS, Rows, materialize, settle

from ..ocds import procurement

keys = st.sampled_from([f"k{i}" for i in range(6)])
rows = st.fixed_dictionaries({"a": st.integers(0, 9)}, optional={"b": st.text(max_size=3)})
ops = st.lists(st.one_of(st.tuples(st.just("put"), keys, rows), st.tuples(st.just("patch"), keys, rows),
                         st.tuples(st.just("layer"), keys, rows)), max_size=40)


@settings(max_examples=300)
@given(base=st.dictionaries(keys, rows, max_size=4), ops=ops)
def test_layers_read_like_a_dict_and_never_change_older_layers(base, ops):
    model = copy.deepcopy(base)
    current = Rows(copy.deepcopy(base))
    history: list[tuple[Rows, dict]] = []
    for op, key, row in ops:
        if op == "layer":
            history.append((current, copy.deepcopy(model)))
            current = current.layer()
        elif op == "put":
            current.put(key, row)
            model[key] = row
        elif key in model:
            current.patch(key, **row)
            model[key] = {**model[key], **row}
        assert dict(current.items()) == model and len(current) == len(model)
        assert list(current) == sorted(model)
    for older, seen in history:  # every earlier layer still reads what it read then
        assert dict(older.items()) == seen
    assert {**base, **current.changes()} == model
    assert current.root() == base  # puts and patches write layers; only settle writes the base


def test_settle_folds_layers_into_the_base():
    state = {name: Rows() for name in COLLECTIONS}
    state["bids"].put("b1", {"status": "submitted"})
    later = {**state, "bids": state["bids"].layer()}
    later["bids"].patch("b1", status="withdrawn")
    settled = settle(later)
    assert settled["bids"].changes() == {} and dict(settled["bids"].root()) == {"b1": {"status": "withdrawn"}}


def test_evolve_never_changes_the_state_it_is_given(monkeypatch):
    """Every event of three whole procurements (award and contract, cancelled, unsuccessful):
    the state before each event reads the same after evolve as before it."""
    original = domain_state.evolve
    checked = []

    def checking(state, event):
        before = None if state is None else json.dumps(materialize(state), sort_keys=True)
        after = original(state, event)
        if state is not None:
            assert json.dumps(materialize(state), sort_keys=True) == before, event["type"]
        checked.append(event["type"])
        return after

    monkeypatch.setattr(procurement, "evolve", checking)
    ledger = procurement.Ledger()
    for build in (procurement.full, procurement.cancelled, procurement.unsuccessful):
        build(ledger)
    assert len(checked) > 40 and {"bid.submitted", "bids.opened", "award.decided", "contract.signed"} <= set(checked)


def test_an_unknown_event_is_refused():
    ledger = procurement.Ledger()
    tender = procurement.create(ledger, "T-X")
    event = {"type": "bid.teleported", "tender": "T-X", "seq": 2, "time": "2030-01-01T00:00:00Z",
             "actor": {"id": "x", "role": "bidder"}, "payload": {}}
    with pytest.raises(ValueError, match=r"unknown event type 'bid\.teleported'"):
        domain_state.evolve(tender.state, event)
