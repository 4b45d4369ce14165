"""A separate writer process for the concurrency and crash tests.

usage: writer_process.py DATA_DIR DB_URL PREFIX COUNT BATCH [PAUSE_AT]
Waits for a line on stdin (a start barrier), then appends COUNT entries PREFIX-<n> in batches
of BATCH, printing "begin <k>" before each batch and "ack <first> <count>" once it is durable,
and signs a checkpoint after every 10th batch. With PAUSE_AT, once that many entries are in it
prints "paused" and waits for a second line on stdin (a mid-way barrier).
"""

import sys

from tenderproof.instance import Settings, open_log


def main() -> None:
    data_dir, db_url, prefix, count, batch = sys.argv[1:6]
    count, batch = int(count), int(batch)
    pause_at = int(sys.argv[6]) if len(sys.argv) > 6 else None
    log = open_log(Settings.resolve(data_dir, db_url), signing=True)
    sys.stdin.readline()
    n = 0
    k = 0
    while n < count:
        entries = [f"{prefix}-{i}".encode() for i in range(n, min(n + batch, count))]
        print(f"begin {k}", flush=True)
        done = log.append(entries)
        print(f"ack {done.first} {done.count}", flush=True)
        n += len(entries)
        k += 1
        if k % 10 == 0:
            log.checkpoint()
        if pause_at is not None and n >= pause_at:
            print("paused", flush=True)
            sys.stdin.readline()
            pause_at = None
    print("done", flush=True)


if __name__ == "__main__":
    main()
