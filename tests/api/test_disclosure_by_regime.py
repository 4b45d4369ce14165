"""Disclosure by regime over HTTP (domain/disclosure.py): the buyer's attempt to publish an
evaluation is refused (409: the rules say no) with its citation and logged; what an offeror is given, it alone
reads, verified against the logged commitments; nobody else, and never the public."""

from __future__ import annotations

import json

from .test_debriefing_letter import TID, _problem, awarded, debrief


def _rated(api, bid: str) -> str:
    return next(e.envelope["confidential"] for e in api.p.events(TID)
                if e.envelope["type"] == "evaluation.rated" and e.envelope["payload"]["bid"] == bid
                and e.envelope["payload"]["factor"] == "tech")


def test_the_public_never_gets_an_evaluation_and_the_attempt_is_logged(api):
    awarded(api)
    before = len(api.p.events(TID))
    r = api.post(f"/api/tenders/{TID}/disclosures", "co", json={"commitments": [_rated(api, "bid-globex")]})
    body = _problem(r, 409, "protected")
    assert "FAR 3.104-4" in body["detail"] and "552(b)(4)" in body["detail"]
    events = api.p.events(TID)
    assert len(events) == before + 1 and events[-1].envelope["type"] == "command.refused"
    assert api.p.state(TID)["disclosed"] == []
    # Nothing of the narrative is anywhere public: not the events, not the tender.
    public = api.get(f"/api/tenders/{TID}/events").text + api.get(f"/api/tenders/{TID}").text
    assert "globex weak point" not in public


def test_an_offeror_reads_what_it_was_given_and_no_one_elses(api):
    awarded(api)
    r = api.post(f"/api/tenders/{TID}/disclosures", "co",
                 json={"commitments": [_rated(api, "bid-globex")], "to": "globex"})
    assert r.status_code == 201, r.text
    mine = api.get(f"/api/tenders/{TID}/debriefings/globex/given", "globex")
    assert mine.status_code == 200, mine.text
    assert mine.headers["cache-control"] == "private, no-store"
    [item] = mine.json()["items"]
    assert item["verified"] and item["commitment"] == _rated(api, "bid-globex")
    assert item["content"]["weaknesses"] == "globex weak point"
    # The awardee may not read the loser's, nor the loser anything given to another.
    _problem(api.get(f"/api/tenders/{TID}/debriefings/globex/given", "acme"), 403, "forbidden")
    assert api.get(f"/api/tenders/{TID}/debriefings/acme/given", "acme").json()["items"] == []
    # The public log names the offeror and the commitments only.
    given = [e for e in api.get(f"/api/tenders/{TID}/events").json() if e["envelope"]["type"] == "confidential.given"]
    assert given and "globex weak point" not in str(given)


def test_an_offeror_is_not_given_the_awardees_evaluation(api):
    awarded(api)
    r = api.post(f"/api/tenders/{TID}/disclosures", "co",
                 json={"commitments": [_rated(api, "bid-acme")], "to": "globex"})
    assert "FAR 15.506(e)" in _problem(r, 409, "not-own")["detail"]


def test_the_debriefing_gives_the_awardees_price_and_ratings_but_no_narrative(api):
    """FAR 15.506(d)(2) and (e): the awardee's evaluated price and ratings, no point-by-point
    comparison with its proposal."""
    awarded(api)
    debrief(api)
    letter = json.loads(api.get(f"/api/tenders/{TID}/debriefings/globex/letter", "globex").content)
    assert letter["awardee_ratings"] == {"price": "100", "tech": "Good"}
    assert letter["your_weaknesses_and_deficiencies"]["tech"]["weaknesses"] == ["globex weak point"]
    assert "acme weak point" not in json.dumps(letter)
