"""Conformance vectors from transparency-dev/merkle testdata (Apache-2.0), every file of them.

/work/shared/testdata/merkle/{inclusion,consistency,subtreeinclusion,subtreeconsistency}/**.json:
base64 hashes (some empty or not 32 bytes), `"proof": null` meaning no hashes, and `wantErr`.
A valid vector must verify; every `wantErr` vector must raise ProofError (nothing else).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tenderproof.ledger.merkle import ProofError, verify_consistency, verify_inclusion
from tenderproof.ledger.subtree import verify_subtree_consistency, verify_subtree_inclusion

VECTORS_DIR = Path(__file__).parents[3] / "shared" / "testdata" / "merkle"
KINDS = ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")
MIN_VECTORS = 500


def _vector_files() -> list[Path]:
    if not VECTORS_DIR.is_dir():
        return []
    return sorted(VECTORS_DIR.rglob("*.json"))


FILES = _vector_files()
MISSING = (
    f"conformance vectors missing: expected transparency-dev/merkle testdata at {VECTORS_DIR} "
    "(folders inclusion/, consistency/, subtreeinclusion/, subtreeconsistency/)"
)


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "", validate=True)


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(h) for h in value or []]


def _check(kind: str, v: dict[str, Any]) -> None:
    if kind == "inclusion":
        verify_inclusion(v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v["proof"]), _b64(v["root"]))
    elif kind == "consistency":
        verify_consistency(v["size1"], v["size2"], _proof(v["proof"]), _b64(v["root1"]), _b64(v["root2"]))
    elif kind == "subtreeinclusion":
        verify_subtree_inclusion(
            v["leafIdx"], v["start"], v["end"], _b64(v["leafHash"]), _proof(v["proof"]), _b64(v["root"])
        )
    elif kind == "subtreeconsistency":
        verify_subtree_consistency(
            v["start"], v["end"], v["size"], _proof(v["proof"]), _b64(v["root1"]), _b64(v["root2"])
        )
    else:  # pragma: no cover - guarded by test_every_vector_has_a_known_kind
        raise AssertionError(f"unknown vector kind {kind!r}")


def test_vectors_present() -> None:
    assert VECTORS_DIR.is_dir(), MISSING
    assert len(FILES) >= MIN_VECTORS, f"only {len(FILES)} vector files under {VECTORS_DIR}, expected >= {MIN_VECTORS}"
    for kind in KINDS:
        assert any(f.relative_to(VECTORS_DIR).parts[0] == kind for f in FILES), f"no {kind} vectors loaded"


def test_every_vector_has_a_known_kind() -> None:
    unknown = [str(f.relative_to(VECTORS_DIR)) for f in FILES if f.relative_to(VECTORS_DIR).parts[0] not in KINDS]
    assert not unknown, f"vectors in unknown folders: {unknown}"


# With no files, one failing case rather than pytest's silent skip of an empty parameter set.
PARAMS = [pytest.param(f, id=str(f.relative_to(VECTORS_DIR))) for f in FILES] or [
    pytest.param(None, id="no-vectors-found")
]


@pytest.mark.parametrize("path", PARAMS)
def test_vector(path: Path | None) -> None:
    if path is None:
        pytest.fail(MISSING)
    kind = path.relative_to(VECTORS_DIR).parts[0]
    v = json.loads(path.read_text())
    assert isinstance(v.get("wantErr"), bool), f"{path}: no boolean wantErr"
    if v["wantErr"]:
        with pytest.raises(ProofError):
            _check(kind, v)
    else:
        _check(kind, v)
