"""The portal's pages over a JEDI replay, through FastAPI's TestClient."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from tenderproof.app.envelope import canonical
from tenderproof.app.public import public_view
from tenderproof.ledger.policy import Policy
from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof
from tenderproof.portal import views
from tenderproof.scenario.runner import Scenario

from .conftest import DRAFTS, JEDI, SEALED, SEALED_BIDDER
from .htmlcheck import Page


@pytest.fixture(scope="module")
def client(world):
    with TestClient(world.app()) as c:
        yield c


def ok(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    return r.text


def rows(html: str) -> list[str]:
    """The tender ids listed on a list page, in order."""
    return re.findall(r'<th scope="row"><a href="/tenders/([^"]+)">', html)


def link(html: str, rel: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return m.group(1).replace("&amp;", "&") if m else None


def event_index(world, tid: str, type_: str) -> int:
    return next(e.index for e in world.p.events(tid) if e.envelope["type"] == type_)


def crawl(client, world, tender_ids) -> dict[str, str]:
    """Every public page and download about these tenders: list, searches, tender pages, each of
    their events (page, entry bytes, proof), the log page and the verification downloads."""
    out = {}
    for url in ("/", "/?status=cancelled", "/?q=jedi", "/log", "/verify/log.vkey", "/verify/log.tlog-policy",
                "/verify/checkpoint"):
        out[url] = ok(client, url)
    for tid in tender_ids:
        out[f"/tenders/{tid}"] = ok(client, f"/tenders/{tid}")
        for e in world.p.events(tid):
            for suffix in ("", "/entry", "/proof"):
                url = f"/events/{e.index}{suffix}"
                out[url] = ok(client, url)
    return out


# --- the list -----------------------------------------------------------------------------------


def test_list_pages_through_every_tender(client):
    first = ok(client, "/")
    assert "26 in all" in first
    page1 = rows(first)
    assert len(page1) == 20 and page1 == sorted(page1)
    assert link(first, "prev") is None
    second = ok(client, link(first, "next"))
    page2 = rows(second)
    assert set(page1) | set(page2) == {JEDI, SEALED, *DRAFTS} and not set(page1) & set(page2)
    assert link(second, "next") is None
    back = ok(client, link(second, "prev"))
    assert rows(back) == page1


def test_search_by_title_or_identifier(client):
    for q in ("JEDI", "jedi", "HQ0034", "r-0077", "Joint Enterprise Defense"):
        html = ok(client, f"/?q={q}")
        assert rows(html) == [JEDI], q
        assert "1 result" in html
    assert rows(ok(client, "/?q=furniture")) == [SEALED]
    assert rows(ok(client, "/?q=lot+1")) == [f"LOT-{i}" for i in range(10, 20)]  # "lot 10".."lot 19"
    # The search box keeps what was typed; nothing found says so; LIKE wildcards are literal.
    html = ok(client, "/?q=no+such+thing")
    assert rows(html) == [] and "No tender matches" in html and 'value="no such thing"' in html
    assert rows(ok(client, "/?q=%25")) == [] and rows(ok(client, "/?q=_")) == []


def test_filter_by_status(client):
    html = ok(client, "/?status=cancelled")
    assert rows(html) == [JEDI]
    assert "Awarded to Microsoft Corporation; later cancelled" in html
    assert rows(ok(client, "/?status=active.opening")) == [SEALED]
    drafts = ok(client, "/?status=draft")
    assert len(rows(drafts)) == 20 and "24 results" in drafts
    nxt = link(drafts, "next")
    assert parse_qs(urlparse(nxt).query)["status"] == ["draft"]
    assert len(rows(ok(client, nxt))) == 4
    assert rows(ok(client, "/?status=draft&q=lot+2")) == [f"LOT-{i}" for i in range(20, 25)]
    assert rows(ok(client, "/?status=complete")) == []
    # The filter offers the statuses present, with counts, and keeps the choice.
    assert '<option value="draft" selected>' in drafts and "(24)" in drafts


# --- the tender page ---------------------------------------------------------------------------


def test_tender_page_shows_the_award_and_the_record(client, world):
    html = ok(client, f"/tenders/{JEDI}")
    text = Page(html).text
    v = public_view(world.p.state(JEDI))
    first = v["awards"][0]
    assert "Joint Enterprise Defense Infrastructure (JEDI) Cloud" in text
    assert f">{views.status_label(v['status'])}</span>" in html and f"<code>{v['status']}</code>" in html
    # The award to Microsoft, its rationale, value, ranking, departure, standstill — every award.
    assert first["supplier"]["name"] == "Microsoft Corporation"
    awards = re.findall(r'<h3 id="award-\d+">([^<]+)</h3>', html)
    assert len(awards) == len(v["awards"]) and all("Microsoft Corporation" in a for a in awards)
    for a in v["awards"]:
        assert a["rationale"] in text
        assert views.when(a["standstill_end"]) in text and a["standstill_basis"] in text
    assert "Microsoft's proposal represents the best value to the Government" in text
    assert "USD 10,000,000,000" in text
    assert "Washington Headquarters Services, U.S. Department of Defense" in text
    assert re.search(r'<ol class="ranking"><li>bid-microsoft \(Microsoft Corporation\)</li><li>bid-aws', html)
    assert "No — the selected bid is ranked first." in text
    assert "no standstill in US law: the award is the contract" in text  # 31 U.S.C. 3553(d) holds performance
    # The competitive range, by name.
    cr = text[text.index("Competitive range Set on"):]
    assert "Included bid-aws (Amazon Web Services, Inc.), bid-microsoft (Microsoft Corporation)" in cr
    assert "Excluded bid-ibm (IBM Corporation), bid-oracle (Oracle America, Inc.)" in cr
    # Debriefings with their dates.
    for name, when in (("Amazon Web Services, Inc.", "15:00"), ("Oracle America, Inc.", "16:00"),
                       ("IBM Corporation", "17:00")):
        assert f"{name} 2019-10-28 {when} UTC" in text
    for d in v["debriefings"].values():
        assert d["document_sha256"] in html
    # Enquiries with answers, amendments with rationale, the deadline's moves.
    assert "Why a single award rather than multiple awards? (illustrative)" in text
    assert "The contracting officer determined a single award is in the Government's interest" in text
    assert "Proposal due date extended to allow offerors to address the answers to enquiries" in text
    assert re.search(r"<del><time[^>]*>2018-09-17 18:00 UTC</time></del>", html)
    assert re.search(r"<del><time[^>]*>2018-10-09 18:00 UTC</time></del>", html)
    assert "2018-10-12 18:00 UTC</time></strong> (in force)" in html
    # Bids: bidders and plaintext digests after the opening; the withdrawn bid stays sealed.
    for b in v["bids"]:
        assert b["sealed_sha256"] in html
        if b["status"] == "opened":
            assert b["plaintext_sha256"] in html and b["bidder_name"] in text
    assert "Factor 2: Logical Isolation and Secure Data Transfer" in text
    # Refusals on the record, and the access count.
    for r in v["refusals"]:
        assert r["reason"] in text and r["code"] in text
    assert f"{v['accesses']} reads of confidential content logged" in text
    # Contract and end.
    if v["contract"]:
        assert v["contract"]["id"] in text
    if v["cancellation"]:
        assert v["cancellation"]["reason"] in text
    # Every event of the tender is listed and linked to its page and its proof.
    for e in world.p.events(JEDI):
        assert f'<a href="/events/{e.index}">#{e.index}</a>' in html
        assert f'<a href="/events/{e.index}/proof"' in html
    assert Page(html).problems() == []


def test_tender_page_shows_protests_stays_and_integrity(client, world):
    """Protests, stays, corrective action, recusals and contacts, from the public envelopes."""
    html = ok(client, f"/tenders/{JEDI}")
    text = Page(html).text
    events = world.p.events(JEDI)
    filed = [e.envelope["payload"] for e in events if e.envelope["type"] == "protest.filed"]
    decided = {e.envelope["payload"]["protest"]: e.envelope["payload"] for e in events
               if e.envelope["type"] == "protest.decided"}
    assert filed, "the scenario has protests"
    for pr in filed:
        assert pr["id"] in text and pr["grounds"] in text
        if pr["id"] in decided:
            assert decided[pr["id"]]["reasoning"] in text
    for e in events:
        p = e.envelope["payload"]
        if e.envelope["type"] == "official.recused":
            assert p["reason"] in text
        if e.envelope["type"] == "contact.recorded":
            assert p["party"] in text
        if e.envelope["type"] == "court.order":
            assert p["text"] in text
        if e.envelope["type"] == "corrective_action.taken":
            assert p["rationale"] in text
    stays = re.search(r'<h3 id="stays">.*?</table>', html, re.S).group(0)
    # The state lifts every stay of a protest when it is decided: after the 2021-07-09 dismissal
    # nothing holds the procurement up (domain.state._protest_decided).
    assert "CICA stay" in stays and "lifted" in stays and "in force" not in stays
    assert re.search(r"Preliminary injunction.*?lifted.*?9 Jul 2021|Preliminary injunction.*?lifted.*?2021-07-09", stays, re.S)


def test_timeline_chart_is_inline_svg_with_labels(client):
    html = ok(client, f"/tenders/{JEDI}")
    svg_text = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    svg = ET.fromstring(svg_text)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.find(f"{ns}title").text == f"Timeline of tender {JEDI}"
    desc = svg.find(f"{ns}desc").text
    assert "Submission deadline: due 12 Oct 2018 (moved: 17 Sep 2018 → 9 Oct 2018 → 12 Oct 2018)" in desc
    labels = [t.text for t in svg.iter(f"{ns}text")]
    for expected in ("Enquiries", "until 20 Aug 2018", "Submission deadline", "Bid opening", "15 Oct 2018",
                     "Award", "Debriefings", "3 given: 28 Oct 2019"):
        assert expected in labels, expected
    assert any(t.startswith("25 Oct 2019") and t.endswith("Microsoft Corporation") for t in labels), labels
    assert "Standstill" not in labels  # us-far: no standstill, the award is the contract (31 U.S.C. 3553(d))
    if "Protest 1" in labels:
        assert "Oracle America, Inc. at GAO: denied 14 Nov 2018" in labels
    svg_titles = " ".join(t.text or "" for t in svg.iter(f"{ns}title"))
    assert "Submission deadline 2018-10-12 18:00 UTC" in svg_titles
    assert "<script" not in svg_text


def test_the_public_gets_the_award_notice_and_the_published_findings(client):
    """The positive control for the confidentiality tests below: what US law lets the public have
    is on the page (the award notice, FAR 5.303; the agency's own conflict findings and the IG's
    public report, disclosed with salts that check against their commitments), and the refused
    attempt to publish the evaluation is on the record with its citation."""
    text = Page(ok(client, f"/tenders/{JEDI}")).text
    assert "Award 2 of 2: Microsoft Corporation" in text  # re-affirmed on remand
    for finding in published_findings():
        assert finding in text
    assert "DODIG-2020-079" in text and "2019-06-11" in text
    assert text.count("and matching its commitment") == 3
    assert "protected" in text and "FAR 3.104-4" in text  # the refused public disclosure, logged
    assert "given to Amazon Web Services, Inc. (aws) only" in text


def published_findings() -> list[str]:
    """The incident descriptions the JEDI replay discloses to the public (each one is)."""
    sc = Scenario.load("jedi")
    published = {s["args"]["recorded"] for s in sc.steps if s["do"] == "disclose_incident"}
    found = [s["args"]["description"] for s in sc.steps if s["do"] == "incident" and s["at"] in published]
    assert len(found) == 3
    return found


def confidential_strings() -> list[str]:
    """From the scenario: what US law never lets the public have (10 U.S.C. 3309, FAR 3.104-4,
    15.506(e)): bid contents, the evaluation's narratives and non-scale ratings (prices), the
    competitive range's reasons, contact summaries."""
    sc = Scenario.load("jedi")
    scales = {v for f in sc.steps[0]["args"]["factors"] for v in f.get("scale", [])} | \
             {"Outstanding", "Good", "Acceptable", "Marginal", "Unacceptable"}
    never: list[str] = []
    for s in sc.steps:
        a = s.get("args", {})
        if s["do"] == "rate":
            never += [a[k] for k in ("strengths", "weaknesses", "deficiencies", "risks", "reason") if a.get(k)]
            if a["rating"] not in scales:
                never.append(a["rating"])
        if s["do"] == "range":
            never += [a["rationale"], *a["excluded"].values()]
        if s["do"] == "bid":
            never += list(a.get("files", {}).values())
        if s["do"] == "contact":
            never.append(a["summary"])
    assert "Illustrative weakness found on re-reading." in never and "6500000000" in never
    return never


