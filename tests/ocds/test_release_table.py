"""The table of what each event type publishes (`ocds.releases.RELEASES`) covers every event type
and agrees with the releases themselves, on the JEDI replay and on the test procurements: an event
it says publishes nothing never changes a tender's public side, and an event that publishes does so
exactly when that side changes, with the tags the table gives."""

from __future__ import annotations

from tenderproof.app.envelope import full_event
from tenderproof.app.rebuild import parse_envelope
from tenderproof.domain import evolve
from tenderproof.domain.events import EventType
from tenderproof.domain.rows import settle
from tenderproof.ocds import public_view, release_for
from tenderproof.ocds.releases import RELEASES, NoRelease, Publishes

from ..app.test_jedi import replay
from . import procurement
from .litigated import litigated
from .vehicled import vehicled


def test_every_event_type_has_an_entry() -> None:
    assert set(RELEASES) == set(EventType)
    for entry in RELEASES.values():
        assert entry.why if isinstance(entry, NoRelease) else entry.tags and entry.in_draft


def _check(events: list[dict]) -> tuple[set[str], set[str]]:
    """Fold `events` (full envelopes), checking each against the table; return the types seen and
    the types that published a release."""
    states: dict[str, dict] = {}
    seen, published = set(), set()
    for i, env in enumerate(events):
        before = states.get(env["tender"])
        after = evolve(before, env)
        entry = RELEASES[env["type"]]
        changed = before is None or public_view(before) != public_view(after)
        release = release_for(before, after, env, ocid_prefix="ocds-x-", index=i)
        if isinstance(entry, NoRelease):
            assert not changed, f"{env['type']} changed the public side, but the table says: {entry.why}"
            assert release is None
        else:
            assert (release is not None) == changed, env["type"]
            if release is not None:
                assert release["tag"] == entry.tags_after(before), env["type"]
                published.add(env["type"])
        seen.add(env["type"])
        states[env["tender"]] = settle(after)
    return seen, published


def _publishing(types: set[str]) -> set[str]:
    return {t for t in types if isinstance(RELEASES[t], Publishes)}


def _procurements() -> list[dict]:
    ledger = procurement.Ledger()
    for build in (procurement.full, procurement.cancelled, procurement.unsuccessful, procurement.protested, litigated,
                  vehicled):
        build(ledger)
    return [env for env, _ in ledger.entries]


def _jedi(settings) -> list[dict]:
    p, _ = replay(settings)
    entries = p.log.entries(0, p.log.head().size)
    # Folded from the public log alone: a release is made of public content only.
    return [full_event(env, None) for env in map(parse_envelope, entries) if env is not None]


def test_the_table_agrees_with_the_test_procurements() -> None:
    seen, published = _check(_procurements())
    assert published == _publishing(seen)  # each publishing type seen did publish


def test_the_table_agrees_with_the_jedi_replay(settings) -> None:
    seen, published = _check(_jedi(settings))
    assert published == _publishing(seen)


def test_every_event_type_is_checked(settings) -> None:
    seen = _check(_procurements())[0] | _check(_jedi(settings))[0]
    assert seen == set(EventType)
