"""Rebuild equals live: the state folded event by event as commands are decided is the state a
replay of the log alone rebuilds (the property `app.rebuild` relies on), and `evolve` never
changes the state it is given, on any step of any random tender life."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import evolve
from tenderproof.domain.rows import settle

from .lifecycle import Tender, replay, snapshot
from .steps import run


@settings(max_examples=80)
@given(data=st.data())
def test_replaying_the_log_rebuilds_the_live_state(data):
    tender = Tender()
    run(tender, data)
    assert snapshot(replay(tender.envelopes)) == snapshot(tender.state)
    settled = None  # a replay that folds the layers into its base as it goes (as a rebuild of many events does)
    for env in tender.envelopes:
        settled = settle(evolve(settled, env))
    assert snapshot(settled) == snapshot(tender.state)


@settings(max_examples=40)
@given(data=st.data())
def test_evolve_never_changes_the_state_it_is_given(data):
    folded: list[str] = []

    def watched(state, env):
        before = snapshot(state)
        after = evolve(state, env)
        assert snapshot(state) == before, f"evolve of {env['type']} (seq {env['seq']}) changed its input"
        assert after is not state
        folded.append(env["type"])
        return after

    tender = Tender(evolve=watched)
    run(tender, data)
    assert folded == [e["type"] for e in tender.envelopes]