def test_the_evaluation_never_reaches_the_public(client, world):
    """In the full record: bid contents, prices, narratives and contact summaries appear on no
    page and in no download, though every unsuccessful offeror was given its own."""
    never = confidential_strings()
    pages = crawl(client, world, [JEDI, SEALED])
    for url, body in pages.items():
        for s in never:
            assert s not in body, f"{s!r} leaked on {url}"


def test_nothing_confidential_the_day_after_the_award(awarded_world):
    """Stopped the day after the award: no rating, narrative or bid content on any page or download."""
    assert awarded_world.p.state(JEDI)["status"] == "active.awarded"
    with TestClient(awarded_world.app()) as c:
        pages = crawl(c, awarded_world, [JEDI])
        assert "Awarded to Microsoft Corporation" in pages[f"/tenders/{JEDI}"]
        assert "stay confidential" in pages[f"/tenders/{JEDI}"]
    for url, body in pages.items():
        for s in confidential_strings():
            assert s not in body, f"{s!r} leaked on {url}"


def test_bidders_stay_sealed_before_the_opening(sealed_world):
    state = sealed_world.p.state(JEDI)
    assert state["status"] == "active.opening"
    hidden = ["Amazon Web Services, Inc.", "Microsoft Corporation", "Illustrative technical volume"]
    with TestClient(sealed_world.app()) as c:
        pages = crawl(c, sealed_world, [JEDI])
    html = pages[f"/tenders/{JEDI}"]
    assert "Bids are sealed" in html and "Awaiting bid opening" in html
    for b in state["bids"].values():
        assert b["sealed_sha256"] in html
    for url, body in pages.items():
        for s in hidden:
            assert s not in body, f"{s!r} leaked on {url}"


