"""The tender's timeline as an inline SVG chart, drawn on the server (no JavaScript).

One row per phase or milestone on a shared time axis: the enquiry period, the submission
deadline with every move an amendment made to it, the opening, the evaluation, the competitive
range, the award, the standstill, debriefings, the contract or the end. Every mark carries a
text label, and the chart has a <title> and a <desc> that says the same in words.
"""

from __future__ import annotations

import calendar
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from markupsafe import Markup

from tenderproof.domain.model import parse_time

from .page import TenderPage

WIDTH = 960
LABEL_W = 190  # the row-name column
PLOT_X0, PLOT_X1 = LABEL_W + 14, WIDTH - 16
TOP = 44  # axis labels above the first row
ROW_H = 34
CHAR_W = 7.0  # rough width of a 13px character, for label placement

INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#dddddd"
BAR = "#c6d7f2"
BAR_EDGE = "#2b5797"
MARK = "#1f4e99"
DEADLINE = "#a3261b"
AWARD = "#1b6e3a"
OLD = "#6b6b6b"
STANDSTILL = "#cfe8d6"
STAY = "#f4c7c1"
PROTEST = "#e2e5eb"


@dataclass
class Bar:
    start: datetime
    end: datetime
    fill: str = BAR
    edge: str = BAR_EDGE
    half: float = 6  # half its height
    tip: str = ""


@dataclass
class Row:
    name: str
    label: str
    bars: list[Bar] = field(default_factory=list)
    marks: list[tuple[datetime, str, str, str]] = field(default_factory=list)  # (time, shape, colour, tooltip)
    moves: list[tuple[datetime, datetime]] = field(default_factory=list)  # superseded deadline -> next


def _t(s: str) -> datetime:
    return parse_time(s)


def _opt(s: str | None) -> datetime | None:
    """The time of what may not have happened (yet)."""
    return parse_time(s) if s else None


def _day(t: datetime) -> str:
    return f"{t.day} {t.strftime('%b %Y')}"


def _span(a: datetime, b: datetime) -> str:
    if a.year == b.year:
        return f"{a.day} {a:%b} – {_day(b)}"
    return f"{_day(a)} – {_day(b)}"


