"""Files written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Write `path` atomically: a temp file with `mode`, fsync, rename, fsync the directory.

    After a crash the file holds either its old content or the new, never a torn mix; a private
    key (mode 0o600) is never readable by others, not even for an instant. `durable=False` skips
    the fsyncs, for bulk output that can simply be written again (an export of static tiles).
    """
    with atomic_writer(path, mode, durable) as f:
        f.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: int = 0o644, durable: bool = True) -> Iterator[BinaryIO]:
    """`atomic_write` for output written in parts: the file to write to, renamed into place when
    the block ends without an exception (and removed if it raises)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb", closefd=False) as f:
            yield f
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    if not durable:
        return
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
