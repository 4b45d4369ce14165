"""Running the red-flag indicators over OCDS data: `run()` is what the CLI calls.

Read (streaming) -> flatten into DuckDB temp tables -> one SQL query per indicator -> Cardinal's
JSON shape. JSON Lines files of compiled releases are flattened by DuckDB itself (`fastload`);
other compiled releases (a record's compiledRelease, or a JSON Lines file DuckDB would not read
as Cardinal does) are flattened as read.
Releases from packages, arrays or single-release files are staged (beyond 2,000, in DuckDB as
JSON text) and, at the end, releases sharing an ocid are merged with ocdsmerge, so Python holds at
most one ocid's releases, or 2,000 releases, at a time.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import ocdsmerge.exceptions

from tenderproof.flags import fastload, ocp, outliers
from tenderproof.flags import indicators as process_flags
from tenderproof.flags.compiling import compile_releases
from tenderproof.flags.flatten import Loader, create_tables, insert_select
from tenderproof.flags.indicators import Context
from tenderproof.flags.readers import Reader
from tenderproof.flags.report import write_report
from tenderproof.flags.results import Results
from tenderproof.flags.settings import CODES, Settings, load_settings

_lock = threading.Lock()
_shared: duckdb.DuckDBPyConnection | None = None
#: Inputs up to this size share one single-threaded in-memory database (opening a database costs
#: about 20 ms, and threads only slow small queries down); larger ones get a database of their own.
SMALL_INPUT = 64 << 20
#: DuckDB's memory for a large input; beyond it, its tables and intermediates spill to a temporary
#: directory, so memory does not grow with the input (docs/benchmarks.md, "Red flags").
MEMORY_LIMIT = "512MB"


def _connection(database: str | None, size: int, spill: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection of its own: to `database` (a file, for data larger than memory), to a new
    in-memory database for a large input (capped at MEMORY_LIMIT, spilling to `spill`), else a
    cursor on the shared in-memory database (its temp tables are private to it). DuckDB keeps
    track of a long query's progress (`fastload` reports it) but never prints it itself."""
    global _shared
    if database is not None:
        con = duckdb.connect(database)
    elif size > SMALL_INPUT:
        con = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT,
                                                 "temp_directory": spill or tempfile.gettempdir()})
    else:
        with _lock:
            if _shared is None:
                _shared = duckdb.connect(":memory:", config={"threads": 1})
            con = _shared.cursor()
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false; "
                "SET progress_bar_time = 100")
    return con