def _rows(page: TenderPage) -> list[Row]:
    v = page.v
    periods = v["periods"]
    start = _opt(v["published"]) or _t(v["created"])
    end_of_record = _opt(v["last_event"]) or start
    record = page.record
    awards = v["awards"]
    rows: list[Row] = []

    enq = _opt(periods.get("enquiry_end"))
    if enq:
        r = Row("Enquiries", f"until {_day(enq)}")
        r.bars.append(Bar(start, enq))
        r.marks.append((enq, "circle", MARK, f"Enquiry period ends {enq:%Y-%m-%d %H:%M} UTC"))
        rows.append(r)

    deadlines = [(_t(d["time"]), d) for d in page.deadlines if d.get("time")]
    final = _t(periods["tender_end"])
    r = Row("Submission deadline", f"due {_day(final)}")
    r.bars.append(Bar(start, final))
    if len(deadlines) > 1:
        chain = " → ".join(_day(t) for t, _ in deadlines)
        r.label = f"due {_day(final)} (moved: {chain})"
        for (a, _d), (b, nxt) in itertools.pairwise(deadlines):
            by = nxt.get("by", "an amendment")
            r.marks.append((a, "hollow", OLD, f"Deadline {a:%Y-%m-%d %H:%M} UTC, moved by {by}"))
            r.moves.append((a, b))
    r.marks.append((final, "diamond", DEADLINE, f"Submission deadline {final:%Y-%m-%d %H:%M} UTC"))
    rows.append(r)

    opened = _opt(v["opened"])
    closed = _t(v["cancellation"]["date"]) if v["cancellation"] else end_of_record
    if opened:
        r = Row("Bid opening", f"{_day(opened)}")
        r.marks.append((opened, "circle", MARK, f"All bids opened {opened:%Y-%m-%d %H:%M} UTC"))
        rows.append(r)
        # Evaluation: from the opening to the first award, and again from each corrective action
        # that reopened it to the award after it.
        award_times = sorted(_t(a["date"]) for a in awards)
        starts = [opened] + [_t(ca["date"]) for ca in record.get("corrective", [])
                             if ca.get("kind") in ("reevaluate", "new-decision", "revised-proposals")]
        r = Row("Evaluation", "")
        for s0 in starts:
            s1 = next((t for t in award_times if t > s0), closed)
            if s1 and s1 > s0:
                r.bars.append(Bar(s0, s1, tip=f"Evaluation {_span(s0, s1)}"))
        if r.bars:
            r.label = "; ".join(_span(b.start, b.end) for b in r.bars)
            rows.append(r)

    cr = v["competitive_range"]
    if cr:
        t = _t(cr["date"])
        n_in, n_out = len(cr["included"]), len(cr["excluded"])
        r = Row("Competitive range", f"{_day(t)}: {n_in} in, {n_out} out")
        r.marks.append((t, "circle", MARK, f"Competitive range set {t:%Y-%m-%d}"))
        rows.append(r)

    if awards:
        r = Row("Award", "")
        suppliers = {a["supplier"]["name"] for a in awards}
        for a in awards:
            t = _t(a["date"])
            r.marks.append((t, "star", AWARD, f"Award to {a['supplier']['name']} {t:%Y-%m-%d %H:%M} UTC"))
        if len(suppliers) == 1:
            r.label = f"{', '.join(_day(_t(a['date'])) for a in awards)} · {awards[0]['supplier']['name']}"
        else:
            r.label = "; ".join(f"{_day(_t(a['date']))} · {a['supplier']['name']}" for a in awards)
        rows.append(r)
        ss = [(_t(a["date"]), _t(a.get("standstill_end"))) for a in awards if a.get("standstill_end")]
        if ss:
            r = Row("Standstill", "until " + ", ".join(_day(b) for _, b in ss))
            for a, b in ss:
                r.bars.append(Bar(a, b, STANDSTILL, AWARD))
                r.marks.append((b, "diamond", DEADLINE, f"Standstill ends {b:%Y-%m-%d %H:%M} UTC"))
            rows.append(r)

    if v["debriefings"]:
        dates = sorted(_t(d["date"]) for d in v["debriefings"].values())
        days = sorted({_day(d) for d in dates}, key=lambda s: datetime.strptime(s, "%d %b %Y"))
        r = Row("Debriefings", f"{len(dates)} given: {', '.join(days)}")
        for d in dates:
            r.marks.append((d, "circle", MARK, f"Debriefing {d:%Y-%m-%d %H:%M} UTC"))
        rows.append(r)

    contract = v["contract"]
    if contract:
        t = _t(contract["date"])
        ended = _opt(contract.get("terminated"))
        r = Row("Contract", f"{contract.get('id', '')} signed {_day(t)}"
                + (f", terminated {_day(ended)}" if ended else ""))
        r.bars.append(Bar(t, ended or end_of_record, STANDSTILL, AWARD, tip="Contract in force"))
        r.marks.append((t, "star", AWARD, f"Contract signed {t:%Y-%m-%d}"))
        if ended:
            r.marks.append((ended, "cross", DEADLINE, f"Contract terminated {ended:%Y-%m-%d}"))
        for pf in record.get("performance", []):
            pt = _t(pf["date"])
            r.marks.append((pt, "circle", MARK, f"Performance started {pt:%Y-%m-%d}"))
        rows.append(r)

    # Protests, each with the stays, holds and injunctions it brought.
    stays = record.get("stays", [])
    for n, pr in enumerate(record.get("protests", []), 1):
        filed = _t(pr["filed"])
        decided = _opt(pr["decided"])
        r = Row(f"Protest {n}", f"{pr['protester_name']} at {pr['forum_name']}: "
                + (f"{pr['outcome']} {_day(decided)}" if decided else "pending"))
        r.bars.append(Bar(filed, decided or end_of_record, PROTEST, OLD, 4, f"Protest {pr['id']}"))
        for st in stays:
            if st["protest"] == pr["id"]:
                r.bars.append(_stay_bar(st, end_of_record))
        r.marks.append((filed, "circle", OLD, f"Protest {pr['id']} filed {filed:%Y-%m-%d}"))
        if decided:
            r.marks.append((decided, "diamond", OLD, f"Protest {pr['id']} {pr['outcome']} {decided:%Y-%m-%d}"))
        rows.append(r)
    for st in stays:
        if st["protest"] not in {pr["id"] for pr in record.get("protests", [])}:
            r = Row(st["kind"].capitalize()[:24], f"{st['status']}")
            r.bars.append(_stay_bar(st, end_of_record))
            rows.append(r)
    if record.get("corrective"):
        r = Row("Corrective action", ", ".join(f"{ca['kind']} {_day(_t(ca['date']))}" for ca in record["corrective"]))
        for ca in record["corrective"]:
            t = _t(ca["date"])
            r.marks.append((t, "circle", MARK, f"Corrective action {t:%Y-%m-%d}"))
        rows.append(r)

    if v["cancellation"]:
        t = _t(v["cancellation"]["date"])
        name = "Cancelled" if v["status"] == "cancelled" else "Ended"
        rows.append(Row(name, _day(t), marks=[(t, "cross", DEADLINE, f"{name} {t:%Y-%m-%d}")]))
    if v["refusals"]:
        r = Row("Refused attempts", f"{len(v['refusals'])} on the record")
        for x in v["refusals"]:
            t = _t(x["date"])
            r.marks.append((t, "cross", DEADLINE, f"Refused {x['command']} ({x['code']}) {t:%Y-%m-%d %H:%M} UTC"))
        rows.append(r)
    return rows


