"""Truncated, altered, re-signed, wrong-prefix, wrong-algorithm, oversized and garbage codes are
denied with their reason: never an exception, never ALLOW."""
from __future__ import annotations

import base64
import os
import zlib
from datetime import datetime, timedelta, timezone

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings, strategies as st

from cityops.adapters.crypto.passes import PassCryptoAdapter
from cityops.adapters.crypto.passkeys import open_private
from cityops.app.passes.scan import verify_text
from cityops.domain.passes.model import PassClaims

NOW = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)
SECRET = "test-key-secret"


@pytest.fixture(scope="module")
def crypto():
    return PassCryptoAdapter(id_secret="x", key_secret=SECRET, prefix="CO1:")


@pytest.fixture(scope="module")
def key(crypto):
    return {**crypto.new_key("pass", "test signer", NOW - timedelta(days=1), 30), "purpose": "pass", "status": "active"}


def claims() -> PassClaims:
    return PassClaims(pass_id=os.urandom(16).hex(), issuer="cityops", issued_at=NOW, valid_from=NOW,
                      expires_at=NOW + timedelta(hours=24), name="张三丰", id_masked="310***********1234", area="A1",
                      directions=("in", "out"), sample_time=NOW - timedelta(hours=10))


def decide(crypto, key, text):
    d, _ = verify_text(crypto, [key], text, now=NOW + timedelta(hours=1), area="A1", direction="in",
                       revoked=lambda pid: False)
    return d


def cose_of(text):
    return zlib.decompress(base45.b45decode(text[4:]))


def qr_of(cose, prefix="CO1:"):
    return prefix + base45.b45encode(zlib.compress(cose)).decode()


def sign_raw(priv, protected: dict, payload: bytes, alg_hash=hashes.SHA256()) -> bytes:
    p = cbor2.dumps(protected)
    msg = cbor2.dumps(["Signature1", p, b"", payload])
    r, s = decode_dss_signature(priv.sign(msg, ec.ECDSA(alg_hash)))
    n = (priv.curve.key_size + 7) // 8
    return cbor2.dumps(cbor2.CBORTag(18, [p, {}, payload, r.to_bytes(n, "big") + s.to_bytes(n, "big")]))


def test_a_good_pass_is_allowed(crypto, key):
    assert decide(crypto, key, crypto.sign_pass(claims().to_cwt(), key)).allow


@pytest.mark.parametrize("cut", [1, 5, 20, 60, 150])
def test_a_truncated_code_is_denied_as_malformed(crypto, key, cut):
    text = crypto.sign_pass(claims().to_cwt(), key)
    d = decide(crypto, key, text[:-cut])
    assert not d.allow and d.reason == "malformed"


def test_an_altered_payload_is_denied_as_bad_signature(crypto, key):
    text = crypto.sign_pass(claims().to_cwt(), key)
    tag = cbor2.loads(cose_of(text))
    m = cbor2.loads(tag.value[2])
    m[-70001]["a"] = "A9"  # another area
    tag.value[2] = cbor2.dumps(m)
    d = decide(crypto, key, qr_of(cbor2.dumps(tag)))
    assert (d.allow, d.reason) == (False, "bad_signature")


def test_a_flipped_signature_bit_is_denied(crypto, key):
    tag = cbor2.loads(cose_of(crypto.sign_pass(claims().to_cwt(), key)))
    sig = bytearray(tag.value[3])
    sig[10] ^= 1
    tag.value[3] = bytes(sig)
    assert decide(crypto, key, qr_of(cbor2.dumps(tag))).reason == "bad_signature"


def test_a_pass_re_signed_with_another_key_under_our_kid_is_denied_as_bad_signature(crypto, key):
    forger = ec.generate_private_key(ec.SECP256R1())
    cose = sign_raw(forger, {1: -7, 4: bytes.fromhex(key["kid"])}, cbor2.dumps(claims().to_cwt()))
    assert decide(crypto, key, qr_of(cose)).reason == "bad_signature"


def test_a_pass_signed_by_a_key_we_do_not_know_is_denied_as_unknown_key(crypto, key):
    forger = ec.generate_private_key(ec.SECP256R1())
    cose = sign_raw(forger, {1: -7, 4: b"\x01" * 8}, cbor2.dumps(claims().to_cwt()))
    assert decide(crypto, key, qr_of(cose)).reason == "unknown_key"


