#!/usr/bin/env python3
"""Red-flag benchmark: tenderproof's indicators against Cardinal's one installable pass.

    .venv/bin/python bench/flags.py [--releases 200000] [--workdir DIR] [--keep] [--no-double]
                                    [--scales 1,2] [--settings bench/few-flags.ini] [--repeat N]

Generates a synthetic, seeded dataset of compiled releases (JSON Lines): buyers and suppliers with
Zipf-like (heavy-tailed) frequencies, 1 to 12 bids per process, log-normal amounts, tender and
award periods, contracts with amendments and transactions, item classifications, complaints. Then,
each in a fresh subprocess (so peak RSS is the measurement's own):

  (a) `ocdscardinal.coverage(path)`: Cardinal's Rust pass that walks every line and counts fields
      (the only part of Cardinal installable from PyPI: its `indicators` command is not exposed);
  (b) `tenderproof.flags.run(path, None, …)`: every tenderproof indicator with its defaults.

It reports wall time, peak RSS (`ru_maxrss` of the child) and the ratio (b)/(a) against the target
(b) ≤ 3 × (a), and repeats (b) on a file twice the size, to show whether memory grows with input.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe

SEED = 20_261_127
EPOCH = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
METHODS = [("open", "Licitación Pública", 0.55), ("selective", "Licitación Restringida", 0.15),
           ("limited", "Contratación Directa", 0.22), ("direct", "Compra Menor", 0.08)]
CURRENCIES = [("USD", 0.96), ("EUR", 0.04)]


def _zipf_table(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n for P(k) ∝ 1/k^s."""
    total = 0.0
    out = []
    for k in range(1, n + 1):
        total += 1.0 / k**s
        out.append(total)
    return out


