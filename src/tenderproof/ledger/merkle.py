"""RFC 9162 §2.1 Merkle tree hashing, proofs and their verification.

The tree is addressed the way Go's golang.org/x/mod/sumdb/tlog addresses it: the hash of the
complete subtree of 2**level leaves starting at leaf n * 2**level is the "stored hash" (level, n).
Every proof is assembled from stored hashes only, so any storage that can answer
`read_hashes([(level, n), ...])` (tiles, memory, a database) can prove.

Proof generation runs in two passes: the first lists the stored hashes a proof needs, one batched
read fetches them, the second pass combines them. Verification needs no storage at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

HASH_SIZE = 32

#: MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

StoredIndex = tuple[int, int]  # (level, n)


class ProofError(ValueError):
    """A proof, or the request for one, is invalid. The message says exactly why."""


class HashReader(Protocol):
    """Anything that returns stored hashes (level, n), in the order asked."""

    def read_hashes(self, indexes: Sequence[StoredIndex]) -> list[bytes]: ...


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1), as RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _maxpow2(n: int) -> int:
    """The largest power of two that is <= n, as a level (log2)."""
    return n.bit_length() - 1


# --- ranges of leaves as stored hashes -------------------------------------------------------


def _range_indexes(lo: int, hi: int) -> list[StoredIndex]:
    """The complete subtrees that make up leaves [lo, hi), largest (leftmost) first.

    Used only for ranges that appear in RFC 9162 trees: lo is a multiple of a power of two at
    least as large as hi - lo, so the decomposition follows the binary digits of hi - lo.
    """
    out: list[StoredIndex] = []
    while lo < hi:
        level = _maxpow2(hi - lo)
        out.append((level, lo >> level))
        lo += 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the complete subtrees of a range, right to left, into MTH of the range."""
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


class Ranges(Protocol):
    """What a proof recipe emits leaf ranges to: the planning pass, then the assembling pass."""

    def range(self, lo: int, hi: int) -> None: ...


class _Plan:
    """Runs a proof recipe twice: once to list stored hashes, once to combine them."""

    def __init__(self) -> None:
        self.indexes: list[StoredIndex] = []

    def range(self, lo: int, hi: int) -> None:
        self.indexes.extend(_range_indexes(lo, hi))


class _Assemble:
    def __init__(self, hashes: list[bytes]) -> None:
        self.hashes = hashes
        self.pos = 0
        self.out: list[bytes] = []

    def range(self, lo: int, hi: int) -> None:
        n = len(_range_indexes(lo, hi))
        self.out.append(_fold(self.hashes[self.pos : self.pos + n]))
        self.pos += n


def _run(recipe: Callable[[Ranges], None], reader: HashReader) -> list[bytes]:
    plan = _Plan()
    recipe(plan)
    hashes = reader.read_hashes(plan.indexes)
    if len(hashes) != len(plan.indexes):
        raise ProofError(f"hash reader returned {len(hashes)} hashes for {len(plan.indexes)} asked")
    asm = _Assemble(hashes)
    recipe(asm)
    return asm.out


def tree_hash(size: int, reader: HashReader) -> bytes:
    """MTH(D[0:size]), the root hash of the tree of the first `size` leaves."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    return _run(lambda p: p.range(0, size), reader)[0]


def _path(p: Ranges, m: int, lo: int, hi: int) -> None:
    # RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]), the proof listed leaf-side first.
    if hi - lo <= 1:
        return
    k = _split(hi - lo)
    if m < k:
        _path(p, m, lo, lo + k)
        p.range(lo + k, hi)
    else:
        _path(p, m - k, lo + k, hi)
        p.range(lo, lo + k)


def inclusion_proof(index: int, size: int, reader: HashReader) -> list[bytes]:
    """The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    return _run(lambda p: _path(p, index, 0, size), reader)


def _subproof(p: Ranges, m: int, lo: int, hi: int, start: bool) -> None:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b).
    n = hi - lo
    if m == n:
        if not start:
            p.range(lo, hi)
        return
    k = _split(n)
    if m <= k:
        _subproof(p, m, lo, lo + k, start)
        p.range(lo + k, hi)
    else:
        _subproof(p, m - k, lo + k, hi, False)
        p.range(lo, lo + k)


def consistency_proof(size1: int, size2: int, reader: HashReader) -> list[bytes]:
    """The RFC 9162 §2.1.4.1 consistency proof from tree size1 to tree size2.

    Consistency from the empty tree is not a proof (every tree extends the empty tree, and
    there is nothing to check): size1 must be at least 1. Equal sizes give the empty proof.
    """
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}: need 0 < size1 <= size2")
    if size1 == size2:
        return []
    return _run(lambda p: _subproof(p, size1, 0, size2, True), reader)


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------------------------------


def _check_hash(name: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{name} is {len(h)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` implies for leaf hash `leaf` at `index` in a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash("leaf hash", leaf)
    fn, sn = index, size - 1
    r = leaf
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
        if sn == 0:
            raise ProofError(f"inclusion proof has {len(proof)} hashes, more than the tree needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, fewer than the tree needs")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` under `root`."""
    _check_hash("root", root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} in tree of size {size} does not match the root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ProofError unless `proof` shows tree (size2, root2) extends tree (size1, root1).

    Rule for the empty tree: size1 = 0 is refused. Every tree trivially extends the empty one, so
    such a "proof" would prove nothing; a client that has seen no tree yet has nothing to check
    and should say so itself (a witness's first checkpoint, for instance, needs no proof).
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"tree sizes {size1}, {size2} must not be negative")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing (size1 is 0)")
    if size1 == size2:
        # Equal trees: nothing to prove, the two roots must simply be the same bytes.
        if proof:
            raise ProofError(f"sizes are equal but the proof has {len(proof)} hashes, not 0")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    if not proof:
        raise ProofError(f"empty consistency proof from size {size1} to size {size2}")
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    path = list(proof)
    # If size1 is a power of two, the old root is the first node of the path (RFC 9162 step 1).
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof has {len(proof)} hashes, more than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof has {len(proof)} hashes, fewer than needed")
    if fr != root1:
        raise ProofError(f"consistency proof does not match the root of size {size1}")
    if sr != root2:
        raise ProofError(f"consistency proof does not match the root of size {size2}")


class MemoryHashes:
    """An in-memory tree of stored hashes: the reference model for tests and small tools."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append_leaf_hash(self, h: bytes) -> None:
        self.levels[0].append(h)
        level = 0
        # A new complete subtree forms at each level where the count just became even.
        while len(self.levels[level]) % 2 == 0:
            if len(self.levels) == level + 1:
                self.levels.append([])
            row = self.levels[level]
            self.levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1

    def append(self, entry: bytes) -> None:
        self.append_leaf_hash(leaf_hash(entry))

    def read_hashes(self, indexes: Sequence[StoredIndex]) -> list[bytes]:
        out = []
        for level, n in indexes:
            if not (0 <= level < len(self.levels) and 0 <= n < len(self.levels[level])):
                raise ProofError(f"stored hash ({level}, {n}) is not in the tree")
            out.append(self.levels[level][n])
        return out
