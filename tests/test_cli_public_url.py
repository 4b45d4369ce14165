"""The public URL on the command line: `rebuild --check` and `ocds releases` agree with releases
published under the same --public-url (or TENDERPROOF_PUBLIC_URL), say so in one line when they do
not, and a value that is not an http(s) URL is refused in one line before anything is read."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tenderproof.app.service import Procurement

from .api.conftest import make_api
from .app.conftest import World
from .live_server import cli

PUBLIC = "https://tenders.example.gov"
PDF = b"%PDF-1.7 the solicitation\n"
SHA = hashlib.sha256(PDF).hexdigest()


@pytest.fixture
def published(settings):
    """An installation whose one tender was published by a service given PUBLIC."""
    a = make_api(settings, "public.tenderproof.localhost/log")
    p = Procurement(a.p.log, settings.data_dir, a.clock, public_url=PUBLIC)
    p.documents.put(PDF)
    World(p, a.clock, a.keys).create("PUB-1", documents=[
        {"id": "rfp", "title": "RFP", "sha256": SHA, "size": len(PDF), "format": "application/pdf"}])
    a.p.log.db.dispose()
    yield ["--data-dir", settings.data_dir, "--db", settings.db_url]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TENDERPROOF_PUBLIC_URL"}
    return env | extra


def test_rebuild_check_agrees_given_the_same_public_url(published):
    out, _ = cli("rebuild", "--check", *published, "--public-url", PUBLIC + "/", env=_env())
    assert out.endswith("identical to the live state\n")
    cli("rebuild", "--check", *published, env=_env(TENDERPROOF_PUBLIC_URL=PUBLIC))
    # Without it: a DIFF line per table (rebuild's own report), then the one error line, with the hint.
    r = subprocess.run([sys.executable, "-m", "tenderproof", "rebuild", "--check", *map(str, published)],
                       capture_output=True, env=_env(), timeout=120)
    diff, error = r.stderr.decode().splitlines()
    assert r.returncode == 1 and diff.startswith("DIFF ocds_releases: 1 live rows, 1 rebuilt")
    assert error == ("error: rebuilt state differs from the live state in 1 table(s) (releases link documents as "
                     f"{PUBLIC}/api/documents/{SHA}: is --public-url the server's?)")


def test_ocds_releases_carry_the_download_urls(published, tmp_path):
    out_file = tmp_path / "releases.json"
    cli("ocds", "releases", "-o", out_file, *published, "--public-url", PUBLIC, env=_env())
    docs = [d for r in json.loads(out_file.read_text())["releases"] for d in r["tender"]["documents"]]
    assert docs and all(d["url"] == f"{PUBLIC}/api/documents/{SHA}" and d["format"] == "application/pdf"
                        for d in docs)
    # Under another setting, nothing is written: a bulk file never mixes two kinds of URL.
    for args in ([], ["--public-url", "https://elsewhere.example.org"]):
        _, err = cli("ocds", "jsonl", "-o", tmp_path / "x.jsonl", *published, *args, env=_env(), check=1)
        assert err.startswith(f"error: stored releases link documents as {PUBLIC}/api/documents/{SHA}, not under ")
        assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize("bad", ["tenders.example.gov", "https://x.gov/?a=1", "https://u:p@x.gov", "ftp://x.gov"])
def test_a_public_url_that_is_not_one_is_one_line(published, tmp_path, bad):
    for args in (["rebuild", "--check", *published, "--public-url", bad],
                 ["ocds", "records", "-o", tmp_path / "r.json", *published, "--public-url", bad],
                 ["serve", *published, "--public-url", bad]):
        _, err = cli(*args, env=_env(), check=2)
        assert "the public URL" in err
    _, err = cli("rebuild", "--check", *published, env=_env(TENDERPROOF_PUBLIC_URL=bad), check=2)
    assert "the public URL" in err