def _stay_bar(st: dict[str, Any], end_of_record: datetime) -> Bar:
    a = _t(st["from"])
    b = _opt(st["ended"]) or _opt(st.get("until")) or end_of_record
    return Bar(a, max(b, a), STAY, DEADLINE, 8, f"{st['kind']} ({st['status']}): {st['basis']}")


def _ticks(t0: datetime, t1: datetime) -> list[tuple[datetime, str]]:
    span = (t1 - t0).days

    def months(step: int, fmt: Callable[[datetime], str]) -> list[tuple[datetime, str]]:
        out: list[tuple[datetime, str]] = []
        y, m = t0.year, t0.month
        while True:
            t = datetime(y, m, 1, tzinfo=UTC)
            if t > t1:
                return out
            if t >= t0 and (m - 1) % step == 0:
                out.append((t, fmt(t)))
            m += 1
            if m > 12:
                y, m = y + 1, 1

    if span > 4 * 365:
        return [(t, str(t.year)) for t, _ in months(12, str)]
    if span > 400:
        return months(3, lambda t: str(t.year) if t.month == 1 else calendar.month_abbr[t.month])
    if span > 75:
        return months(1, lambda t: f"{calendar.month_abbr[t.month]} {t.year}" if t.month in (1,) or span < 200
                      else calendar.month_abbr[t.month])
    step = 7 if span > 20 else 1
    t = datetime(t0.year, t0.month, t0.day, tzinfo=UTC) + timedelta(days=1)
    if step == 7:
        t += timedelta(days=(7 - t.weekday()) % 7)  # Mondays
    out: list[tuple[datetime, str]] = []
    while t <= t1:
        out.append((t, f"{t.day} {calendar.month_abbr[t.month]}"))
        t += timedelta(days=step)
    return out


