"""The events `Procurement.project` computes no OCDS release and no deadlines for (`QUIET`) really
change neither, on every event of the JEDI replay and of the OCDS test procurements: skipping them
is what keeps a bid O(1), so it must never hide a release."""

from __future__ import annotations

from tenderproof.app.envelope import full_event
from tenderproof.app.rebuild import parse_envelope
from tenderproof.app.service import QUIET, deadlines_of
from tenderproof.domain import evolve
from tenderproof.domain.rows import settle
from tenderproof.ocds import release_for
from tenderproof.ocds.releases import RELEASES, NoRelease

from ..ocds import procurement
from .test_jedi import replay


def _check(events: list[dict]) -> set[str]:
    """Fold `events` (full envelopes) and check every quiet one; return the quiet types seen."""
    states: dict[str, dict] = {}
    seen = set()
    for i, env in enumerate(events):
        before = states.get(env["tender"])
        after = evolve(before, env)
        if env["type"] in QUIET:
            seen.add(env["type"])
            assert release_for(before, after, env, ocid_prefix="ocds-x-", index=i) is None, env["type"]
            assert deadlines_of(before) == deadlines_of(after), env["type"]
        states[env["tender"]] = settle(after)
    return seen


def test_quiet_events_of_the_jedi_replay_publish_nothing(settings):
    p, _ = replay(settings)
    entries = p.log.entries(0, p.log.head().size)
    # Folded from the public log alone: a release is made of public content only.
    seen = _check([full_event(env, None) for env in map(parse_envelope, entries) if env is not None])
    assert {"bid.submitted", "coi.declared", "opening.share_submitted", "evaluation.rated", "command.refused"} <= seen


def test_quiet_events_of_the_ocds_procurements_publish_nothing():
    ledger = procurement.Ledger()
    for build in (procurement.full, procurement.cancelled, procurement.unsuccessful, procurement.protested):
        build(ledger)
    seen = _check([env for env, _ in ledger.entries])
    assert {"bid.submitted", "bid.withdrawn", "command.refused", "evaluation.consensus"} <= seen


def test_quiet_events_publish_nothing_by_the_release_table():
    """What the service skips, the OCDS table says publishes nothing, whatever the state."""
    assert {t: RELEASES[t] for t in QUIET if not isinstance(RELEASES[t], NoRelease)} == {}
