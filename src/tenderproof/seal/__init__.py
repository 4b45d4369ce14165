"""Sealed bids (DESIGN §4.2): HPKE with a post-quantum hybrid KEM, opening key split k-of-n.

Flow:
  1. Each bid-opening official runs `OfficialKeyPair.generate()` once, keeps `private_bytes()`
     to themselves and registers `public_bytes()`.
  2. At publication, `create_opening_key(tender_id, {official: public_bytes}, k)` returns the
     tender's public key and one encrypted share per official. The private key is not kept.
  3. A bidder runs `seal_bid(tender_id, public_key, pack(folder))` on their own machine; the
     server stores the blob and logs `sealed_digest(blob)`.
  4. After the deadline, k officials each run `decrypt_share(...)` on their own machine and
     submit the result; `open_key(...)` rebuilds the key, and `open_bid` opens every bid.

Everything raises `SealError` (a ValueError) with a one-line reason on refusal.
"""

from __future__ import annotations

from ._hpke import SUITE_NAME
from .bids import (
    check_padded,
    open_bid,
    open_record,
    padded_size,
    seal_bid,
    seal_record,
    sealed_digest,
    sealed_tender_id,
)
from .errors import SealError
from .keys import (
    OfficialKeyPair,
    OfficialPublicKey,
    OpeningPrivateKey,
    TenderPublicKey,
    load_official_public_key,
    load_tender_public_key,
)
from .opening import MAX_OFFICIALS, OpeningKey, check_share, create_opening_key, decrypt_share, open_key
from .package import MAX_PACKAGE_BYTES, pack, unpack, unpack_into

__all__ = [
    "MAX_OFFICIALS",
    "MAX_PACKAGE_BYTES",
    "SUITE_NAME",
    "OfficialKeyPair",
    "OfficialPublicKey",
    "OpeningKey",
    "OpeningPrivateKey",
    "SealError",
    "TenderPublicKey",
    "check_padded",
    "check_share",
    "create_opening_key",
    "decrypt_share",
    "load_official_public_key",
    "load_tender_public_key",
    "open_bid",
    "open_key",
    "open_record",
    "pack",
    "padded_size",
    "seal_bid",
    "seal_record",
    "sealed_digest",
    "sealed_tender_id",
    "unpack",
    "unpack_into",
]
