"""Bid packages: a canonical, deterministic archive of a file or a folder.

A bid is sealed as one byte string, and the ledger logs a hash of the opened plaintext, so the
same folder must always pack to the same bytes. Rather than tar (many member types, owners,
times, pax headers to normalise), the format is a small length-prefixed one with exactly one
encoding per set of files:

    "TPPK" | v1 | count u32 | count x ( path_len u16 | path UTF-8 | size u64 | bytes )

Entries are sorted by path (UTF-8 bytes), strictly increasing. Paths are relative, `/`
separated, with no empty, `.` or `..` component, no backslash, no control character and no
drive letter. Only regular files are kept; names, sizes and contents -- nothing else (no
timestamps, owners, modes, empty folders). Links and special files are refused, not skipped:
silently leaving part of a bid out would be worse than refusing it.

A package is at most MAX_PACKAGE_BYTES (256 MiB, framing included): HPKE is single-shot here,
so the package, its ciphertext and the opened copy all sit in memory at once.
"""

from __future__ import annotations

import os
import re
import struct
import unicodedata
from pathlib import Path

from ._wire import MAGIC_PACKAGE, VERSION, Reader
from .errors import SealError

MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_PATH_BYTES = 1024
_HEADER_BYTES = 9  # magic, version, count
_ENTRY_BYTES = 10  # path length, size
_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_path(path: str) -> bytes:
    """Refuse any path that is not a plain relative path; return its UTF-8 bytes."""
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        raise SealError(f"path {path!r} is not valid UTF-8") from None
    if not raw:
        raise SealError("empty path in package")
    if len(raw) > MAX_PATH_BYTES:
        raise SealError(f"path {path[:60]!r}... is longer than {MAX_PATH_BYTES} bytes")
    if path.startswith("/") or _DRIVE.match(path):
        raise SealError(f"absolute path {path!r} in package")
    if "\\" in path:
        raise SealError(f"path {path!r} contains a backslash")
    if any(unicodedata.category(c) == "Cc" for c in path):
        raise SealError(f"path {path!r} contains a control character")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise SealError(f"path {path!r} has an empty, '.' or '..' component")
    return raw


def _collect(root: Path, rel: str, out: list[tuple[bytes, str, Path]]) -> None:
    with os.scandir(root) as entries:
        for entry in entries:
            name = f"{rel}{entry.name}"
            if entry.is_symlink():
                raise SealError(f"{name!r} is a symbolic link; packages hold regular files only")
            if entry.is_dir(follow_symlinks=False):
                _collect(Path(entry.path), f"{name}/", out)
            elif entry.is_file(follow_symlinks=False):
                out.append((_check_path(name), name, Path(entry.path)))
            else:
                raise SealError(f"{name!r} is not a regular file or folder")


def pack(path: Path | str) -> bytes:
    """Pack a file (stored under its own name) or a folder (its contents, recursively)."""
    path = Path(path)
    if path.is_symlink():
        raise SealError(f"{str(path)!r} is a symbolic link; pack the real file or folder")
    entries: list[tuple[bytes, str, Path]] = []
    if path.is_file():
        entries.append((_check_path(path.name), path.name, path))
    elif path.is_dir():
        _collect(path, "", entries)
    else:
        raise SealError(f"{str(path)!r} is not an existing regular file or folder")
    if not entries:
        raise SealError(f"{str(path)!r} contains no files to pack")
    entries.sort()
    size = _HEADER_BYTES + sum(_ENTRY_BYTES + len(raw) + p.stat().st_size for raw, _, p in entries)
    if size > MAX_PACKAGE_BYTES:
        raise SealError(f"{str(path)!r} would pack to {size} bytes; the limit is {MAX_PACKAGE_BYTES}")

    out = bytearray(MAGIC_PACKAGE + bytes([VERSION]) + struct.pack(">I", len(entries)))
    for raw, name, file in entries:
        data = file.read_bytes()
        out += struct.pack(">H", len(raw)) + raw + struct.pack(">Q", len(data)) + data
        if len(out) > MAX_PACKAGE_BYTES:
            raise SealError(f"{name!r} grew while packing; the limit is {MAX_PACKAGE_BYTES} bytes")
    return bytes(out)


def _walk(data: bytes | bytearray | memoryview) -> list[tuple[str, memoryview]]:
    """Parse and fully validate a package without copying file contents."""
    reader = Reader(data, "package")
    if reader.remaining() > MAX_PACKAGE_BYTES:
        raise SealError(f"package is larger than the {MAX_PACKAGE_BYTES}-byte limit")
    reader.header(MAGIC_PACKAGE)
    count = reader.u32()
    if count == 0:
        raise SealError("package contains no files")
    entries: list[tuple[str, memoryview]] = []
    files: set[str] = set()
    dirs: set[str] = set()
    previous = b""
    for _ in range(count):
        raw = bytes(reader.take(reader.u16()))
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SealError("package has a path that is not valid UTF-8") from None
        _check_path(name)
        if raw <= previous:
            raise SealError(f"package entry {name!r} is duplicated or out of order")
        previous = raw
        parts = name.split("/")
        parents = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if name in dirs or parents & files:
            raise SealError(f"package path {name!r} is both a file and a folder")
        dirs |= parents
        files.add(name)
        entries.append((name, reader.take(reader.u64())))
    reader.end()
    return entries


def check_package(data: bytes) -> None:
    """Raise SealError unless `data` is a well-formed package (used before sealing)."""
    _walk(data)


def unpack(data: bytes) -> dict[str, bytes]:
    """The files in a package, as {relative path: contents}, in package order."""
    return {name: bytes(content) for name, content in _walk(data)}


def unpack_into(data: bytes, dest: Path | str) -> list[Path]:
    """Write a package's files under `dest`, which must not exist yet; return the paths.

    Creating `dest` fresh means no link planted beforehand can redirect a write, and files are
    opened with exclusive creation, so nothing is ever overwritten.
    """
    files = _walk(data)
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise SealError(f"{str(dest)!r} already exists; unpack needs a new folder") from None
    root = dest.resolve()
    written: list[Path] = []
    for name, content in files:
        target = root.joinpath(*name.split("/"))
        if root not in target.parents:
            raise SealError(f"package path {name!r} escapes the destination")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as fh:
            fh.write(content)
        written.append(target)
    return written
