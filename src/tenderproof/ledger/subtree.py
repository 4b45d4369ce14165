"""Subtrees of an RFC 9162 Merkle tree, as defined by Merkle Tree Certificates.

draft-ietf-plants-merkle-tree-certs, section 4 ("Subtrees"): a subtree [start, end) is the Merkle
tree MTH(D[start:end]) over an aligned interval of the log's entries. This module provides

* validity of an interval (§4.1),
* subtree inclusion proofs: generation (§4.3) and verification (§4.3.2, §4.3.3),
* subtree consistency proofs: generation SUBTREE_PROOF (§4.4.1) and verification (§4.4.3;
  both explained in the draft's Appendix B).

Proofs are generated from stored hashes (level, n) through the same `HashReader` that
`tenderproof.ledger.merkle` uses, in one batched read. Verification needs no storage. Every
failure raises `ProofError` saying why. Python integers are unbounded, so intervals beyond
2**64 (which fixed-width implementations must guard against) are judged exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenderproof.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    HashReader,
    ProofError,
    Ranges,
    _path,  # RFC 9162 PATH over absolute leaf ranges
    _run,  # two-pass proof assembly over stored hashes
    _split,  # largest power of two smaller than n
    node_hash,
    root_from_inclusion_proof,
)

#: HASH() — the hash of the empty string, the hash of every empty subtree [x, x) (§4.4.3 step 2).
EMPTY_HASH = EMPTY_ROOT


def _bit_ceil(n: int) -> int:
    """BIT_CEIL(n): the smallest power of two >= n; BIT_CEIL(0) = 1, as the draft defines it."""
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def is_valid_subtree(start: int, end: int) -> bool:
    """Whether [start, end) is a subtree (draft §4.1, "Definition of a Subtree").

    Requires 0 <= start <= end and start a multiple of BIT_CEIL(end - start). [0, x) and [x, x)
    are always valid. The bound end <= n depends on the tree and is checked by the callers.
    """
    if start < 0 or end < start:
        return False
    return start % _bit_ceil(end - start) == 0


def _require_subtree(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise ProofError(f"[{start}, {end}) is not a subtree: need 0 <= start <= end")
    if not is_valid_subtree(start, end):
        raise ProofError(
            f"[{start}, {end}) is not a valid subtree: start is not a multiple of "
            f"BIT_CEIL(end - start) = {_bit_ceil(end - start)}"
        )


def _require_entry(index: int, start: int, end: int) -> None:
    _require_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"entry {index} is not in subtree [{start}, {end})")


def _check_hash(name: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{name} is {len(h)} bytes, not {HASH_SIZE}")


# --- generation ---------------------------------------------------------------------------------


def subtree_hash(start: int, end: int, reader: HashReader) -> bytes:
    """MTH(D[start:end]), the hash of subtree [start, end) (draft §4.1) read from stored hashes."""
    _require_subtree(start, end)
    if start == end:
        return EMPTY_HASH
    return _run(lambda p: p.range(start, end), reader)[0]


def subtree_inclusion_proof(index: int, start: int, end: int, reader: HashReader) -> list[bytes]:
    """The inclusion proof of entry `index` in subtree [start, end) (draft §4.3).

    It is the RFC 9162 §2.1.3.1 PATH(index - start, D[start:end]); because a valid subtree is
    aligned, every node of that path is a stored hash of the log, so any HashReader can serve it.
    """
    _require_entry(index, start, end)
    return _run(lambda p: _path(p, index - start, start, end), reader)


def _subtree_subproof(p: Ranges, start: int, end: int, lo: int, hi: int, known: bool) -> None:
    # SUBTREE_SUBPROOF(start - lo, end - lo, D[lo:hi], known), draft §4.4.1, in absolute indexes.
    if start == lo and end == hi:
        if not known:
            p.range(lo, hi)
        return
    k = _split(hi - lo)
    if end <= lo + k:  # the subtree is left of the split: prove it there, add the right child
        _subtree_subproof(p, start, end, lo, lo + k, known)
        p.range(lo + k, hi)
    elif lo + k <= start:  # right of the split: prove it there, add the left child
        _subtree_subproof(p, start, end, lo + k, hi, known)
        p.range(lo, lo + k)
    else:  # start < lo + k < end forces start == lo; the right part's hash is not known
        _subtree_subproof(p, lo + k, end, lo + k, hi, False)
        p.range(lo, lo + k)


def subtree_consistency_proof(start: int, end: int, size: int, reader: HashReader) -> list[bytes]:
    """SUBTREE_PROOF(start, end, D_size): subtree [start, end) is consistent with the tree of
    `size` entries (draft §4.4.1, explained in Appendix B).

    The empty subtree [x, x) has the empty proof. SUBTREE_PROOF(0, end, D_n) equals RFC 9162
    PROOF(end, D_n) and SUBTREE_PROOF(i, i + 1, D_n) equals PATH(i, D_n).
    """
    _require_subtree(start, end)
    if end > size:
        raise ProofError(f"subtree [{start}, {end}) does not fit in a tree of size {size}")
    if start == end:
        return []
    return _run(lambda p: _subtree_subproof(p, start, end, 0, size, True), reader)


# --- verification -------------------------------------------------------------------------------


def root_from_subtree_inclusion_proof(
    index: int, start: int, end: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Evaluate a subtree inclusion proof to the subtree hash it implies (draft §4.3.2).

    This is RFC 9162 §2.1.3.2 with leaf_index = index - start and tree_size = end - start.
    """
    _require_entry(index, start, end)
    return root_from_inclusion_proof(index - start, end - start, leaf_hash, proof)


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf_hash: bytes, proof: Sequence[bytes], subtree_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows entry hash `leaf_hash` at `index` in subtree
    [start, end) whose hash is `subtree_root` (draft §4.3.3)."""
    _require_entry(index, start, end)
    _check_hash("subtree root", subtree_root)
    if root_from_subtree_inclusion_proof(index, start, end, leaf_hash, proof) != subtree_root:
        raise ProofError(
            f"inclusion proof for entry {index} in subtree [{start}, {end}) does not match the subtree hash"
        )


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes, tree_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows subtree [start, end) with hash `subtree_root` is part
    of the tree of `size` entries with root `tree_root` (draft §4.4.3, explained in Appendix B).

    As the draft specifies, an empty subtree [x, x) (x <= size) is accepted exactly when the proof
    is empty and `subtree_root` is HASH(); the tree root plays no part then.
    """
    # Step 1: a valid subtree that fits in the tree.
    _require_subtree(start, end)
    if end > size:
        raise ProofError(f"subtree [{start}, {end}) does not fit in a tree of size {size}")
    # Step 2: the empty subtree.
    if start == end:
        if proof:
            raise ProofError(f"empty subtree [{start}, {end}) needs an empty proof, got {len(proof)} hashes")
        if subtree_root != EMPTY_HASH:
            raise ProofError(f"empty subtree [{start}, {end}) must have the empty hash as its hash")
        return
    for i, c in enumerate(proof):
        _check_hash(f"proof[{i}]", c)
    if proof:
        _check_hash("subtree root", subtree_root)
        _check_hash("tree root", tree_root)
    # Steps 3-5: climb until fn and sn meet, or the subtree's right edge is a left child.
    fn, sn, tn = start, end - 1, size - 1
    if sn == tn:
        while fn != sn:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    else:
        while fn != sn and sn & 1:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    # Steps 6-7: the seed is the subtree hash itself, or the first proof hash.
    path = list(proof)
    if fn == sn:
        fr = sr = subtree_root
    else:
        if not path:
            raise ProofError(f"empty consistency proof for subtree [{start}, {end}) in tree of size {size}")
        fr = sr = path.pop(0)
    # Step 8: combine.
    for c in path:
        if tn == 0:
            raise ProofError(f"consistency proof has {len(proof)} hashes, more than needed")
        if sn & 1 or sn == tn:
            if fn < sn:
                fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not sn & 1:
                fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    # Step 9.
    if tn != 0:
        raise ProofError(f"consistency proof has {len(proof)} hashes, fewer than needed")
    if fr != subtree_root:
        raise ProofError(f"consistency proof does not match the hash of subtree [{start}, {end})")
    if sr != tree_root:
        raise ProofError(f"consistency proof does not match the root of the tree of size {size}")
