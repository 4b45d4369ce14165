"""`tenderproof monitor run` as a process: one round, JSON lines, the Atom feed, bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ..live_server import cli
from .conftest import envelopes, procurement

A = "{http://www.w3.org/2005/Atom}"


def test_one_round_prints_json_alerts_and_writes_an_atom_feed(tmp_path, served):
    p = procurement(tmp_path, "a")
    p.log.append([*envelopes(20), b'{"payload":{"supplier":{"name":"Initech"}},"tender":"T-9","type":"award.decided"}'])
    _, url = served(p)
    (tmp_path / "log.vkey").write_text(p.log.head().vkey + "\n")
    (tmp_path / "watch.json").write_text('{"companies": ["initech"]}')
    args = ["monitor", "run", "--log", url, "--vkey", tmp_path / "log.vkey", "--dir", tmp_path / "m",
            "--watch", tmp_path / "watch.json", "--once", "--json"]
    out, _ = cli(*args)
    alerts = [json.loads(line) for line in out.splitlines()]
    assert [(a["kind"], a["evidence"]["index"], a["evidence"]["tender"]) for a in alerts] == [("watch", 20, "T-9")]
    feed = ET.parse(tmp_path / "m" / "alerts.atom").getroot()
    assert feed.tag == f"{A}feed"
    for tag in ("id", "title", "updated", "author"):  # RFC 4287 §4.1.1
        assert feed.find(f"{A}{tag}") is not None, tag
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [alerts[0]["id"]]
    assert all(e.find(f"{A}{t}") is not None for e in entries for t in ("title", "updated", "content"))
    assert cli(*args)[0] == ""  # the next round: nothing new, nothing read again


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path):
    _, err = cli("monitor", "run", "--log", "http://127.0.0.1:9/log", "--vkey", "not-a-key", "--dir",
                 tmp_path / "m", "--once", check=2)
    assert "verifier key" in err and not (tmp_path / "m").exists()
    (tmp_path / "w.toml").write_text("companies = 3\n")
    _, err = cli("monitor", "run", "--log", "http://127.0.0.1:9/log", "--vkey", "x+01234567+AAAA", "--dir",
                 tmp_path / "m", "--watch", tmp_path / "w.toml", "--once", check=2)
    assert "companies" in err and not (tmp_path / "m").exists()
