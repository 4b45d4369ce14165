"""Every invented value of the JEDI replay is labelled illustrative where the public sees it (the
portal's tender page, the OCDS release, the record's creation event), not only in TOML comments;
and the facts are not (issue 12; ../shared/scenarios/jedi-facts.md)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tenderproof.app.publication import stored_releases
from tenderproof.ocds import packages as pk
from tenderproof.scenario.runner import Scenario

from .conftest import JEDI

#: What was never made public and is therefore invented in the replay: each must be named.
INVENTED = ["times of day", "proposal contents and prices", "ratings, narratives", "panel names",
            "enquiry texts", "Google's proposal (bid-google)", "the debriefings of 2019-10-28",
            "filing dates of the administrative records", "the disclosures of 2019-11-01", "the bid opening",
            "award rationales' wording"]
#: Facts from the public record: no label may name them.
FACTS = ["2019-10-25", "contract signature", "HQ0034-20-D-0001", "2019-10-22", "2019-06-11", "DODIG-2020-079", "2018-10-12",
         "competitive range"]
#: Free texts of the public record that are invented: each says so in its own words.
INVENTED_TEXT = {"ask": "question", "answer": "answer", "agency_report": "summary", "comments": "summary"}


@pytest.fixture(scope="module")
def labels(world) -> list[str]:
    return list(world.p.state(JEDI)["illustrative"])


def test_every_invented_value_is_listed_and_no_fact_is(labels):
    for value in INVENTED:
        assert any(value in label for label in labels), f"{value!r} is not labelled illustrative"
    for fact in FACTS:
        assert not any(fact in label for label in labels), f"the fact {fact!r} is labelled illustrative"


def test_the_portal_page_names_every_invented_value(world, labels):
    with TestClient(world.app()) as c:
        html = c.get(f"/tenders/{JEDI}").text
    notice = re.search(r'<p class="notice"><strong>Scenario data\.</strong>(.*?)</p>', html, re.S)
    assert notice, "the JEDI page says nothing of its illustrative values"
    for value in INVENTED:
        assert value.replace("'", "&#39;") in notice.group(1), value
    for fact in FACTS:
        assert fact not in notice.group(1)


def test_the_ocds_release_names_every_invented_value(world, labels):
    rels = stored_releases(world.p, JEDI)
    compiled = pk.compile_record(rels[0]["ocid"], rels)["compiledRelease"]
    assert compiled["tender"]["illustrative"] == list(dict.fromkeys(labels))
    assert all("illustrative" in r["tender"] for r in rels if "tender" in r)


def test_the_record_carries_the_labels_from_the_creation_event(world, labels):
    created = world.p.events(JEDI)[0].envelope
    assert created["type"] == "tender.created" and created["payload"]["illustrative"] == labels


def test_every_invented_free_text_says_so_in_its_own_words(world):
    sc = Scenario.load("jedi")
    with TestClient(world.app()) as c:
        html = c.get(f"/tenders/{JEDI}").text
    checked = 0
    for s in sc.steps:
        field = INVENTED_TEXT.get(s["do"])
        if field is None:
            continue
        text = s["args"][field]
        assert "illustrative" in text.lower(), text
        checked += 1
    assert checked >= 6 and "(illustrative)" in html
    # Officials whose names are not public are named as illustrative; the public bodies are not.
    for pid, party in sc.parties.items():
        # (D. Ubhi is named in the public record: the contracting officer's finding, upheld in court.)
        invented = (party["role"] in ("buyer", "ssa", "evaluator", "opening_official") or pid == "hca") \
            and pid != "ubhi"
        assert ("illustrative" in party["name"]) == invented, party

