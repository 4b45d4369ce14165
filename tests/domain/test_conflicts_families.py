"""Corporate families and company names: an official's interest in a bidder's parent, subsidiary or
affiliate is matched (FAR 3.104-3, 9.504(a); 5 CFR 2635.502), by name (legal suffixes, acronyms)
and through families registered on the tender's log, each match naming the family it went through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.families import normalize, related

from .lifecycle import (
    BUYER,
    EVALUATORS,
    OFFICIALS,
    OPENERS,
    SYSTEM,
    T0,
    TENDER_END,
    Tender,
    bid_cmd,
    create_cmd,
    publish_cmd,
    replay,
    snapshot,
)

EV1, EV2 = EVALUATORS
ALPHABET = c.RegisterFamily("T-1", family_id="alphabet", parent="Alphabet Inc.",
                            members=["Google LLC", "Google Public Sector LLC"], source="Alphabet Inc. 10-K, Exhibit 21")


@pytest.mark.parametrize(("a", "b"), [
    ("Amazon.com, Inc.", "Amazon Web Services, Inc."),
    ("IBM", "International Business Machines Corporation"),
    ("I.B.M. Corp.", "International Business Machines"),
    ("IBM Corporation", "International Business Machines Corp."),
    ("Oracle", "Oracle America, Inc."),
    ("Science Applications International Corp.", "SAIC"),
    ("Microsoft", "Microsoft Corporation"),
    ("AWS", "Amazon Web Services, Inc."),
])
def test_the_same_company_by_name(a, b):
    assert related(a, b) and related(b, a)


@pytest.mark.parametrize(("a", "b"), [
    ("General Electric", "General Dynamics"),
    ("Alphabet Inc.", "Google LLC"),  # only a registered family links these
    ("IBM", "Intel Business"),  # initials "ib", not "ibm"
    ("Inc.", "Corp."),  # nothing left to compare
    ("Amazon", "Microsoft"),
])
def test_different_companies_by_name(a, b):
    assert not related(a, b)


def test_normalize_drops_legal_suffixes_and_joins_spelled_letters():
    assert normalize("Amazon Web Services, Inc.") == "amazon web"
    assert normalize("I. B. M. Corporation") == "ibm"
    assert normalize("The Boeing Company") == "boeing"


NAME = st.text(st.sampled_from("abcdefg .,"), min_size=1, max_size=20)


@given(NAME, NAME)
def test_relatedness_is_symmetric_and_ignores_suffixes(a, b):
    assert related(a, b) == related(b, a)
    if normalize(a):
        assert related(a, f"{a}, Inc.") and related(f"The {a} Corporation", a)


def opened(holder_interest: dict) -> tuple[Tender, object]:
    """Google bids; EV2 declares `holder_interest` before the bids are opened."""
    t = Tender()
    t.do(create_cmd(t.id), BUYER, T0)
    t.do(publish_cmd(t.id), BUYER, T0 + timedelta(hours=1))
    t.do(bid_cmd(t.id, "b1", "google"), Actor("google", "bidder"), T0 + timedelta(days=1))
    t.bidders["b1"] = ("google", "Google LLC")
    t.do(c.CloseTendering(t.id), SYSTEM, TENDER_END)
    now = TENDER_END + timedelta(hours=1)
    for official in OFFICIALS:
        t.do(c.DeclareInterests(t.id, has_conflict=False, **(holder_interest if official == EV2 else {})), official, now)
    for opener in OPENERS[:2]:
        t.do(c.SubmitShare(t.id), opener, now)
    t.do(c.RecordOpening(t.id, results=t.opening_results()), SYSTEM, now)
    return t, now


def test_a_family_registered_after_the_opening_matches_the_declarations_already_made():
    t, now = opened({"holdings": ["Alphabet Inc."]})
    assert list(t.state["coi_matches"]) == []  # "Alphabet" is not "Google" by name
    family, match = t.do(ALPHABET, BUYER, now)
    assert family["type"] == EventType.FAMILY_REGISTERED and family["payload"]["members"][0] == "Google LLC"
    assert match["type"] == EventType.COI_MATCH
    assert match["payload"] == {"official": EV2.id, "interest": "holding"}  # the details confidential
    assert match["confidential"] == {"official": EV2.id, "bidder": "google", "interest": "holding",
                                     "declared": "Alphabet Inc.", "matches": "Google LLC", "family": "alphabet"}
    [row] = t.state["coi_matches"].values()
    assert row["family"] == "alphabet" and t.state["families"]["alphabet"]["parent"] == "Alphabet Inc."
    assert snapshot(replay(t.envelopes)) == snapshot(t.state)  # re-derived from the record alone


def test_a_declaration_after_the_family_is_matched_through_it():
    t, now = opened({})
    t.do(ALPHABET, BUYER, now)
    envs = t.do(c.DeclareInterests(t.id, has_conflict=False, family_employers=["Alphabet"]), EV1, now)
    assert [e["type"] for e in envs] == [EventType.COI_DECLARED, EventType.COI_MATCH]
    assert envs[1]["confidential"]["family"] == "alphabet"


def test_a_match_by_name_needs_no_family_and_names_none():
    t, now = opened({"prior_employers": [{"name": "Google"}]})
    [row] = t.state["coi_matches"].values()
    assert row["matches"] == "Google LLC" and "family" not in row
    assert t.do(ALPHABET, BUYER, now)[1:] == []  # the same match is not logged twice


def test_before_the_opening_a_family_matches_nothing_publicly():
    t = Tender()
    t.do(create_cmd(t.id), BUYER, T0)
    t.do(publish_cmd(t.id), BUYER, T0)
    t.do(c.DeclareInterests(t.id, has_conflict=False, holdings=["Alphabet"]), EV2, T0)
    t.do(bid_cmd(t.id, "b1", "google"), Actor("google", "bidder"), T0 + timedelta(days=1))
    assert [e["type"] for e in t.do(ALPHABET, BUYER, T0 + timedelta(days=1))] == [EventType.FAMILY_REGISTERED]


def test_registration_refused():
    t, now = opened({})
    before = snapshot(t.state)
    with pytest.raises(Refused) as r:
        t.do(ALPHABET, EV1, now)
    assert r.value.code == "forbidden-role"
    t.do(ALPHABET, BUYER, now)
    before = snapshot(t.state)
    with pytest.raises(Refused) as r:
        t.do(ALPHABET, BUYER, now)
    assert r.value.code == "exists" and snapshot(t.state) == before
    with pytest.raises(c.InvalidCommand, match="1 to 500"):
        c.RegisterFamily("T-1", family_id="f", parent="P", members=[], source="s")
