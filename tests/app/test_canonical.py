"""`envelope.canonical` is RFC 8785: its fast path writes the same bytes as the `rfc8785` package.

Every event hash and commitment in the log is over these bytes, so a single differing byte would
make the log disagree with any other JCS implementation that re-derives it.
"""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from tenderproof.app.envelope import canonical

# Strings from the whole of Unicode, with the controls, quotes, backslashes and the characters
# beyond the BMP that JCS sorts by UTF-16 code unit rather than by code point.
text = st.text(st.characters(codec=None, exclude_categories=["Cs"])) | st.sampled_from(
    ["", '"', "\\", "\b\f\n\r\t\x00\x1f\x7f", "\u2028\u2029", "\ue000", "\uffff", "\U00010000", "\U0001f600"]
)
safe = st.integers(-(2**53) + 1, 2**53 - 1)
scalars = st.none() | st.booleans() | safe | text | st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5))


@given(json_values)
def test_the_same_bytes_as_rfc8785(value):
    assert canonical(value) == rfc8785.dumps(value)


@given(st.dictionaries(st.sampled_from(["\ue000", "\uffff", "\U00010000", "\U0001f600", "a", "é"]), safe, min_size=2))
def test_keys_beyond_the_bmp_sort_by_utf16_code_unit(value):
    """U+10000 is D800 DC00 in UTF-16, so JCS puts it before U+E000; a code-point sort would not."""
    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value", [2**53, -(2**53), math.nan, math.inf, "\ud800", {"k": "\udfff"}, {1: "int key"}, (1, 2), b"bytes"]
)
def test_what_jcs_refuses_or_formats_apart_is_rfc8785s_answer(value):
    try:
        expected: bytes | type = rfc8785.dumps(value)
    except Exception as e:
        expected = type(e)
    try:
        got: bytes | type = canonical(value)
    except Exception as e:
        got = type(e)
    assert got == expected


def test_a_cycle_is_refused_not_walked_forever():
    value: dict = {}
    value["self"] = value
    with pytest.raises(RecursionError):
        canonical(value)
