"""The demo installation: JEDI and JWCC replayed, plus a live sandbox tender with demo accounts.

It composes a scenario replay with live use of the app, so it sits above both (`tenderproof demo`).

The sandbox tender's submission deadline is a few hours ahead, so a visitor can seal and submit a
bid through the API with a printed token and watch it appear (sealed) on the portal. Tokens are
written to `demo-accounts.json` in the data directory (mode 0600) and printed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tenderproof import seal
from tenderproof.app import accounts, bidding
from tenderproof.app.service import Procurement
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.fsutil import atomic_write
from tenderproof.instance import Settings, init

from .runner import Clock, Runner, Scenario

SANDBOX = "SANDBOX-1"
ACCOUNTS = {  # person id: (name, role)
    "demo-buyer": ("Demo Contracting Officer", "buyer"),
    "demo-evaluator": ("Demo Evaluator", "evaluator"),
    "demo-ssa": ("Demo Source Selection Authority", "ssa"),
    "demo-opener-1": ("Demo Bid-Opening Official 1", "opening_official"),
    "demo-opener-2": ("Demo Bid-Opening Official 2", "opening_official"),
    "demo-opener-3": ("Demo Bid-Opening Official 3", "opening_official"),
    "demo-auditor": ("Demo Inspector General", "auditor"),
    "acme": ("ACME Cloud Ltd (demo bidder)", "bidder"),
    "globex": ("Globex Corporation (demo bidder)", "bidder"),
}


@dataclass
class DemoInfo:
    tokens: dict[str, str]
    sandbox: str
    deadline: datetime
    jedi_events: int
    jwcc_events: int = 0


def setup(settings: Settings, hours: float = 3.0) -> DemoInfo:
    """Replay JEDI and its successor JWCC (a multiple-award vehicle and its task orders) into a
    fresh data dir, then open the sandbox tender with demo accounts."""
    log = init(settings)
    clock = Clock()
    scenario = Procurement(log, settings.data_dir, clock, public_url=settings.public_url,
                          publication=settings.ocds)
    report = Runner(scenario, clock, settings.data_dir / "scenario-keys").run(Scenario.load("jedi"))
    successor = Runner(scenario, clock, settings.data_dir / "scenario-keys").run(Scenario.load("jwcc"))

    live = Procurement(log, settings.data_dir, public_url=settings.public_url,
                       publication=settings.ocds)  # the real clock from here on
    tokens = {}
    for pid, (name, role) in ACCOUNTS.items():
        accounts.add_person(live, pid, name)
        accounts.grant(live, pid, role)
        tokens[pid] = accounts.issue_token(live, pid, "demo")
    keys_dir = settings.data_dir / "demo-keys"
    for pid, (_name, role) in ACCOUNTS.items():
        if role == "opening_official":
            kp = seal.OfficialKeyPair.generate()
            atomic_write(keys_dir / f"{pid}.key", kp.private_bytes(), mode=0o600)
            bidding.register_official(live, pid, pid, kp.public_bytes())
    now = datetime.now(UTC).replace(microsecond=0)
    deadline = now + timedelta(hours=hours)
    buyer = Actor("demo-buyer", "buyer")
    live.execute(c.CreateTender(
        SANDBOX, title="Sandbox: managed cloud storage (live demo tender)",
        description="A live tender for trying tenderproof: seal a bid on your machine and submit it "
                    "through the API.",
        buyer={"id": "demo-agency", "name": "Demo Agency"}, method="open", criteria="lowestPriceTechnicallyAcceptable",
        items=[{"id": "storage", "description": "Managed object storage, 1 PB",
                "classification": {"scheme": "CPV", "id": "72317000"}}],
        factors=[{"id": "tech", "name": "Technical acceptability", "scale": ["Acceptable", "Unacceptable"]},
                 {"id": "price", "name": "Price", "kind": "price"}],
        tender_end=deadline, panel={"evaluator": ["demo-evaluator"], "ssa": ["demo-ssa"],
                                    "opening_official": ["demo-opener-1", "demo-opener-2", "demo-opener-3"]},
        opening_threshold=2, value={"amount": "250000", "currency": "USD"}, illustrative=["everything: a demo tender"],
    ), buyer)
    bidding.publish(live, SANDBOX, buyer)
    saved = {"tokens": tokens, "sandbox": SANDBOX, "deadline": deadline.isoformat()}
    atomic_write(settings.data_dir / "demo-accounts.json", json.dumps(saved, indent=1).encode(), mode=0o600)
    return DemoInfo(tokens, SANDBOX, deadline, report.events, successor.events)


def load(settings: Settings) -> dict:
    return json.loads((Path(settings.data_dir) / "demo-accounts.json").read_text())