def test_sealed_tender_document_and_refused_late_bid(client, world):
    html = ok(client, f"/tenders/{SEALED}")
    text = Page(html).text
    doc = world.p.state(SEALED)["documents"][0]
    assert "Request for proposals" in text and doc["sha256"] in html
    assert "late-bid" in text and "the bid was not accepted" in text
    assert "Refused attempt" in text
    assert "sealed" in text and "Awaiting bid opening" in text
    pages = [html] + [ok(client, f"/events/{e.index}") for e in world.p.events(SEALED)]
    for body in pages:
        assert SEALED_BIDDER not in body and "1,234 chairs" not in body and "Latecomer GmbH" not in body
    assert Page(html).problems() == []


# --- events and proofs ---------------------------------------------------------------------------


def test_event_page_shows_the_exact_envelope(client, world):
    i = event_index(world, JEDI, "award.decided")
    html = ok(client, f"/events/{i}")
    text = Page(html).text
    assert f"Event #{i}: Award decided" in text
    assert f"Ledger index {i}" in text
    assert '"rationale": "Microsoft\'s proposal represents the best value' in text
    assert f'href="/events/{i}/entry"' in html and f'href="/events/{i}/proof"' in html
    assert f"tenderproof verify entry-{i}.tlog-proof --entry entry-{i}.json --vkey log.vkey" in text
    assert f'href="/tenders/{JEDI}#events"' in html
    entry = client.get(f"/events/{i}/entry").content
    env = next(e.envelope for e in world.p.events(JEDI) if e.index == i)
    assert entry == canonical(env) == world.p.log.entry(i)
    import hashlib

    assert hashlib.sha256(entry).hexdigest() in html
    assert hashlib.sha256(b"\x00" + entry).hexdigest() in html
    assert Page(html).problems() == []


