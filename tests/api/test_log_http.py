"""The log over HTTP as c2sp.org/tlog-tiles and RFC 9110 say: strong ETags and 304s, long-lived
full tiles, gzip-compressed entry bundles for a client that accepts them, HEAD like GET.

What a tile or bundle holds is the independent client's business (tests/independent); here, how
it travels."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.api.log import IMMUTABLE, accepts_gzip, none_match
from tenderproof.ledger.tiles import ENTRIES, TILE_WIDTH, bundle_entries, tile_path

IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def _grow_to(api, size: int) -> None:
    have = api.p.log.head().size
    api.p.log.append([b'{"n":%d}' % i for i in range(have, size)])


def _tag(body: bytes, suffix: str = "") -> str:
    return f'"{hashlib.sha256(body).hexdigest()}{suffix}"'


def _raw(client, url: str, headers: dict) -> tuple[object, bytes]:
    """The response and its body as sent, before httpx undoes any content coding."""
    with client.stream("GET", url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def test_a_partial_tile_is_revalidated_with_its_etag_until_it_grows(api):
    c = api.client
    _grow_to(api, 10)
    url = "/log/" + tile_path(0, 0, 10)
    first = c.get(url)
    assert first.status_code == 200 and len(first.content) == 10 * 32
    assert first.headers["etag"] == _tag(first.content)  # strong: no W/
    assert first.headers["cache-control"] == "no-cache"

    again = c.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "no-cache"
    assert c.get(url, headers={"If-None-Match": f'"x", W/{first.headers["etag"]}'}).status_code == 304
    assert c.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert c.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200

    _grow_to(api, 17)
    grown = c.get("/log/" + tile_path(0, 0, 17), headers={"If-None-Match": first.headers["etag"]})
    assert grown.status_code == 200
    assert grown.content[: 10 * 32] == first.content  # a partial tile is a prefix of what it grows into
    assert grown.headers["etag"] == _tag(grown.content) != first.headers["etag"]
    # The narrower width is still served, and is still what the client holds.
    assert c.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_full_tiles_and_bundles_are_immutable(api):
    _grow_to(api, TILE_WIDTH + 1)
    for path in (tile_path(0, 0), tile_path(ENTRIES, 0)):
        r = api.client.get("/log/" + path, headers=IDENTITY)
        assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE
        assert r.headers["etag"] == _tag(r.content)
        assert api.client.get("/log/" + path, headers={**IDENTITY, "If-None-Match": r.headers["etag"]}).status_code == 304
    partial = api.client.get("/log/" + tile_path(ENTRIES, 1, 1))
    assert partial.status_code == 200 and partial.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("size", [5, TILE_WIDTH])
def test_entry_bundles_travel_gzipped_to_whoever_accepts_it(api, size):
    _grow_to(api, size)
    width = min(size, TILE_WIDTH)
    url = "/log/" + tile_path(ENTRIES, 0, width)
    bundle = bundle_entries([api.p.log.entry(i) for i in range(width)])

    plain, plain_body = _raw(api.client, url, IDENTITY)
    assert plain.status_code == 200 and plain_body == bundle
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"

    zipped, zipped_body = _raw(api.client, url, GZIP)
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped_body) == bundle
    assert int(zipped.headers["content-length"]) == len(zipped_body)
    if size == TILE_WIDTH:  # JSON entries compress: the point of it
        assert len(zipped_body) < len(bundle) / 2
    # Two representations, two strong validators; each revalidates only itself.
    assert zipped.headers["etag"] == _tag(bundle, "-gzip") != plain.headers["etag"] == _tag(bundle)
    assert api.client.get(url, headers={**GZIP, "If-None-Match": zipped.headers["etag"]}).status_code == 304
    assert api.client.get(url, headers={**IDENTITY, "If-None-Match": zipped.headers["etag"]}).status_code == 200
    # The same bytes every time (no timestamp in the gzip header), as the ETag promises.
    assert _raw(api.client, url, GZIP)[1] == zipped_body
    # gzip refused by name is not sent, whatever `*` says.
    refused, refused_body = _raw(api.client, url, {"Accept-Encoding": "gzip;q=0, *;q=1"})
    assert "content-encoding" not in refused.headers and refused_body == bundle


def test_hash_tiles_are_never_gzipped(api):
    _grow_to(api, 4)
    r, body = _raw(api.client, "/log/" + tile_path(0, 0, 4), GZIP)
    assert "content-encoding" not in r.headers and "vary" not in r.headers and len(body) == 4 * 32


def _urls(size: int) -> list[str]:
    return ["/log/checkpoint", "/log/" + tile_path(0, 0, size), "/log/" + tile_path(ENTRIES, 0, size),
            "/log/entries/0", "/log/proof/0", "/log/vkey", "/log/policy"]


@pytest.mark.parametrize("encoding", [IDENTITY, GZIP])
def test_head_answers_with_gets_headers_and_no_body(api, encoding):
    _grow_to(api, 6)
    api.p.log.checkpoint()  # a checkpoint of size 6, so the proof is read, not signed, by both
    for url in _urls(6):
        got = api.client.get(url, headers=encoding)
        head = api.client.head(url, headers=encoding)
        assert got.status_code == head.status_code == 200, url
        assert dict(head.headers) == dict(got.headers), url
        assert head.content == b"", url
        again = api.client.head(url, headers={**encoding, "If-None-Match": got.headers["etag"]})
        assert again.status_code == 304, url


def test_head_of_a_missing_tile_is_404(api):
    assert api.client.head("/log/" + tile_path(0, 5)).status_code == 404
    assert api.client.head("/log/tile/0/x").status_code == 404


def test_the_checkpoint_is_text_and_revalidated(api):
    r = api.client.get("/log/checkpoint")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert api.client.get("/log/checkpoint", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    _grow_to(api, api.p.log.head().size + 1)
    assert api.client.get("/log/checkpoint", headers={"If-None-Match": r.headers["etag"]}).status_code == 200


@pytest.mark.parametrize("value, ok", [
    ("gzip", True), ("x-gzip", True), ("GZip", True), ("deflate, gzip;q=0.5", True), ("*", True),
    ("identity", False), ("", False), ("gzip;q=0", False), ("gzip;q=0.0, *", False), ("br, *;q=0", False),
    ("gzip;q=bad", False), ("deflate, br", False),
])
def test_accept_encoding(value, ok):
    assert accepts_gzip(value) is ok


@given(st.text())
def test_any_accept_encoding_is_read_without_error(value):
    assert accepts_gzip(value) in (True, False)


@given(st.lists(st.from_regex(r'"[0-9a-f]{1,8}"', fullmatch=True), max_size=4), st.from_regex(r'"[0-9a-f]{1,8}"', fullmatch=True))
def test_if_none_match_is_membership(listed, tag):
    """RFC 9110 §13.1.2 weak comparison: a 304 exactly when the tag is listed, weak or strong."""
    assert none_match(", ".join(listed), tag) is (tag in listed)
    assert none_match(", ".join(["W/" + t for t in listed]), tag) is (tag in listed)
