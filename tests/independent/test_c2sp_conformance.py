"""Conformance of tenderproof's tiles and proofs to C2SP, checked by an independent client.

The client (c2sp_client.py) is written from the public specs only and imports nothing from
tenderproof; tenderproof is driven as a black box through its command line.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import c2sp_client as c2sp

ORIGIN = "example.test/log"
CLI = Path(sys.executable).with_name("tenderproof")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("TENDERPROOF_")}


def tp(*args, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(CLI), *map(str, args)], input=stdin, capture_output=True, env=ENV, timeout=300)
    if check and r.returncode:
        raise AssertionError(f"tenderproof {args} exited {r.returncode}: {r.stderr.decode()[-3000:]}")
    return r


def tp_many(arglists: list[list]) -> list[subprocess.CompletedProcess]:
    """Run several read-only commands at once (each costs ~0.5 s of interpreter start-up)."""
    procs = [subprocess.Popen([str(CLI), *map(str, a)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
             for a in arglists]
    outs = [p.communicate(timeout=300) for p in procs]
    return [subprocess.CompletedProcess(a, p.returncode, *o) for a, p, o in zip(arglists, procs, outs, strict=True)]


SPECIAL = {1: b"", 3: b"x" * 300, 4: "gr\u00fc\u00df \u20ac".encode(), 6: b"tab\tsep", 7: b"y" * 65535}


def entry(i: int) -> bytes:
    """Entry i: mostly short, plus an empty one, one > 255 bytes (uint16 byte order matters),
    non-ASCII UTF-8, and one of the largest size an entry bundle can hold."""
    return SPECIAL.get(i, b"entry %d" % i)


def append(d: Path, start: int, stop: int) -> None:
    tp("log", "append", "--data-dir", d, stdin=b"".join(entry(i) + b"\n" for i in range(start, stop)))


def files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def new_log(d: Path) -> str:
    tp("init", "--data-dir", d, "--origin", ORIGIN)
    vkey = tp("log", "vkey", "--data-dir", d).stdout.decode().strip()
    c2sp.parse_vkey(vkey)
    return vkey


# --- the client itself, against published vectors and a hand-built tile directory --------------
CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [bytes.fromhex(h) for h in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]]
CT_INCLUSION = [  # (0-based index, tree size, path) from the Certificate Transparency test vectors
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def test_client_rfc6962_reference_vectors():
    for n in range(9):
        assert c2sp.mth(CT_LEAVES[:n]) == CT_ROOTS[n], n
    for index, size, path in CT_INCLUSION:
        path = [bytes.fromhex(h) for h in path]
        c2sp.verify_inclusion(c2sp.leaf_hash(CT_LEAVES[index]), index, size, path, CT_ROOTS[size])
        bads = [(index ^ 1, size, path, CT_ROOTS[size]), (index, size, path, CT_ROOTS[size - 1]),
                (index, size, path[:-1], CT_ROOTS[size]), (index, size, path + path[:1], CT_ROOTS[size]),
                (index, size * 2, path, CT_ROOTS[size]), (size, size, path, CT_ROOTS[size])]
        for bad in bads + [(index, size, path[::-1], CT_ROOTS[size])] * (len(path) > 1):
            with pytest.raises(AssertionError):
                c2sp.verify_inclusion(c2sp.leaf_hash(CT_LEAVES[index]), *bad)


def test_client_signed_note_vectors():
    # golang.org/x/mod/sumdb/note's example note and key, and a vkey whose base64 contains '+'.
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    note = text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    assert c2sp.verify_note(note, vkey) == text
    with pytest.raises(AssertionError):
        c2sp.verify_note(note.replace("problem,", "problem;"), vkey)
    with pytest.raises(AssertionError, match="no signature by known key"):
        c2sp.verify_note(note, "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop")
    assert c2sp.parse_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").name == "TEST"
    with pytest.raises(ValueError):
        c2sp.parse_vkey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_client_tile_paths():
    assert c2sp.index_path(0) == "000"
    assert c2sp.index_path(1000) == "x001/000"
    assert c2sp.index_path(1234067) == "x001/x234/067"  # the spec's example
    assert c2sp.tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert c2sp.tile_path("entries", 1000) == "tile/entries/x001/000"


def _sign_checkpoint(name: str, key: Ed25519PrivateKey, size: int, root: bytes) -> tuple[str, str]:
    pub = key.public_key().public_bytes_raw()
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    body = f"{name}\n{size}\n{base64.b64encode(root).decode()}\n"
    sig = base64.b64encode(kid + key.sign(body.encode())).decode()
    key64 = base64.b64encode(b"\x01" + pub).decode()
    vkey = f"{name}+{kid.hex()}+{key64}"
    return body + f"\n\u2014 {name} {sig}\n", vkey


def test_client_on_hand_built_tiles(tmp_path):
    """300 entries, laid out by hand with hashlib: the client accepts it and rejects every fault."""
    ents = [b"e%d" % i for i in range(300)]
    lh = [hashlib.sha256(b"\x00" + e).digest() for e in ents]
    bundle = lambda es: b"".join(len(e).to_bytes(2, "big") + e for e in es)
    layout = {"tile/0/000": b"".join(lh[:256]), "tile/0/001.p/44": b"".join(lh[256:]),
              "tile/1/000.p/1": c2sp.mth(ents[:256]), "tile/entries/000": bundle(ents[:256]),
              "tile/entries/001.p/44": bundle(ents[256:])}
    note, vkey = _sign_checkpoint("hand.example/log", Ed25519PrivateKey.generate(), 300, c2sp.mth(ents))

    def build(d: Path, lay: dict, cp: str = note) -> Path:
        for rel, data in {**lay, "checkpoint": cp.encode()}.items():
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / rel).write_bytes(data)
        return d

    cp, got = c2sp.verify_log(build(tmp_path / "ok", layout), vkey, "hand.example/log")
    assert got == ents and cp.size == 300
    flip = lambda b, i=0: b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]
    faults = {
        "tile/1 wrong": {**layout, "tile/1/000.p/1": flip(layout["tile/1/000.p/1"])},
        "leaf wrong": {**layout, "tile/0/001.p/44": flip(layout["tile/0/001.p/44"], 40)},
        "entry wrong": {**layout, "tile/entries/000": flip(layout["tile/entries/000"], 3)},
        "tile missing": {k: v for k, v in layout.items() if k != "tile/1/000.p/1"},
        "short tile": {**layout, "tile/0/000": layout["tile/0/000"][:-32]},
        "stray tile": {**layout, "tile/0/002.p/3": b"\0" * 96},
        "bad path": {**layout, "tile/0/1.p/44": layout["tile/0/001.p/44"]},
        "unpadded width": {**layout, "tile/0/001.p/044": layout["tile/0/001.p/44"]},
        "trailing bytes": {**layout, "tile/entries/001.p/44": layout["tile/entries/001.p/44"] + b"\0"},
    }
    for i, (what, lay) in enumerate(faults.items()):
        with pytest.raises((AssertionError, ValueError)):
            c2sp.verify_log(build(tmp_path / f"f{i}", lay), vkey)
            pytest.fail(what)
    other, _ = _sign_checkpoint("hand.example/log", Ed25519PrivateKey.generate(), 300, c2sp.mth(ents))
    with pytest.raises(AssertionError):
        c2sp.verify_log(build(tmp_path / "key", layout, other), vkey)
    with pytest.raises(AssertionError):
        c2sp.verify_log(build(tmp_path / "origin", layout), vkey, "other.example/log")


# --- tenderproof, driven through its command line ---------------------------------------------
SIZES = [0, 1, 255, 256, 300, 400, 513]
SIGNED_ONLY = {300}  # a checkpoint is signed at this size (`log checkpoint`), but no tiles are exported
EXPORTED = [s for s in SIZES if s not in SIGNED_ONLY]
PROOF_AT = {1: [0], 255: [254], 256: [0, 255], 400: [256, 399], 513: [1, 3, 7, 256, 300, 512]}
BIG_SIZES = [65536, 70000]
BIG_PROOFS = [0, 255, 256, 65535, 65536, 69999]


def _tiles_of(size: int) -> set[tuple]:
    out, level = set(), 0
    while size // 256**level:
        count = size // 256**level
        for n in range((count + 255) // 256):
            out.add((level, n, min(256, count - n * 256)))
            if level == 0:
                out.add(("entries", n, min(256, count - n * 256)))
        level += 1
    return out


def expected_paths(size: int, earlier=()) -> set[str]:
    """What a fresh export of a tree of `size` must contain, per tlog-tiles' partial-tile rule:
    its own tiles, plus the partial tiles of every earlier checkpointed size whose full tile does
    not exist yet ("Logs MUST serve partial tiles corresponding to tree sizes for which a
    checkpoint was produced, but MAY delete any partial tile once the corresponding full tile is
    ... available")."""
    tiles = _tiles_of(size)
    for s in earlier:
        for tile_level, n, w in _tiles_of(s):
            level = 0 if tile_level == "entries" else tile_level
            if w < 256 and size // 256**level < (n + 1) * 256:
                tiles.add((tile_level, n, w))
    return {"checkpoint"} | {c2sp.tile_path(tile_level, n, w) for tile_level, n, w in tiles}


def grow(base: Path, sizes: list[int], proofs: dict[int, list[int]], fresh: bool = True, signed_only=()) -> dict:
    """One log grown through `sizes`. After each growth: a re-export into one shared directory
    (snapshotted), optionally a fresh export, and proofs of some entries against the new checkpoint."""
    d, acc = base / "data", base / "acc"
    log = {"data": d, "vkey": new_log(d), "fresh": {}, "acc": {}, "proofs": {}, "beyond": [], "signed": {}}
    size = 0
    for target in sizes:
        if target > size:
            append(d, size, target)
        size = target
        if size in signed_only:
            log["signed"][size] = tp("log", "checkpoint", "--data-dir", d).stdout.decode()
            continue
        tp("log", "tiles", acc, "--data-dir", d)  # signs the checkpoint of this size
        shutil.copytree(acc, base / f"acc-{size}")
        log["acc"][size] = log["fresh"][size] = base / f"acc-{size}"
        idx = proofs.get(size, [])
        batch = [["log", "proof", i, "--data-dir", d] for i in idx]
        batch += [["log", "proof", size, "--data-dir", d]] + [["log", "tiles", base / f"fresh-{size}", "--data-dir", d]] * fresh
        results = tp_many(batch)
        for r in results[:len(idx)] + results[len(idx) + 1:]:
            assert r.returncode == 0, f"tenderproof {r.args} failed: {r.stderr.decode()[-3000:]}"
        # The first len(idx) results are the proofs; the rest (beyond, fresh export) come after.
        log["proofs"].update({(size, i): r.stdout.decode() for i, r in zip(idx, results, strict=False)})
        log["beyond"].append(results[len(idx)])
        if fresh:
            log["fresh"][size] = base / f"fresh-{size}"
    return log


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    return grow(tmp_path_factory.mktemp("grown"), SIZES, PROOF_AT, signed_only=SIGNED_ONLY)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Beyond 256*256 entries: the first full level-1 tile and a level-2 tile exist. Growing from
    65536 to 70000 leaves no stale partial tile, so the shared export directory stands for a fresh one."""
    return grow(tmp_path_factory.mktemp("big"), BIG_SIZES, {70000: BIG_PROOFS}, fresh=False)


@pytest.mark.parametrize("size", EXPORTED)
def test_export_verifies_and_holds_the_entries(grown, size):
    cp, ents = c2sp.verify_log(grown["fresh"][size], grown["vkey"], ORIGIN)
    assert cp.size == size
    assert ents == [entry(i) for i in range(size)]
    assert cp.root == c2sp.mth(ents), "checkpoint root differs from RFC 9162 MTH of the entries"
    assert set(files(grown["fresh"][size])) == expected_paths(size, [s for s in SIZES if s < size])


def test_spec_examples_of_partial_tiles(grown, big):
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    assert set(files(grown["fresh"][256])) == {"checkpoint", "tile/0/000", "tile/1/000.p/1", "tile/entries/000"}
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of
    # width 112, one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2
    # tile of width 1"
    names = set(files(big["fresh"][70000])) - {"checkpoint"}
    hashes = {n for n in names if not n.startswith("tile/entries/")}
    assert len({n for n in hashes if n.startswith("tile/0/") and ".p/" not in n}) == 273
    assert {n for n in hashes if ".p/" in n or not n.startswith("tile/0/")} == {
        "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"}
    assert len(names - hashes) == 274 and "tile/entries/273.p/112" in names
    # 65536 = 256 full level-0 tiles, one full level-1 tile, a level-2 tile of width 1, no partial level 0
    assert {n for n in files(big["fresh"][65536]) if ".p/" in n} == {"tile/2/000.p/1"}


@pytest.mark.parametrize("size", BIG_SIZES)
def test_big_export_verifies(big, size):
    cp, ents = c2sp.verify_log(big["fresh"][size], big["vkey"], ORIGIN)
    assert cp.size == size and ents == [entry(i) for i in range(size)]
    assert cp.root == c2sp.mth(ents)
    assert set(files(big["fresh"][size])) == expected_paths(size, [s for s in BIG_SIZES if s < size])


@pytest.mark.parametrize("log_name", ["grown", "big"])
def test_tiles_are_immutable_and_old_roots_recomputable(request, log_name):
    log = request.getfixturevalue(log_name)
    sizes = sorted(log["acc"])
    for k, old in enumerate(sizes):
        old_dir = log["acc"][old]
        old_cp, _ = c2sp.verify_log(old_dir, log["vkey"], ORIGIN)  # also checks stale partial tiles
        old_files = files(old_dir)
        for new in sizes[k + 1:]:
            new_files = files(log["acc"][new])
            for rel, data in old_files.items():
                if rel != "checkpoint" and ".p/" not in rel:
                    assert new_files.get(rel) == data, f"full tile {rel} changed between sizes {old} and {new}"
            levels = c2sp.read_levels(log["acc"][new], new)
            assert c2sp.root_from_levels(levels, old) == old_cp.root, f"size {old} root lost at size {new}"
        fresh = files(log["fresh"][old])
        for rel, data in fresh.items():
            if rel.startswith("tile/"):
                assert old_files[rel] == data, f"{rel}: re-export into a used directory differs"


def _all_proofs(grown, big):
    return [(grown, s, i) for (s, i) in grown["proofs"]] + [(big, s, i) for (s, i) in big["proofs"]]


def test_proofs_verify(grown, big):
    for log, size, i in _all_proofs(grown, big):
        index, cp, extra = c2sp.verify_tlog_proof(log["proofs"][(size, i)], entry(i), log["vkey"], ORIGIN)
        assert index == i and cp.size == size and extra is None
        tiles_cp, _ = c2sp.verify_log(log["fresh"][size], log["vkey"]) if size in log["fresh"] else (None, None)
        if tiles_cp is not None:
            assert (cp.size, cp.root) == (tiles_cp.size, tiles_cp.root)
        for other in {i + 1, i - 1, i + 7} - {i}:
            if entry(other) != entry(i):
                with pytest.raises(AssertionError):
                    c2sp.verify_tlog_proof(log["proofs"][(size, i)], entry(other), log["vkey"])


@pytest.mark.parametrize("key", [(1, 0), (400, 399), (513, 300)])
def test_every_bit_flip_in_a_proof_is_rejected(grown, key):
    raw = grown["proofs"][key].encode()
    c2sp.verify_tlog_proof(raw, entry(key[1]), grown["vkey"], ORIGIN)
    for pos in range(len(raw)):
        for bit in range(8):
            bad = raw[:pos] + bytes([raw[pos] ^ (1 << bit)]) + raw[pos + 1:]
            with pytest.raises((AssertionError, ValueError)):
                c2sp.verify_tlog_proof(bad, entry(key[1]), grown["vkey"], ORIGIN)
                pytest.fail(f"accepted a proof with bit {bit} of byte {pos} flipped")


def test_proof_file_and_tenderproof_verify_agree(grown, tmp_path):
    d, vkey = grown["data"], grown["vkey"]
    out = tmp_path / "e300.tlog-proof"
    tp("log", "proof", 300, "--data-dir", d, "-o", out)
    assert out.read_text() == grown["proofs"][(513, 300)]
    (tmp_path / "e300").write_bytes(entry(300))
    (tmp_path / "e301").write_bytes(entry(301))
    raw = out.read_bytes()
    flipped = tmp_path / "flipped.tlog-proof"
    pos = raw.index(b"\n", raw.index(b"index ")) + 5  # inside the first proof hash
    flipped.write_bytes(raw[:pos] + bytes([raw[pos] ^ 2]) + raw[pos + 1:])
    with pytest.raises((AssertionError, ValueError)):
        c2sp.verify_tlog_proof(flipped.read_bytes(), entry(300), vkey)
    cases = [(out, "e300", 0), (out, "e301", 1), (flipped, "e300", 1)]
    results = tp_many([["verify", p, "--entry", tmp_path / e, "--vkey", vkey] for p, e, _ in cases])
    assert [r.returncode for r in results] == [rc for _, _, rc in cases], [r.stderr[-500:] for r in results]


def test_checkpoint_command_matches_export(grown):
    note = tp("log", "checkpoint", "--data-dir", grown["data"]).stdout.decode()
    cp = c2sp.verify_checkpoint(note, grown["vkey"], ORIGIN)
    tiles_cp, _ = c2sp.verify_log(grown["fresh"][513], grown["vkey"], ORIGIN)
    assert (cp.size, cp.root) == (tiles_cp.size, tiles_cp.root) == (513, c2sp.mth([entry(i) for i in range(513)]))
    assert grown["vkey"].split("+")[0] == ORIGIN  # the key name SHOULD match the origin line


def test_empty_log_exports_the_empty_root(grown):
    cp, ents = c2sp.verify_log(grown["fresh"][0], grown["vkey"], ORIGIN)
    assert (cp.size, ents, cp.root) == (0, [], hashlib.sha256(b"").digest())
    assert set(files(grown["fresh"][0])) == {"checkpoint"}


def test_proof_of_a_missing_entry_fails_cleanly(grown):
    assert len(grown["beyond"]) == len(EXPORTED)
    for r in grown["beyond"]:  # entry N of the log of size N, for each size N (0 included)
        assert r.returncode != 0 and not r.stdout.startswith(b"c2sp.org/tlog-proof")
        assert b"Traceback" not in r.stderr, r.stderr.decode()[-1500:]


def test_partial_tiles_of_every_signed_checkpoint_are_served(grown):
    """tlog-tiles: "Logs MUST serve partial tiles corresponding to tree sizes for which a checkpoint
    was produced, but MAY delete any partial tile once the corresponding full tile is either
    available, or has been removed by the pruning criteria". The size-300 checkpoint needs
    tile/0/001.p/44 (full tile 001 exists only from size 512), so the export at 400 must hold it."""
    cp = c2sp.verify_checkpoint(grown["signed"][300], grown["vkey"], ORIGIN)
    assert cp.size == 300
    for exported in (grown["acc"][400], grown["fresh"][400]):
        assert c2sp.root_from_levels(c2sp.read_levels(exported, 300), 300) == cp.root
