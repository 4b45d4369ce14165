"""Streaming readers for OCDS data, in bounded memory.

- JSON Lines (Cardinal's input): one compiled release per line, used as is. A malformed line is
  reported with its line number and skipped; the rest of the file is still read. A line holding a
  package or a record is accepted too. A caller may load JSON Lines files in bulk instead
  (`Reader.read`'s `bulk`, i.e. `fastload`); what it declines is read here, a large file in pieces
  so that one bad line costs Python's time for its piece only.
- A JSON document (`.json`, or anything not named like JSON Lines): a release package, a record
  package, a record, a release, a JSON array of any of these, or several such values one after
  another. Packages and arrays are streamed with ijson; each release or record is built alone.
- Records: the `compiledRelease` is used; without one, the record's embedded releases are merged
  with ocdsmerge (linked releases cannot be merged: the record is reported and skipped).
- Releases of a package or array are not compiled releases: they are handed on as `staged`, and
  the caller merges releases sharing an ocid (see `engine`).
- OCDS 1.0 (a package whose `version` is absent or 1.0.x; a bare release or record without
  `parties`) is upgraded to 1.1 with `ocdskit.upgrade` (`compiling`).
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import ocdsmerge.exceptions

from tenderproof.flags.compiling import compile_releases, is_embedded, upgrade

#: Extensions read as JSON Lines; other files are read as JSON documents.
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jl", ".jsonlines"}
DOCUMENT_SUFFIXES = {".json"}
_ASCII_WS = b" \t\n\r\x0c"
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_PROGRESS_STEP = 1 << 20
#: The pieces a large JSON Lines file is offered to `bulk` in, when it declines the whole file.
CHUNK = 64 << 20

Progress = Callable[[int, int], None]
#: Loads a JSON Lines file in bulk, reporting the fraction read; False: read it release by release.
Bulk = Callable[[Path, Callable[[float], None]], bool]


@dataclass
class Emitted:
    """A release handed to the caller: compiled (use as is) or staged (merge by ocid first)."""

    release: dict[str, Any]
    staged: bool


@dataclass
class Reader:
    """Reads files and directories; appends human-readable problems to `errors`."""

    errors: list[str] = field(default_factory=list)
    progress: Progress | None = None
    total: int = 0
    done: int = 0
    _reported: int = 0

    def files(self, path: Path) -> list[Path]:
        """The files to read at `path` (a directory: its .json and .jsonl files); sets `total`."""
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix.lower() in JSONL_SUFFIXES | DOCUMENT_SUFFIXES)
            if not files:
                self.errors.append(f"{path}: no .json or .jsonl files in this directory")
        else:
            files = [path]
        self.total = sum(_size(p) for p in files)
        return files

    def read(self, files: list[Path], bulk: Bulk | None = None) -> Iterator[Emitted]:
        """The releases of `files`, in order. `bulk(path, progress)`, if given, is first offered
        each JSON Lines file: it returns True if it loaded the file itself (`fastload`)."""
        for file in files:
            start = self.done
            size = _size(file)
            if bulk and self.is_jsonl(file):
                yield from self._bulk(file, bulk, start, size)
            else:
                yield from self.read_file(file)
            self._tick(max(start + size - self.done, 0))  # a file read in part (an error) still counts whole
        self._tick(0, force=True)

    def _bulk(self, path: Path, bulk: Bulk, start: int, size: int) -> Iterator[Emitted]:
        """Offer a JSON Lines file to `bulk` whole; if it declines a large file, offer it again in
        pieces of about CHUNK bytes, so that only the pieces it declines are read here."""
        if bulk(path, lambda fraction: self._tick(max(int(start + fraction * size) - self.done, 0))):
            return
        if size < 2 * CHUNK:
            yield from self.read_file(path)
            return
        with tempfile.TemporaryDirectory(prefix="tenderproof-piece-") as tmp:
            piece = Path(tmp) / "piece.jsonl"
            offset = start
            for first_line, data in _pieces(path, CHUNK):
                piece.write_bytes(data)
                if not bulk(piece, lambda fraction: None):
                    yield from self._jsonl(path, io.BytesIO(data), first_line=first_line)
                offset += len(data)
                self._tick(max(offset - self.done, 0))

    def is_jsonl(self, path: Path) -> bool:
        """Whether `path` is read as JSON Lines: by its name, or sniffed when its name says nothing."""
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES or suffix in DOCUMENT_SUFFIXES:
            return suffix in JSONL_SUFFIXES
        try:
            with path.open("rb") as f:
                return _looks_like_jsonl(f)
        except OSError:
            return False

    def read_file(self, path: Path) -> Iterator[Emitted]:
        try:
            f = path.open("rb")
        except OSError as e:
            self.errors.append(f"{path}: cannot open ({e.strerror or e})")
            return
        with f:
            suffix = path.suffix.lower()
            if suffix in JSONL_SUFFIXES or (suffix not in DOCUMENT_SUFFIXES and _looks_like_jsonl(f)):
                yield from self._jsonl(path, f)
            else:
                yield from self._document(path, f)

    # Progress

    def _tick(self, n: int, *, force: bool = False) -> None:
        self.done += n
        if self.progress and (force or self.done - self._reported >= _PROGRESS_STEP):
            self._reported = self.done
            self.progress(min(self.done, self.total), self.total)

    # JSON Lines

    def _jsonl(self, path: Path, f: IO[bytes], first_line: int = 1) -> Iterator[Emitted]:
        for number, raw in enumerate(f, start=first_line):
            self._tick(len(raw))
            line = raw.rstrip(b"\n")
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line.strip(_ASCII_WS):  # blank lines are skipped silently, as by Cardinal
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                self.errors.append(f"{path}: line {number} is not valid UTF-8, skipping")
                continue
            try:
                value = loads(text)
            except ValueError as e:
                self.errors.append(f"{path}: line {number} is invalid JSON, skipping ({e})")
                continue
            if not isinstance(value, dict):
                self.errors.append(f"{path}: line {number} is not a JSON object, skipping")
                continue
            kind = classify(value)
            if kind == "release":
                yield Emitted(value, staged=False)
            else:
                yield from self._route(value, kind, f"{path}: line {number}")

    # JSON documents

    def _document(self, path: Path, f: IO[bytes]) -> Iterator[Emitted]:
        if f.read(3) != b"\xef\xbb\xbf":
            f.seek(0)
        start = f.tell()
        if not f.read(65536).strip(_ASCII_WS) and not f.read(1):
            self.errors.append(f"{path}: empty file")
            return
        f.seek(start)
        shapes, error = _shapes(f)
        f.seek(start)
        label = str(path)
        counted = _Counting(f, self._tick)
        try:
            if len(shapes) == 1 and shapes[0].prefix is not None:
                shape = shapes[0]
                prefix = shape.prefix
                assert prefix is not None
                for i, item in enumerate(ijson.items(counted, prefix, use_float=True)):
                    where = f"{label}: {prefix[:-5] or ''}[{i}]" if prefix else label
                    yield from self._item(item, shape, where)
            else:
                for i, value in enumerate(ijson.items(counted, "", use_float=True, multiple_values=True)):
                    where = f"{label}: value {i + 1}" if len(shapes) > 1 else label
                    if isinstance(value, dict):
                        yield from self._route(value, classify(value), where)
                    elif isinstance(value, list):
                        for j, item in enumerate(value):
                            yield from self._item(item, Shape("array"), f"{where}[{j}]")
                    else:
                        self.errors.append(f"{where}: not an OCDS package, record, release or array, skipping")
        except (ijson.JSONError, ValueError) as e:
            error = error or _message(e)
        if error:
            self.errors.append(f"{label}: invalid JSON ({error}); data before the error was read")

    def _item(self, item: Any, shape: Shape, where: str) -> Iterator[Emitted]:
        if not isinstance(item, dict):
            self.errors.append(f"{where}: not a JSON object, skipping")
        elif shape.kind == "release_package":
            yield from self._package_release(item, shape.version or "1.0")
        elif shape.kind == "record_package":
            yield from self._record(item, shape.version or "1.0", where)
        elif shape.kind == "array":
            yield from self._route(item, classify(item), where)
        else:
            yield from self._route(item, shape.kind, where)

    # Routing

    def _route(self, value: dict[str, Any], kind: str, where: str) -> Iterator[Emitted]:
        version = _package_version(value)
        if kind == "release_package":
            for i, release in enumerate(value["releases"]):
                if isinstance(release, dict):
                    yield from self._package_release(release, version)
                else:
                    self.errors.append(f"{where}: releases[{i}] is not a JSON object, skipping")
        elif kind == "record_package":
            for i, record in enumerate(value["records"]):
                if isinstance(record, dict):
                    yield from self._record(record, version, f"{where}: records[{i}]")
                else:
                    self.errors.append(f"{where}: records[{i}] is not a JSON object, skipping")
        elif kind == "record":
            yield from self._record(value, None, where)
        else:
            yield from self._package_release(value, None)

    def _package_release(self, release: dict[str, Any], version: str | None) -> Iterator[Emitted]:
        upgrade(release, version)
        yield Emitted(release, staged=True)

    def _record(self, record: dict[str, Any], version: str | None, where: str) -> Iterator[Emitted]:
        ocid = record.get("ocid")
        name = f"{where} (record {ocid})" if isinstance(ocid, str) else where
        compiled = record.get("compiledRelease")
        if isinstance(compiled, dict):
            upgrade(compiled, version)
            yield Emitted(compiled, staged=False)
            return
        releases = record.get("releases")
        embedded = [r for r in releases if isinstance(r, dict) and is_embedded(r)] if isinstance(releases, list) else []
        if not embedded:
            self.errors.append(f"{name}: no compiledRelease and no embedded releases to compile, skipping")
            return
        for release in embedded:
            upgrade(release, version)
        try:
            yield Emitted(compile_releases(embedded), staged=False)
        except (ocdsmerge.exceptions.OCDSMergeError, TypeError, ValueError) as e:
            self.errors.append(f"{name}: cannot compile its releases ({e}), skipping")


class _Counting:
    """A binary file wrapper that reports the bytes read (for progress)."""

    def __init__(self, f: IO[bytes], tick: Callable[[int], None]) -> None:
        self._f = f
        self._tick = tick

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._tick(len(data))
        return data


@dataclass
class Shape:
    """What a top-level JSON value is, from a first pass over the file."""

    kind: str  # release_package | record_package | record | release | array | scalar
    version: str | None = None
    keys: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str | None:
        """The ijson prefix to stream items from (None: not streamable)."""
        return {"release_package": "releases.item", "record_package": "records.item", "array": "item",
                "record": "", "release": ""}.get(self.kind)


def _shapes(f: IO[bytes]) -> tuple[list[Shape], str | None]:
    """The top-level values of a document (their keys and `version`), and any parse error."""
    shapes: list[Shape] = []
    try:
        for prefix, event, value in ijson.parse(f, multiple_values=True):
            if prefix == "":
                if event == "start_map":
                    shapes.append(Shape("object"))
                elif event == "start_array":
                    shapes.append(Shape("array"))
                elif event == "map_key":
                    shapes[-1].keys.add(value)
                elif event == "end_map":
                    shape = shapes[-1]
                    shape.kind = classify(_keys_only(shape.keys))
                elif event != "end_array":
                    shapes.append(Shape("scalar"))
            elif prefix == "version" and event == "string" and shapes and shapes[-1].kind == "object":
                shapes[-1].version = value
    except (ijson.JSONError, ValueError) as e:
        if shapes and shapes[-1].kind == "object":
            shapes[-1].kind = classify(_keys_only(shapes[-1].keys))
        return shapes, _message(e)
    return shapes, None


def _message(e: Exception) -> str:
    """The first line of a parser's message (yajl appends a multi-line excerpt)."""
    lines = str(e).strip().splitlines()
    return lines[0].strip() if lines else type(e).__name__


