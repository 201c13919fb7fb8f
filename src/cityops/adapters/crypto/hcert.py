"""The HCERT pipeline: prefix · Base45 · zlib · COSE_Sign1 · CWT — decoding and signature checks.

The same core reads the EU DCC's ``HC1:`` codes (checked against the upstream test vectors) and
our passes (``CO1:`` by default, ES256 only). Every way a code can be wrong ends in an
``HcertError`` with a reason code, never another exception: the caller turns it into DENY.

Signing is done with python-cwt (``passkeys.py``); verification is this lean path on cbor2 and
cryptography because a gate verifies far more than the server signs (bench/pass_verify.py
compares it with python-cwt's own verification of the same passes).
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

import cbor2
import numpy as np
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# The longest text a QR code holds (version 40, alphanumeric, level L); anything longer is not a scan.
MAX_TEXT = 4296
MAX_COSE = 16 * 1024          # decompressed size limit: a zip bomb stops here

ES256, ES384, ES512, PS256, PS384, PS512 = -7, -35, -36, -37, -38, -39
_EC = {ES256: (hashes.SHA256(), 32), ES384: (hashes.SHA384(), 48), ES512: (hashes.SHA512(), 66)}
_PS = {PS256: hashes.SHA256(), PS384: hashes.SHA384(), PS512: hashes.SHA512()}
_ECDSA = {alg: ec.ECDSA(h) for alg, (h, _n) in _EC.items()}


class HcertError(Exception):
    """Why a code cannot be accepted: reason is one of the Reason codes (wrong_prefix, malformed…)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Sign1:
    protected: bytes
    phdr: dict
    uhdr: dict
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.phdr.get(1, self.uhdr.get(1))

    @property
    def kid(self) -> bytes | None:
        kid = self.phdr.get(4, self.uhdr.get(4))
        return kid if isinstance(kid, bytes) else None


def kid_of_certificate(cert_der: bytes) -> bytes:
    """The key id: the first 8 bytes of the SHA-256 of the DER certificate (as HCERT)."""
    return hashlib.sha256(cert_der).digest()[:8]


def unprefix(text: str, prefix: str) -> str:
    if not isinstance(text, str):
        raise HcertError("malformed", "not text")
    if len(text) > MAX_TEXT:
        raise HcertError("too_large", f"{len(text)} characters")
    text = text.strip("\r\n\t")  # a scanner gun's Enter; not spaces: " " is a Base45 digit
    if not text.startswith(prefix):
        raise HcertError("wrong_prefix", text[:4])
    return text[len(prefix):]


B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUE = bytes(B45_ALPHABET.index(chr(c)) if chr(c) in B45_ALPHABET else 255 for c in range(256))


def b45decode(body: str) -> bytes:
    """RFC 9285 Base45 decoding, vectorised with numpy: the ``base45`` package gives the same bytes
    and the same refusals (tests/unit/passes/test_base45.py checks both ways) but is a pure-Python
    loop and was 40 % of a gate's verification time. Encoding stays with the package."""
    try:
        raw = body.rstrip("\n").encode("ascii")
    except (UnicodeEncodeError, AttributeError):
        raise HcertError("malformed", "base45: not ASCII") from None
    vals = raw.translate(_B45_VALUE)
    full, rest = divmod(len(vals), 3)
    if b"\xff" in vals or rest == 1:
        raise HcertError("malformed", "base45: character or length")
    a = np.frombuffer(vals, dtype=np.uint8)
    head = a[:full * 3].reshape(-1, 3).astype(np.uint32)
    x = head[:, 0] + head[:, 1] * 45 + head[:, 2] * 2025
    if full and int(x.max()) > 0xFFFF:
        raise HcertError("malformed", "base45: chunk out of range")
    out = x.astype(">u2").tobytes()
    if rest == 2:
        v = int(a[-2]) + int(a[-1]) * 45
        if v > 0xFF:
            raise HcertError("malformed", "base45: chunk out of range")
        out += bytes((v,))
    return out


