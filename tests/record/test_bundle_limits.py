"""The offline verifier caps a bundle's total uncompressed size, declared and read (issue 11: a
4.8 MB bundle took 6.4 GB), with one clear line and in bounded memory."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

from tenderproof.record import export_record, verify_record
from tenderproof.record.verify import MAX_BUNDLE_BYTES

from .conftest import TID

MiB = 1024 * 1024


def _bomb(members: int, size: int) -> bytes:
    """A zip of `members` documents of `size` zero bytes each, deflated (a few KiB per MiB)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            with zf.open(f"documents/{i:064x}", "w") as f:
                for _ in range(size // MiB):
                    f.write(bytes(MiB))
    return buf.getvalue()


def _declare(data: bytes, size: int) -> bytes:
    """The same zip, its central directory declaring every member `size` bytes uncompressed."""
    out, at = bytearray(data), data.find(b"PK\x01\x02")
    while at != -1:
        out[at + 24:at + 28] = struct.pack("<I", size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def _verify_measured(data: bytes, **kw):
    tracemalloc.start()
    try:
        report = verify_record(data, **kw)
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_bomb_declaring_more_than_the_cap_is_refused_unread():
    data = _bomb(3, 4 * MiB)
    assert len(data) < 100_000
    report, peak = _verify_measured(data, max_bytes=8 * MiB)
    assert [str(ln) for ln in report.lines] == [
        f"FAIL bundle: its members would take {12 * MiB} bytes uncompressed, more than the verifier's cap of "
        f"{8 * MiB} bytes (a zip bomb? if not, raise the cap with --max-bytes); nothing was read"]
    assert not report.valid and peak < MiB


def test_the_default_cap_applies_to_what_the_zip_declares():
    data = _declare(_bomb(2, MiB), 3 << 30 >> 1)  # two members of 1.5 GiB each, as declared
    report, peak = _verify_measured(data)
    assert len(report.failures) == 1 and f"more than the verifier's cap of {MAX_BUNDLE_BYTES} bytes" in str(report.lines[0])
    assert peak < MiB


def test_a_bomb_declaring_less_than_it_holds_is_read_no_further_than_declared():
    data = _declare(_bomb(2, 16 * MiB), 1000)
    report, peak = _verify_measured(data, max_bytes=8 * MiB)
    assert not report.valid and peak < MiB
    members = [ln for ln in report.failures if ln.subject.startswith("documents/")]
    assert len(members) == 2 and all("Bad CRC-32" in ln.text for ln in members)


def test_a_real_bundle_verifies_up_to_its_exact_size(done):
    data = export_record(done.p, TID).data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = sum(i.file_size for i in zf.infolist())
    assert verify_record(data, max_bytes=total).valid
    refused = verify_record(data, max_bytes=total - 1)
    assert len(refused.lines) == 1 and "zip bomb" in refused.lines[0].text
