"""The one entry point of the rules: `decide(state, command, actor, now)` -> events.

Each command type has one decider, in the rule module of its part of the procedure; the table
below is the only place that says which. Pure: no I/O, the time is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import access, appeals, evaluation, integrity, litigation, oci, protests, tendering, vehicles
from . import commands as c
from .errors import Refused
from .model import Actor, Event
from .tender import TenderState

Decider = Callable[[TenderState, Any, Actor, datetime], list[Event]]

DECIDERS: dict[type, Decider] = {
    c.AmendTender: tendering.amend,
    c.PublishTender: tendering.publish,
    c.AskQuestion: tendering.ask,
    c.AnswerQuestion: tendering.answer,
    c.SubmitBid: tendering.submit_bid,
    c.WithdrawBid: tendering.withdraw_bid,
    c.CloseEnquiries: tendering.close_enquiries,
    c.CloseTendering: tendering.close_tendering,
    c.CancelTender: tendering.cancel,
    c.DeclareInterests: evaluation.declare,
    c.SubmitShare: evaluation.submit_share,
    c.RecordOpening: evaluation.record_opening,
    c.RateProposal: evaluation.rate,
    c.RecordConsensus: evaluation.consensus,
    c.SetCompetitiveRange: evaluation.competitive_range,
    c.DecideAward: evaluation.decide_award,
    c.GiveDebriefing: evaluation.debrief,
    c.RequestDebriefing: protests.request_debriefing,
    c.SignContract: evaluation.sign_contract,
    c.ReadConfidential: access.read,
    c.Disclose: access.disclose,
    c.GrantRole: access.grant_role,
    c.RevokeRole: access.revoke_role,
    c.FileProtest: protests.file_protest,
    c.DocketProtest: protests.docket,
    c.FileAgencyReport: protests.agency_report,
    c.FileComments: protests.comments,
    c.DecideProtest: protests.decide_protest,
    c.CourtOrder: protests.court_order,
    c.VoluntaryHold: protests.voluntary_hold,
    c.OverrideStay: protests.override,
    c.TakeCorrectiveAction: protests.corrective_action,
    c.StartPerformance: protests.start_performance,
    c.LapseProtest: protests.lapse,
    c.EndStay: protests.end_stay,
    c.Intervene: litigation.intervene,
    c.FileAdministrativeRecord: litigation.file_record,
    c.FileMotion: litigation.file_motion,
    c.FilePublicVersion: litigation.public_version,
    c.FileBrief: litigation.file_brief,
    c.RuleOnMotion: litigation.rule_on_motion,
    c.IssueProtectiveOrder: litigation.protective_order,
    c.ApplyForAccess: litigation.apply_for_access,
    c.DecideAccess: litigation.decide_access,
    c.ScheduleHearing: appeals.schedule_hearing,
    c.FileAppeal: appeals.file_appeal,
    c.DecideAppeal: appeals.decide_appeal,
    c.RecommendCosts: appeals.recommend_costs,
    c.FileCostClaim: appeals.file_cost_claim,
    c.DeclareOwnership: integrity.declare_ownership,
    c.Recuse: integrity.recuse,
    c.ReportEmploymentContact: integrity.employment_contact,
    c.RecordContact: integrity.record_contact,
    c.RecordIncident: integrity.record_incident,
    c.RegisterFamily: integrity.register_family,
    c.IdentifyOci: oci.identify,
    c.ResolveOci: oci.resolve,
    c.AwardVehicle: vehicles.award_vehicle,
    c.ExerciseOption: vehicles.exercise_option,
    c.PlaceOrder: vehicles.place_order,  # with the competition's state (`related_tender`)
}


def related_tender(cmd: c.Command) -> str | None:
    """The other tender a command's rule reads: the vehicle a competition is under, the
    competition an order comes from. The app loads it and hands it to `decide`."""
    if isinstance(cmd, c.CreateTender):
        return cmd.order_under
    if isinstance(cmd, c.PlaceOrder):
        return cmd.competition
    return None


def decide(state: TenderState | None, cmd: c.Command, actor: Actor, now: datetime,
           related: TenderState | None = None) -> list[Event]:
    """The events `cmd` produces, or Refused. Never mutates `state`. `related` is the state of the
    tender `related_tender(cmd)` names, if any."""
    if now.tzinfo is None:
        raise ValueError("the clock must give timezone-aware times")
    if isinstance(cmd, c.CreateTender):
        return tendering.create(state, cmd, actor, now, related)
    if state is None:
        raise Refused("not-found", f"no tender {cmd.tender_id}")
    if isinstance(cmd, c.PlaceOrder):
        return vehicles.place_order(state, cmd, actor, now, related)
    return DECIDERS[type(cmd)](state, cmd, actor, now)
