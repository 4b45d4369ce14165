"""Two writers at once, and a writer killed with SIGKILL mid-batch: the log stays one history."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tenderproof.instance import init, open_log
from tenderproof.ledger.audit import audit

WRITER = Path(__file__).with_name("writer_process.py")


def start_writer(settings, prefix: str, count: int, batch: int, pause_at: int | None = None) -> subprocess.Popen:
    pause = [] if pause_at is None else [str(pause_at)]
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(settings.data_dir), settings.db_url, prefix, str(count), str(batch), *pause],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_append_one_linear_history(settings):
    init(settings).db.dispose()
    count = 300
    writers = {p: start_writer(settings, p, count, 1 if p == "a" else 7, pause_at=count // 2) for p in ("a", "b")}
    acks: dict[str, list[tuple[int, ...]]] = {p: [] for p in writers}

    def run_until_paused() -> None:
        for prefix, w in writers.items():
            for line in w.stdout:
                if line.startswith("paused"):
                    break
                if line.startswith("ack"):
                    acks[prefix].append(tuple(map(int, line.split()[1:])))
            else:
                raise AssertionError(f"writer {prefix} ended before its mid-way barrier: {w.stderr.read()}")

    def release_both() -> None:
        for w in writers.values():
            w.stdin.write("go\n")
            w.stdin.flush()

    # Both writers contend freely in each half. The mid-way barrier makes the overlap certain
    # however fast one of them runs: each half holds entries of both, so the history switches
    # writer at least twice, and every switch is a place where two processes raced for the tail.
    release_both()
    run_until_paused()
    release_both()
    for prefix, w in writers.items():
        out, errout = w.communicate(timeout=300)
        assert w.returncode == 0, errout
        acks[prefix] += [tuple(map(int, line.split()[1:])) for line in out.splitlines() if line.startswith("ack")]
    log = open_log(settings)
    try:
        entries = log.entries(0, log.head().size)
        assert len(entries) == 2 * count
        assert sorted(entries) == sorted(f"{p}-{i}".encode() for p in "ab" for i in range(count))
        for prefix in "ab":
            mine = [e for e in entries if e.startswith(f"{prefix}-".encode())]
            assert mine == [f"{prefix}-{i}".encode() for i in range(count)], "a writer's order was not kept"
            for first, n in acks[prefix]:  # every acknowledged range holds exactly that writer's entries
                assert all(e.startswith(f"{prefix}-".encode()) for e in entries[first : first + n])
        switches = sum(entries[i][:1] != entries[i + 1][:1] for i in range(len(entries) - 1))
        assert switches >= 2, "writers did not overlap; the test proved nothing"
        ranges = sorted(r for rs in acks.values() for r in rs)
        assert [f for f, _ in ranges] == [sum(n for _, n in ranges[:i]) for i in range(len(ranges))]
        report = audit(log)
        assert report.ok, report.problems
        assert report.checkpoints >= 2
    finally:
        log.db.dispose()


def test_kill_9_mid_batch_loses_no_acknowledged_entry(settings):
    init(settings).db.dispose()
    w = start_writer(settings, "c", 10_000_000, 500)
    w.stdin.write("go\n")
    w.stdin.flush()
    acked = []
    begins = 0
    for line in w.stdout:
        if line.startswith("ack"):
            acked.append(tuple(map(int, line.split()[1:])))
        elif line.startswith("begin"):
            begins += 1
            if len(acked) >= 5:
                break  # the writer is now inside a batch
    w.send_signal(signal.SIGKILL)
    w.wait(timeout=60)
    assert w.returncode == -signal.SIGKILL
    log = open_log(settings, signing=True)
    try:
        report = audit(log)
        assert report.ok, report.problems
        size = log.head().size
        end = acked[-1][0] + acked[-1][1]
        assert size >= end
        entries = log.entries(0, size)
        assert entries == [f"c-{i}".encode() for i in range(size)]
        # The log goes on after the crash.
        log.append([b"after the crash"])
        log.checkpoint()
        assert audit(log).ok
    finally:
        log.db.dispose()
