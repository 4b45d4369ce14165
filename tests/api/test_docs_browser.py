"""The API's documentation pages in a real browser (Debian's Chromium via Playwright, as in
tests/portal/test_browser.py): Swagger UI and ReDoc render the OpenAPI document with every
request going to the server itself, so they work on a network with no way out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tenderproof.api import create_app
from tenderproof.app.service import Procurement
from tenderproof.instance import init

from ..app.conftest import T0, Clock
from ..portal.conftest import Server
from ..portal.test_browser import VIEWPORT, browser  # noqa: F401 (the fixture)
from .test_authorization import _installation_settings


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A fresh installation served by uvicorn on loopback."""
    gen = _installation_settings(tmp_path_factory)
    settings = next(gen)
    log = init(settings, origin="docs.tenderproof.localhost/log")
    with Server(create_app(Procurement(log, settings.data_dir, Clock(T0)))) as url:
        yield url
    log.db.dispose()
    next(gen, None)


def _visit(browser, base: str, path: str, ready: str):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(20_000)
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    failed: list[tuple[str, str | None]] = []
    page.on("requestfailed", lambda req: failed.append((req.url, req.failure)))
    page.goto(base + path)
    page.wait_for_selector(ready)
    text = page.inner_text("body")
    context.close()
    return requested, failed, text


@pytest.mark.parametrize(("path", "ready"), [("/api/docs", ".opblock-summary"),
                                             ("/api/redoc", "[data-section-id]")])
def test_the_api_docs_render_offline(browser, base, path, ready):  # noqa: F811
    requested, failed, text = _visit(browser, base, path, ready)
    own = urlsplit(base).netloc
    outside = [u for u in requested if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != own]
    # ReDoc always shows Redocly's logo from its CDN: the page's CSP (img-src) stops it in the
    # browser, so it never reaches the network (and the page does not need it).
    stopped = {u for u, why in failed if why == "csp"}
    assert [u for u in outside if u not in stopped] == [], f"{path} asked outside the server: {outside}"
    assert [u for u, why in failed if u not in stopped] == []
    assert any(u.endswith("/openapi.json") for u in requested)
    assert "Draft a new tender" in text and "Amend the solicitation" in text