class _Stage:
    """Releases waiting to be merged by ocid: held in Python up to `batch`, then kept in DuckDB."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch: int = 2_000) -> None:
        self.con = con
        self.batch = batch
        self.held: list[tuple[str, int, dict[str, Any]]] = []
        self.spilled = False

    def add(self, ocid: str, seq: int, release: dict[str, Any]) -> None:
        self.held.append((ocid, seq, release))
        if len(self.held) >= self.batch:
            self._spill()

    def _spill(self) -> None:
        if not self.spilled:
            self.con.execute("CREATE OR REPLACE TEMP TABLE staged (ocid VARCHAR, seq BIGINT, release VARCHAR)")
            self.spilled = True
        if self.held:
            columns = [list(c) for c in zip(*((o, q, json.dumps(r, ensure_ascii=False)) for o, q, r in self.held),
                                            strict=True)]
            self.con.execute("INSERT INTO staged SELECT unnest($1::VARCHAR[]), unnest($2::BIGINT[]), "
                             "unnest($3::VARCHAR[])", columns)
            self.held = []

    def _groups(self) -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
        if not self.spilled:
            groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            for ocid, seq, release in self.held:
                groups.setdefault(ocid, []).append((seq, release))
            self.held = []
            for ocid, members in sorted(groups.items(), key=lambda item: item[1][-1][0]):
                yield ocid, members[-1][0], [release for _, release in members]
            return
        self._spill()
        cursor = self.con.execute("SELECT ocid, max(seq), list(release ORDER BY seq) FROM staged "
                                  "GROUP BY ocid ORDER BY max(seq)")
        while batch := cursor.fetchmany(1_000):
            for ocid, seq, texts in batch:
                yield ocid, seq, [json.loads(text) for text in texts]
        self.con.execute("DROP TABLE staged")

    def drain(self, loader: Loader, errors: list[str]) -> None:
        """Flatten each ocid's release, merging an ocid's releases (ocdsmerge sorts them by date)."""
        for ocid, seq, releases in self._groups():
            if len(releases) == 1:
                loader.add(releases[0], seq)
                continue
            try:
                loader.add(compile_releases(releases), seq)
            except (ocdsmerge.exceptions.OCDSMergeError, TypeError, ValueError) as e:
                errors.append(f"ocid {ocid}: cannot merge its {len(releases)} releases ({e}), skipping")


def compute(con: duckdb.DuckDBPyConnection, settings: Settings, *, map: bool,
            report: bool = False) -> Results:
    """Run the enabled indicators over the loaded tables (`report`: also gather the report's data)."""
    ctx = Context(con=con, settings=settings, results=Results(), map=map, report=report)
    process_flags.prepare(ctx)
    on = settings.enabled
    if on("R024") or on("R058") or on("R036"):
        ctx.currency = process_flags.main_currency(ctx)
    if map and (on("R025") or on("R038") or on("R048")):
        process_flags.ocid_tenderer_map(ctx)
    if on("R024") or on("R058"):
        outliers.second_lowest_bid_ratios(ctx)
    steps: dict[str, Callable[[Context], None]] = {
        "R003": process_flags.r003, "R018": process_flags.r018, "R024": outliers.r024, "R025": outliers.r025,
        "R028": process_flags.r028, "R030": process_flags.r030, "R035": process_flags.r035,
        "R036": process_flags.r036, "R038": outliers.r038, "R048": outliers.r048, "R058": outliers.r058,
        **ocp.STEPS,
    }
    for code in CODES:
        if on(code):
            steps[code](ctx)
    return ctx.results


def run(path: Path, settings_path: Path | None, *, map: bool, no_meta: bool,
        progress: Callable[[int, int], None] | None = None,
        database: str | None = None, html: Path | None = None, fast: bool = True) -> tuple[dict[str, Any], list[str]]:
    """Compute the red flags of the OCDS data at `path` (a file or a directory of .json/.jsonl).

    Returns Cardinal's output object and the problems met (invalid lines or files, records that
    cannot be compiled, …), which never stop the run. `settings_path`: a Cardinal settings file;
    None enables every indicator with its defaults (Cardinal's, for Cardinal's eleven).
    `map`/`no_meta`: Cardinal's `--map`/`--no-meta`. `progress(bytes_read, bytes_total)` is called as the input is read.
    `database`: a DuckDB file to hold the tables instead of memory. `html`: also write the HTML
    report (distributions, thresholds, flagged identifiers) there. `fast`: let DuckDB read JSON
    Lines files itself (`fastload`; False: every release is read in Python, as other inputs are).
    Raises `SettingsError` for an unusable settings file and `FileNotFoundError` for a missing path.
    """
    settings = load_settings(settings_path)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    errors: list[str] = list(settings.notes)
    reader = Reader(errors=errors, progress=progress)
    files = reader.files(path)
    spill = tempfile.mkdtemp(prefix="tenderproof-flags-") if database is None and reader.total > SMALL_INPUT else None
    con = _connection(database, reader.total, spill)
    try:
        create_tables(con)
        loader = Loader(con)
        stage = _Stage(con)
        seq = skipped = 0

        def bulk(file: Path, fraction: Callable[[float], None]) -> bool:
            nonlocal seq, skipped
            if file.stat().st_size < fastload.MIN_BYTES:
                return False
            loader.flush()
            loaded = fastload.load(con, file, lambda table, select: insert_select(con, table, select),
                                   first_seq=seq + 1, progress=fraction if progress else None)
            if loaded is None:
                return False
            seq += loaded.lines
            skipped += loaded.skipped
            loader.count += loaded.processes
            return True

        for item in reader.read(files, bulk if fast else None):
            ocid = item.release.get("ocid")
            if not isinstance(ocid, str):  # excluded by Cardinal: the ocid isn't a string
                skipped += 1
                continue
            seq += 1
            if item.staged:
                stage.add(ocid, seq, item.release)
            else:
                loader.add(item.release, seq)
        stage.drain(loader, errors)
        loader.flush()
        if skipped:
            errors.append(f"{skipped} release(s) without a string ocid were skipped")
        results = compute(con, settings, map=map, report=html is not None)
        processes = loader.count
    finally:
        con.close()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
    output = results.as_json(map=map, no_meta=no_meta, codes=CODES)
    if html is not None:
        write_report(html, results, settings, source=path, processes=processes, problems=errors)
    return output, errors