def _keys_only(keys: set[str]) -> dict[str, Any]:
    """An object seen only by its keys, for `classify`: a list stands for every value."""
    return {k: [] for k in keys}


def classify(value: dict[str, Any]) -> str:
    """release_package, record_package, record or release (by OCDS's required fields)."""
    if "ocid" not in value and isinstance(value.get("records"), list):
        return "record_package"
    if "ocid" not in value and "compiledRelease" not in value and isinstance(value.get("releases"), list):
        return "release_package"
    if "compiledRelease" in value or ("ocid" in value and isinstance(value.get("releases"), list)):
        return "record"
    return "release"


def _package_version(value: dict[str, Any]) -> str | None:
    version = value.get("version")
    return version if isinstance(version, str) else "1.0"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str) -> Any:
    """`json.loads`, as strict as serde_json: no NaN/Infinity, no lone surrogate escapes."""
    value = json.loads(text, parse_constant=_reject_constant)
    if _SURROGATE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("lone surrogate in a \\u escape") from None
    return value


def _looks_like_jsonl(f: IO[bytes]) -> bool:
    """Sniff a file with no telling extension: a first line that is a whole JSON object, then more."""
    first = f.readline(8 << 20)
    rest = f.read(4096)
    f.seek(0)
    if not first.endswith(b"\n") or not rest.strip(_ASCII_WS):
        return False
    try:
        return isinstance(json.loads(first.lstrip(b"\xef\xbb\xbf")), dict)
    except ValueError:
        return False


def _pieces(path: Path, size: int) -> Iterator[tuple[int, bytes]]:
    """The file as pieces of whole lines of about `size` bytes, each with its first line's number."""
    line = 1
    with path.open("rb") as f:
        while data := f.read(size):
            if not data.endswith(b"\n"):
                data += f.readline()
            yield line, data
            line += data.count(b"\n")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
