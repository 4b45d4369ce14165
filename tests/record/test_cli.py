"""`tenderproof record …` (the sub-app another module mounts) and `verify_record_file`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tenderproof.cli.record_cmd import app, verify_record_file
from tenderproof.domain import Refused
from tenderproof.ledger import witnessing
from tenderproof.record.bundle import event_name

from .conftest import TID, rezip, unzip

runner = CliRunner()


def cli(settings, *args):
    return runner.invoke(app, [*map(str, args), "--data-dir", str(settings.data_dir), "--db", settings.db_url])


def test_export_then_verify(done, settings, tmp_path, capsys):
    out = tmp_path / "record.zip"
    r = cli(settings, "export", TID, "-o", out)
    assert r.exit_code == 0, r.output
    assert f"record of tender {TID} for public" in r.output
    vkey = settings.data_dir / "log.vkey"

    assert verify_record_file(out, None, str(vkey)) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith(f"valid: the administrative record of tender {TID}")
    assert all(ln.startswith(("ok ", "note ")) for ln in printed[:-1]) and len(printed) >= 6

    assert verify_record_file(out, None, None) == 0
    assert "trusting the key inside the bundle" in capsys.readouterr().out

    policy = tmp_path / "policy"
    policy.write_text(witnessing.policy(done.p.log))
    r = runner.invoke(app, ["verify", str(out), "--policy", str(policy)])
    assert r.exit_code == 0 and "valid:" in r.output

    files = unzip(out.read_bytes())
    del files[event_name(2)], files[event_name(2, "tlog-proof")]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rezip(files, fix_manifest=True))
    assert verify_record_file(bad, None, str(vkey)) == 1
    printed = capsys.readouterr().out.splitlines()
    fails = [ln for ln in printed if ln.startswith("FAIL")]
    assert fails == ["FAIL events: event seq 2 is missing: the record goes from seq 1 to 3"]
    assert printed[-1] == f"invalid: 1 problem found in the record of tender {TID}"

    assert verify_record_file(tmp_path / "nope.zip", None, None) == 2
    assert verify_record_file(out, policy, str(vkey)) == 2


def test_court_export_from_the_cli(done, settings, tmp_path):
    out = tmp_path / "court.zip"
    r = cli(settings, "export", TID, "-o", out, "--role", "court")
    assert r.exit_code == 2 and "--actor and --purpose" in r.output
    r = cli(settings, "export", TID, "-o", out, "--actor", "x", "--purpose", "y")
    assert r.exit_code == 2 and "public export is not an access" in r.output
    r = cli(settings, "export", TID, "-o", out, "--role", "court", "--actor", "judge-1", "--purpose", "protective order")
    assert r.exit_code == 0, r.output
    assert "logged as access event" in r.output
    m = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert m["role"] == "court" and m["access_event"] == m["events"]
    r = runner.invoke(app, ["verify", str(out), "--vkey", str(settings.data_dir / "log.vkey")])
    assert r.exit_code == 0, r.output
    assert "ok   access: the export is on the record" in r.output


def test_holds_from_the_cli(done, settings):
    r = cli(settings, "hold", "place", TID, "--reason", "protest", "--actor", "judge-1")
    assert r.exit_code == 0 and "under a litigation hold" in r.output
    r = cli(settings, "hold", "list")
    assert r.exit_code == 0 and r.output.startswith(f"{TID}\t") and "judge-1 (reviewer)" in r.output
    r = cli(settings, "purge", TID, "--older-than", "0")
    assert isinstance(r.exception, Refused) and r.exception.code == "litigation-hold"  # `main` prints it as one line
    r = cli(settings, "hold", "lift", TID, "--reason", "dismissed", "--actor", "judge-1")
    assert r.exit_code == 0
    r = cli(settings, "purge", TID, "--older-than", "0")  # the CLI's clock is the wall clock, before 2030
    assert isinstance(r.exception, Refused) and r.exception.code == "retention-period"
