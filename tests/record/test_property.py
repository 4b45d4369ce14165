"""Property: flipping any single byte of any member of a record bundle makes verification fail —
caught by the manifest's hashes, and (for every member but the manifest) by the signed log alone,
even when the manifest is rewritten to match."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderproof.record import export_record, verify_record
from tenderproof.record.bundle import MANIFEST

from .conftest import JUDGE, TID, flip, rezip, unzip

FLIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def bundles(done):
    public = export_record(done.p, TID).data
    court = export_record(done.p, TID, "court", actor=JUDGE, purpose="protective order").data
    vkey = done.p.log.head().vkey
    for data in (public, court):
        assert verify_record(data).valid and verify_record(data, vkey=vkey).valid
    return {"public": unzip(public), "court": unzip(court), "vkey": vkey}


def _flipped(data, files: dict[str, bytes]) -> tuple[str, dict[str, bytes]]:
    name = data.draw(st.sampled_from(sorted(files)), label="member")
    pos = data.draw(st.integers(0, len(files[name]) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor")
    out = dict(files)
    out[name] = flip(files[name], pos, mask)
    return name, out


@FLIP
@given(data=st.data())
def test_any_flipped_byte_fails_verification(bundles, data):
    role = data.draw(st.sampled_from(["public", "court"]), label="role")
    name, files = _flipped(data, bundles[role])
    bundle = rezip(files)
    for trust in ({}, {"vkey": bundles["vkey"]}):
        report = verify_record(bundle, **trust)
        assert not report.valid, f"flip in {name} not caught"
        assert any(ln.subject == name or name in ln.text or ln.subject == MANIFEST for ln in report.failures)


@FLIP
@given(data=st.data())
def test_any_flipped_byte_fails_even_with_a_rewritten_manifest(bundles, data):
    role = data.draw(st.sampled_from(["public", "court"]), label="role")
    files = {k: v for k, v in bundles[role].items() if k != MANIFEST}
    name, files = _flipped(data, files)
    files[MANIFEST] = bundles[role][MANIFEST]
    report = verify_record(rezip(files, fix_manifest=True), vkey=bundles["vkey"])
    assert not report.valid, f"flip in {name} not caught once the manifest was rewritten"