def inflate(data: bytes) -> bytes:
    """zlib-decompress at most MAX_COSE bytes (HCERT: the CWT SHALL be zlib-compressed)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_COSE + 1)
    except zlib.error as e:
        raise HcertError("malformed", f"zlib: {e}") from None
    if len(out) > MAX_COSE or d.unconsumed_tail:
        raise HcertError("too_large", "decompressed size")
    if not d.eof:
        raise HcertError("malformed", "zlib: truncated")
    return out


def decode_chain(text: str, prefix: str) -> bytes:
    """QR text → COSE bytes."""
    return inflate(b45decode(unprefix(text, prefix)))


def parse_sign1(cose: bytes) -> Sign1:
    try:
        obj = cbor2.loads(cose)
    except Exception as e:  # CBORDecodeError and friends on garbage
        raise HcertError("malformed", f"cbor: {type(e).__name__}") from None
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag == 61 and isinstance(obj.value, cbor2.CBORTag):  # CWT tag around COSE
            obj = obj.value
        if not isinstance(obj, cbor2.CBORTag) or obj.tag != 18:
            raise HcertError("malformed", "not a COSE_Sign1")
        obj = obj.value
    if not (isinstance(obj, list) and len(obj) == 4):
        raise HcertError("malformed", "COSE_Sign1 is an array of four")
    protected, uhdr, payload, signature = obj
    if not (isinstance(protected, bytes) and isinstance(uhdr, dict) and isinstance(payload, bytes)
            and isinstance(signature, bytes)):
        raise HcertError("malformed", "COSE_Sign1 member types")
    try:
        phdr = cbor2.loads(protected) if protected else {}
    except Exception:
        raise HcertError("malformed", "protected header") from None
    if not isinstance(phdr, dict):
        raise HcertError("malformed", "protected header is not a map")
    return Sign1(protected, phdr, uhdr, payload, signature)


def _bstr(b: bytes) -> bytes:
    n = len(b)
    if n < 24:
        return bytes([0x40 | n]) + b
    if n < 256:
        return bytes([0x58, n]) + b
    if n < 65536:
        return bytes([0x59]) + n.to_bytes(2, "big") + b
    return bytes([0x5A]) + n.to_bytes(4, "big") + b


_SIG1_HEAD = b"\x84\x6aSignature1"


def sig_structure(s: Sign1) -> bytes:
    """Sig_structure = ["Signature1", protected, external_aad = h'', payload] in CBOR."""
    return _SIG1_HEAD + _bstr(s.protected) + b"\x40" + _bstr(s.payload)


def verify_signature(s: Sign1, public_key: Any, allowed_algs: frozenset[int]) -> None:
    alg = s.alg
    if isinstance(alg, bool) or not isinstance(alg, int) or alg not in allowed_algs:
        raise HcertError("wrong_algorithm", str(alg))
    msg = sig_structure(s)
    try:
        if alg in _EC:
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise HcertError("wrong_algorithm", "key is not an EC key")
            # r || s, each as long as the key's curve order (ES256 names the hash: SHA-256)
            n = (public_key.curve.key_size + 7) // 8
            if len(s.signature) != 2 * n:
                raise HcertError("bad_signature", "length")
            r = int.from_bytes(s.signature[:n], "big")
            t = int.from_bytes(s.signature[n:], "big")
            public_key.verify(encode_dss_signature(r, t), msg, _ECDSA[alg])
        elif alg in _PS:
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise HcertError("wrong_algorithm", "key is not an RSA key")
            h = _PS[alg]
            public_key.verify(s.signature, msg, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        else:
            raise HcertError("wrong_algorithm", str(alg))
    except InvalidSignature:
        raise HcertError("bad_signature") from None
    except HcertError:
        raise
    except Exception as e:  # odd key/signature sizes inside the backend
        raise HcertError("bad_signature", type(e).__name__) from None


def claims_of(s: Sign1) -> dict:
    try:
        claims = cbor2.loads(s.payload)
    except Exception:
        raise HcertError("malformed", "payload is not CBOR") from None
    if not isinstance(claims, dict):
        raise HcertError("malformed", "payload is not a CWT claims map")
    return claims


@dataclass(frozen=True)
class TrustedKey:
    kid: bytes
    public_key: Any
    withdrawn: bool = False


@dataclass(frozen=True)
class Verified:
    kid: bytes
    alg: int
    claims: dict


class Verifier:
    """Verifies codes with one prefix against a set of trusted keys (by kid)."""

    def __init__(self, keys: list[TrustedKey] | dict[bytes, TrustedKey], prefix: str,
                 allowed_algs: frozenset[int] = frozenset({ES256})):
        self.keys = keys if isinstance(keys, dict) else {k.kid: k for k in keys}
        self.prefix = prefix
        self.allowed_algs = allowed_algs

    def verify(self, text: str) -> Verified:
        return self.verify_sign1(parse_sign1(decode_chain(text, self.prefix)))

    def verify_sign1(self, s: Sign1) -> Verified:
        """The kid (protected header first) picks the key; the algorithm must be allowed."""
        alg = s.alg
        if isinstance(alg, bool) or not isinstance(alg, int) or alg not in self.allowed_algs:
            raise HcertError("wrong_algorithm", str(alg))
        key = self.keys.get(s.kid) if s.kid is not None else None
        if key is None:
            raise HcertError("unknown_key", s.kid.hex() if s.kid else "no kid")
        if key.withdrawn:
            raise HcertError("key_withdrawn", s.kid.hex())
        verify_signature(s, key.public_key, self.allowed_algs)
        return Verified(kid=s.kid, alg=alg, claims=claims_of(s))


def public_key_of_certificate(cert_der: bytes) -> Any:
    return x509.load_der_x509_certificate(cert_der).public_key()
