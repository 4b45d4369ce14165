"""Replaying a procurement scenario with its own dates through the app layer.

A scenario is a TOML file: `[scenario]` (name, title, notes), `[[party]]` (people and companies
with their role), and `[[step]]` in time order, each `at` a time, by an `actor`, doing one
thing (`do`) with its arguments. The clock is the step's time, and before each step the
deadline worker runs up to it, so deadlines fire when they fall, exactly as in a live server.

The runner plays every party faithfully: bid-opening officials generate their own key pairs
and decrypt their own shares, bidders pack and seal their own proposals — the server side sees
only what it would see in production. A step may `expect` a refusal code instead of success.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_type_hints

from tenderproof import seal
from tenderproof.app import bidding
from tenderproof.app.access import disclose
from tenderproof.app.debriefing import debriefing_document
from tenderproof.app.litigation import record_manifest
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor, Refused
from tenderproof.domain import commands as c
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso, parse_time
from tenderproof.fsutil import atomic_write


class ScenarioError(ValueError):
    """The scenario file is malformed, or a step did not go as the scenario says."""


#: The code a step gets when its command is malformed (a required field missing or invalid): a
#: scenario may `expect` it, as the API answers such a command with a 422.
INVALID = "invalid-command"


def _why(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing argument {e.args[0]!r}"
    return re.sub(r"^(\w+\.)?__init__\(\) ", "", str(e))


@dataclass
class Scenario:
    name: str
    title: str
    notes: str
    parties: dict[str, dict[str, Any]]
    steps: list[dict[str, Any]]

    @classmethod
    def load(cls, name_or_path: str) -> Scenario:
        path = Path(name_or_path)
        if path.suffix == ".toml" and path.exists():
            text = path.read_text()
        else:
            try:
                text = resources.files("tenderproof.scenario").joinpath("data", f"{name_or_path}.toml").read_text()
            except FileNotFoundError:
                raise ScenarioError(f"no built-in scenario {name_or_path!r} and no file {path}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"scenario {name_or_path} is not valid TOML: {e}") from None
        head = data.get("scenario", {})
        parties: dict[str, dict[str, Any]] = {}
        for n, p in enumerate(data.get("party", []), 1):
            if not isinstance(p, dict) or not {"id", "role"} <= p.keys():
                raise ScenarioError(f"party {n} needs an id and a role")
            parties[p["id"]] = p
        steps = data.get("step", [])
        for i, s in enumerate(steps, 1):
            for key in ("at", "actor", "do"):
                if key not in s:
                    raise ScenarioError(f"step {i} has no {key!r}")
            if s["actor"] not in parties:
                raise ScenarioError(f"step {i}: unknown actor {s['actor']!r}")
            if s["do"] not in ACTIONS:
                raise ScenarioError(f"step {i} ({s['at']}): unknown action {s['do']!r}; known: {', '.join(ACTIONS)}")
            if not isinstance(s.get("args", {}), dict):
                raise ScenarioError(f"step {i} ({s['do']} at {s['at']}): args must be a table")
            try:
                parse_time(s["at"])
            except ValueError:
                raise ScenarioError(f"step {i}: {s['at']!r} is not an RFC 3339 time with a zone") from None
        # Steps run in time order; steps at the same time keep the order of the file.
        steps.sort(key=lambda s: parse_time(s["at"]))
        return cls(head.get("name", name_or_path), head.get("title", ""), head.get("notes", ""), parties, steps)


@dataclass
class RunReport:
    steps: int = 0
    events: int = 0
    refusals: list[str] = field(default_factory=list)
    receipts: dict[str, bidding.Receipt] = field(default_factory=dict)
    stopped_at: str | None = None


class Clock:
    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        if self.now is None:
            raise ScenarioError("the scenario clock has not started")
        return self.now


class Runner:
    def __init__(self, p: Procurement, clock: Clock, keys_dir: Path) -> None:
        self.p = p
        self.clock = clock
        self.keys_dir = keys_dir
        self.official_keys: dict[str, seal.OfficialKeyPair] = {}

    def actor(self, scenario: Scenario, step: dict) -> Actor:
        party = scenario.parties[step["actor"]]
        return Actor(party["id"], step.get("role", party["role"]))

    def run(self, scenario: Scenario, until: datetime | None = None,
            progress: Callable[[int], None] | None = None) -> RunReport:
        report = RunReport()
        self._register_officials(scenario)
        for i, step in enumerate(scenario.steps, 1):
            at = parse_time(step["at"])
            if until is not None and at > until:
                report.stopped_at = step["at"]
                break
            self.clock.now = at
            report.events += len(self.p.run_deadlines(at))
            actor = self.actor(scenario, step)
            expect = step.get("expect")
            where = f"step {i} ({step['do']} at {step['at']} by {step['actor']})"
            try:
                try:
                    report.events += self._do(scenario, step, actor, report)
                except c.InvalidCommand as e:  # a field the law requires, missing: refused like the API's 422
                    raise Refused(INVALID, str(e)) from None
                except (TypeError, KeyError, ValueError) as e:
                    if isinstance(e, ScenarioError):
                        raise
                    raise ScenarioError(f"{where}: bad arguments: {_why(e)}") from None
            except Refused as r:
                line = f"{where} refused: {r.code}: {r.reason}"
                if expect != r.code:
                    raise ScenarioError(f"{line}" + (f" (expected {expect})" if expect else "")) from None
                report.refusals.append(line)
                if r.logged:
                    report.events += 1  # the refused attempt is itself an event on the log
            else:
                if expect:
                    raise ScenarioError(f"{where} should have been refused ({expect})")
            report.steps += 1
            if progress:
                progress(i)
        if until is not None:
            self.clock.now = until
            report.events += len(self.p.run_deadlines(until))
        return report

    def _register_officials(self, scenario: Scenario) -> None:
        for pid, party in scenario.parties.items():
            if party["role"] != "opening_official":
                continue
            path = self.keys_dir / f"{pid}.key"
            if path.exists():
                kp = seal.OfficialKeyPair.from_private_bytes(path.read_bytes())
            else:
                kp = seal.OfficialKeyPair.generate()
                atomic_write(path, kp.private_bytes(), mode=0o600)  # the official's own machine
            self.official_keys[pid] = kp
            bidding.register_official(self.p, pid, party.get("name", pid), kp.public_bytes())

    def _do(self, scenario: Scenario, step: dict, actor: Actor, report: RunReport) -> int:
        a = dict(step.get("args", {}))
        tid = step.get("tender", a.pop("tender", None)) or scenario.steps[0]["args"]["tender_id"]
        do = step["do"]
        if do == "create":
            if isinstance(a.get("vehicle"), dict):
                a["vehicle"] = _vehicle_times(a["vehicle"])
            return len(self.p.execute(c.CreateTender(**_times(c.CreateTender, a)), actor))
        if do == "publish":
            return len(bidding.publish(self.p, tid, actor))
        if do == "bid":
            receipt = self._seal_and_submit(tid, actor, scenario.parties[actor.id]["name"], a)
            report.receipts[a["bid_id"]] = receipt
            return 1
        if do == "share":
            return len(self._share(tid, actor))
        if do == "withdraw":
            return len(bidding.withdraw_bid(self.p, tid, actor, a["bid_id"]))
        if do == "debrief":
            doc = debriefing_document(self._state(tid), a["bidder_id"], self.clock())
            digest = self.p.documents.put(doc)
            return len(self.p.execute(c.GiveDebriefing(tid, a["bidder_id"], digest), actor))
        if do in ("disclose_evaluation", "disclose_to"):
            # The whole evaluation to the public, or (disclose_to) one offeror's own records to it only.
            state, to = self._state(tid), a.get("bidder_id", "")
            mine = {b["id"] for b in state["bids"].values() if b.get("bidder") == to}
            commitments = [e.envelope["confidential"] for e in self.p.events(tid)
                           if e.envelope["type"] in EVALUATION and "confidential" in e.envelope
                           and (not to or e.envelope["payload"].get("bid") in mine)]
            return len(disclose(self.p, tid, [x for x in commitments if x not in state["disclosed"]], actor, to=to))
        if do == "disclose_incident":  # an integrity record's description, made public where lawful
            commitments = [e.envelope["confidential"] for e in self.p.events(tid)
                           if e.envelope["type"] == EventType.INTEGRITY_INCIDENT and e.envelope["time"] == iso(
                               parse_time(a["recorded"]))]
            return len(disclose(self.p, tid, commitments, actor))
        if do == "amend" and "tender_end" in a.get("changes", {}):
            a["changes"]["tender_end"] = parse_time(a["changes"]["tender_end"])
        if do == "file_record":  # the manifest is read from the log: what the court gets is what was logged
            a["manifest"] = record_manifest(self.p, tid, a.pop("types", None))
        if "revisits_types" in a:  # name the revisited events by type; the runner finds their numbers
            types = set(a.pop("revisits_types"))
            a["revisits"] = [e.envelope["seq"] for e in self.p.events(tid) if e.envelope["type"] in types]
        command = COMMANDS.get(do)
        if command is None:
            raise ScenarioError(f"unknown step {do!r}")
        return len(self.p.execute(command(tid, **_times(command, a)), actor))

    def _state(self, tid: str) -> dict[str, Any]:
        state = self.p.state(tid)
        if state is None:
            raise ScenarioError(f"no tender {tid}: the scenario must create it first")
        return state

    def _seal_and_submit(self, tid: str, actor: Actor, name: str, a: dict) -> bidding.Receipt:
        """What the bidder does on their own machine: write, pack and seal the proposal."""
        with tempfile.TemporaryDirectory() as d:
            for fname, content in a.get("files", {"proposal.txt": "illustrative proposal"}).items():
                (Path(d) / fname).write_text(content)
            package = seal.pack(Path(d))
        sealed = seal.seal_bid(tid, bidding.public_key(self._state(tid)), package)
        return bidding.submit_bid(self.p, tid, actor, name, sealed, bid_id=a["bid_id"])

    def _share(self, tid: str, actor: Actor):
        """What an opening official does on their own machine: decrypt their share."""
        state = self._state(tid)
        encrypted = (state.get("opening") or {}).get("encrypted_shares", {}).get(actor.id)
        kp = self.official_keys.get(actor.id)
        share = seal.decrypt_share(tid, actor.id, base64.b64decode(encrypted), kp) if encrypted and kp else b"\x00"
        return bidding.submit_share(self.p, tid, actor, share)


COMMANDS: dict[str, type[c.Command]] = {
    "amend": c.AmendTender,
    "ask": c.AskQuestion,
    "answer": c.AnswerQuestion,
    "declare": c.DeclareInterests,
    "rate": c.RateProposal,
    "consensus": c.RecordConsensus,
    "range": c.SetCompetitiveRange,
    "award": c.DecideAward,
    "sign": c.SignContract,
    "cancel": c.CancelTender,
    "request_debriefing": c.RequestDebriefing,
    "protest": c.FileProtest,
    "docket": c.DocketProtest,
    "agency_report": c.FileAgencyReport,
    "comments": c.FileComments,
    "decide_protest": c.DecideProtest,
    "court_order": c.CourtOrder,
    "hold": c.VoluntaryHold,
    "override": c.OverrideStay,
    "corrective_action": c.TakeCorrectiveAction,
    "start_performance": c.StartPerformance,
    "ownership": c.DeclareOwnership,
    "recuse": c.Recuse,
    "employment_contact": c.ReportEmploymentContact,
    "contact": c.RecordContact,
    "incident": c.RecordIncident,
    "intervene": c.Intervene,
    "file_record": c.FileAdministrativeRecord,
    "motion": c.FileMotion,
    "public_version": c.FilePublicVersion,
    "brief": c.FileBrief,
    "rule": c.RuleOnMotion,
    "protective_order": c.IssueProtectiveOrder,
    "apply_access": c.ApplyForAccess,
    "decide_access": c.DecideAccess,
    "hearing": c.ScheduleHearing,
    "appeal": c.FileAppeal,
    "decide_appeal": c.DecideAppeal,
    "recommend_costs": c.RecommendCosts,
    "cost_claim": c.FileCostClaim,
    "family": c.RegisterFamily,
    "oci": c.IdentifyOci,
    "resolve_oci": c.ResolveOci,
    "award_vehicle": c.AwardVehicle,
    "exercise_option": c.ExerciseOption,
    "place_order": c.PlaceOrder,
}
#: The actions the runner performs itself, as each party would on its own machine, with their arguments.
SPECIAL: dict[str, str] = {
    "create": "CreateTender: every field of the command (`tender_end`, `enquiry_end` as times); a vehicle's "
              "terms in `vehicle` (`ordering_end` and each option's `period_end` as times), an order's "
              "competition in `order_under` (the vehicle's id), `invited`, `related`",
    "publish": "(none): the runner makes the opening key from the opening officials' public keys",
    "bid": "`bid_id`; `files` (optional: file name = text; the runner packs and seals them as the bidder)",
    "share": "(none): the opening official decrypts their own key share; the k-th share opens the bids",
    "withdraw": "`bid_id`: withdrawn with the bidder's own withdrawal key",
    "debrief": "`bidder_id`: the runner writes the debriefing letter and logs its digest",
    "disclose_evaluation": "(none): discloses to the public every evaluation record not disclosed yet "
                           "(refused and logged where the regime protects it, domain/disclosure.py)",
    "disclose_to": "`bidder_id`: gives that offeror its own evaluation records, to it alone (FAR 15.506(d))",
    "disclose_incident": "`recorded` (the time the integrity record was logged): makes its description public",
}
#: Every action a step may `do`.
ACTIONS: tuple[str, ...] = (*SPECIAL, *COMMANDS)


def _field_doc(f: dataclasses.Field[Any]) -> str:
    required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    return f"`{f.name}`" + ("" if required else " (optional)")


def actions_reference() -> str:
    """The table of actions for docs/scenarios.md, made from the runner's own tables (a test
    holds the document to it, so it cannot drift)."""
    lines = ["| `do` | command | arguments (`args`) |", "|---|---|---|"]
    for name, what in SPECIAL.items():
        lines.append(f"| `{name}` | (the runner) | {what} |")
    for name, command in COMMANDS.items():
        fields = [_field_doc(f) for f in dataclasses.fields(command) if f.name != "tender_id"]
        lines.append(f"| `{name}` | `{command.__name__}` | {', '.join(fields) or '(none)'} |")
    return "\n".join(lines) + "\n"


def time_fields(command: type[c.Command]) -> frozenset[str]:
    """The command's fields that are times (typed `datetime`, or `datetime | None`): a scenario
    writes them as RFC 3339 text, read here, so no list of their names can fall behind."""
    hints = get_type_hints(command)
    return frozenset(name for name, t in hints.items() if t is datetime or datetime in get_args(t))


#: Each command's time fields, found once.
_TIME_FIELDS = {command: time_fields(command) for command in COMMANDS.values()}
_TIME_FIELDS[c.CreateTender] = time_fields(c.CreateTender)


def _times(command: type[c.Command], a: dict[str, Any]) -> dict[str, Any]:
    for key in _TIME_FIELDS[command] & a.keys():
        if isinstance(a[key], str):
            a[key] = parse_time(a[key])
    return a


def _vehicle_times(terms: dict[str, Any]) -> dict[str, Any]:
    """A vehicle's terms with their times read: the ordering period's end and each option's."""
    def when(value: Any) -> Any:
        return parse_time(value) if isinstance(value, str) else value

    out = dict(terms)
    if "ordering_end" in out:
        out["ordering_end"] = when(out["ordering_end"])
    if isinstance(out.get("options"), list):
        out["options"] = [o | {"period_end": when(o["period_end"])} if isinstance(o, dict) and "period_end" in o
                          else o for o in out["options"]]
    return out


#: The events whose confidential parts `disclose_evaluation` discloses.
EVALUATION = frozenset({EventType.EVALUATION_RATED, EventType.EVALUATION_CONSENSUS,
                        EventType.EVALUATION_COMPETITIVE_RANGE})