def _mark(x: float, y: float, shape: str, colour: str) -> str:
    if shape == "diamond":
        return (f'<path d="M{x:.1f} {y - 8:.1f} L{x + 8:.1f} {y:.1f} L{x:.1f} {y + 8:.1f} L{x - 8:.1f} {y:.1f} Z" '
                f'fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>')
    if shape == "hollow":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
    if shape == "star":
        pts = []
        for i in range(10):
            r = 9 if i % 2 == 0 else 4
            a = -math.pi / 2 + i * math.pi / 5
            pts.append(f"{x + r * math.cos(a):.1f},{y + r * math.sin(a):.1f}")
        return f'<polygon points="{" ".join(pts)}" fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
    if shape == "cross":
        return (f'<path d="M{x - 6:.1f} {y - 6:.1f} L{x + 6:.1f} {y + 6:.1f} '
                f'M{x + 6:.1f} {y - 6:.1f} L{x - 6:.1f} {y + 6:.1f}" '
                f'stroke="{colour}" stroke-width="3" stroke-linecap="round"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'


def timeline_svg(page: TenderPage) -> Markup:
    rows = _rows(page)
    times = [t for r in rows for b in r.bars for t in (b.start, b.end)] + [m[0] for r in rows for m in r.marks]
    created = _opt(page.v["created"])
    if created:
        times.append(created)
    t0, t1 = min(times), max(times)
    if t1 - t0 < timedelta(days=2):
        t1 = t0 + timedelta(days=2)
    pad = (t1 - t0) * 0.02
    t0, t1 = t0 - pad, t1 + pad
    scale = (PLOT_X1 - PLOT_X0) / (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return PLOT_X0 + (t - t0).total_seconds() * scale

    height = TOP + ROW_H * len(rows) + 12
    v = page.v
    title = f"Timeline of tender {v['id']}"
    desc = "; ".join(f"{r.name}: {r.label}" for r in rows) + "."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="timeline-title timeline-desc" class="timeline-chart" font-size="13">',
        f'<title id="timeline-title">{escape(title)}</title>',
        f'<desc id="timeline-desc">{escape(desc)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse">'
        f'<path d="M0 0 L10 5 L0 10 z" fill="{OLD}"/></marker></defs>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    # The axis: gridlines and tick labels.
    for t, text in _ticks(t0, t1):
        xt = x(t)
        out.append(f'<line x1="{xt:.1f}" y1="{TOP - 12}" x2="{xt:.1f}" y2="{height - 8}" stroke="{GRID}" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{xt:.1f}" y="{TOP - 18}" text-anchor="middle" fill="{MUTED}" font-size="12">'
                   f'{escape(text)}</text>')
    for i, r in enumerate(rows):
        y = TOP + ROW_H * i + ROW_H / 2
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{y - ROW_H / 2:.1f}" width="{WIDTH}" height="{ROW_H}" fill="#f4f6fa" '
                       'fill-opacity="0.7"/>')
        out.append(f'<text x="{LABEL_W}" y="{y + 4.5:.1f}" text-anchor="end" fill="{INK}" font-weight="bold">'
                   f'{escape(r.name)}</text>')
        w = len(r.label) * CHAR_W
        xs = [at for b in r.bars for at in (x(b.start), x(b.end))] + [x(m[0]) for m in r.marks]
        right, left = max(xs) + 14, min(xs) - 14
        # The label: right of the row's marks if it fits, else left of them, else inside its only
        # bar; failing all, on a line of its own at the top of the row, the marks moved down.
        inside = None
        if len(r.bars) == 1 and x(r.bars[0].end) - x(r.bars[0].start) >= w + 24 and not r.marks:
            inside = x(r.bars[0].start) + 10
        if right + w <= WIDTH - 4:
            label, dy = f'<text x="{right:.1f}" y="{y + 4.5:.1f}" fill="{INK}">{escape(r.label)}</text>', 0
        elif left - w >= PLOT_X0:
            label = f'<text x="{left:.1f}" y="{y + 4.5:.1f}" text-anchor="end" fill="{INK}">{escape(r.label)}</text>'
            dy = 0
        elif inside is not None:
            label, dy = f'<text x="{inside:.1f}" y="{y + 4.5:.1f}" fill="{INK}">{escape(r.label)}</text>', 0
        else:
            x0 = min(max(min(xs), PLOT_X0), WIDTH - 4 - w * 12 / 13)
            label, dy = f'<text x="{x0:.1f}" y="{y - 5:.1f}" fill="{INK}" font-size="12">{escape(r.label)}</text>', 8
        ym = y + dy
        for b in r.bars:
            xa, xb = x(b.start), x(b.end)
            hh = 11 if inside is not None else (min(b.half, 6) if dy else b.half)
            rect = (f'<rect x="{xa:.1f}" y="{ym - hh:.1f}" width="{max(xb - xa, 2):.1f}" height="{2 * hh}" rx="3" '
                    f'fill="{b.fill}" stroke="{b.edge}" stroke-width="1"/>')
            out.append(f"<g><title>{escape(b.tip)}</title>{rect}</g>" if b.tip else rect)
        for old, new in r.moves:
            xa, xb = x(old), x(new)
            if abs(xb - xa) > 14:
                sign = 1 if xb > xa else -1
                out.append(f'<path d="M{xa + 7 * sign:.1f} {ym - 9:.1f} Q{(xa + xb) / 2:.1f} {ym - 20:.1f} '
                           f'{xb - 9 * sign:.1f} {ym - 9:.1f}" fill="none" stroke="{OLD}" stroke-width="1.5" '
                           'stroke-dasharray="3 2" marker-end="url(#arrow)"/>')
        for t, shape, colour, tip in r.marks:
            out.append(f"<g><title>{escape(tip)}</title>{_mark(x(t), ym, shape, colour)}</g>")
        out.append(label)
    out.append("</svg>")
    return Markup("".join(out))
