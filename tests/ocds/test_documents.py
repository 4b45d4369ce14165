"""OCDS documents carry their hash and, where the installation serves them, a download URL: the
releases stay valid against the OCDS 1.1.5 schema (libcoveocds offline), `url` checked as a URI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenderproof.domain import commands as c
from tenderproof.domain import evolve
from tenderproof.domain.commands import InvalidCommand
from tenderproof.ocds import extension_urls, release_package
from tenderproof.ocds.releases import public_view, release_for

from . import cove
from . import procurement as p
from .test_ocds import PUBLISHER, check_report, standard_zip

BASE = "https://tenders.example.gov/api/documents/"


def _releases(ledger: p.Ledger, base: str) -> list[dict]:
    """The ledger's releases again, as an installation serving its documents at `base` publishes them."""
    states: dict[str, dict] = {}
    out = []
    for i, (env, _) in enumerate(ledger.entries):
        before = states.get(env["tender"])
        states[env["tender"]] = evolve(before, env)
        rel = release_for(before, states[env["tender"]], env, ocid_prefix=p.OCID_PREFIX, index=i,
                          document_base_url=base)
        if rel is not None:
            out.append(rel)
    return out


@pytest.fixture(scope="module")
def ledger() -> p.Ledger:
    led = p.Ledger()
    p.full(led)
    return led


def _package(releases: list[dict], path: Path) -> Path:
    path.write_text(json.dumps(release_package(releases, uri="https://tenders.example.gov/releases.json",
                                               publisher=PUBLISHER, published_date="2024-05-01T00:00:00Z",
                                               extensions=extension_urls(cove.BASE))))
    return path


def test_documents_link_to_their_download_and_state_their_hash(ledger: p.Ledger) -> None:
    last = _releases(ledger, BASE)[-1]
    docs = {d["id"]: d for d in last["tender"]["documents"]}
    for doc_id, text, size in (("rfp", "rfp v1", 1234), ("rfp-a1", "rfp a1", 99)):
        digest = p.digest(text)
        assert docs[doc_id]["url"] == BASE + digest
        assert docs[doc_id]["description"] == f"SHA-256 {digest}, {size} bytes"
    # A media type given with the document is its format (the amendment's, in p.full); none, none.
    assert docs["rfp-a1"]["format"] == "application/pdf" and "format" not in docs["rfp"]
    # Without a download URL, the hash is still both the URL (RFC 6920) and in the description.
    plain = {d["id"]: d for d in ledger.releases[-1]["tender"]["documents"]}
    assert plain["rfp"]["url"].startswith("ni:///sha-256;")
    assert plain["rfp"]["description"] == docs["rfp"]["description"]


def test_releases_with_download_urls_are_valid(ledger: p.Ledger, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = _package(_releases(ledger, BASE), tmp_path / "release-package.json")
    cove.serve_extensions(monkeypatch)
    check_report(cove.in_process(path, standard_zip(), monkeypatch), "release")


def test_a_url_the_schema_refuses_is_caught(ledger: p.Ledger, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is not vacuous: a document URL that is not a URI is a schema error."""
    path = _package(_releases(ledger, "not a uri/"), tmp_path / "release-package.json")
    report = cove.in_process(path, standard_zip(), monkeypatch)
    assert any("uri" in json.dumps(e) for e in report["validation_errors"]), report["validation_errors"]


def test_a_documents_format_is_published() -> None:
    state = p.Ledger()
    tender = p.create(state, "T-FMT")
    assert tender.state is not None
    s = dict(tender.state)
    s["documents"] = [dict(s["documents"][0], format="application/pdf")]
    doc = public_view(s, document_base_url=BASE)["tender"]["documents"][0]
    assert doc["format"] == "application/pdf"


@pytest.mark.parametrize("fmt", ["pdf", "Application/PDF", "application/pdf; charset=x", "", 7, "a/b/c"])
def test_a_documents_format_must_be_a_media_type(fmt: object) -> None:
    doc = {"id": "rfp", "title": "RFP", "sha256": p.digest("x"), "size": 1, "format": fmt}
    with pytest.raises(InvalidCommand, match="format must be a media type"):
        c.AmendTender("T-1", rationale="a document", changes={"documents": [doc]})


def test_a_documents_format_is_logged_with_its_command() -> None:
    doc = {"id": "rfp", "title": "RFP", "sha256": p.digest("x"), "size": 1, "format": "application/pdf"}
    assert c.AmendTender("T-1", rationale="a document", changes={"documents": [doc]}).changes["documents"] == [doc]
