#!/usr/bin/env python3
"""From a bid's acknowledgement to a receipt cosigned by 2 of 3 witnesses (issue 15's target:
p95 <= 2 s on this machine).

    .venv/bin/python bench/cosign.py [--bids 50]

Everything as an office and three independent witnesses would run it, each a process of its own
on 127.0.0.1: `tenderproof demo --no-serve` (the live sandbox tender), three `tenderproof witness
serve` (each with its own directory, trusting the log's key), `log witness add --url` and `log
policy --quorum 2`, then `tenderproof serve` (which pushes each new checkpoint to the witnesses).
Each bid is sealed client-side and POSTed; the clock starts at its 201 and stops when
`GET /log/proof/N?cosigned=1` answers 200 (polled every 10 ms), which is what `tenderproof bid
cosigned` fetches. One bid at a time, so each latency is the pipeline's, not a queue's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api import SANDBOX, console, free_port, machine, pct
from tenderproof import seal
from tenderproof.app import accounts, bidding
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, open_log

EXE = [sys.executable, "-m", "tenderproof"]


def run(*args: str) -> str:
    return subprocess.run([*EXE, *args], check=True, capture_output=True, text=True, timeout=900).stdout


def start(*args: str) -> tuple[subprocess.Popen, str]:
    """A server process; returns it and the first line it prints."""
    proc = subprocess.Popen([*EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bids", type=int, default=50)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cosign-bench-"))
    data = root / "data"
    procs: list[subprocess.Popen] = []
    try:
        run("demo", "--no-serve", "--hours", "24", "--data-dir", str(data))
        for i in range(1, 4):
            w = root / f"w{i}"
            vkey = run("witness", "init", "--name", f"w{i}.bench.example/witness", "--dir", str(w)).strip()
            run("witness", "trust", str(data / "log.vkey"), "--dir", str(w))
            proc, first = start("witness", "serve", "--dir", str(w), "--port", "0")
            procs.append(proc)
            url = first.rsplit(" ", 1)[-1]
            run("log", "witness", "add", vkey, "--url", url, "--data-dir", str(data))
        run("log", "policy", "--quorum", "2", "--data-dir", str(data))
        p = Procurement(open_log(Settings.resolve(data, None)), data)
        try:
            accounts.add_person(p, "bench-bidder", "Bench Bidder Ltd")
            accounts.grant(p, "bench-bidder", "bidder", SANDBOX)
            token = accounts.issue_token(p, "bench-bidder", "bench")
            public_key = bidding.public_key(p.state(SANDBOX))
        finally:
            p.log.db.dispose()
        port = free_port()
        server = subprocess.Popen([*EXE, "serve", "--data-dir", str(data), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(600):
                try:
                    if http.get("/log/checkpoint").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            latencies = []
            with tempfile.TemporaryDirectory() as d:
                price = Path(d) / "price.txt"
                for i in range(args.bids):
                    price.write_text(f"bench bid {i}: PRICE {100_000 + i} USD\n")
                    blob = seal.seal_bid(SANDBOX, public_key, seal.pack(price))
                    r = http.post(f"/api/tenders/{SANDBOX}/bids", content=blob,
                                  headers={"Authorization": f"Bearer {token}",
                                           "Content-Type": "application/octet-stream"})
                    r.raise_for_status()
                    acked = time.perf_counter()
                    index = r.json()["events"][0]["index"]
                    while http.get(f"/log/proof/{index}", params={"cosigned": 1}).status_code != 200:
                        time.sleep(0.01)
                    latencies.append(time.perf_counter() - acked)
        ms = sorted(x * 1000 for x in latencies)
        console.print(machine())
        console.print(f"bid acknowledged -> receipt cosigned by 2 of 3 witnesses, {len(ms)} bids one at a time:")
        console.print(f"  p50 {pct(ms, 50):.0f} ms   p95 {pct(ms, 95):.0f} ms   max {ms[-1]:.0f} ms   "
                      f"(target p95 <= 2000 ms)")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
