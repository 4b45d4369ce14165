#!/usr/bin/env python3
"""Monitor benchmark: follow N entries from scratch over HTTP, from static tlog-tiles.

    .venv/bin/python bench/monitor.py [--entries N] [--workdir DIR]

Builds a log with `tenderproof init` and `tenderproof log append --batch 10000` (event-shaped JSON
entries of about 200 bytes), writes it as static tiles with `tenderproof log tiles DIR`, serves DIR
with a local threaded HTTP/1.1 server (keep-alive, as a CDN would), then times one monitor round
from an empty directory with a watchlist of a few names: the checkpoint, every entry bundle, the
consistency proofs, the watchlist over every entry. Reports entries/s and the extrapolation to
1,000,000 entries (issue 15's target: ≤ 60 s from scratch).
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tenderproof.monitor import Monitor, Watchlist


def tp(*args: str | Path, stdin: bytes | None = None) -> str:
    r = subprocess.run([sys.executable, "-m", "tenderproof", *map(str, args)], input=stdin, capture_output=True,
                       check=True)
    return r.stdout.decode()


class Quiet(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall each

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=200_000)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tp-bench-monitor-"))
    data, tiles = work / "data", work / "tiles"
    n = args.entries
    t = time.perf_counter()
    tp("init", "--data-dir", data, "--origin", "bench.tenderproof.localhost/log")
    lines = b"".join(b'{"actor":{"id":"officer-%d","role":"buyer"},"payload":{"title":"Supply of item %d",'
                     b'"value":{"amount":"%d","currency":"EUR"}},"seq":1,"tender":"T-%d","type":"tender.created"}\n'
                     % (i % 97, i, i * 7, i) for i in range(n))
    tp("log", "append", "--batch", "10000", "--data-dir", data, stdin=lines)
    tp("log", "tiles", tiles, "--data-dir", data)
    vkey = tp("log", "vkey", "--data-dir", data).strip()
    print(f"built a log of {n} entries as static tiles in {time.perf_counter() - t:.1f} s", flush=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tiles)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    watch = Watchlist({"companies": ["Initech", "Globex Corporation"], "buyers": ["officer-42"]})
    m = Monitor(work / "monitor", url, vkey, watch)
    t = time.perf_counter()
    alerts = m.poll()
    dt = time.perf_counter() - t
    server.shutdown()
    assert m.state["position"] == n, m.state
    rate = n / dt
    print(f"followed {n} entries from scratch in {dt:.2f} s: {rate:,.0f} entries/s, {m.remote.requests} requests, "
          f"{len(alerts)} watchlist alerts")
    print(f"extrapolated to 1,000,000 entries: {1_000_000 / rate:.1f} s (target ≤ 60 s)")


if __name__ == "__main__":
    main()
