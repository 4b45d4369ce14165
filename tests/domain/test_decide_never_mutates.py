"""`decide` never mutates the state it is given (its docstring's promise), whatever it decides.

Random command sequences over a tender's life (steps.py): before every call the whole state,
rows read through every layer, is snapshot as canonical JSON; after it, accepted or refused,
the state reads exactly the same.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import Refused, decide
from tenderproof.domain.events import EventType

from .lifecycle import Tender, snapshot
from .steps import run


@settings(max_examples=100)
@given(data=st.data())
def test_decide_never_mutates_the_state_whatever_it_decides(data):
    outcomes: list[str] = []

    def watched(state, cmd, actor, now):
        before = snapshot(state)
        try:
            events = decide(state, cmd, actor, now)
        except Refused as r:
            assert snapshot(state) == before, f"{cmd.name} refused ({r.code}) and changed the state"
            outcomes.append("logged" if r.logged else "refused")
            raise
        assert snapshot(state) == before, f"{cmd.name} decided {[e.type for e in events]} and changed the state"
        outcomes.append("accepted")
        return events

    tender = Tender(decide=watched)
    run(tender, data)
    assert outcomes and outcomes[0] == "accepted"  # the tender was created


def test_the_steps_meet_many_kinds_of_state():
    """The property above is only as good as the states it meets: over a fixed set of examples,
    the random steps alone (after the staged start) get many kinds of command accepted, and
    refusals logged."""
    types: set[str] = set()

    @settings(max_examples=40, database=None, derandomize=True)
    @given(data=st.data())
    def explore(data):
        tender = Tender()
        staged = run(tender, data)
        types.update(e["type"] for e in tender.envelopes[staged:])

    explore()
    assert EventType.COMMAND_REFUSED in types and len(types) >= 12, sorted(types)
