"""Every kind of event the domain can log has its own label and one-line summary in the portal."""

from __future__ import annotations

import pytest

from tenderproof.domain.events import EventType
from tenderproof.portal.labels import EVENT_LABELS, event_label
from tenderproof.portal.summaries import SUMMARIES, summarize


def test_every_event_type_has_a_summary_and_a_label():
    assert set(SUMMARIES) == set(EventType)
    assert set(EVENT_LABELS) == set(EventType)


@pytest.mark.parametrize("kind", list(EventType))
def test_a_summary_says_something_even_of_an_empty_payload(kind):
    line = summarize({"type": kind.value}, {}, {})
    assert line and line != kind.value
    assert event_label(kind.value) == EVENT_LABELS[kind] != kind.value


def test_an_unknown_type_is_shown_as_it_is_named():
    assert summarize({"type": "no.such"}, {}, {}) == "no.such" == event_label("no.such")
