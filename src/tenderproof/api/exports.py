"""CSV and Excel exports of the OCDS data, in the community's flattened layout (flatten-tool, as
the OCDS Data Review Tool and the Data Registry make them): a `main` sheet with one row per
compiled release (one per contracting process, its latest state, ocdsmerge) or per release (its
whole history), and a sheet per array (`awards`, `ten_items`, …) joined to it by `ocid` and `id`.

flatten-tool reads its whole input into memory and keeps every sheet there until it writes, so an
export is bounded: at most `MAX_RELEASES` stored releases go into one (measured about 13 KB of
memory per release of JEDI's size, so 20,000 come to some 270 MB for a few seconds to half a
minute), larger ones are refused with a pointer to one tender's export or the JSON Lines, and
the API makes one export at a time (`_ONE_AT_A_TIME`). Everything is read from the stored
releases and the bundled 1.1.5 release schema: nothing is fetched.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, BinaryIO, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from tenderproof.app.service import Procurement
from tenderproof.ocds import packages
from tenderproof.store.schema import ocds_releases

from . import problems
from .security import ProcurementDep

Format = Literal["csv", "xlsx"]
Kind = Literal["compiled", "releases"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
KINDS: tuple[Kind, ...] = ("compiled", "releases")
MAX_RELEASES = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Seconds an API export waits for the one before it, then 503 + Retry-After.
WAIT = 30.0
_ONE_AT_A_TIME = threading.BoundedSemaphore(1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes for the same data: no wall-clock time in the zip


class ExportRefused(ValueError):
    """An export that is not made: `code` is its problem type (`not-found`, `export-too-large`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _query(tender_id: str | None) -> sa.Select:
    q = sa.select(ocds_releases.c.tender_id, ocds_releases.c.release)
    return q if tender_id is None else q.where(ocds_releases.c.tender_id == tender_id)


def check_size(p: Procurement, tender_id: str | None, max_releases: int = MAX_RELEASES) -> int:
    """The number of stored releases the export reads, refused before anything is read for a
    tender that has none (there is no such tender), or for more than `max_releases`."""
    count_q = sa.select(sa.func.count()).select_from(_query(tender_id).subquery())
    with p.db.reader.connect() as conn:
        count = conn.execute(count_q).scalar_one()
    if tender_id is not None and count == 0:  # a tender is published from its creation on
        raise ExportRefused("not-found", f"no tender {tender_id}")
    if count > max_releases:
        where = "" if tender_id else "; export one tender (--tender / ?tender=), or take the JSON Lines"
        raise ExportRefused("export-too-large", f"{count} releases are more than one export holds "
                            f"({max_releases}, as flatten-tool works in memory){where}")
    return count


def _rows(p: Procurement, tender_id: str | None, kind: Kind) -> Iterator[str]:
    """Each release (stored JSON, in ledger order) or each tender's compiled release, as JSON text."""
    with p.db.reader.connect() as conn:
        if kind == "releases":
            found = conn.execute(_query(tender_id).order_by(ocds_releases.c.ledger_index))
            yield from (row.release for row in found)
            return
        found = conn.execute(_query(tender_id).order_by(ocds_releases.c.tender_id, ocds_releases.c.ledger_index))
        for _, group in itertools.groupby(found, key=lambda row: row.tender_id):
            releases = [json.loads(row.release) for row in group]  # one tender's at a time
            yield json.dumps(packages.merger().create_compiled_release(releases), ensure_ascii=False)


def export(p: Procurement, fmt: Format, out: BinaryIO, *, tender_id: str | None = None,
           kind: Kind = "compiled", max_releases: int = MAX_RELEASES) -> int:
    """Write the flattened export to `out`: an .xlsx workbook, or a zip of one CSV per sheet
    (`main.csv` first). Returns the rows of the main sheet."""
    check_size(p, tender_id, max_releases)
    with tempfile.TemporaryDirectory(prefix="tenderproof-export-") as tmp:
        source = Path(tmp, "releases.json")
        rows = 0
        with source.open("w", encoding="utf-8") as f:  # a release package: what flatten-tool reads
            f.write('{"releases": [')
            for rows, text in enumerate(_rows(p, tender_id, kind), start=1):
                f.write(("," if rows > 1 else "") + text)
            f.write("]}")
        target = Path(tmp, "flat.xlsx" if fmt == "xlsx" else "flat")
        _flatten(source, target, fmt)
        if fmt == "xlsx":
            with target.open("rb") as f:
                shutil.copyfileobj(f, out)
        else:
            _zip(target, out)
    return rows


def _flatten(source: Path, target: Path, fmt: Format) -> None:
    import flattentool  # type: ignore[import-untyped]  # heavy (openpyxl, a schema parser): loaded on first use

    with resources.as_file(resources.files("tenderproof.ocds").joinpath("schema", "release-schema.json")) as schema, \
            warnings.catch_warnings():
        # It warns of every schema field it cannot make a column of (`former_value`, which has no
        # properties): the same warnings every time, about the standard's schema, not the data.
        warnings.simplefilter("ignore")
        flattentool.flatten(str(source), schema=str(schema), output_name=str(target), output_format=fmt,
                            main_sheet_name="main", root_list_path="releases", root_id="ocid", id_name="id",
                            remove_empty_schema_columns=True)


def _zip(folder: Path, out: BinaryIO) -> None:
    names = sorted(p.name for p in folder.glob("*.csv"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(names, key=lambda n: n != "main.csv"):
            z.writestr(zipfile.ZipInfo(name, _ZIP_TIME), (folder / name).read_bytes(), zipfile.ZIP_DEFLATED)


# --- over HTTP ---------------------------------------------------------------------------------

router = APIRouter(prefix="/ocds", tags=["ocds"])
TenderQuery = Annotated[str | None, Query(max_length=100, description="Only this tender's releases")]
KindQuery = Annotated[Kind, Query(description="compiled: one row per contracting process; releases: every release")]


def _refused(e: ExportRefused) -> Response:
    return problems.problem(404 if e.code == "not-found" else 422, e.code, str(e))


def _serve(p: Procurement, fmt: Format, tender: str | None, kind: Kind, media_type: str, suffix: str) -> Response:
    try:
        check_size(p, tender, MAX_RELEASES)  # before waiting for another export: a refusal costs one count
    except ExportRefused as e:
        return _refused(e)
    if not _ONE_AT_A_TIME.acquire(timeout=WAIT):
        busy = problems.problem(503, "export-busy", "another export is being made; retry shortly")
        busy.headers["Retry-After"] = str(int(WAIT))
        return busy
    tmp = Path(tempfile.mkdtemp(prefix="tenderproof-export-"))
    try:
        with (tmp / "out").open("wb") as out:
            export(p, fmt, out, tender_id=tender, kind=kind, max_releases=MAX_RELEASES)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, ExportRefused):  # the data grew past the bound since it was counted
            return _refused(e)
        raise
    finally:
        _ONE_AT_A_TIME.release()
    name = f"ocds-{kind}{'-' + tender if tender else ''}{suffix}"
    return FileResponse(tmp / "out", media_type=media_type, filename=name,
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))


_RESPONSES = problems.responses(404, 422, 503)


@router.get("/export.xlsx", summary="The OCDS data as an Excel workbook (flatten-tool's layout)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}, **_RESPONSES})
def export_xlsx(p: ProcurementDep, tender: TenderQuery = None, kind: KindQuery = "compiled") -> Response:
    return _serve(p, "xlsx", tender, kind, XLSX, ".xlsx")


@router.get("/export.csv.zip", summary="The OCDS data as CSV files, one per sheet, zipped (flatten-tool's layout)",
            response_class=Response, responses={200: {"content": {"application/zip": {}}}, **_RESPONSES})
def export_csv(p: ProcurementDep, tender: TenderQuery = None, kind: KindQuery = "compiled") -> Response:
    return _serve(p, "csv", tender, kind, "application/zip", ".csv.zip")

