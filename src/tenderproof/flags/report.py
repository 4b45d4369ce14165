"""The HTML report of a red-flag run: one self-contained file, no JavaScript, no external assets.

Per indicator: what it measures, the rule that flags (value against threshold or fence), the
distribution of its values as an inline SVG histogram with the thresholds and fences marked, and
the flagged processes and organizations with their values. A summary table comes first.
Accessibility: one h1, an h2 per indicator, tables with captions and `scope`d headers, each SVG
with `role="img"`, a `<title>` and a `<desc>` stating what it shows.
"""

from __future__ import annotations

import datetime
import html
import math
from pathlib import Path
from typing import Any

from tenderproof.flags.catalog import CATALOG
from tenderproof.flags.results import GROUPS, Results
from tenderproof.flags.settings import CARDINAL_CODES, Settings
from tenderproof.flags.stats import round4
from tenderproof.fsutil import atomic_write

#: Rows shown per indicator and group (the JSON output has them all).
MAX_ROWS = 500
#: Indicators whose low values are the suspicious ones (listed lowest first).
_LOW = {"R019", "R024", "R025", "R061"}
_GROUP_NAMES = {"OCID": "Contracting processes (OCID)", "Buyer": "Buyers", "ProcuringEntity": "Procuring entities",
                "Tenderer": "Tenderers and suppliers"}

_CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bar: #4a78b5; --mark: #c62828; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1120px; padding: 24px 32px 64px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 0 0 4px; }
h3 { font-size: 1.02rem; margin: 18px 0 6px; }
p { margin: 4px 0 8px; }
.meta, .note { color: var(--muted); }
nav ul { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 12px 0 20px; }
nav a { display: inline-block; padding: 2px 8px; border: 1px solid var(--line); border-radius: 12px;
        text-decoration: none; color: var(--ink); font-variant-numeric: tabular-nums; }
