"""Red flags where people look: each tender's page shows its R-codes and TP-codes with the public
evidence and a link to what the indicator means; /flags lists the flagged tenders. The portal
computes nothing itself: its flags are `tenderproof flags --ledger`'s, finding for finding."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof.api.server import create_app
from tenderproof.app import bidding
from tenderproof.cli.flags_cmd import _ledger
from tenderproof.domain import commands as c
from tenderproof.portal import flags

from .conftest import BUYER, JEDI, SEALED, _create, add_more_tenders, replay

SHORT = "T-2030-SHORT"  # published with five days to bid: OCP's R003, short submission period


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    w = replay(tmp_path_factory.mktemp("flags"))
    add_more_tenders(w)
    w.clock.now += timedelta(days=1)
    _create(w, SHORT, "Urgent printer toner", 5)
    bidding.publish(w.p, SHORT, BUYER)
    yield w
    w.p.log.db.dispose()


@pytest.fixture(scope="module")
def client(flagged):
    return TestClient(create_app(flagged.p))


def section(html: str, sid: str) -> str:
    return re.search(rf'<section aria-labelledby="{sid}">.*?</section>', html, re.S).group(0)


def codes_on_page(client, tid: str) -> dict[str, str]:
    html = section(client.get(f"/tenders/{tid}").text, "flags")
    return dict(re.findall(r'<tr id="flag-(\w+)">.*?<a href="(/flags/indicators#\w+)">', html, re.S))


def test_jedi_page_shows_its_ledger_flags_with_evidence_and_links(client):
    html = section(client.get(f"/tenders/{JEDI}").text, "flags")
    # docs/flags-ledger.md: on JEDI, TP002 (4 re-ratings), TP007 (performance under the injunction),
    # TP008 (the referral to the IG and the IG's finding).
    assert codes_on_page(client, JEDI) == {c: f"/flags/indicators#{c}" for c in ("TP002", "TP007", "TP008")}
    tp002 = re.search(r'<tr id="flag-TP002">.*?</tr>', html, re.S).group(0)
    assert tp002.count("<li>") == 4 and "bid-microsoft/f5-hosting/eval-1" in tp002
    assert "StartPerformance" in html and "2020-02-14T15:00:00Z" in html
    indicators = client.get("/flags/indicators").text
    for code in ("TP002", "TP007", "TP008", "R003", "R018"):
        assert f'<h2 id="{code}">' in indicators


def test_flag_evidence_keeps_confidential_fields_out(flagged, client):
    """A rating's reason is confidential until disclosed: TP002's evidence never carries it."""
    state = flagged.p.state(JEDI)
    reasons = [h["reason"] for hist in state["ratings"].values() for h in hist if h.get("reason")]
    assert reasons
    html = section(client.get(f"/tenders/{JEDI}").text, "flags")
    assert not [r for r in reasons if r in html]
    for code, found in flags.ledger_findings(state).items():
        allowed = {*flags.PUBLIC_FIELDS[code], *flags.NAMED_AFTER_OPENING.get(code, ())}
        assert all(set(f) <= allowed for f in found), code


def test_an_ocds_flag_is_on_its_tender_page(client):
    assert codes_on_page(client, SHORT).get("R003") == "/flags/indicators#R003"
    html = section(client.get(f"/tenders/{SHORT}").text, "flags")
    assert "OCDS (OCP)" in html and "Short submission period" in html


def test_the_portal_flags_are_the_clis(flagged, client):
    """The same codes, counts and public evidence as `tenderproof flags --ledger`."""
    cli, _ = _ledger(flagged.settings.data_dir, flagged.settings.db_url, None, None, False, True)
    prefix = flagged.p.ocid_prefix
    computed = flags.cache_of(client.app).at(flagged.p)
    for ocid, codes in cli["OCID"].items():
        tid = ocid.removeprefix(prefix)
        ours = {c: len(f) for c, f in computed.ledger.get(tid, {}).items()}
        ours |= dict.fromkeys(computed.ocds.get("OCID", {}).get(ocid, {}), 1)
        assert {c: n if c.startswith("TP") else 1 for c, n in codes.items()} == ours, tid
        for code, found in cli["Evidence"].get(ocid, {}).items():
            keep = flags.PUBLIC_FIELDS[code]
            assert computed.ledger[tid][code] == [{k: f[k] for k in keep if k in f} for f in found]
    assert {o.removeprefix(prefix) for o in cli["OCID"]} >= {JEDI, SEALED, SHORT}


def test_flags_page_lists_flagged_tenders_and_filters_by_code(client):
    page = client.get("/flags")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/tenders/([^"#]+)#flags">', page.text)
    assert rows[0] == JEDI and {JEDI, SEALED, SHORT} <= set(rows)  # JEDI has the most flags
    assert "LOT-01" not in rows
    only = re.findall(r'<a href="/tenders/([^"#]+)#flags">', client.get("/flags?code=tp005").text)
    assert only == [SEALED]
    none = client.get("/flags?code=R999")
    assert none.status_code == 200 and "No tender is flagged by R999" in none.text


def test_flags_are_recomputed_when_the_log_grows(flagged, client):
    cache = flags.cache_of(client.app)
    before = cache.at(flagged.p)
    assert cache.at(flagged.p) is before  # the same log size: computed once
    _create(flagged, "T-2030-LATER", "Later tender", 40)
    after = cache.at(flagged.p)
    assert after is not before and after.size == before.size + 1


def test_a_page_never_waits_for_the_run_over_all_data(flagged, client):
    """After the log grows, a page gets the last run's R-codes at once (the run is redone in the
    background) and its own TP-codes as its state is now."""
    cache = flags.cache_of(client.app)
    last = cache.at(flagged.p)
    flagged.p.execute(c.CancelTender(SHORT, "the toner came from another framework"), BUYER)
    assert cache.recent(flagged.p) is last  # at once: the run starts in the background
    assert codes_on_page(client, JEDI).keys() == {"TP002", "TP007", "TP008"}
    for t in [t for t in threading.enumerate() if t.name == "portal-flags"]:
        t.join(timeout=60)
    assert cache.computed is not None and cache.computed.size == flagged.p.log.head().size
    # Cardinal leaves cancelled processes out: the new run no longer flags the cancelled tender.
    assert "R003" in last.ocds["OCID"][flagged.p.ocid_prefix + SHORT]
    assert flagged.p.ocid_prefix + SHORT not in cache.computed.ocds.get("OCID", {})