def test_proof_downloads_verify(client, world):
    log = world.p.log
    policy = Policy.parse(ok(client, "/verify/log.tlog-policy"))
    for i in (0, event_index(world, JEDI, "award.decided"), log.head().size - 1):
        entry = client.get(f"/events/{i}/entry").content
        r = client.get(f"/events/{i}/proof")
        assert r.headers["content-type"].startswith("text/plain")
        proof = TlogProof.parse(r.text)
        assert proof.index == i
        cp = verify_tlog_proof(proof, entry, verifiers=[log.log_verifier()])
        assert cp.size == log.head().size
        # The witness cosigned this size, so the proof also meets the published policy.
        verify_tlog_proof(proof, entry, policy=policy)
        with pytest.raises(ValueError):
            verify_tlog_proof(proof, entry + b" ", verifiers=[log.log_verifier()])


def test_the_command_line_on_the_page_verifies(client, world, tmp_path):
    i = event_index(world, JEDI, "award.decided")
    (tmp_path / f"entry-{i}.json").write_bytes(client.get(f"/events/{i}/entry").content)
    (tmp_path / f"entry-{i}.tlog-proof").write_bytes(client.get(f"/events/{i}/proof").content)
    (tmp_path / "log.vkey").write_bytes(client.get("/verify/log.vkey").content)
    cmd = re.search(r"tenderproof (verify entry-\d+\.tlog-proof --entry entry-\d+\.json --vkey log\.vkey)",
                    Page(ok(client, f"/events/{i}")).text).group(1).split()
    r = subprocess.run([sys.executable, "-m", "tenderproof", *cmd], cwd=tmp_path, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert f"valid: entry {i} is in log" in r.stdout.decode()


def test_unknown_things_get_a_helpful_404(client):
    r = client.get("/tenders/HQ0034")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    assert "No such tender" in page.text and "Did you mean" in page.text
    assert f'href="/tenders/{JEDI}"' in r.text and 'value="HQ0034"' in r.text
    assert page.problems() == []
    r = client.get("/tenders/" + "x" * 300)
    assert r.status_code == 404 and "No such tender" in r.text
    for url in ("/events/999999", "/events/-1", "/events/abc", "/events/01"):
        r = client.get(url)
        assert r.status_code == 404 and "No such event" in r.text, url
    for url in ("/events/999999/proof", "/events/x/entry"):
        assert client.get(url).status_code == 404


# --- the log -----------------------------------------------------------------------------------


def test_log_page_shows_checkpoint_keys_witnesses_and_policy(client, world):
    log = world.p.log
    html = ok(client, "/log")
    text = Page(html).text
    head = log.head()
    assert f"{head.size} entries" in text
    assert head.vkey in text and head.origin in text
    note = log.latest_checkpoint()
    assert note.split("\n")[1] == str(head.size)
    assert ok(client, "/verify/checkpoint") == note
    assert ok(client, "/verify/log.vkey").strip() == head.vkey == world.settings.vkey_path.read_text().strip()
    assert "witness.example.org/w1" in text and "witness cosignature" in text and "log signature" in text
    assert text.count("✓ valid") == 2
    policy = ok(client, "/verify/log.tlog-policy")
    assert policy.startswith(f"log {head.vkey}\n") and "witness witness.example.org/w1" in policy
    assert "quorum witnesses" in text
    assert 'href="/verify/log.vkey"' in html
    assert Page(html).problems() == []


# --- every page: structure, headers, no scripts ------------------------------------------------


def test_pages_are_accessible_and_script_free(client, world):
    for url in ("/", "/?q=lot&status=draft", f"/tenders/{JEDI}", f"/tenders/{SEALED}", "/tenders/LOT-01",
                "/events/0", "/events/1", f"/events/{event_index(world, SEALED, 'command.refused')}", "/log"):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' covers it
        assert "default-src 'none'" in r.headers["content-security-policy"]
        page = Page(r.text)
        assert page.problems() == [], url
        assert page.first("link")["href"] == "/static/portal.css"
    css = client.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "focus-visible" in css.text


def test_portal_routes_stay_out_of_the_api_schema(world):
    assert world.app().openapi()["paths"] == {}