nav a.hit { border-color: var(--mark); color: var(--mark); font-weight: 600; }
section.indicator { border-top: 2px solid var(--line); padding-top: 18px; margin-top: 28px; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted); margin-right: 6px; }
.rule { background: var(--bg); border-left: 4px solid var(--mark); padding: 6px 10px; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg); border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; }
td.name { min-width: 16em; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; word-break: break-all; }
figure { margin: 8px 0 12px; }
figcaption { color: var(--muted); font-size: 0.9em; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .bar { fill: var(--bar); }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .mark { stroke: var(--mark); stroke-width: 2; stroke-dasharray: 5 3; }
svg text.mark-label { fill: var(--mark); font-weight: 600; }
.flagcount { font-weight: 600; color: var(--mark); }
.zero { color: var(--muted); }
details { margin: 6px 0; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: float | None) -> str:
    if value is None:
        return "null (not finite)"
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def _tick(x: float, log: bool) -> str:
    return _fmt(10**x if log else x)


def histogram_svg(chart: dict[str, Any], ident: str) -> str:
    """An SVG bar chart of `chart` (see `indicators.histogram`), with its marks as dashed lines."""
    width, height, left, right, top, bottom = 1000, 250, 60, 20, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    counts, edges, log = chart["counts"], chart["edges"], chart["log"]
    marks = chart["marks"]
    mark_text = "; ".join(f"{k} at {_fmt(v)}" for k, v in marks.items()) or "no threshold or fence"
    title = f"Distribution of {chart['label']}"
    desc = (f"Histogram of {chart['n']:,} values in {len(counts)} bins from {_tick(edges[0], log)} to "
            f"{_tick(edges[-1], log)}{' on a logarithmic scale' if log else ''}; "
            f"{chart['below']:,} values below and {chart['above']:,} above that range are counted in the end "
            f"bins. Marked: {mark_text}.")
    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-t">{_e(title)}</title>', f'<desc id="{ident}-d">{_e(desc)}</desc>']
    peak = max(counts) or 1
    bar_w = plot_w / len(counts)
    for i, c in enumerate(counts):
        if c:
            h = max(1.0, plot_h * c / peak)
            out.append(f'<rect class="bar" x="{left + i * bar_w + 0.5:.1f}" y="{top + plot_h - h:.1f}" '
                       f'width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}"><title>{_e(_tick(edges[i], log))} to '
                       f'{_e(_tick(edges[i + 1], log))}: {c:,}</title></rect>')
    base = top + plot_h
    out.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"/>')
    out.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>')
    for frac in (0.0, 0.5, 1.0):
        y = base - plot_h * frac
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(_fmt(round(peak * frac)))}</text>')
    for k in range(6):
        x = edges[0] + (edges[-1] - edges[0]) * k / 5
        px = left + plot_w * k / 5
        out.append(f'<line class="axis" x1="{px:.1f}" y1="{base}" x2="{px:.1f}" y2="{base + 4}"/>')
        out.append(f'<text x="{px:.1f}" y="{base + 17}" text-anchor="middle">{_e(_tick(x, log))}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{_e(chart["label"])}</text>')
    span = (edges[-1] - edges[0]) or 1.0
    for n, (name, value) in enumerate(marks.items()):
        x = math.log10(value) if log else value
        if not edges[0] <= x <= edges[-1]:
            continue
        px = left + plot_w * (x - edges[0]) / span
        anchor = "start" if px < left + plot_w * 0.8 else "end"
        dx = 4 if anchor == "start" else -4
        out.append(f'<line class="mark" x1="{px:.1f}" y1="{top - 4}" x2="{px:.1f}" y2="{base}"/>')
        out.append(f'<text class="mark-label" x="{px + dx:.1f}" y="{top + 6 + 13 * n}" text-anchor="{anchor}">'
                   f'{_e(name)} {_e(_fmt(value))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _flagged(results: Results, code: str, group: str) -> list[tuple[str, float | None]]:
    rows = [(key, values[code]) for key, values in results.groups[group].items() if code in values]

    def key(row: tuple[str, float | None]) -> tuple[int, float, str]:
        v = row[1]
        if v is None or not math.isfinite(v):
            return (0, 0.0, row[0])
        if code == "R016":
            return (1, -abs(math.log10(v)) if v > 0 else 0.0, row[0])
        return (1, v if code in _LOW else -v, row[0])

    return sorted(rows, key=key)


def render(results: Results, settings: Settings, *, source: str, processes: int, problems: list[str]) -> str:
    """The report as HTML text."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    codes = [c for c in sorted(CATALOG) if settings.enabled(c)]
    counts = {c: {g: sum(1 for v in results.groups[g].values() if c in v) for g in GROUPS} for c in codes}
    flagged_any = {g: len(results.groups[g]) for g in GROUPS}
    parts = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<title>Red flags: {_e(Path(source).name)}</title>', f'<style>{_CSS}</style>', '</head>', '<body>',
             '<header>', '<h1>Red flags report</h1>',
             f'<p class="meta">Data: <code>{_e(source)}</code> · {processes:,} contracting processes read · '
             f'{len(codes)} indicators run · generated {now} by tenderproof</p>',
             f'<p>Flagged: <span class="flagcount">{flagged_any["OCID"]:,}</span> processes, '
             f'{flagged_any["Buyer"]:,} buyers, {flagged_any["ProcuringEntity"]:,} procuring entities, '
             f'{flagged_any["Tenderer"]:,} tenderers. A red flag is a reason to look closer, not a finding of '
             f'wrongdoing.</p>', '</header>',
             '<nav aria-label="Indicators"><ul>']
    for c in codes:
        hit = any(counts[c].values())
        cls = ' class="hit"' if hit else ""
        parts.append(f'<li><a href="#{c}"{cls}>{c}</a></li>')
    parts.append('</ul></nav>')

    # Summary
    parts += ['<section id="summary" aria-labelledby="summary-h">', '<h2 id="summary-h">Summary</h2>',
              '<table><caption>Flags per indicator and group, with the limits used</caption><thead><tr>',
              '<th scope="col">Code</th><th scope="col">Indicator</th>',
              *(f'<th scope="col" class="num">{_e(g)}</th>' for g in GROUPS),
              '<th scope="col">Limits (Meta) or rule</th><th scope="col">Source</th></tr></thead><tbody>']
    for c in codes:
        meta = results.meta.get(c, {})
        limits = (", ".join(f"{k} {_fmt(round4(v))}" for k, v in meta.items())
                  or "; ".join(results.rules.get(c, {}).values()) or "—")
        cells = "".join(f'<td class="num{"" if counts[c][g] else " zero"}">{counts[c][g]:,}</td>' for g in GROUPS)
        parts.append(f'<tr><th scope="row"><a href="#{c}">{c}</a></th><td class="name">{_e(CATALOG[c][0])}</td>{cells}'
                     f'<td>{_e(limits)}</td><td>{"Cardinal and tenderproof" if c in CARDINAL_CODES else "tenderproof"}'
                     f'</td></tr>')
    parts += ['</tbody></table>', '</section>']

    # One section per indicator
    for c in codes:
        name, definition = CATALOG[c]
        parts += [f'<section class="indicator" id="{c}" aria-labelledby="{c}-h">',
                  f'<h2 id="{c}-h"><span class="code">{c}</span>{_e(name)}</h2>', f'<p>{_e(definition)}</p>']
        rules = results.rules.get(c, {})
        for group, text in rules.items():
            parts.append(f'<p class="rule"><strong>{_e(_GROUP_NAMES[group])} flagged when:</strong> {_e(text)}</p>')
        for k, chart in enumerate(results.charts.get(c, [])):
            if not chart["n"]:
                parts.append(f'<p class="note">No values of {_e(chart["label"])} in the data.</p>')
                continue
            low = chart["min"] if not chart["log"] else 10 ** chart["min"]
            high = chart["max"] if not chart["log"] else 10 ** chart["max"]
            parts += ['<figure>', histogram_svg(chart, f"{c}-chart{k}"),
                      f'<figcaption>{_e(chart["label"])}: {chart["n"]:,} values, from {_e(_fmt(low))} '
                      f'to {_e(_fmt(high))}; dashed lines mark '
                      f'{_e(", ".join(chart["marks"]) or "no limit")}.</figcaption>', '</figure>']
        any_rows = False
        for group in GROUPS:
            rows = _flagged(results, c, group)
            if not rows:
                continue
            any_rows = True
            shown = rows[:MAX_ROWS]
            more = f" (the {len(shown):,} most extreme of {len(rows):,})" if len(rows) > len(shown) else ""
            reason = rules.get(group, "flagged")
            parts += [f'<table><caption>{_e(_GROUP_NAMES[group])} flagged by {c}: {len(rows):,}{_e(more)}</caption>',
                      '<thead><tr><th scope="col">Identifier</th><th scope="col" class="num">Value</th>'
                      '<th scope="col">Reason: flagged when</th></tr></thead><tbody>']
            for key, value in shown:
                parts.append(f'<tr><td class="id">{_e(key)}</td><td class="num">{_e(_fmt(value))}</td>'
                             f'<td>{_e(reason)}</td></tr>')
            parts += ['</tbody></table>']
        if not any_rows:
            parts.append('<p class="note">Nothing flagged.</p>')
        parts.append('</section>')

    if problems:
        parts += ['<section class="indicator" id="problems" aria-labelledby="problems-h">',
                  f'<h2 id="problems-h">Input problems ({len(problems):,})</h2>', '<ul>',
                  *(f'<li>{_e(p)}</li>' for p in problems[:MAX_ROWS]), '</ul>', '</section>']
    parts += ['</body>', '</html>', '']
    return "\n".join(parts)


def write_report(path: Path, results: Results, settings: Settings, *, source: Path | str, processes: int,
                 problems: list[str]) -> None:
    """Write the report to `path` (atomically)."""
    text = render(results, settings, source=str(source), processes=processes, problems=problems)
    atomic_write(Path(path), text.encode("utf-8"))
