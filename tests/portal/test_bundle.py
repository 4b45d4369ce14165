"""The public record bundle on the tender page: the page links to it, to the log's key and gives
the exact command that verifies it; `GET /api/tenders/{id}/record.zip` serves what
`tenderproof record export` writes for the public, within a size bound, and it verifies."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tenderproof.api import bundles
from tenderproof.api.server import create_app
from tenderproof.domain import Actor
from tenderproof.domain import commands as c
from tenderproof.record.export import export_record
from tenderproof.record.verify import verify_record

from .conftest import JEDI, SEALED, World, _create, replay


@pytest.fixture(scope="module")
def w(tmp_path_factory) -> World:
    w = replay(tmp_path_factory.mktemp("bundle"), until="2019-10-25T21:01:00Z")
    yield w
    w.p.log.db.dispose()


@pytest.fixture(scope="module")
def client(w):
    return TestClient(create_app(w.p))


def offer(client, tid: str) -> dict[str, str]:
    html = re.search(r'<section aria-labelledby="bundle">.*?</section>', client.get(f"/tenders/{tid}").text,
                     re.S).group(0)
    return {"zip": re.search(r'<a class="download" href="([^"]+)" download="([^"]+)"', html).group(1),
            "file": re.search(r'download="([^"]+-record\.zip)"', html).group(1),
            "vkey": re.search(r'<a href="([^"]+)" download="log.vkey"', html).group(1),
            "command": unescape(re.search(r'<pre class="command"><code>(.*?)</code></pre>', html, re.S).group(1))}


def test_the_page_offers_the_bundle_its_key_and_the_command(client, w, tmp_path):
    o = offer(client, JEDI)
    assert o == {"zip": f"/api/tenders/{JEDI}/record.zip", "file": f"{JEDI}-record.zip", "vkey": "/verify/log.vkey",
                 "command": f"tenderproof verify {JEDI}-record.zip --vkey log.vkey"}
    r = client.get(o["zip"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == f'attachment; filename="{o["file"]}"'
    # The exact command, run in a folder holding the two downloads, says valid.
    (tmp_path / o["file"]).write_bytes(r.content)
    (tmp_path / "log.vkey").write_text(client.get(o["vkey"]).text)
    argv = o["command"].split()
    assert argv[0] == "tenderproof"
    done = subprocess.run([sys.executable, "-m", "tenderproof", *argv[1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"valid: the administrative record of tender {JEDI}" in done.stdout


def test_the_served_bundle_is_the_public_export(client, w):
    served = client.get(f"/api/tenders/{JEDI}/record.zip").content
    assert served == export_record(w.p, JEDI, "public").data  # the same checkpoint: the same bytes
    with zipfile.ZipFile(io.BytesIO(served)) as z:
        assert not [n for n in z.namelist() if n.startswith("confidential/")]
    assert verify_record(served, vkey=client.get("/verify/log.vkey").text.strip()).valid


def test_an_unchanged_tender_is_served_again_and_a_changed_one_rebuilt(client, w):
    first = client.get(f"/api/tenders/{JEDI}/record.zip").content
    _create(w, SEALED, "Office furniture", 30)  # another tender grows the log: JEDI's bundle stands
    assert client.get(f"/api/tenders/{JEDI}/record.zip").content == first
    w.p.execute(c.RecordContact(JEDI, "ssa", "a journalist", w.clock.now, "phone", "asked about the award"),
                Actor("ssa", "ssa"))
    again = client.get(f"/api/tenders/{JEDI}/record.zip").content
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(again)) as b:
        events = [len([n for n in z.namelist() if n.endswith(".json") and n.startswith("events/")]) for z in (a, b)]
    assert events[1] == events[0] + 1


def test_unknown_tender_and_too_large_are_problems(client, monkeypatch):
    r = client.get("/api/tenders/NOPE/record.zip")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/tenders/{'x' * 101}/record.zip").status_code == 422
    monkeypatch.setenv("TENDERPROOF_MAX_RECORD_BUNDLE", "100000")
    r = client.get(f"/api/tenders/{JEDI}/record.zip")
    assert r.status_code == 503 and r.json()["type"].endswith("/record-too-large")
    assert f"tenderproof record export {JEDI}" in r.json()["detail"]


def test_the_size_bound_is_never_below_the_bundle(client, w):
    v = client.get(f"/api/tenders/{JEDI}").json()
    assert bundles.estimate(v) >= len(client.get(f"/api/tenders/{JEDI}/record.zip").content)
