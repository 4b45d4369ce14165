"""One line for each litigation event (merged into `summaries.SUMMARIES`): what the public
docket shows. A sealed motion says only that it was filed under seal, and for what relief."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenderproof.domain.events import EventType

from .labels import money, when

Payload = dict[str, Any]
Summary = Callable[[Payload, Any], str]

RELIEF = {"supplement_record": "to supplement the administrative record", "discovery": "for discovery",
          "injunction": "for a TRO / preliminary injunction", "dismiss": "to dismiss",
          "remand": "for a voluntary remand", "judgment_on_record": "for judgment on the administrative record",
          "reconsideration": "for reconsideration"}
COURTS = {"cafc": "the Federal Circuit", "scotus": "the Supreme Court (certiorari)"}


def _relief(p: Payload) -> str:
    return " and ".join(RELIEF.get(r, r) for r in p.get("relief") or []) or "(relief not stated)"


def _deponents(p: Payload) -> str:
    named = [f"{d.get('name')} ({d.get('office')})" for d in p.get("deponents") or []]
    return f" Deponents: {'; '.join(named)}." if named else ""


def _motion(p: Payload, _: Any) -> str:
    head = f"Motion {p.get('id')} in {p.get('protest')} by {p.get('movant')} ({p.get('party')}) {_relief(p)}"
    if p.get("sealed"):
        return head + ", filed under seal (its content is committed on the log)."
    return f"{head}: {p.get('summary', '')}{_deponents(p)}"


def _record(p: Payload, _: Any) -> str:
    n = len(p.get("manifest") or [])
    return (f"Administrative record {p.get('id')} ({p.get('kind')}) filed in {p.get('protest')}: {n} logged "
            f"event{'s' if n != 1 else ''}, each named by its ledger index and leaf hash. {p.get('description', '')}")


def _appeal(p: Payload, _: Any) -> str:
    what = "Petition for certiorari" if p.get("court") == "scotus" else "Notice of appeal"
    return (f"{what} {p.get('id')} in {p.get('protest')} to {COURTS.get(p.get('court', ''), p.get('court'))} "
            f"by the {p.get('party')}, due by {when(p.get('due'))} ({p.get('rule', '')}).")


L = EventType
LITIGATION_SUMMARIES: dict[EventType, Summary] = {
    L.LITIGATION_INTERVENED: lambda p, n: f"{n.who(p.get('intervenor', '?'))} intervened in {p.get('protest')} as "
                                          f"{p.get('basis', '')}.",
    L.LITIGATION_RECORD_FILED: _record,
    L.LITIGATION_MOTION_FILED: _motion,
    L.LITIGATION_PUBLIC_VERSION: lambda p, _: (f"Public (redacted) version of motion {p.get('motion')} in "
                                               f"{p.get('protest')}: {p.get('summary', '')}{_deponents(p)}"),
    L.LITIGATION_BRIEF_FILED: lambda p, _: (f"{str(p.get('kind', 'brief')).capitalize()} on motion {p.get('motion')} "
                                            f"in {p.get('protest')}: {p.get('summary', '')}"),
    L.LITIGATION_MOTION_RULED: lambda p, _: (f"Motion {p.get('motion')} in {p.get('protest')} {p.get('outcome')}"
                                             + (f" (by the {p['order'].replace('_', ' ')} order)" if p.get("order")
                                                else "") + f": {p.get('text', '')}"),
    L.LITIGATION_PROTECTIVE_ORDER: lambda p, _: (f"Protective order {p.get('id')} in {p.get('protest')} "
                                                 f"({p.get('basis', '')}): {p.get('text', '')}"),
    L.LITIGATION_ACCESS_APPLIED: lambda p, _: (f"{p.get('counsel')}, counsel for {p.get('party')}, applied for access "
                                               f"under protective order {p.get('order')}."),
    L.LITIGATION_ACCESS_DECIDED: lambda p, _: (f"{p.get('counsel')} {p.get('decision')} under protective order "
                                               f"{p.get('order')}" + (f": {p['reason']}" if p.get("reason") else ".")),
    L.LITIGATION_HEARING: lambda p, _: (f"GAO hearing {p.get('id')} in {p.get('protest')} on {when(p.get('when'))}: "
                                        f"{p.get('purpose', '')}; comments due {when(p.get('comments_due'))}."),
    L.LITIGATION_APPEAL_FILED: _appeal,
    L.LITIGATION_APPEAL_DECIDED: lambda p, _: f"Appeal {p.get('appeal')} {p.get('outcome')}: {p.get('text', '')}",
    L.LITIGATION_COSTS_RECOMMENDED: lambda p, _: (f"GAO recommends costs in {p.get('protest')}: {p.get('text', '')} "
                                                  f"Claim due {when(p.get('claim_due'))}."),
    L.LITIGATION_COST_CLAIM: lambda p, _: (f"Cost claim in {p.get('protest')} filed with the agency: "
                                           f"{money(p.get('amount'))}. {p.get('summary', '')}"),
}