def _iso(t: float) -> str:
    return (EPOCH + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(path: Path, n: int, seed: int = SEED) -> int:
    """Write `n` compiled releases to `path` (JSON Lines); returns the file's size in bytes."""
    rng = random.Random(seed)
    buyers = _zipf_table(3_000, 1.1)
    suppliers = _zipf_table(60_000, 0.9)
    categories = [f"{rng.randrange(3, 99):02d}{rng.randrange(10**6):06d}" for _ in range(600)]
    cat_weights = _zipf_table(len(categories), 1.0)
    method_weights = [w for *_, w in METHODS]
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with path.open("w", encoding="utf-8") as f:
        lines = []
        for i in range(n):
            buyer = rng.choices(range(len(buyers)), cum_weights=buyers)[0]
            method, details, _ = rng.choices(METHODS, weights=method_weights)[0]
            currency = "USD" if rng.random() < CURRENCIES[0][1] else "EUR"
            category = categories[rng.choices(range(len(categories)), cum_weights=cat_weights)[0]]
            estimate = round(math.exp(rng.gauss(10.5, 1.6)), 2)
            start = rng.uniform(0, 3 * 365 * 86400)
            days = max(1, int(rng.lognormvariate(2.9, 0.5))) if method in ("open", "selective") else rng.randrange(1, 10)
            end = start + days * 86400 + rng.randrange(0, 86400)
            ocid = f"ocds-bench-{i:07d}"
            tender: dict = {
                "id": f"T-{i}", "status": rng.choices(["complete", "active", "cancelled"], [0.9, 0.07, 0.03])[0],
                "procurementMethod": method, "procurementMethodDetails": details,
                "procuringEntity": {"id": f"PE-{buyer}", "name": f"Entity {buyer}"},
                "value": {"amount": estimate, "currency": currency},
                "tenderPeriod": {"startDate": _iso(start), "endDate": _iso(end)},
                "items": [{"id": "1", "classification": {"scheme": "CPV", "id": category},
                           "quantity": rng.randrange(1, 100)}],
                "documents": [{"id": "notice", "documentType": "tenderNotice",
                               "datePublished": _iso(start + (rng.uniform(0, 5) * 86400 if rng.random() < 0.04 else
                                                              -rng.uniform(0, 3) * 86400))}],
            }
            if rng.random() < 0.1:
                tender["awardPeriod"] = {"startDate": _iso(end + 86400)}
            # Bids: more in open procedures; the winner is usually the lowest valid bid.
            if method in ("open", "selective"):
                n_bids = min(12, 1 + int(rng.expovariate(0.45)))
            else:
                n_bids = 1 if rng.random() < 0.8 else 2
            bidders = list({rng.choices(range(len(suppliers)), cum_weights=suppliers)[0] for _ in range(n_bids)})
            bids = []
            for b in bidders:
                amount = round(estimate * rng.lognormvariate(-0.05, 0.15), 2)
                status = rng.choices(["valid", "disqualified", "pending", "withdrawn"], [0.8, 0.14, 0.03, 0.03])[0]
                late = rng.random() < 0.01
                bids.append({"id": f"B-{i}-{b}", "status": status,
                             "date": _iso(end + (3600 if late else -rng.uniform(3600, days * 86400 / 2))),
                             "value": {"amount": amount, "currency": currency},
                             "tenderers": [{"id": f"S-{b}", "name": f"Supplier {b}"}]})
            release: dict = {"ocid": ocid, "id": f"{ocid}-1", "date": _iso(end + 30 * 86400), "tag": ["compiled"],
                             "initiationType": "tender", "buyer": {"id": f"B-{buyer}", "name": f"Buyer {buyer}"},
                             "tender": tender}
            valid = [b for b in bids if b["status"] == "valid"]
            if bids:
                release["bids"] = {"details": bids}
                tender["numberOfTenderers"] = len(bids)
            if valid and tender["status"] != "active":
                winner = min(valid, key=lambda b: b["value"]["amount"]) if rng.random() < 0.9 else rng.choice(valid)
                decided = end + max(0.2, rng.lognormvariate(2.8, 0.8)) * 86400
                award_value = winner["value"]["amount"]
                release["awards"] = [{
                    "id": f"A-{i}", "status": "active", "date": _iso(decided),
                    "value": {"amount": award_value, "currency": currency},
                    "suppliers": [{"id": winner["tenderers"][0]["id"], "name": winner["tenderers"][0]["name"]}],
                    "items": [{"id": "1", "classification": {"scheme": "CPV", "id": category}}]}]
                signed = decided + max(0.1, rng.lognormvariate(2.0, 1.0)) * 86400
                contract_value = round(award_value * (rng.lognormvariate(0.2, 0.3) if rng.random() < 0.05 else 1), 2)
                contract: dict = {"id": f"C-{i}", "awardID": f"A-{i}", "status": "active", "dateSigned": _iso(signed),
                                  "value": {"amount": contract_value, "currency": currency}}
                if rng.random() < 0.12:
                    contract["amendments"] = [{"id": f"AM-{i}-{k}", "date": _iso(signed + k * 30 * 86400),
                                               "description": "Change of scope"} for k in range(rng.randrange(1, 4))]
                if rng.random() < 0.5:
                    parts = rng.randrange(1, 5)
                    overrun = 1.15 if rng.random() < 0.03 else 1.0
                    contract["implementation"] = {"transactions": [
                        {"id": f"TR-{i}-{k}", "date": _iso(signed + (k + 1) * 20 * 86400),
                         "value": {"amount": round(contract_value * overrun / parts, 2), "currency": currency}}
                        for k in range(parts)]}
                release["contracts"] = [contract]
            if rng.random() < 0.02:
                release["complaints"] = [{"id": f"CO-{i}", "status": "pending",
                                          "date": _iso(end + 86400)}]
            lines.append(dumps(release))
            if len(lines) >= 5_000:
                f.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            f.write("\n".join(lines) + "\n")
    return path.stat().st_size


# Measurements, each in a child process of its own.

_CHILD = r"""
import json, resource, sys, time
what, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if what == "cardinal":
    import ocdscardinal
    result = ocdscardinal.coverage(path)
    summary = {"paths": len(result), "lines": result.get("", 0)}
else:
    from pathlib import Path
    from tenderproof.flags import run
    settings = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    result, errors = run(Path(path), settings, map=False, no_meta=False)
    summary = {"errors": len(errors), **{g: len(result.get(g, {})) for g in ("OCID", "Buyer", "ProcuringEntity", "Tenderer")}}
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, **summary}))
"""


def measure(what: str, path: Path, settings: Path | None = None) -> dict:
    start = time.perf_counter()
    extra = [str(settings)] if settings else []
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(path), *extra], check=True, capture_output=True,
                         text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - start  # with interpreter start and imports
    return result



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--no-double", action="store_true", help="skip the run at twice the size")
    parser.add_argument("--scales", default="1,2", help="sizes to run, as multiples of --releases (default 1,2)")
    parser.add_argument("--settings", type=Path, default=None,
                        help="a Cardinal settings file for (b) (default: every indicator); e.g. bench/few-flags.ini "
                             "for a small result, to see memory apart from the result's size")
    parser.add_argument("--repeat", type=int, default=1, help="measure each (a) and (b) this many times (best kept)")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tp-flags-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{describe()}; load {os.getloadavg()}")
    scales = [1] if args.no_double else [int(x) for x in args.scales.split(",")]
    sizes = [scale * args.releases for scale in scales]
    rows = []
    try:
        for n in sizes:
            path = workdir / f"bench-{n}.jsonl"
            if not path.exists():
                t = time.perf_counter()
                size = generate(path, n)
                print(f"generated {path} ({n:,} releases, {size / 2**20:.1f} MiB) in {time.perf_counter() - t:.1f} s")
            size = path.stat().st_size
            a = min((measure("cardinal", path) for _ in range(args.repeat)), key=lambda r: r["wall"])
            print(f"(a) ocdscardinal.coverage: {a['wall']:.2f} s, peak RSS {a['rss_kib'] / 1024:.0f} MiB, {a['lines']:,} lines")
            b = min((measure("tenderproof", path, args.settings) for _ in range(args.repeat)), key=lambda r: r["wall"])
            print(f"(b) tenderproof.flags.run: {b['wall']:.2f} s, peak RSS {b['rss_kib'] / 1024:.0f} MiB, "
                  f"flagged OCID {b['OCID']:,}, Buyer {b['Buyer']:,}, ProcuringEntity {b['ProcuringEntity']:,}, "
                  f"Tenderer {b['Tenderer']:,}; {b['errors']} input problems")
            rows.append((n, size, a, b))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    which = f"settings {args.settings.name}" if args.settings else "all indicators"
    print(f"| releases | file | (a) Cardinal coverage: wall | (a) peak RSS | (b) tenderproof, {which}: wall "
          "| (b) peak RSS | (b)/(a) | target (b) ≤ 3 × (a) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, size, a, b in rows:
        ratio = b["wall"] / a["wall"]
        print(f"| {n:,} | {size / 2**20:.0f} MiB | {a['wall']:.2f} s | {a['rss_kib'] / 1024:.0f} MiB | {b['wall']:.2f} s "
              f"| {b['rss_kib'] / 1024:.0f} MiB | {ratio:.2f} | {'PASS' if ratio <= 3 else 'MISS'} |")
    if len(rows) >= 2:
        (_, s1, _, b1), (_, s2, _, b2) = rows[-2], rows[-1]
        growth = (b2["rss_kib"] - b1["rss_kib"]) / 1024
        per_gib = growth / ((s2 - s1) / 2**30)
        print(f"\nPeak RSS of (b) grew by {growth:.0f} MiB for {(s2 - s1) / 2**20:.0f} MiB more input "
              f"({per_gib:.0f} MiB per GiB of input); extrapolated to 5 GiB: "
              f"{(b2['rss_kib'] / 1024 + per_gib * (5 - s2 / 2**30)):.0f} MiB.")


if __name__ == "__main__":
    main()
