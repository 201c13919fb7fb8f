"""The verifier's vectorised Base45 decoder agrees with the base45 package, bytes and refusals."""
import base45
import pytest
from hypothesis import given, settings, strategies as st

from cityops.adapters.crypto.hcert import B45_ALPHABET, HcertError, b45decode


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_decoding_gives_back_what_the_package_encoded(data):
    assert b45decode(base45.b45encode(data).decode()) == data


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=B45_ALPHABET + "abcé\n", max_size=40))
def test_what_the_package_refuses_we_refuse_and_the_rest_decodes_alike(text):
    try:
        expected = base45.b45decode(text)
    except Exception:
        expected = None
    if expected is None:
        with pytest.raises(HcertError):
            b45decode(text)
    else:
        assert b45decode(text) == expected


@pytest.mark.parametrize("text", ["GGW", ":::", "A", "ABCD", "ÄB"])
def test_out_of_range_chunks_and_bad_lengths_are_malformed(text):
    with pytest.raises(HcertError):
        b45decode(text)
