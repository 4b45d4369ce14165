"""The machine a benchmark ran on, for the table's header (docs/benchmarks.md records it)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
from pathlib import Path


def _proc(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def describe(*versions: str) -> str:
    """CPU, cores, RAM, OS, Python and SQLite, any further `versions` ("uvicorn 0.30", …), and the date."""
    cpu = _proc("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    extra = "".join(f", {v}" for v in versions)
    return (f"CPU {cpu}, {os.cpu_count()} cores, RAM {mem:.1f} GiB, {platform.platform()}\n"
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{extra}, "
            f"date {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
