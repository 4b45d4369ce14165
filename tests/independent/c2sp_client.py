"""An independent C2SP tlog-tiles / tlog-proof verifier, written from the public specs only.

Sources: c2sp.org/tlog-tiles, c2sp.org/tlog-checkpoint, c2sp.org/signed-note, c2sp.org/tlog-proof,
RFC 9162 §2.1 (Merkle tree hashing, inclusion proof verification §2.1.3.2). It deliberately
imports nothing from tenderproof: only hashlib, base64, re and `cryptography` for Ed25519.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


# --- RFC 9162 §2.1.1 hashing -------------------------------------------------------------------
def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def leaf_hash(entry: bytes) -> bytes:  # MTH({d(0)}) = SHA-256(0x00 || d(0))
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:  # SHA-256(0x01 || left || right)
    return sha256(b"\x01" + left + right)


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over raw entries, exactly as RFC 9162 §2.1.1 defines it (reference, for tests)."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two < n
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def _perfect_root(hashes: list[bytes]) -> bytes:
    """Root of a perfect subtree whose 2^k bottom nodes are `hashes`."""
    assert hashes and len(hashes) & (len(hashes) - 1) == 0, "not a power of two"
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def b64_strict(s: str, length: int | None = None, what: str = "value") -> bytes:
    try:
        raw = base64.b64decode(s, validate=True)
    except ValueError as e:  # binascii.Error is a ValueError
        raise ValueError(f"{what}: invalid base64 {s!r}: {e}") from None
    if base64.b64encode(raw).decode() != s:
        raise ValueError(f"{what}: non-canonical base64 {s!r}")
    if length is not None and len(raw) != length:
        raise ValueError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


# --- signed notes, vkeys, checkpoints ----------------------------------------------------------
@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: bytes


def parse_vkey(vkey: str) -> Verifier:
    parts = vkey.strip().split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) != 3:
        raise ValueError(f"vkey must be name+hash+key, got {vkey!r}")
    name, hexid, b64 = parts
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"bad key name {name!r}")
    if not re.fullmatch(r"[0-9a-f]{8}", hexid):
        raise ValueError(f"key hash must be 8 lowercase hex digits, got {hexid!r}")
    raw = b64_strict(b64, 33, "vkey key material")
    if raw[0] != 0x01:
        raise ValueError(f"vkey signature type {raw[0]:#04x} is not Ed25519 (0x01)")
    kid = sha256(name.encode() + b"\n\x01" + raw[1:])[:4]  # SHA-256(name || 0x0A || 0x01 || key)[:4]
    if kid.hex() != hexid:
        raise ValueError(f"vkey hash {hexid} != SHA-256(name||0x0A||0x01||key)[:4] = {kid.hex()}")
    return Verifier(name, kid, raw[1:])


def verify_note(note: str, vkey: str) -> str:
    """Verify a signed note against one Ed25519 vkey; return the note text (with final newline)."""
    v = parse_vkey(vkey)
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ValueError("note contains ASCII control characters other than newline")
    sep = note.rfind("\n\n")
    if not note.endswith("\n") or sep < 0:
        raise ValueError("signed note must end with a newline and have a blank line before the signatures")
    text, sig_block = note[: sep + 1], note[sep + 2 :]
    verified = 0
    for line in sig_block[:-1].split("\n"):
        m = re.fullmatch(EM_DASH + r" (\S+) (\S+)", line)
        if not m or "+" in m.group(1):
            raise ValueError(f"malformed signature line {line!r}")
        sig = b64_strict(m.group(2), None, "signature")
        if len(sig) < 5 or m.group(1) != v.name or sig[:4] != v.key_id:
            continue  # unknown key: MUST be ignored
        try:
            Ed25519PublicKey.from_public_bytes(v.public_key).verify(sig[4:], text.encode())
        except InvalidSignature:
            raise AssertionError(f"Ed25519 signature by {v.name} does not verify over the note text") from None
        verified += 1
    if not verified:  # "If no signature from a known key verifies successfully, clients MUST reject"
        raise AssertionError(f"no signature by known key {v.name}+{v.key_id.hex()}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    note: str


def verify_checkpoint(note: str, vkey: str, origin: str | None = None) -> Checkpoint:
    text = verify_note(note, vkey)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not ln for ln in lines):
        raise ValueError(f"checkpoint needs >= 3 non-empty lines, got {lines!r}")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise ValueError(f"checkpoint size {lines[1]!r} is not canonical decimal")
    if origin is not None and lines[0] != origin:
        raise AssertionError(f"checkpoint origin {lines[0]!r} != expected {origin!r}")
    root = b64_strict(lines[2], 32, "checkpoint root hash")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]), note)


# --- tiles -------------------------------------------------------------------------------------
def index_path(n: int) -> str:
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.insert(0, f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(parts)


def tile_path(level: int | str, n: int, width: int = 256) -> str:
    return f"tile/{level}/{index_path(n)}" + ("" if width == 256 else f".p/{width}")


def _level_counts(size: int) -> list[int]:
    """Hashes at each tile level: floor(size / 256**level), for every level that has any."""
    counts, level = [], 0
    while size // 256**level:
        counts.append(size // 256**level)
        level += 1
    return counts


def _read_tile(d: Path, level, n: int, width: int) -> bytes:
    p, full = d / tile_path(level, n, width), d / tile_path(level, n)
    if not p.is_file() and width < 256 and full.is_file():  # the spec's client fallback
        if level != "entries":
            return full.read_bytes()[: 32 * width]
        return b"".join(len(e).to_bytes(2, "big") + e for e in parse_bundle(full.read_bytes(), str(full))[:width])
    if not p.is_file():
        raise AssertionError(f"missing {p.relative_to(d)}")
    return p.read_bytes()


def read_levels(d: Path, size: int) -> list[list[bytes]]:
    """Fetch every hash tile a tree of `size` needs; check widths and each level against the one below."""
    levels = []
    for level, count in enumerate(_level_counts(size)):
        hashes = []
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            data = _read_tile(d, level, n, width)
            if len(data) != 32 * width:
                raise AssertionError(f"{tile_path(level, n, width)}: {len(data)} bytes, expected {32 * width}")
            hashes += [data[i : i + 32] for i in range(0, len(data), 32)]
        if level:
            for i, h in enumerate(hashes):
                if h != _perfect_root(levels[level - 1][i * 256 : (i + 1) * 256]):
                    raise AssertionError(f"level {level} hash {i} != MTH of full tile {i} at level {level - 1}")
        levels.append(hashes)
    return levels


def root_from_levels(levels: list[list[bytes]], size: int) -> bytes:
    """MTH(D[0:size]) per RFC 9162, using tile hashes for aligned 256**level-sized subtrees."""
    def sub(lo: int, hi: int) -> bytes:
        n, level = hi - lo, 0
        while 256 ** (level + 1) <= n:
            level += 1
        if n == 256**level and lo % n == 0:
            if lo // n >= len(levels[level]):
                raise AssertionError(f"no tile hash for level {level} index {lo // n}")
            return levels[level][lo // n]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(sub(lo, lo + k), sub(lo + k, hi))
    return sha256(b"") if size == 0 else sub(0, size)


def parse_bundle(data: bytes, where: str) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise AssertionError(f"{where}: truncated length prefix at byte {i}")
        n = int.from_bytes(data[i : i + 2], "big")
        if i + 2 + n > len(data):
            raise AssertionError(f"{where}: entry at byte {i} overruns the bundle")
        out.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    return out


PATH_RE = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def _check_extra_files(d: Path, levels: list[list[bytes]], entries: list[bytes]) -> None:
    """Every file under tile/ must be a well-formed path whose content agrees with this tree."""
    for p in sorted((d / "tile").rglob("*") if (d / "tile").exists() else []):
        if p.is_dir():
            continue
        rel = p.relative_to(d).as_posix()
        m = PATH_RE.fullmatch(rel)
        if not m:
            raise AssertionError(f"unexpected file {rel}")
        kind, width = m.group(1), int(m.group(3) or 256)
        n = int(m.group(2).replace("x", "").replace("/", ""))
        if index_path(n) != m.group(2) or (m.group(3) and width > 255) or (kind != "entries" and int(kind) > 63):
            raise AssertionError(f"non-canonical tile path {rel}")
        have = entries if kind == "entries" else (levels[int(kind)] if int(kind) < len(levels) else [])
        if n * 256 + width > len(have):
            raise AssertionError(f"{rel} lies beyond the tree of the checkpoint")
        want = have[n * 256 : n * 256 + width]
        got = parse_bundle(p.read_bytes(), rel) if kind == "entries" else p.read_bytes()
        if got != (want if kind == "entries" else b"".join(want)):
            raise AssertionError(f"{rel} disagrees with the tree of the checkpoint")


def verify_log(d: Path | str, vkey: str, origin: str | None = None) -> tuple[Checkpoint, list[bytes]]:
    """Verify a tlog-tiles directory completely; return its checkpoint and every entry."""
    d = Path(d)
    cp = verify_checkpoint((d / "checkpoint").read_bytes().decode("utf-8"), vkey, origin)
    levels = read_levels(d, cp.size)
    root = root_from_levels(levels, cp.size)
    if root != cp.root:
        raise AssertionError(f"root from tiles {root.hex()} != checkpoint root {cp.root.hex()}")
    entries: list[bytes] = []
    for n in range((cp.size + 255) // 256):
        width = min(256, cp.size - n * 256)
        bundle = parse_bundle(_read_tile(d, "entries", n, width), tile_path("entries", n, width))
        if len(bundle) != width:
            raise AssertionError(f"{tile_path('entries', n, width)}: {len(bundle)} entries, expected {width}")
        for i, e in enumerate(bundle):
            if leaf_hash(e) != levels[0][n * 256 + i]:
                raise AssertionError(f"entry {n * 256 + i}: leaf hash != level-0 tile hash")
        entries += bundle
    _check_extra_files(d, levels, entries)
    return cp, entries


# --- inclusion proofs (RFC 9162 §2.1.3.2) and tlog-proof ---------------------------------------
def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> None:
    if index >= size:
        raise AssertionError(f"index {index} >= tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise AssertionError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise AssertionError("inclusion proof is too short")
    if r != root:
        raise AssertionError(f"inclusion proof yields root {r.hex()} != {root.hex()}")


def verify_tlog_proof(proof: str | bytes, entry: bytes, vkey: str, origin: str | None = None):
    """Verify a c2sp.org/tlog-proof@v1 for `entry`; return (index, checkpoint, extra-or-None)."""
    text = proof.decode("utf-8") if isinstance(proof, bytes) else proof
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("tlog-proof has no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise ValueError(f"first line must be {PROOF_HEADER!r}, got {lines[0]!r}")
    extra, i = None, 1
    if len(lines) > 1 and lines[1].startswith("extra "):
        extra, i = b64_strict(lines[1][6:], None, "extra"), 2
    m = re.fullmatch(r"index (0|[1-9][0-9]*)", lines[i] if i < len(lines) else "")
    if not m:
        raise ValueError(f"expected 'index N' line, got {lines[i:i + 1]!r}")
    path = [b64_strict(ln, 32, f"proof hash {j}") for j, ln in enumerate(lines[i + 1 :])]
    cp = verify_checkpoint(note, vkey, origin)
    verify_inclusion(leaf_hash(entry), int(m.group(1)), cp.size, path, cp.root)
    return int(m.group(1)), cp, extra
