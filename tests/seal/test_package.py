"""Bid packages: deterministic, faithful, and strict about what they accept."""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderproof.seal import MAX_PACKAGE_BYTES, SealError, pack, unpack, unpack_into
from tests.seal.support import make_bid_folder, read_tree


def _package(entries: list[tuple[bytes, bytes]], count: int | None = None) -> bytes:
    """Hand-build a package byte string, valid or not, from (raw path, content) pairs."""
    out = b"TPPK\x01" + struct.pack(">I", len(entries) if count is None else count)
    for raw, data in entries:
        out += struct.pack(">H", len(raw)) + raw + struct.pack(">Q", len(data)) + data
    return out


def test_same_folder_packs_to_same_bytes(tmp_path: Path) -> None:
    folder = make_bid_folder(tmp_path, b"MARK")
    first = pack(folder)
    assert pack(folder) == first
    for i, p in enumerate(sorted(folder.rglob("*"))):
        os.utime(p, (1_000_000 + i, 2_000_000_000 - i))
        if p.is_file():
            p.chmod(0o600 if i % 2 else 0o755)
    assert pack(folder) == first
    assert pack(str(folder)) == first


def test_creation_order_does_not_matter(tmp_path: Path) -> None:
    files = {"b/z.txt": b"z", "a.txt": b"a", "b/a/deep.bin": b"\x00\xff", "A.txt": b"A"}
    for name, order in (("one", sorted(files)), ("two", sorted(files, reverse=True))):
        for rel in order:
            target = tmp_path / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[rel])
    assert pack(tmp_path / "one") == pack(tmp_path / "two")
    assert unpack(pack(tmp_path / "one")) == files


def test_unpack_returns_exactly_the_files(tmp_path: Path) -> None:
    folder = make_bid_folder(tmp_path, os.urandom(8))
    files = unpack(pack(folder))
    assert files == read_tree(folder)
    assert list(files) == sorted(files, key=lambda s: s.encode())
    assert files["technical/annexes/empty.dat"] == b""


def test_single_file_is_stored_under_its_name(tmp_path: Path) -> None:
    (tmp_path / "offre finale é.pdf").write_bytes(b"%PDF")
    assert unpack(pack(tmp_path / "offre finale é.pdf")) == {"offre finale é.pdf": b"%PDF"}


_component = st.text(alphabet="abcXYZ019-_ éß中", min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and s not in (".", "..")
)
_tree = st.dictionaries(
    st.lists(_component, min_size=1, max_size=3).map("/".join), st.binary(max_size=300), min_size=1, max_size=8
).filter(
    lambda d: not any(b.startswith(a + "/") for a in d for b in d)  # no path is both file and folder
)


@settings(max_examples=60, deadline=None)
@given(tree=_tree)
def test_pack_unpack_round_trip(tree: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bid"
        for rel, data in tree.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        packed = pack(root)
        assert unpack(packed) == tree
        copy = unpack_into(packed, Path(tmp) / "out")
        assert len(copy) == len(tree)
        assert read_tree(Path(tmp) / "out") == tree
        assert pack(Path(tmp) / "out") == packed


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"../evil", "'..' component"),
        (b"a/../../b", "'..' component"),
        (b"./a", "'.' or '..' component"),
        (b"a//b", "empty"),
        (b"a/", "empty"),
        (b"/etc/passwd", "absolute path"),
        (b"C:/Windows/x", "absolute path"),
        (b"a\\..\\b", "backslash"),
        (b"a\x00b", "control character"),
        (b"", "empty path"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_unpack_refuses_unsafe_paths(raw: bytes, message: str) -> None:
    with pytest.raises(SealError, match=message):
        unpack(_package([(raw, b"x")]))


def test_unpack_refuses_malformed_packages() -> None:
    good = _package([(b"a", b"1"), (b"b", b"2")])
    assert unpack(good) == {"a": b"1", "b": b"2"}
    cases = {
        "out of order": _package([(b"b", b"2"), (b"a", b"1")]),
        "duplicated": _package([(b"a", b"1"), (b"a", b"1")]),
        "both a file and a folder": _package([(b"a", b"1"), (b"a/b", b"2")]),
        "no files": _package([]),
        "trailing bytes": good + b"\x00",
        "truncated": good[:-1],
        "bad magic": b"XXXX" + good[4:],
        "unsupported version": good[:4] + b"\x02" + good[5:],
    }
    for message, data in cases.items():
        with pytest.raises(SealError, match=message):
            unpack(data)
    with pytest.raises(SealError, match="truncated"):
        unpack(_package([(b"a", b"1")], count=2))
    with pytest.raises(SealError, match="both a file and a folder"):  # the order "a" < "a-b" < "a/b"
        unpack(_package([(b"a", b"1"), (b"a-b", b"2"), (b"a/b", b"3")]))


def test_pack_refuses_links_and_special_files(tmp_path: Path) -> None:
    folder = tmp_path / "bid"
    folder.mkdir()
    (folder / "real.txt").write_bytes(b"x")
    (folder / "link.txt").symlink_to(folder / "real.txt")
    with pytest.raises(SealError, match=r"'link\.txt' is a symbolic link"):
        pack(folder)
    (folder / "link.txt").unlink()
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(SealError, match="'sub/up' is a symbolic link"):
        pack(folder)
    (folder / "sub" / "up").unlink()
    os.mkfifo(folder / "sub" / "pipe")
    with pytest.raises(SealError, match="'sub/pipe' is not a regular file"):
        pack(folder)
    (folder / "sub" / "pipe").unlink()
    (tmp_path / "top").symlink_to(folder)
    with pytest.raises(SealError, match="symbolic link"):
        pack(tmp_path / "top")
    assert unpack(pack(folder)) == {"real.txt": b"x"}


def test_pack_refuses_empty_or_missing(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(SealError, match="contains no files"):
        pack(tmp_path / "empty")
    with pytest.raises(SealError, match="not an existing regular file or folder"):
        pack(tmp_path / "missing")


def test_pack_refuses_oversized_bids(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:  # sparse: no disk or memory cost
        fh.truncate(MAX_PACKAGE_BYTES)
    framing = 9 + 10 + len("big.bin")  # header, entry lengths, name
    with pytest.raises(SealError, match=f"would pack to {MAX_PACKAGE_BYTES + framing} bytes; the limit is 268435456"):
        pack(big)


def test_unpack_into_never_reuses_an_existing_folder(tmp_path: Path) -> None:
    data = _package([(b"a/b.txt", b"hello")])
    written = unpack_into(data, tmp_path / "new")
    assert written == [(tmp_path / "new" / "a" / "b.txt").resolve()]
    assert written[0].read_bytes() == b"hello"
    with pytest.raises(SealError, match="already exists"):
        unpack_into(data, tmp_path / "new")
    with pytest.raises(SealError, match=r"'\.\.' component"):
        unpack_into(_package([(b"../escape", b"x")]), tmp_path / "other")
    assert not (tmp_path / "escape").exists() and not (tmp_path / "other").exists()
