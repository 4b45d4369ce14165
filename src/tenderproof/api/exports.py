"""CSV and Excel exports of the OCDS data, in the community's flattened layout (flatten-tool, as
the OCDS Data Review Tool and the Data Registry make them): a `main` sheet with one row per
compiled release (one per contracting process, its latest state, ocdsmerge) or per release (its
whole history), and a sheet per array (`awards`, `ten_items`, …) joined to it by `ocid` and `id`.

flatten-tool reads its whole input into memory and keeps every sheet there until it writes, so an
export is bounded by the size of that input, the JSON of the releases or compiled releases it
flattens. Measured on the 2-core machine (shared with other work), peak memory grows by 2 to 3.3
times that size: 33 MB of releases (4,900 of JEDI's later ones) +104 MB, 26 s to Excel, 13 s to
CSV; 135 MB (20,000) +264 MB, 101 s to Excel, 38 s to CSV. The API takes at most `MAX_BYTES`
(32 MiB: about 110 MB of memory, under half a minute) and makes one export at a time
(`_ONE_AT_A_TIME`); the CLI takes `CLI_MAX_BYTES` (256 MiB) unless told otherwise (--max-bytes).
Past the bound the export is refused, pointing at the compiled kind (one row per process, far
smaller), one tender's export or the JSON Lines. The bound is checked on the stored releases before
anything is read, then on what is written for flatten-tool as it is written. Everything comes
from the stored releases and the bundled 1.1.5 release schema: nothing is fetched.
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

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from tenderproof.app import publication
from tenderproof.app.service import Procurement
from tenderproof.ocds import packages

from . import problems
from .security import ProcurementDep

Format = Literal["csv", "xlsx"]
Kind = Literal["compiled", "releases"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
KINDS: tuple[Kind, ...] = ("compiled", "releases")
MiB = 1 << 20
MAX_BYTES = 32 * MiB
CLI_MAX_BYTES = 256 * MiB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: While one export is being made, another is 503 at once, with this Retry-After in seconds
#: (waiting for it would hold a worker thread that every other request needs).
RETRY_AFTER = 30
_ONE_AT_A_TIME = threading.BoundedSemaphore(1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes for the same data: no wall-clock time in the zip


class ExportRefused(ValueError):
    """An export that is not made: `code` is its problem type (`not-found`, `export-too-large`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_size(p: Procurement, tender_id: str | None, kind: Kind, max_bytes: int) -> None:
    """Refuse, before anything is read, an export of a tender that has no release (there is no
    such tender: one is published from its creation on) or of more stored releases than
    `max_bytes` (compiled releases are not known before they are made: `export` checks them)."""
    count, stored = publication.stored_release_stats(p, tender_id)
    if tender_id is not None and count == 0:
        raise ExportRefused("not-found", f"no tender {tender_id}")
    if kind == "releases" and stored > max_bytes:
        raise _too_large(f"{count} releases", tender_id, kind, max_bytes)


def _too_large(what: str, tender_id: str | None, kind: Kind, max_bytes: int) -> ExportRefused:
    smaller = [*(["the compiled kind"] if kind == "releases" else []),
               *([] if tender_id else ["one tender (--tender / ?tender=)"]), "the JSON Lines"]
    bound = f"{max_bytes // MiB} MiB" if max_bytes >= MiB else f"{max_bytes} bytes"
    return ExportRefused("export-too-large", f"{what} come to more than one export holds ({bound} of JSON, as "
                         f"flatten-tool works in memory); take {', or '.join(smaller)}")


def _rows(p: Procurement, tender_id: str | None, kind: Kind) -> Iterator[str]:
    """Each release (stored JSON, in ledger order) or each tender's compiled release, as JSON text."""
    if kind == "releases":
        yield from (text for _, text in publication.stored_release_texts(p, tender_id))
        return
    found = publication.stored_release_texts(p, tender_id, by_tender=True)
    for _, group in itertools.groupby(found, key=lambda row: row[0]):
        releases = [json.loads(text) for _, text in group]  # one tender's at a time
        yield json.dumps(packages.merger().create_compiled_release(releases), ensure_ascii=False)


def export(p: Procurement, fmt: Format, out: BinaryIO, *, tender_id: str | None = None,
           kind: Kind = "compiled", max_bytes: int = MAX_BYTES) -> int:
    """Write the flattened export to `out`: an .xlsx workbook, or a zip of one CSV per sheet
    (`main.csv` first). Returns the rows of the main sheet."""
    check_size(p, tender_id, kind, max_bytes)
    with tempfile.TemporaryDirectory(prefix="tenderproof-export-") as tmp:
        source = Path(tmp, "releases.json")
        rows = written = 0
        with source.open("wb") as f:  # a release package: what flatten-tool reads
            f.write(b'{"releases": [')
            for rows, text in enumerate(_rows(p, tender_id, kind), start=1):
                written += f.write((("," if rows > 1 else "") + text).encode())
                if written > max_bytes:
                    raise _too_large("the compiled releases" if kind == "compiled" else "the releases", tender_id, kind,
                                     max_bytes)
            f.write(b"]}")
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
        check_size(p, tender, kind, MAX_BYTES)  # before waiting for another export: a refusal costs one query
    except ExportRefused as e:
        return _refused(e)
    if not _ONE_AT_A_TIME.acquire(blocking=False):
        busy = problems.problem(503, "export-busy", "another export is being made; retry shortly")
        busy.headers["Retry-After"] = str(RETRY_AFTER)
        return busy
    tmp = Path(tempfile.mkdtemp(prefix="tenderproof-export-"))
    try:
        with (tmp / "out").open("wb") as out:
            export(p, fmt, out, tender_id=tender, kind=kind, max_bytes=MAX_BYTES)
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

