"""The domain's vocabulary is complete and closed: every command has one decider, every event
type one fold into the state, and no event outside `EventType` can be made (issue 16)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

import tenderproof
from tenderproof.domain import Event, state
from tenderproof.domain import commands as c
from tenderproof.domain.deciders import DECIDERS
from tenderproof.domain.events import EventType
from tenderproof.domain.rows import COLLECTIONS
from tenderproof.domain.tender import TenderCore, TenderState

SRC = Path(tenderproof.__file__).parent


def _command_classes() -> set[type]:
    return {obj for obj in vars(c).values()
            if inspect.isclass(obj) and issubclass(obj, c.Command) and obj is not c.Command}


def test_every_command_has_exactly_one_decider():
    commands = _command_classes()
    decided = set(DECIDERS) | {c.CreateTender}  # creation is decided without a state
    assert commands == decided, (f"commands without a decider: {sorted(t.__name__ for t in commands - decided)}; "
                                 f"deciders of no command: {sorted(t.__name__ for t in decided - commands)}")


def test_every_command_is_a_frozen_dataclass_exported_by_the_package():
    for cls in _command_classes():
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls.__name__
        assert cls.__name__ in c.__all__, f"{cls.__name__} is not in domain.commands.__all__"


def test_every_event_type_is_folded_into_the_state():
    folded = set(state._APPLY) | state._CORE_ONLY | {EventType.TENDER_CREATED}
    assert folded == set(EventType), f"event types no rule folds: {sorted(set(EventType) - folded)}"
    assert not set(state._APPLY) & state._CORE_ONLY


def test_an_event_outside_the_vocabulary_cannot_be_made():
    with pytest.raises(ValueError, match=r"bid\.sumbitted"):
        Event("bid.sumbitted", {})  # type: ignore[arg-type]
    assert Event("bid.submitted", {}).type is EventType.BID_SUBMITTED  # a logged name reads back as its member


def test_event_names_are_written_once_in_the_domain():
    """The rule modules write `EventType.X`, never the logged name as a string literal."""
    names = {e.value for e in EventType}
    offenders = []
    for path in sorted((SRC / "domain").rglob("*.py")):
        if path.name == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value in names:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value!r}")
    assert not offenders, "event names as string literals (use EventType):\n" + "\n".join(offenders)


def test_the_state_type_lists_the_core_and_every_collection():
    core, whole = set(TenderCore.__annotations__), set(TenderState.__annotations__)
    assert whole - core == set(COLLECTIONS)
    # The fold of tender.created gives exactly the typed keys, no more, no fewer.
    from tests.ocds import procurement

    tender = procurement.create(procurement.Ledger(), "T-VOCAB")
    # NotRequired: only where the command gave them (a vehicle, an order competition, lots)
    optional = {"vehicle", "order_under", "invited", "related", "lots", "lot_award_limit", "lot_contracts"}
    assert optional < core
    assert tender.state is not None and set(tender.state) == whole - optional
