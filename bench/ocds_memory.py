#!/usr/bin/env python3
"""Peak memory of the bulk OCDS outputs, whole (before issue 13) and streamed (now).

    .venv/bin/python bench/ocds_memory.py [--releases 2000 8000] [--modes ...] [--keep DIR]

For each size N, an SQLite installation whose ocds_releases table holds N releases: JEDI is
replayed once, and its releases are copied as N / 36 contracting processes (each a new tender id,
so N real-sized releases, about 9 kB each, with ocds-tndrpf- ocids). Then, for each output, a
fresh child process writes it to a file and reports its peak RSS (ru_maxrss):

- releases, whole: `stored_releases` (a list of every release) -> `release_package` (a dict) ->
  `dumps` -> one write; what `tenderproof ocds releases` did before.
- releases, streamed: `iter_stored_releases` (batches of 200) -> `iter_release_package` -> chunks
  written as they come; what it does now (`ocds records` alike, compiled one ocid at a time).

"baseline" is a child that imports the same modules and opens the database, writing nothing:
each output's cost is its peak minus that.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("baseline", "releases-whole", "releases-streamed", "records-whole", "records-streamed")


def child(mode: str, data_dir: str, out: str) -> None:
    from tenderproof.app.publication import iter_stored_releases, stored_releases
    from tenderproof.app.service import Procurement
    from tenderproof.fsutil import atomic_write, atomic_writer
    from tenderproof.instance import Settings, open_log
    from tenderproof.ocds import packages as pk

    s = Settings.resolve(data_dir)
    p = Procurement(open_log(s), s.data_dir)
    meta = {"publisher": {"name": "bench"}, "uri": "urn:bench", "published_date": "2030-01-01T00:00:00Z"}
    t0 = time.perf_counter()
    if mode == "releases-whole":
        atomic_write(Path(out), pk.dumps(pk.release_package(stored_releases(p), **meta)).encode())
    elif mode == "records-whole":
        atomic_write(Path(out), pk.dumps(pk.record_package(stored_releases(p), **meta)).encode())
    elif mode != "baseline":
        rels = iter_stored_releases(p, by_ocid=mode == "records-streamed")
        chunks = (pk.iter_release_package if mode == "releases-streamed" else pk.iter_record_package)(rels, **meta)
        with atomic_writer(Path(out)) as f:
            for chunk in chunks:
                f.write(chunk.encode())
    seconds = time.perf_counter() - t0
    size = Path(out).stat().st_size if mode != "baseline" else 0
    print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "seconds": seconds, "bytes": size}))


def build(data_dir: Path, n: int) -> None:
    """An installation with JEDI's releases copied to `n` releases in all."""
    import sqlalchemy as sa

    from tenderproof.app.publication import stored_releases
    from tenderproof.app.service import Procurement
    from tenderproof.instance import Settings, init
    from tenderproof.ocds import packages as pk
    from tenderproof.scenario.runner import Clock, Runner, Scenario
    from tenderproof.store.schema import ocds_releases

    s = Settings.resolve(data_dir)
    clock = Clock()
    p = Procurement(init(s), s.data_dir, clock)
    Runner(p, clock, s.data_dir / "keys").run(Scenario.load("jedi"))
    jedi = stored_releases(p)
    tender = jedi[0]["tender"]["id"]
    with p.db.writer.begin() as conn:
        conn.execute(sa.delete(ocds_releases))
        rows, index = [], 0
        for copy in range(-(-n // len(jedi))):
            tid = f"{tender}-{copy:06d}"
            for r in jedi:
                if index == n:
                    break
                text = pk.dumps(r).replace(f'"{tender}', f'"{tid}').replace(f"-{tender}", f"-{tid}")
                rel = json.loads(text)
                rel["id"] = f"{rel['ocid']}-{index}"
                rows.append({"id": rel["id"], "tender_id": tid, "ledger_index": index, "release": pk.dumps(rel)})
                index += 1
            if len(rows) >= 2000:
                conn.execute(ocds_releases.insert(), rows)
                rows = []
        if rows:
            conn.execute(ocds_releases.insert(), rows)
    p.db.dispose()


def measure(data_dir: Path, mode: str) -> dict:
    out = data_dir / f"{mode}.json"
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(data_dir), str(out)],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--releases", type=int, nargs="+", default=[2000, 8000])
    ap.add_argument("--keep", type=Path, help="Build the installations here (kept)")
    ap.add_argument("--modes", nargs="+", choices=MODES[1:], default=list(MODES[1:]),
                    help="Outputs to measure (the whole ones need memory in proportion to N)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="ocds-memory-"))
    print(f"{'releases':>9} {'output':<18} {'peak RSS MB':>11} {'over baseline MB':>16} {'seconds':>8} {'file MB':>8}")
    for n in args.releases:
        data_dir = root / f"n{n}"
        build(data_dir, n)
        base = measure(data_dir, "baseline")["rss_kb"]
        for mode in ("baseline", *args.modes):
            m = measure(data_dir, mode)
            print(f"{n:>9} {mode:<18} {m['rss_kb'] / 1024:>11.1f} {(m['rss_kb'] - base) / 1024:>16.1f} "
                  f"{m['seconds']:>8.2f} {m['bytes'] / 2**20:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
