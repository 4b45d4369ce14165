"""`--max-bytes` of `tenderproof verify BUNDLE` and `tenderproof record verify`: the verifier's
cap on a bundle's uncompressed size, lowered or raised by the person verifying, with one line
naming the option when it refuses, and one line (exit 2) for a value that is not a size."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tenderproof.cli.record_cmd import app, parse_size
from tenderproof.record import export_record
from tenderproof.record.verify import MAX_BUNDLE_BYTES

from .conftest import TID

runner = CliRunner()


def tenderproof(*args) -> tuple[int, str, str]:
    """The command as a user runs it: a real process."""
    p = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args)], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture
def bundle(done, tmp_path):
    path = tmp_path / "record.zip"
    path.write_bytes(export_record(done.p, TID).data)
    with zipfile.ZipFile(path) as zf:
        total = sum(i.file_size for i in zf.infolist())
    return path, total


def test_a_small_cap_refuses_a_normal_bundle_naming_the_option(bundle):
    path, total = bundle
    assert total > 1024
    rc, out, err = tenderproof("verify", path, "--max-bytes", "1K")
    assert rc == 1, (out, err)
    lines = out.splitlines()
    assert lines[0] == (f"FAIL bundle: its members would take {total} bytes uncompressed, more than the verifier's "
                        "cap of 1024 bytes (a zip bomb? if not, raise the cap with --max-bytes); nothing was read")
    assert len(lines) == 2 and lines[1].startswith("invalid:")


def test_a_normal_cap_accepts_and_a_raised_one_too(bundle):
    path, total = bundle
    for cap in ("500M", "4G", str(total)):
        rc, out, err = tenderproof("verify", path, "--max-bytes", cap)
        assert rc == 0, (cap, out, err)
        assert out.splitlines()[-1].startswith(f"valid: the administrative record of tender {TID}")


def test_record_verify_takes_the_same_option(bundle):
    path, total = bundle
    r = runner.invoke(app, ["verify", str(path), "--max-bytes", str(total - 1)])
    assert r.exit_code == 1 and f"more than the verifier's cap of {total - 1}" in r.output
    r = runner.invoke(app, ["verify", str(path), "--max-bytes", "2G"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("bad", ["0", "-5", "1.5G", "4GB", "lots", "", "9999999999T"])
def test_a_value_that_is_not_a_size_is_one_line_and_exit_2(bundle, bad):
    path, _ = bundle
    rc, out, err = tenderproof("verify", path, "--max-bytes", bad)
    assert (rc, out) == (2, ""), (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("error: --max-bytes: ") and repr(bad) in err


def test_max_bytes_is_refused_for_a_tlog_proof(tmp_path):
    proof = tmp_path / "receipt.tlog-proof"
    proof.write_text("not read")
    rc, _, err = tenderproof("verify", proof, "--entry", proof, "--vkey", "k", "--max-bytes", "1G")
    assert rc == 2 and err == "error: --max-bytes caps a record bundle (.zip); a tlog-proof has no such cap\n"


UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}


@given(n=st.integers(1, 10**6), unit=st.sampled_from(sorted(UNITS)), lower=st.booleans(), space=st.booleans())
def test_sizes_read_in_binary_units_whatever_the_case(n, unit, lower, space):
    text = f"{n}{' ' if space and unit else ''}{unit.lower() if lower else unit}"
    assert parse_size(text) == n << UNITS[unit]


def test_the_default_is_2g():
    assert parse_size("2G") == MAX_BUNDLE_BYTES == 2 * 1024**3
