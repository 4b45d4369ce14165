"""What of a tender's state anyone may see: the one filter the API and the portal both use.

The state folds in confidential content (ratings, narratives) so the rules can use it; nothing of
that leaves through here until the record makes it public: ratings and narratives only once
disclosed after the award. Who bid, asked, withdrew or was refused is not in the state at all
before the opening (it is sealed to the opening key); bidders are named from the opening on, and
who asked an enquiry never (FAR 15.201(f)).
"""

from __future__ import annotations

from typing import Any


def public_bid(bid: dict[str, Any]) -> dict[str, Any]:
    out = {"id": bid["id"], "status": bid["status"], "date": bid["date"], "sealed_sha256": bid["sealed_sha256"],
           "sealed_size": bid["sealed_size"]}
    if bid.get("lots"):  # which lots it covers is public from submission (not who bid)
        out["lots"] = list(bid["lots"])
    if bid["status"] == "opened":
        out.update(bidder=bid["bidder"], bidder_name=bid["bidder_name"], readable=bid.get("readable"),
                   plaintext_sha256=bid.get("plaintext_sha256"), size=bid.get("size"))
    elif bid["status"] == "replaced":
        out.update(bidder=bid["bidder"], bidder_name=bid["bidder_name"], replaced_by=bid["replaced_by"])
    return out


def public_view(state: dict[str, Any]) -> dict[str, Any]:
    s = state
    view = {k: s[k] for k in ("id", "title", "description", "buyer", "method", "criteria", "ruleset", "items",
                              "value", "periods", "status", "created", "published", "documents", "amendments",
                              "opening_threshold", "illustrative", "opened", "contract", "cancellation",
                              "debriefings", "refusals", "accesses", "disclosed", "events", "last_event")}
    view["factors"] = [{k: f[k] for k in ("id", "name", "kind", "weight", "scale")} for f in s["factors"]]
    view["panel"] = s["panel"]
    view["enquiries"] = sorted(s["enquiries"].values(), key=lambda q: q["date"])
    view["bids"] = [public_bid(b) for b in sorted(s["bids"].values(), key=lambda b: b["date"])]
    view["declarations"] = {o: {"date": d["date"], "has_conflict": d["has_conflict"]}
                            for o, d in s["declarations"].items()}
    view["shares_submitted"] = list(s["shares"])
    # The encrypted shares are public (in the log): each official fetches theirs from here.
    view["opening_key"] = None if not s["opening"] else {
        k: s["opening"][k] for k in ("suite", "public_key", "threshold", "encrypted_shares")}
    view["awards"] = list(s["awards"])
    cr = s["competitive_range"]
    view["competitive_range"] = None if cr is None else {"date": cr["date"], "included": cr["included"],
                                                         "excluded": cr["excluded"]}
    view["ratings_logged"] = sum(len(h) for h in s["ratings"].values())
    view["rating_changes"] = sum(max(len(h) - 1, 0) for h in s["ratings"].values())
    view["protests"] = sorted(s["protests"].values(), key=lambda pr: pr["filed"])
    view["stays"] = sorted(s["stays"].values(), key=lambda st: st["from"])
    view["corrective_actions"] = s["corrective_actions"]
    # Litigation as the public docket shows it: a sealed motion's content is not in the state.
    view["litigation"] = dict(s["litigation"])
    view["performance"] = s["performance"]
    view["recusals"] = s["recusals"]
    view["employment_contacts"] = s["employment_contacts"]
    view["contacts"] = s["contacts"]  # who, when, how; what was said is committed, not shown
    # Which offeror, the finding and the rationale are confidential (source selection information).
    view["ocis"] = [{k: o[k] for k in ("id", "date", "kind", "basis", "resolution", "resolved", "resolution_basis",
                                       "plan_sha256")} for o in sorted(s["ocis"].values(), key=lambda o: o["date"])]
    view["incidents"] = [{"date": i["date"], "affected": i["affected"]} for i in s["incidents"]]
    # A conflict match names the bidder only once bidders are public (from the opening on).
    named = s["opened"] is not None
    shown = ("date", "official", "interest", *(("bidder", "declared") if named else ()))
    view["coi_matches"] = [{k: m[k] for k in shown} | ({"family": m["family"]} if named and "family" in m else {})
                           for m in s["coi_matches"]]
    view["families"] = sorted(s["families"].values(), key=lambda f: f["date"])  # public: who owns whom
    # Ratings and narratives appear only as disclosed, in the `confidential.disclosed` events of
    # the public log (each with its salt, checkable against its commitment).
    view.update(vehicle_parts(s))
    # A tender divided into lots: the lots, the limit on lots per tenderer, each lot's contract.
    view.update({k: s[k] for k in ("lots", "lot_award_limit", "lot_contracts") if k in s})
    return view


#: What of a vehicle's terms and running totals is public: the terms are the solicitation's, the
#: parties the award's, the totals re-added from the orders' events (FAR 16.505(a)(11); 2014/24/EU
#: art. 33; OCDS relatedProcesses). Named field by field, so that a field the domain adds later is
#: not published before someone decides it may be.
VEHICLE_FIELDS = ("kind", "awardees", "ceiling", "ceiling_scope", "minimum", "ordering_end", "agency", "call_off",
                  "awarded", "standstill_end", "ordered", "party_totals", "orders")
ORDER_FIELDS = ("id", "date", "seq", "party", "value", "basis", "competition", "exception", "description",
                "ordered_before", "ordered_after", "party_after", "posted")


def vehicle_parts(s: dict[str, Any]) -> dict[str, Any]:
    """A vehicle's terms, parties and running totals; an order competition's vehicle and invited
    parties; the related processes. Present only on the tenders that have them, as in the state."""
    out: dict[str, Any] = {}
    if (v := s.get("vehicle")) is not None:
        out["vehicle"] = {k: v[k] for k in VEHICLE_FIELDS if k in v} | {
            "options": [{k: o[k] for k in ("id", "period_end", "exercised")} for o in v["options"]],
            "parties": [{k: x[k] for k in ("id", "name", "bid", "award")} for x in v["parties"]],
        }
    if (u := s.get("order_under")) is not None:
        out["order_under"] = {k: u[k] for k in ("vehicle", "kind", "agency")}
    if s.get("invited"):
        out["invited"] = list(s["invited"])
    if s.get("related"):
        out["related"] = [{k: r[k] for k in ("id", "relationship", "title") if k in r} for r in s["related"]]
    return out


def public_order(order: dict[str, Any]) -> dict[str, Any]:
    """An order as anyone may see it. An exception's justification is public only when posted
    (above the simplified acquisition threshold, FAR 16.505(b)(2)(ii)(D)); the state holds none
    otherwise, and this does not rely on it."""
    out = {k: order[k] for k in ORDER_FIELDS}
    out["justification"] = order["justification"] if order["posted"] or order["exception"] is None else None
    return out
