"""A compact range over [0, n): the roots of the complete subtrees of the first n leaves, largest
first, as RFC 9162 §2.1.1 splits a tree (the binary digits of n, most significant first).

Appending a leaf merges the subtrees it completes; the root of the n leaves folds the subtrees
right to left, as `merkle.tree_hash` does. So a monitor that keeps these ≤ 63 hashes checks new
entries against a checkpoint without keeping, or reading again, any earlier entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tenderproof.ledger.merkle import EMPTY_ROOT


def extend(frontier: list[bytes], size: int, entries: Iterable[bytes]) -> tuple[list[bytes], int]:
    """The range of `size` leaves extended by `entries`: (its subtrees, its new size)."""
    sha256 = hashlib.sha256  # leaf_hash and node_hash inlined: this runs for every entry followed
    out = list(frontier)
    for entry in entries:
        h = sha256(b"\x00" + entry).digest()
        n = size
        while n & 1:  # each trailing one bit is a subtree of the same size, now completed
            h = sha256(b"\x01" + out.pop() + h).digest()
            n >>= 1
        out.append(h)
        size += 1
    return out, size


def root(frontier: list[bytes]) -> bytes:
    """MTH of the leaves the range covers (the empty tree's root for none)."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1]
    for left in reversed(frontier[:-1]):
        h = hashlib.sha256(b"\x01" + left + h).digest()
    return h