@pytest.mark.parametrize("prefix", ["HC1:", "co1:", "", "CO2:", " CO1", "https://x/CO1:"])
def test_a_wrong_prefix_is_denied(crypto, key, prefix):
    text = crypto.sign_pass(claims().to_cwt(), key)
    assert decide(crypto, key, prefix + text[4:]).reason == "wrong_prefix"


@pytest.mark.parametrize("alg", [-35, -36, -37, -8, 0, "ES256", None])
def test_any_algorithm_but_es256_is_denied_as_wrong_algorithm(crypto, key, alg):
    priv = open_private(key["private_enc"], key["kid"], SECRET)
    protected = {4: bytes.fromhex(key["kid"])} | ({} if alg is None else {1: alg})
    cose = sign_raw(priv, protected, cbor2.dumps(claims().to_cwt()))
    assert decide(crypto, key, qr_of(cose)).reason == "wrong_algorithm"


def test_an_rsa_signed_pass_is_denied_as_wrong_algorithm(crypto, key):
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p = cbor2.dumps({1: -37, 4: bytes.fromhex(key["kid"])})
    payload = cbor2.dumps(claims().to_cwt())
    sig = priv.sign(cbor2.dumps(["Signature1", p, b"", payload]),
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    assert decide(crypto, key, qr_of(cbor2.dumps(cbor2.CBORTag(18, [p, {}, payload, sig])))).reason == "wrong_algorithm"


def test_an_oversized_code_is_denied_before_decoding(crypto, key):
    assert decide(crypto, key, "CO1:" + "A" * 5000).reason == "too_large"
    assert decide(crypto, key, "CO1:" + "A" * 100_000).reason == "too_large"


def test_a_zip_bomb_is_denied_as_too_large(crypto, key):
    bomb = "CO1:" + base45.b45encode(zlib.compress(b"\x00" * 1_000_000, 9)).decode()
    assert len(bomb) < 4296
    assert decide(crypto, key, bomb).reason == "too_large"


@pytest.mark.parametrize("text", ["", "CO1:", "CO1:!!!!", "CO1:ÄÖÜ", "CO1:AAAA", "CO1:" + base45.b45encode(b"x\x9cjunk").decode(),
                                  "CO1:" + base45.b45encode(zlib.compress(b"\xff\xfe not cbor")).decode(),
                                  "CO1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3, 4]))).decode(),
                                  "CO1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, "x")))).decode(),
                                  "\x00\x01\x02", "CO1:" + "\n" * 10])
def test_garbage_is_denied_as_malformed_or_wrong_prefix(crypto, key, text):
    d = decide(crypto, key, text)
    assert not d.allow and d.reason in ("malformed", "wrong_prefix")


def test_a_signed_map_without_our_claims_is_denied_as_malformed(crypto, key):
    priv = open_private(key["private_enc"], key["kid"], SECRET)
    cose = sign_raw(priv, {1: -7, 4: bytes.fromhex(key["kid"])}, cbor2.dumps({1: "cityops", 4: 2**31}))
    assert decide(crypto, key, qr_of(cose)).reason == "malformed"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=400)
                 .map(lambda s: "CO1:" + s), st.binary(max_size=300).map(
                     lambda b: "CO1:" + base45.b45encode(zlib.compress(b)).decode())))
def test_random_input_never_raises_and_never_allows(crypto, key, text):
    assert not decide(crypto, key, text).allow


def test_a_mutated_good_code_never_allows(crypto, key):
    import random
    rnd = random.Random(7)
    text = crypto.sign_pass(claims().to_cwt(), key)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for _ in range(300):
        i = rnd.randrange(4, len(text))
        mutated = text[:i] + rnd.choice(alphabet.replace(text[i], "")) + text[i + 1:]
        assert not decide(crypto, key, mutated).allow


def test_a_scanner_guns_trailing_enter_is_ignored(crypto, key):
    text = crypto.sign_pass(claims().to_cwt(), key)
    assert decide(crypto, key, text + "\r\n").allow
