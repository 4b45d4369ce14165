"""The portal in a real browser: Debian's Chromium driven by Playwright, against a real uvicorn
server on 127.0.0.1 serving the JEDI replay. Playwright never downloads a browser here.

Without /usr/bin/chromium the tests skip, saying why, except under CI=true, where they fail.
Screenshots of the key pages go to a temporary directory, and to docs/screenshots/ when
UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from tenderproof.ledger.tlogproof import TlogProof, verify_tlog_proof

from .conftest import JEDI, SEALED, Server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def _unavailable(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: the browser tests must run)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def base(world):
    with Server(world.app()) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: docs/screenshots when UPDATE_SCREENSHOTS=1, else a temp dir."""
    out = tmp_path_factory.mktemp("screenshots")
    yield out
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for png in sorted(out.glob("*.png")):
            shutil.copyfile(png, SCREENSHOTS / png.name)


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def js(request) -> bool:
    return request.param


@pytest.fixture
def page(js, browser):
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=js, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def shot(page, shots: Path, name: str, upto: str | None = None, start: str | None = None, full: bool = False) -> None:
    """A 1280 px wide screenshot: the viewport (or the full page), or the page from `start`
    (default: the top) to just above the element `upto`. Call it on a freshly loaded page."""
    if upto is None:
        page.screenshot(path=str(shots / name), full_page=full)
        return
    y0 = max(page.locator(start).bounding_box()["y"] - 16, 0) if start else 0
    y1 = page.locator(upto).bounding_box()["y"] - 8
    page.screenshot(path=str(shots / name), full_page=True,
                    clip={"x": 0, "y": y0, "width": VIEWPORT["width"], "height": y1 - y0})


def test_visitor_finds_the_award_and_its_proof(page, js, base, world, shots):
    """Open the portal, search for JEDI, open the tender, read the award, follow an event's proof
    link and get a tlog-proof that verifies against the entry — with and without JavaScript."""
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Tenders"
    if not js:
        shot(page, shots, "portal-list.png")

    page.get_by_label("Title or identifier").fill("JEDI")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/\?q=JEDI"))
    assert page.get_by_role("heading", name="1 result for “JEDI”").is_visible()
    page.get_by_role("link", name=JEDI).click()

    page.wait_for_url(f"{base}/tenders/{JEDI}")
    assert page.get_by_role("heading", level=1).inner_text() == "Joint Enterprise Defense Infrastructure (JEDI) Cloud"
    first_award = page.locator("article.award").first
    assert "Microsoft Corporation" in first_award.get_by_role("heading").inner_text()
    assert "best value to the Government" in first_award.inner_text()
    chart = page.get_by_role("img", name=f"Timeline of tender {JEDI}")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 900 and box["height"] > 200
    if not js:
        shot(page, shots, "portal-tender.png", upto="#solicitation")
        shot(page, shots, "portal-tender-award.png", start="#award", upto="#protests")

    # The award's event page, then its proof.
    first_award.get_by_role("link", name="see the event").click()
    page.wait_for_url(re.compile(r"/events/\d+$"))
    index = int(page.url.rsplit("/", 1)[1])
    assert page.get_by_role("heading", level=1).inner_text() == f"Event #{index}: Award decided"
    assert '"supplier"' in page.locator("pre.json").inner_text()
    assert f"tenderproof verify entry-{index}.tlog-proof" in page.locator("pre.cmd").first.inner_text()
    if not js:
        shot(page, shots, "portal-event.png", full=True)

    # The download links hand over the proof and the entry; the proof verifies against it.
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download a tlog-proof").click()
    assert dl.value.suggested_filename == f"entry-{index}.tlog-proof"
    proof_text = Path(dl.value.path()).read_text()
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the entry").click()
    entry = Path(dl.value.path()).read_bytes()
    verifier = world.p.log.log_verifier()
    verify_tlog_proof(TlogProof.parse(proof_text), entry, verifiers=[verifier])

    # From the tender's list of events, a proof link opens the tlog-proof itself.
    page.goto(f"{base}/tenders/{JEDI}#events")
    page.get_by_role("link", name=f"tlog-proof of event {index}").click()
    page.wait_for_url(f"{base}/events/{index}/proof")
    shown = page.locator("body").inner_text()
    assert shown.startswith("c2sp.org/tlog-proof@v1\n") and f"\nindex {index}\n" in shown
    verify_tlog_proof(TlogProof.parse(shown.rstrip("\n") + "\n"), entry, verifiers=[verifier])


def test_filter_and_pages_work_with_a_plain_form(page, base):
    page.goto(base + "/")
    page.get_by_label("Status", exact=True).select_option("draft")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"status=draft"))
    assert page.get_by_role("heading", name="24 results with status Draft (not yet published)").is_visible()
    assert page.locator("table.list tbody tr").count() == 20
    page.get_by_role("link", name="Next page →").click()
    page.wait_for_url(re.compile(r"after="))
    assert page.locator("table.list tbody tr").count() == 4
    assert page.get_by_label("Status", exact=True).input_value() == "draft"


def test_log_page_and_unknown_tender(page, js, base, shots):
    page.goto(base + "/log")
    assert page.get_by_role("heading", level=1).inner_text() == "The log and how to verify it"
    assert page.get_by_role("cell", name="witness cosignature").is_visible()
    if not js:
        shot(page, shots, "portal-log.png")
    with page.expect_download() as dl:
        page.get_by_role("link", name="download log.vkey").click()
    assert Path(dl.value.path()).read_text().startswith("tenderproof.localhost/log+")

    response = page.goto(base + "/tenders/HQ0034")
    assert response.status == 404
    assert page.get_by_role("heading", name="No such tender").is_visible()
    page.get_by_role("link", name=JEDI).click()
    page.wait_for_url(f"{base}/tenders/{JEDI}")


def test_keyboard_skip_link_reaches_main(page, base):
    page.goto(f"{base}/tenders/{JEDI}")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.bounding_box()["x"] < 0  # off screen until focused
    page.keyboard.press("Tab")
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/tenders/{JEDI}#main")


def test_visitor_downloads_a_tender_document(page, base, world):
    """From the tender's page, the document's link downloads it, and its SHA-256 is the one the
    page shows (and the log holds)."""
    page.goto(f"{base}/tenders/{SEALED}#documents")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Download Request for proposals"))
    shown = row.locator("code.hash").inner_text()
    with page.expect_download() as dl:
        row.get_by_role("link", name="Download Request for proposals").click()
    data = Path(dl.value.path()).read_bytes()
    assert dl.value.suggested_filename == "rfp"
    assert hashlib.sha256(data).hexdigest() == shown == world.p.state(SEALED)["documents"][0]["sha256"]
