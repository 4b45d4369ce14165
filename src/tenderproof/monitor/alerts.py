"""Where alerts go: one line each on stdout (JSON with --json), a webhook (POST of the alert as
JSON), and an Atom feed file (RFC 4287) rewritten after each round that raised one."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from tenderproof.fsutil import atomic_write

from .state import Alert

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 200


def line(alert: Alert, as_json: bool) -> str:
    if as_json:
        return json.dumps(alert, sort_keys=True, separators=(",", ":"))
    return f"ALERT {alert['kind']} {alert['origin']}: {alert['message']}"


def _time(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def atom(alerts: Sequence[Alert], log_url: str, origin: str, now: int) -> bytes:
    """RFC 4287 §4.1.1: the feed's id, title, updated and author; each entry's id, title, updated
    and content. The newest alert first; ids are the alerts' own (stable) ids."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        el.text = text
        return el

    newest = alerts[-FEED_ENTRIES:][::-1]
    sub(feed, "id", f"{log_url}#monitor")
    sub(feed, "title", f"Monitor alerts for {origin}")
    sub(feed, "updated", _time(newest[0]["time"] if newest else now))
    sub(sub(feed, "author"), "name", "tenderproof monitor")
    sub(feed, "link", rel="related", href=log_url)
    for a in newest:
        entry = sub(feed, "entry")
        sub(entry, "id", a["id"])
        sub(entry, "title", f"{a['kind']}: {a['message']}"[:300])
        sub(entry, "updated", _time(a["time"]))
        sub(entry, "category", term=a["kind"])
        sub(entry, "content", json.dumps(a, indent=1, sort_keys=True), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


class Sinks:
    """Sends each new alert everywhere it is asked to go; a webhook that fails is reported on
    `err` and does not stop the monitor."""

    def __init__(self, feed: Path, log_url: str, origin: str, as_json: bool = False, webhook: str | None = None,
                 out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.feed, self.log_url, self.origin = feed, log_url, origin
        self.as_json, self.webhook = as_json, webhook
        self.out, self.err = out or sys.stdout, err or sys.stderr

    def send(self, new: Sequence[Alert], every: Sequence[Alert], now: int) -> None:
        for a in new:
            print(line(a, self.as_json), file=self.out, flush=True)
            if self.webhook:
                try:
                    httpx.post(self.webhook, json=a, timeout=5.0).raise_for_status()
                except httpx.HTTPError as e:
                    print(f"error: webhook {self.webhook}: {e}", file=self.err, flush=True)
        if new or not self.feed.exists():
            atomic_write(self.feed, atom(every, self.log_url, self.origin, now))
