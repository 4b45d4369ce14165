"""A tender's bid-opening key: created split k-of-n, rebuilt only at opening.

At publication a fresh 32-byte seed is drawn; the tender's HPKE key pair is derived from it
(HKDF, bound to the tender id) and only the public half is published. The seed is split with
SLIP-39 (Trezor's `shamir-mnemonic`) and each share is HPKE-encrypted to one official's own
key, so the seed -- and hence the private key -- exists nowhere until k officials submit.

Split layout: SLIP-39 with group threshold k over n groups of one member each, i.e. one group
share per official. This is the only SLIP-39 layout that covers every 1 <= k <= n <= 16 (the
library refuses 1-of-n member sharing) and keeps SLIP-39's digest check for k >= 2, which
detects a wrong or mismatched share set. On top of that the rebuilt key must reproduce the
published public key, which also covers k = 1.

    encrypted share  "TPES" | v1 | suite(6) | HPKE(enc || AES-GCM(share envelope))
    share envelope   "TPDS" | v1 | len(2) tender id | len(2) official id | SLIP-39 mnemonic

The HPKE `info` binds the header, tender id and official id, so a share cannot be replayed to
another tender or official; the envelope repeats both ids so `open_key` can name a misplaced
share precisely.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import shamir_mnemonic
from shamir_mnemonic import MnemonicError, Share

from . import _hpke
from ._wire import (
    MAGIC_ENCRYPTED_SHARE,
    MAGIC_SHARE,
    VERSION,
    Reader,
    check_id,
    context,
    id_collation_key,
    lp16,
)
from .errors import SealError
from .keys import OfficialKeyPair, OpeningPrivateKey, load_official_public_key, load_tender_public_key

MAX_OFFICIALS = 16  # SLIP-39 allows at most 16 shares per level.
_SHARE_HEADER = MAGIC_ENCRYPTED_SHARE + bytes([VERSION]) + _hpke.SUITE_ID


@dataclass(frozen=True)
class OpeningKey:
    """What publication produces: everything here may be stored and published."""

    tender_id: str
    public_key: bytes
    threshold: int
    suite: str
    encrypted_shares: Mapping[str, bytes]


def _check_threshold(threshold: object, n: int | None = None) -> int:
    if not isinstance(threshold, int) or isinstance(threshold, bool):
        raise SealError(f"threshold must be an int, not {type(threshold).__name__}")
    upper = MAX_OFFICIALS if n is None else n
    if not 1 <= threshold <= upper:
        raise SealError(f"threshold {threshold} is outside 1..{upper}")
    return threshold


def _share_info(raw_tender: bytes, raw_official: bytes) -> bytes:
    return context(b"opening-key-share", _SHARE_HEADER, raw_tender, raw_official)


def create_opening_key(tender_id: str, officials: Mapping[str, bytes], threshold: int) -> OpeningKey:
    """Create tender `tender_id`'s opening key, split `threshold`-of-len(officials).

    `officials` maps each official id to that official's `OfficialKeyPair.public_bytes()`.
    """
    raw_tender = check_id(tender_id, "tender id")
    if not isinstance(officials, Mapping):
        raise SealError("officials must be a mapping of official id to public key bytes")
    n = len(officials)
    if n == 0:
        raise SealError("no officials given")
    if n > MAX_OFFICIALS:
        raise SealError(f"{n} officials given; SLIP-39 allows at most {MAX_OFFICIALS}")
    k = _check_threshold(threshold, n)
    ids = sorted(officials)
    by_collation: dict[str, str] = {}
    by_key: dict[bytes, str] = {}
    publics = {}
    for oid in ids:
        check_id(oid, "official id")
        other = by_collation.setdefault(id_collation_key(oid), oid)
        if other != oid:
            raise SealError(f"official ids {other!r} and {oid!r} are duplicates (same ignoring case)")
        pub = load_official_public_key(officials[oid])
        other = by_key.setdefault(pub.public_bytes(), oid)
        if other != oid:
            raise SealError(f"officials {other!r} and {oid!r} have the same public key")
        publics[oid] = pub

    seed = secrets.token_bytes(_hpke.SEED_BYTES)
    public_key = OpeningPrivateKey(tender_id, seed).public_bytes()
    groups = shamir_mnemonic.generate_mnemonics(
        k, [(1, 1)] * n, seed, passphrase=b"", extendable=True, iteration_exponent=0
    )
    mnemonics = [group[0] for group in groups]
    # Self-check before anything is published: the first and the last k shares rebuild the seed.
    for subset in (mnemonics[:k], mnemonics[-k:]):
        if shamir_mnemonic.combine_mnemonics(subset) != seed:
            raise SealError("internal error: SLIP-39 split does not recombine")
    del seed

    encrypted: dict[str, bytes] = {}
    for oid, mnemonic in zip(ids, mnemonics, strict=True):
        raw_official = oid.encode("utf-8")
        envelope = MAGIC_SHARE + bytes([VERSION]) + lp16(raw_tender) + lp16(raw_official)
        envelope += mnemonic.encode("ascii")
        info = _share_info(raw_tender, raw_official)
        ct = _hpke.encrypt(envelope, publics[oid].hpke_key(), info, f"share for official {oid!r}")
        encrypted[oid] = _SHARE_HEADER + ct
    return OpeningKey(tender_id, public_key, k, _hpke.SUITE_NAME, MappingProxyType(encrypted))


def decrypt_share(
    tender_id: str, official_id: str, encrypted_share: bytes, official_private: OfficialKeyPair
) -> bytes:
    """Decrypt this official's share of the tender's opening key (on the official's machine).

    Returns the share envelope to submit to `open_key`. Refuses a share meant for another
    tender or official, one encrypted to another key, or one altered in any bit.
    """
    raw_tender = check_id(tender_id, "tender id")
    raw_official = check_id(official_id, "official id")
    if not isinstance(official_private, OfficialKeyPair):
        raise SealError("official_private must be an OfficialKeyPair")
    reader = Reader(encrypted_share, "encrypted share")
    reader.header(MAGIC_ENCRYPTED_SHARE)
    if bytes(reader.take(len(_hpke.SUITE_ID))) != _hpke.SUITE_ID:
        raise SealError("encrypted share uses an unsupported HPKE suite")
    envelope = _hpke.decrypt(
        bytes(reader.rest()),
        official_private._hybrid,
        _share_info(raw_tender, raw_official),
        "encrypted share",
        f"it is not official {official_id!r}'s share of tender {tender_id!r}, "
        "or the key is not theirs, or it was altered",
    )
    share_tender, share_official, _ = _parse_envelope(envelope, official_id)
    if (share_tender, share_official) != (tender_id, official_id):
        raise SealError("decrypted share names another tender or official")
    return envelope


def _parse_envelope(envelope: bytes, submitted_as: str) -> tuple[str, str, Share]:
    reader = Reader(envelope, f"share submitted by official {submitted_as!r}")
    reader.header(MAGIC_SHARE)
    share_tender = reader.text16("tender id")
    share_official = reader.text16("official id")
    try:
        mnemonic = bytes(reader.rest()).decode("ascii")
        share = Share.from_mnemonic(mnemonic)
    except (UnicodeDecodeError, MnemonicError) as e:
        raise SealError(f"share submitted by official {submitted_as!r} is corrupted: {e}") from None
    if share.mnemonic() != mnemonic:  # SLIP-39 ignores case and spacing; we accept one form.
        raise SealError(f"share submitted by official {submitted_as!r} is not in canonical form")
    return share_tender, share_official, share


def check_share(tender_id: str, official_id: str, threshold: int, share: bytes) -> None:
    """Refuse a submitted share that cannot be this official's share of this tender's k-of-n key.

    Called when a share is handed in, so one malformed share cannot sit in the pool and block
    the opening later. (A well-formed share that is wrong is still caught by `open_key`.)
    """
    share_tender, share_official, parsed = _parse_envelope(share, official_id)
    if (share_tender, share_official) != (tender_id, official_id):
        raise SealError(f"the share is {share_official!r}'s for tender {share_tender!r}, not "
                        f"{official_id!r}'s for {tender_id!r}")
    if parsed.group_threshold != _check_threshold(threshold):
        raise SealError(f"the share is from a {parsed.group_threshold}-of-n split, not {threshold}-of-n")


def _combine(shares: list[Share]) -> bytes:
    try:
        secret: bytes = shamir_mnemonic.combine_mnemonics([s.mnemonic() for s in shares])
    except (MnemonicError, ValueError) as e:
        raise SealError(f"SLIP-39 rejects the share set: {e}") from None
    return secret


def open_key(
    tender_id: str, public_key: bytes, shares: Mapping[str, bytes], threshold: int
) -> OpeningPrivateKey:
    """Rebuild tender `tender_id`'s opening private key from at least `threshold` shares.

    `shares` maps official id to the bytes `decrypt_share` returned on that official's machine.
    Every submitted share is checked, not just the first k, and the rebuilt key must match the
    published `public_key`.
    """
    check_id(tender_id, "tender id")
    published = load_tender_public_key(public_key)
    if published.tender_id != tender_id:
        raise SealError(f"public key belongs to tender {published.tender_id!r}, not {tender_id!r}")
    k = _check_threshold(threshold)
    if not isinstance(shares, Mapping):
        raise SealError("shares must be a mapping of official id to decrypted share bytes")
    if len(shares) < k:
        raise SealError(f"tender {tender_id!r} needs {k} shares to open, got {len(shares)}")

    parsed: dict[str, Share] = {}
    seen_index: dict[int, str] = {}
    for oid in sorted(shares):
        check_id(oid, "official id")
        share_tender, share_official, share = _parse_envelope(shares[oid], oid)
        if share_tender != tender_id:
            raise SealError(f"share from official {oid!r} is for tender {share_tender!r}, not {tender_id!r}")
        if share_official != oid:
            raise SealError(f"share submitted as official {oid!r} belongs to official {share_official!r}")
        if share.group_threshold != k:
            raise SealError(
                f"share from official {oid!r} is from a {share.group_threshold}-of-{share.group_count} "
                f"split, not {k}-of-n"
            )
        other = seen_index.setdefault(share.group_index, oid)
        if other != oid:
            raise SealError(f"officials {other!r} and {oid!r} submitted the same share")
        parsed[oid] = share

    ids = list(parsed)
    base = [parsed[oid] for oid in ids[:k]]
    seed = _combine(base)
    for oid in ids[k:]:  # each extra share must rebuild the same seed with k-1 checked ones
        try:
            consistent = _combine([*base[: k - 1], parsed[oid]]) == seed
        except SealError:
            consistent = False
        if not consistent:
            raise SealError(f"share from official {oid!r} is inconsistent with the others")
    if len(seed) != _hpke.SEED_BYTES:
        raise SealError(f"shares rebuild a {len(seed)}-byte secret, not a {_hpke.SEED_BYTES}-byte seed")
    key = OpeningPrivateKey(tender_id, seed)
    del seed
    if not key.matches(public_key):
        raise SealError(f"the rebuilt key does not match tender {tender_id!r}'s published public key")
    return key
