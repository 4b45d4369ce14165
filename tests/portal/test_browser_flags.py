"""Red flags and the record bundle in a real browser (Debian's Chromium, as test_browser.py):
the tender page shows its flags, each leading to what its indicator means, the flagged tenders
are one click away, and the bundle the page offers downloads and verifies with the record
verifier against the key the page links to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenderproof.api.server import create_app
from tenderproof.record.verify import verify_record

from .conftest import JEDI, Server
from .test_browser import VIEWPORT, browser  # noqa: F401 (the fixture)


@pytest.fixture(scope="module")
def site(world):
    """The API with the portal mounted, as `tenderproof serve` runs it: the bundle is an API route."""
    with Server(create_app(world.p)) as url:
        yield url


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser):  # noqa: F811 (the fixture above)
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=request.param, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_tender_page_shows_flags_that_lead_to_their_definition(page, site):
    page.goto(f"{site}/tenders/{JEDI}")
    flags = page.locator("section[aria-labelledby=flags]")
    assert flags.get_by_role("heading", name="Red flags").is_visible()
    row = flags.locator("tr#flag-TP007")
    assert "StartPerformance" in row.inner_text()
    row.get_by_role("link", name="TP007").click()
    page.wait_for_url(f"{site}/flags/indicators#TP007")
    assert page.get_by_role("heading", name="TP007", exact=False).first.is_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Red flags").click()
    page.wait_for_url(f"{site}/flags")
    assert page.get_by_role("link", name="Joint Enterprise Defense Infrastructure (JEDI) Cloud").is_visible()


def test_the_bundle_downloads_and_verifies(page, site, tmp_path):
    page.goto(f"{site}/tenders/{JEDI}#bundle")
    bundle = page.locator("section[aria-labelledby=bundle]")
    command = bundle.locator("pre.command").inner_text()
    assert command == f"tenderproof verify {JEDI}-record.zip --vkey log.vkey"
    with page.expect_download() as dl:
        bundle.get_by_role("link", name=f"Download {JEDI}-record.zip").click()
    assert dl.value.suggested_filename == f"{JEDI}-record.zip"
    data = Path(dl.value.path()).read_bytes()
    with page.expect_download() as key:
        bundle.get_by_role("link", name="the log's key (log.vkey)").click()
    vkey = Path(key.value.path()).read_text().strip()
    report = verify_record(data, vkey=vkey)
    assert report.valid, report
    assert f"tender {JEDI}" in report.summary()
