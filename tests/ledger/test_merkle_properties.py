"""Property tests of merkle.py and subtree.py against a naive RFC 9162 model, over MemoryHashes.

Sizes are kept small (at most MAX_ENTRIES leaves) so the whole module runs in a few seconds.
Tests that claim a *wrong* index or size is rejected use distinct entries: with duplicated
entries a proof can legitimately verify at another position (H(x || x) is symmetric).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderproof.ledger.merkle import (
    EMPTY_ROOT,
    MemoryHashes,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from tenderproof.ledger.subtree import (
    is_valid_subtree,
    subtree_consistency_proof,
    subtree_hash,
    subtree_inclusion_proof,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

MAX_ENTRIES = 24

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

entries_st = st.lists(st.binary(max_size=8), min_size=0, max_size=MAX_ENTRIES)
nonempty_entries_st = st.lists(st.binary(max_size=8), min_size=1, max_size=MAX_ENTRIES)
distinct_entries_st = st.lists(st.binary(max_size=8), min_size=1, max_size=MAX_ENTRIES, unique=True)


# --- the model ---------------------------------------------------------------------------------


def naive_mth(entries: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, literally."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def build(entries: list[bytes]) -> MemoryHashes:
    tree = MemoryHashes()
    for e in entries:
        tree.append(e)
    return tree


def flip(data: bytes, bit: int) -> bytes:
    """`data` with one bit flipped (bit taken modulo the length in bits)."""
    assert data, "cannot flip a bit of empty data"
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def valid_subtrees(size: int) -> list[tuple[int, int]]:
    return [(s, e) for e in range(size + 1) for s in range(e + 1) if is_valid_subtree(s, e)]


# --- tree hash ---------------------------------------------------------------------------------


@SETTINGS
@given(entries_st)
def test_tree_hash_matches_naive_mth(entries: list[bytes]) -> None:
    tree = build(entries)
    for n in range(len(entries) + 1):
        assert tree_hash(n, tree) == naive_mth(entries[:n])
    assert tree_hash(0, tree) == EMPTY_ROOT


# --- every proof verifies ------------------------------------------------------------------------


@SETTINGS
@given(entries_st)
def test_every_inclusion_and_consistency_proof_verifies(entries: list[bytes]) -> None:
    tree = build(entries)
    roots = [tree_hash(n, tree) for n in range(len(entries) + 1)]
    for n in range(1, len(entries) + 1):
        for i in range(n):
            verify_inclusion(i, n, leaf_hash(entries[i]), inclusion_proof(i, n, tree), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, consistency_proof(m, n, tree), roots[m], roots[n])


def test_exhaustive_small_trees() -> None:
    """Deterministic companion of the property above: every (i, n) and (m, n) for n <= 33."""
    entries = [b"entry %d" % i for i in range(33)]
    tree = build(entries)
    roots = [naive_mth(entries[:n]) for n in range(len(entries) + 1)]
    for n in range(1, len(entries) + 1):
        assert tree_hash(n, tree) == roots[n]
        for i in range(n):
            verify_inclusion(i, n, leaf_hash(entries[i]), inclusion_proof(i, n, tree), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, consistency_proof(m, n, tree), roots[m], roots[n])


# --- tampering is caught -------------------------------------------------------------------------


@SETTINGS
@given(nonempty_entries_st, st.data())
def test_inclusion_bit_flips_fail(entries: list[bytes], data: st.DataObject) -> None:
    tree = build(entries)
    n = data.draw(st.integers(1, len(entries)), label="size")
    i = data.draw(st.integers(0, n - 1), label="index")
    bit = data.draw(st.integers(0, 255), label="bit")
    root = tree_hash(n, tree)
    leaf = leaf_hash(entries[i])
    proof = inclusion_proof(i, n, tree)
    verify_inclusion(i, n, leaf, proof, root)

    # A flipped bit in the entry itself (an empty entry gets a byte instead).
    changed = flip(entries[i], bit) if entries[i] else b"\x00"
    with pytest.raises(ProofError):
        verify_inclusion(i, n, leaf_hash(changed), proof, root)
    # ... in the leaf hash, the root, or any one proof hash.
    with pytest.raises(ProofError):
        verify_inclusion(i, n, flip(leaf, bit), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(i, n, leaf, proof, flip(root, bit))
    for k in range(len(proof)):
        bad = [flip(p, bit) if j == k else p for j, p in enumerate(proof)]
        with pytest.raises(ProofError):
            verify_inclusion(i, n, leaf, bad, root)
    # A proof with a hash dropped or added.
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(i, n, leaf, proof[:-1], root)
    with pytest.raises(ProofError):
        verify_inclusion(i, n, leaf, [*proof, root], root)


@SETTINGS
@given(nonempty_entries_st, st.data())
def test_consistency_bit_flips_fail(entries: list[bytes], data: st.DataObject) -> None:
    tree = build(entries)
    n = data.draw(st.integers(1, len(entries)), label="size2")
    m = data.draw(st.integers(1, n), label="size1")
    bit = data.draw(st.integers(0, 255), label="bit")
    root1, root2 = tree_hash(m, tree), tree_hash(n, tree)
    proof = consistency_proof(m, n, tree)
    verify_consistency(m, n, proof, root1, root2)

    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, flip(root1, bit), root2)
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, root1, flip(root2, bit))
    for k in range(len(proof)):
        bad = [flip(p, bit) if j == k else p for j, p in enumerate(proof)]
        with pytest.raises(ProofError):
            verify_consistency(m, n, bad, root1, root2)
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(m, n, proof[:-1], root1, root2)
    with pytest.raises(ProofError):
        verify_consistency(m, n, [*proof, root2], root1, root2)

    # A flipped bit in one entry: the proof no longer links an original root to a changed one.
    # (Changing both roots together can legitimately still verify: when size1 is a power of two
    # the proof holds nothing of the old tree but its root.)
    j = data.draw(st.integers(0, n - 1), label="changed entry")
    changed = list(entries)
    changed[j] = flip(entries[j], bit) if entries[j] else b"\x00"
    other = build(changed)
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, root1, tree_hash(n, other))
    if j < m:
        with pytest.raises(ProofError):
            verify_consistency(m, n, proof, tree_hash(m, other), root2)


@SETTINGS
@given(distinct_entries_st, st.data())
def test_inclusion_wrong_index_or_size_fails(entries: list[bytes], data: st.DataObject) -> None:
    tree = build(entries)
    roots = [tree_hash(n, tree) for n in range(len(entries) + 1)]
    n = data.draw(st.integers(1, len(entries)), label="size")
    i = data.draw(st.integers(0, n - 1), label="index")
    leaf, proof = leaf_hash(entries[i]), inclusion_proof(i, n, tree)
    # Every other claimed position, checked against the root of the claimed size, fails.
    for n2 in range(1, len(entries) + 1):
        for i2 in range(n2):
            if (i2, n2) == (i, n):
                continue
            with pytest.raises(ProofError):
                verify_inclusion(i2, n2, leaf, proof, roots[n2])
    # Out-of-range claims are refused outright.
    for i2, n2 in ((n, n), (-1, n), (0, 0), (i, -1)):
        with pytest.raises(ProofError):
            verify_inclusion(i2, n2, leaf, proof, roots[n])


@SETTINGS
@given(distinct_entries_st, st.data())
def test_consistency_wrong_sizes_fail(entries: list[bytes], data: st.DataObject) -> None:
    tree = build(entries)
    roots = [tree_hash(n, tree) for n in range(len(entries) + 1)]
    n = data.draw(st.integers(1, len(entries)), label="size2")
    m = data.draw(st.integers(1, n), label="size1")
    proof = consistency_proof(m, n, tree)
    for n2 in range(1, len(entries) + 1):
        for m2 in range(1, n2 + 1):
            if (m2, n2) == (m, n) or (m == n and m2 == n2):
                continue  # equal sizes: the empty proof rightly accepts any tree against itself
            with pytest.raises(ProofError):
                verify_consistency(m2, n2, proof, roots[m2], roots[n2])
    if m < n:
        with pytest.raises(ProofError):
            verify_consistency(n, m, proof, roots[n], roots[m])


def test_proof_requests_out_of_range_are_refused() -> None:
    tree = build([b"a", b"b", b"c"])
    for bad in ((3, 3), (-1, 3), (0, 0), (0, 4)):
        with pytest.raises(ProofError):
            inclusion_proof(*bad, tree)
    for bad in ((2, 1), (1, 4), (-1, 2)):
        with pytest.raises(ProofError):
            consistency_proof(*bad, tree)
    with pytest.raises(ProofError):
        tree_hash(-1, tree)
    with pytest.raises(ProofError):
        tree_hash(4, tree)


# --- the documented empty-tree rule --------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_consistency_from_the_empty_tree_is_refused(n: int) -> None:
    tree = build([b"x%d" % i for i in range(max(n, 1))])
    with pytest.raises(ProofError, match="size1"):
        consistency_proof(0, n, tree)
    root = tree_hash(n, tree)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, n, [], EMPTY_ROOT, root)
    if n:
        with pytest.raises(ProofError, match="empty tree"):
            verify_consistency(0, n, [root], EMPTY_ROOT, root)


# --- subtrees (draft-ietf-plants-merkle-tree-certs §4) -------------------------------------------


def test_is_valid_subtree_definition() -> None:
    for end in range(40):
        for start in range(end + 1):
            size = end - start
            bit_ceil = 1
            while bit_ceil < size:
                bit_ceil *= 2
            assert is_valid_subtree(start, end) == (start % bit_ceil == 0), (start, end)
    assert not is_valid_subtree(2, 1)
    assert not is_valid_subtree(-1, 0)
    assert is_valid_subtree(5, 5) and is_valid_subtree(0, 2**70 + 3)
    assert not is_valid_subtree(1, 9223372036854775810)
    assert is_valid_subtree(2**64, 2**65) and not is_valid_subtree(2**64, 2**65 + 1)


@SETTINGS
@given(nonempty_entries_st)
def test_subtree_proofs_round_trip(entries: list[bytes]) -> None:
    tree = build(entries)
    size = len(entries)
    root = tree_hash(size, tree)
    for start, end in valid_subtrees(size):
        h = subtree_hash(start, end, tree)
        assert h == naive_mth(entries[start:end])
        for i in range(start, end):
            proof = subtree_inclusion_proof(i, start, end, tree)
            verify_subtree_inclusion(i, start, end, leaf_hash(entries[i]), proof, h)
        verify_subtree_consistency(start, end, size, subtree_consistency_proof(start, end, size, tree), h, root)


def test_subtree_proofs_specialise_to_rfc9162() -> None:
    """Draft §4.4.1: SUBTREE_PROOF(0, end, D_n) = PROOF(end, D_n), SUBTREE_PROOF(i, i+1) = PATH(i);
    §4.3: a subtree inclusion proof in [0, n) is the RFC 9162 inclusion proof."""
    entries = [b"e%d" % i for i in range(21)]
    tree = build(entries)
    for n in range(1, len(entries) + 1):
        for i in range(n):
            assert subtree_consistency_proof(i, i + 1, n, tree) == inclusion_proof(i, n, tree)
            assert subtree_inclusion_proof(i, 0, n, tree) == inclusion_proof(i, n, tree)
        for m in range(1, n + 1):
            assert subtree_consistency_proof(0, m, n, tree) == consistency_proof(m, n, tree)


def test_subtree_consistency_draft_examples() -> None:
    """The examples of draft §4.4.2, tree of size 14."""
    entries = [b"d%d" % i for i in range(14)]
    tree = build(entries)
    mth = lambda lo, hi: naive_mth(entries[lo:hi])
    assert subtree_consistency_proof(4, 8, 14, tree) == [mth(0, 4), mth(8, 14)]
    assert subtree_consistency_proof(8, 13, 14, tree) == [mth(12, 13), mth(13, 14), mth(8, 12), mth(0, 8)]
    # §4.3.1: entry 10 of subtree [8, 13).
    assert subtree_inclusion_proof(10, 8, 13, tree) == [mth(11, 12), mth(8, 10), mth(12, 13)]


@SETTINGS
@given(nonempty_entries_st, st.data())
def test_subtree_bit_flips_fail(entries: list[bytes], data: st.DataObject) -> None:
    tree = build(entries)
    size = len(entries)
    start, end = data.draw(st.sampled_from([s for s in valid_subtrees(size) if s[0] < s[1]]), label="subtree")
    i = data.draw(st.integers(start, end - 1), label="index")
    bit = data.draw(st.integers(0, 255), label="bit")
    h, root = subtree_hash(start, end, tree), tree_hash(size, tree)
    leaf = leaf_hash(entries[i])

    inc = subtree_inclusion_proof(i, start, end, tree)
    with pytest.raises(ProofError):
        verify_subtree_inclusion(i, start, end, flip(leaf, bit), inc, h)
    with pytest.raises(ProofError):
        verify_subtree_inclusion(i, start, end, leaf, inc, flip(h, bit))
    for k in range(len(inc)):
        with pytest.raises(ProofError):
            verify_subtree_inclusion(i, start, end, leaf, [flip(p, bit) if j == k else p for j, p in enumerate(inc)], h)

    con = subtree_consistency_proof(start, end, size, tree)
    with pytest.raises(ProofError):
        verify_subtree_consistency(start, end, size, con, flip(h, bit), root)
    with pytest.raises(ProofError):
        verify_subtree_consistency(start, end, size, con, h, flip(root, bit))
    for k in range(len(con)):
        with pytest.raises(ProofError):
            verify_subtree_consistency(
                start, end, size, [flip(p, bit) if j == k else p for j, p in enumerate(con)], h, root
            )
    with pytest.raises(ProofError):
        verify_subtree_consistency(start, end, size, [*con, root], h, root)


def test_subtree_requests_out_of_range_are_refused() -> None:
    tree = build([b"%d" % i for i in range(8)])
    h = subtree_hash(4, 8, tree)
    for args in ((3, 3, 5), (3, 2, 5), (2, 0, 2), (7, 8, 16), (9, 8, 16)):  # bad subtree/index, or unstored
        with pytest.raises(ProofError):
            subtree_inclusion_proof(*args, tree)
    with pytest.raises(ProofError, match="does not fit"):
        subtree_consistency_proof(4, 8, 7, tree)
    with pytest.raises(ProofError, match="not a valid subtree"):
        subtree_consistency_proof(2, 5, 8, tree)
    with pytest.raises(ProofError, match="not a valid subtree"):
        verify_subtree_inclusion(1, 1, 9223372036854775810, leaf_hash(b"1"), [], h)
    assert subtree_consistency_proof(3, 3, 8, tree) == []
    verify_subtree_consistency(3, 3, 8, [], EMPTY_ROOT, b"anything")
    with pytest.raises(ProofError, match="empty hash"):
        verify_subtree_consistency(3, 3, 8, [], h, tree_hash(8, tree))
