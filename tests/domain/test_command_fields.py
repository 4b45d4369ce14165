"""Every command refuses, when it is made, what the log or OCDS could not hold (issue 11: no bad
input reaches the projections), and whatever a tender accepts publishes as a valid OCDS release."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.domain import InvalidCommand
from tenderproof.domain import commands as c
from tenderproof.domain.commands.fields import ITEM_CLASSIFICATION_SCHEMES
from tenderproof.domain.model import iso, parse_time

from ..conftest import shared_testdata
from ..ocds import procurement

ITEM = {"id": "i1", "description": "cloud", "classification": {"scheme": "CPV", "id": "72000000"}}
FACTORS = [{"id": "tech", "name": "Technical"}, {"id": "price", "name": "Price", "kind": "price"}]
PANEL = {"evaluator": ["ev1"], "ssa": ["ssa1"], "opening_official": ["op1", "op2"]}
END = datetime(2030, 1, 1, 17, tzinfo=UTC)


def tender(**over: object) -> c.CreateTender:
    fields = dict(title="Cloud", description="Cloud services", buyer={"id": "whs", "name": "WHS"}, method="open",
                  criteria="lowestPrice", items=[ITEM], factors=FACTORS, tender_end=END, panel=PANEL,
                  opening_threshold=2)
    return c.CreateTender("T-1", **(fields | over))  # type: ignore[arg-type]


@pytest.mark.parametrize("over, fragment", [
    (dict(items=[{"id": "i1", "description": "x"}]), "items[0] needs classification"),
    (dict(items=[ITEM | {"classification": {"scheme": "NOPE", "id": "1"}}]), "scheme 'NOPE' is not one of"),
    (dict(items=[ITEM | {"quantity": {"n": 1}}]), "items[0].quantity must be a number"),
    (dict(items=[ITEM | {"quantity": -1}]), "items[0].quantity must not be negative"),
    (dict(items=[ITEM | {"quantity": True}]), "items[0].quantity must be a number"),
    (dict(items=[ITEM, ITEM]), "item i1 is listed twice"),
    (dict(items=[ITEM | {"colour": "red"}]), "items[0] has unknown fields colour"),
    (dict(ruleset="martian"), "rule set 'martian' is not one of"),
    (dict(buyer={"name": "WHS"}), "buyer needs id"),
    (dict(buyer={"id": "", "name": "WHS"}), "buyer id must be non-empty text"),
    (dict(opening_threshold=2**70), "beyond what JSON holds exactly"),
    (dict(opening_threshold=17), "opening_threshold must be a whole number from 1 to 16"),
    (dict(opening_threshold="2"), "opening_threshold must be a whole number"),
    (dict(value={"amount": str(2**53), "currency": "USD"}), "needs more than 15 digits"),
    (dict(value={"amount": "0.12345678901234567", "currency": "USD"}), "needs more than 15 digits"),
    (dict(value={"amount": "NaN", "currency": "USD"}), "non-negative number"),
    (dict(value={"amount": "1e999999", "currency": "USD"}), "needs more than 15 digits"),
    (dict(title="Cloud \ud800"), "title contains a lone surrogate"),
    (dict(description="a\x00b"), "description contains a NUL character"),
    (dict(items=[ITEM | {"description": "x\udfff"}]), "items[0].description contains a lone surrogate"),
    (dict(factors=[{"id": "price", "kind": "price", "weight": float("nan")}]), "must be a finite number"),
    (dict(factors=[{"id": "price", "name": "P", "kind": "price", "weight": -1}]), "weight must not be negative"),
    (dict(factors=[{"id": "t", "name": "T", "scale": ["Good", "Good"]}, FACTORS[1]]), "scale lists a rating twice"),
    (dict(documents=[{"id": "d1", "title": "Spec", "sha256": "0" * 64, "size": "big"}]), "size must be a whole"),
    (dict(panel={"evaluator": "ev1"}), "panel.evaluator must be a list"),
    (dict(panel={"janitor": ["x"]}), "panel roles janitor are not among"),
    (dict(panel=PANEL | {"opening_official": [f"op{i}" for i in range(17)]}), "at most 16 opening officials"),
    (dict(tender_end=datetime(2030, 1, 1)), "tender_end needs a UTC offset"),
    (dict(tender_end="soon"), "tender_end 'soon' is not an ISO 8601 time"),
])
def test_a_tender_refuses_what_ocds_or_the_log_cannot_hold(over, fragment):
    with pytest.raises(InvalidCommand) as refused:
        tender(**over)
    assert fragment in str(refused.value)


@pytest.mark.parametrize("make", [
    lambda s: c.AskQuestion("T-1", "q1", s),
    lambda s: c.AnswerQuestion("T-1", "q1", s),
    lambda s: c.CancelTender("T-1", s),
    lambda s: c.RateProposal("T-1", "b1", "tech", "Good", strengths=s),
    lambda s: c.FileProtest("T-1", "p1", "gao", s),
    lambda s: c.RecordIncident("T-1", s, ["x"]),
    lambda s: c.AmendTender("T-1", "why", {"title": s}),
    lambda s: c.DeclareOwnership("T-1", [s]),
    lambda s: c.RecordIncident("T-1", "leak", [s]),
    lambda s: c.VoluntaryHold("T-1", datetime(2030, 1, 1, tzinfo=UTC), s),
])
@pytest.mark.parametrize("bad", ["\ud800", "ok\x00", "\udc00tail"])
def test_every_command_refuses_text_no_log_can_hold(make, bad):
    with pytest.raises(InvalidCommand, match=r"lone surrogate|NUL"):
        make(bad)


def test_an_amendment_is_checked_like_the_tender():
    with pytest.raises(InvalidCommand, match="title must be non-empty"):
        c.AmendTender("T-1", "why", {"title": "  "})
    with pytest.raises(InvalidCommand, match="scheme 'NOPE'"):
        c.AmendTender("T-1", "why", {"items": [ITEM | {"classification": {"scheme": "NOPE", "id": "1"}}]})
    # A new deadline in ISO 8601 with its offset, as an API or CLI user types it.
    amended = c.AmendTender("T-1", "more time", {"tender_end": "2030-02-01T17:00:00-05:00"})
    assert amended.changes["tender_end"] == datetime(2030, 2, 1, 22, tzinfo=UTC)


@pytest.fixture(scope="module")
def release_schema() -> dict:
    return json.loads(shared_testdata("ocds", "schema-1__1__5", "release-schema.json").read_text())


texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)
items = st.lists(st.fixed_dictionaries(
    {"id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
     "description": texts.filter(str.strip),
     "classification": st.fixed_dictionaries({"scheme": st.sampled_from(ITEM_CLASSIFICATION_SCHEMES),
                                              "id": texts.filter(str.strip)})},
    optional={"quantity": st.one_of(st.integers(0, 2**53 - 1), st.floats(0, 1e12))}),
    min_size=1, max_size=4, unique_by=lambda i: i["id"])
amounts = st.decimals(0, 10**13, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=60)
@given(items=items, title=texts.filter(str.strip), amount=amounts, buyer=texts.filter(str.strip))
def test_whatever_a_tender_accepts_publishes_as_valid_ocds(release_schema, items, title, amount, buyer):
    # Every field within the rules above: always accepted, and it must publish as valid OCDS.
    cmd = tender(items=items, title=title, buyer={"id": buyer, "name": buyer},
                 value={"amount": str(amount), "currency": "USD"}, tender_end=procurement.TENDER_END,
                 enquiry_end=None, panel={"buyer": [procurement.BUYER.id], "evaluator": ["ev1"], "ssa": ["ssa1"],
                                          "opening_official": ["op1", "op2"]})
    t = procurement.Tender(procurement.Ledger(), "T-1")
    t.do(cmd, procurement.BUYER, procurement.TENDER_END - timedelta(days=19))
    releases = t.ledger.releases
    assert releases, "the created tender publishes a release"
    for release in releases:
        assert release.get("tag")
        jsonschema.validate(release, release_schema, cls=jsonschema.Draft4Validator)
        assert json.loads(json.dumps(release, allow_nan=False)) == release


@pytest.mark.parametrize("when", ["0902-03-26T00:44:30+00:00", "1899-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00"])
def test_a_time_outside_the_years_of_a_procurement_is_refused(when):
    """A year-902 deadline is a typo; 9999-12-31 at -05:00 is past the last year in UTC. Each is
    refused with the field named (it once reached the log's time format and failed there)."""
    with pytest.raises(InvalidCommand, match=r"tender_end .* is not in the years 1900 to 9998"):
        c.AmendTender("T-1", "r", {"tender_end": when})
    with pytest.raises(InvalidCommand, match=r"contact_date .* is not in the years 1900 to 9998"):
        c.ReportEmploymentContact("T-1", "acme", datetime.fromisoformat(when.replace("Z", "+00:00")), "rejected")


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.timezones()))
def test_iso_is_rfc3339_and_reads_back(t):
    """`iso` writes every accepted time as RFC 3339 in UTC, and it reads back as the same instant."""
    text = iso(t)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    # Compared in UTC: two zones' times in a DST gap or fold never compare equal (PEP 495).
    assert parse_time(text) == t.astimezone(UTC).replace(microsecond=0)
