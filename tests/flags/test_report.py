"""The HTML report (`run(..., html=…)`, `tenderproof flags FILE --html`): written, self-contained,
well-formed, naming every flagged identifier and indicator."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from tenderproof.cli import app
from tenderproof.flags import run
from tenderproof.flags.catalog import CATALOG
from tenderproof.flags.settings import CODES

from .helpers import award, bid, jsonl, short_tender

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "wbr", "source"}


class Checker(HTMLParser):
    """Collects text and checks that every opened element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: dict[str, int] = {}
        self.attrs: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def data(tmp_path: Path) -> Path:
    releases = [short_tender(f"short-{i}") for i in range(3)]
    releases += [{"ocid": "complained <&>", "complaints": [{"id": "1"}]},
                 {"ocid": "single", "tender": {"numberOfTenderers": 1, "procurementMethod": "open"}},
                 {"ocid": "late-win", "tender": {"tenderPeriod": {"endDate": "2000-03-15T00:00:00Z"}},
                  "bids": {"details": [bid("W", date="2000-03-16T00:00:00Z")]}, "awards": [award("W")]}]
    return jsonl(tmp_path / "d.jsonl", releases)


def test_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result, errors = run(data(tmp_path), None, map=False, no_meta=False, html=report)
    assert errors == []
    text = report.read_text(encoding="utf-8")
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []  # every element closed
    body = " ".join(checker.text)
    flagged = {(ocid, code) for ocid, codes in result["OCID"].items() for code in codes}
    assert {code for _, code in flagged} == {"R003", "R018", "R020", "R030"}
    for ocid, code in flagged:
        assert ocid in body and code in body and CATALOG[code][0] in body
    assert "complained &lt;&amp;&gt;" in text  # escaped
    for code in CODES:  # every indicator has its section and heading
        assert f'id="{code}"' in text and f'id="{code}-h"' in text
    # Self-contained and accessible: no scripts or external references; headings, table headers,
    # and a title and description in every SVG.
    assert checker.tags.get("script", 0) == 0 and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and "src=" not in text
    assert checker.tags["h1"] == 1 and checker.tags["h2"] >= len(CODES)
    assert checker.tags["svg"] >= 1 and checker.tags["svg"] == checker.tags["desc"]
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for t, a in checker.attrs if t == "svg")
    assert all(a.get("scope") in ("col", "row") for t, a in checker.attrs if t == "th")
    assert checker.tags["caption"] == checker.tags["table"]
    # R003's histogram marks its threshold.
    assert "threshold 15" in body


def test_cli_html(tmp_path: Path) -> None:
    report, out = tmp_path / "r.html", tmp_path / "r.json"
    res = CliRunner().invoke(app, ["flags", str(data(tmp_path)), "--html", str(report), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert report.is_file() and "late-win" in report.read_text(encoding="utf-8")
    assert json.loads(out.read_text())["OCID"]["late-win"] == {"R030": 1.0}
