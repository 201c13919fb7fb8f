"""Signing keys for passes and for the lists checkpoints download; QR images.

Private keys are kept in the database only encrypted (AES-256-GCM under a key derived with
HKDF from ``Settings.pass_key_secret``, the key id as associated data). Why not files outside the
database: the API runs as several processes, often on several hosts, which would all need the
same key files copied and kept in step at every rollover; an encrypted column travels with the
rows, and a database dump or backup without the secret yields no usable key. The plaintext key
exists only in memory while a pass or a list is signed; it is never logged or returned.

Each key has a self-signed X.509 certificate; its kid is the first 8 bytes of the SHA-256 of the
certificate's DER (as HCERT). Pass keys sign passes (COSE_Sign1, ES256, through python-cwt);
the list key (one at a time, the checkpoints' trust anchor) signs the key list and the
revocation list as JSON: ``{"payload": b64url(json), "alg": "ES256", "kid", "signature": b64url(r||s)}``,
which a browser can check with WebCrypto (IEEE P1363 signatures) and the CLI with cryptography.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import base45
import cbor2
import segno
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from cwt import COSE, COSEKey

from .hcert import ES256, kid_of_certificate

WRAP_INFO = b"cityops pass signing keys v1"


class SealedKeyError(Exception):
    """A stored key cannot be opened (wrong secret, damaged row)."""


@dataclass(frozen=True)
class KeyMaterial:
    kid: str             # 16 hex characters
    certificate: str     # PEM
    spki: str            # base64 DER SubjectPublicKeyInfo (for browsers)
    private_enc: str     # "v1:" + base64(nonce || AES-GCM ciphertext)
    not_after: datetime


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _wrap_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cityops", info=WRAP_INFO).derive(secret.encode())


def seal_private(pem: bytes, kid: str, secret: str) -> str:
    nonce = os.urandom(12)
    return "v1:" + base64.b64encode(nonce + AESGCM(_wrap_key(secret)).encrypt(nonce, pem, kid.encode())).decode()


def open_private(private_enc: str, kid: str, secret: str) -> ec.EllipticCurvePrivateKey:
    try:
        if not private_enc.startswith("v1:"):
            raise ValueError("format")
        raw = base64.b64decode(private_enc[3:])
        pem = AESGCM(_wrap_key(secret)).decrypt(raw[:12], raw[12:], kid.encode())
        key = serialization.load_pem_private_key(pem, password=None)
    except Exception as e:
        raise SealedKeyError(f"signing key {kid} cannot be opened: {type(e).__name__} (wrong secret?)") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SealedKeyError(f"signing key {kid} is not an EC key")
    return key


def generate_key(purpose: str, subject: str, now: datetime, days: int, secret: str) -> KeyMaterial:
    """A new P-256 key with a self-signed certificate valid for ``days``; the private part sealed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"cityops {purpose}")])
    not_after = now + timedelta(days=days)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = kid_of_certificate(der).hex()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyMaterial(kid=kid, certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
                       spki=base64.b64encode(spki).decode(), private_enc=seal_private(pem, kid, secret),
                       not_after=not_after)


def certificate_der(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def public_key_from_pem(pem: str):
    return x509.load_pem_x509_certificate(pem.encode()).public_key()


def fingerprint(pem: str) -> str:
    """SHA-256 of the certificate's DER, hex: what a checkpoint pins for the list key."""
    return hashlib.sha256(certificate_der(pem)).hexdigest()


def encode_qr_text(cose: bytes, prefix: str) -> str:
    return prefix + base45.b45encode(zlib.compress(cose, 9)).decode()


def sign_pass(claims: dict[int, Any], kid: str, private_enc: str, secret: str, prefix: str) -> str:
    """CWT claims → COSE_Sign1 (ES256, kid in the protected header) → zlib → Base45 → prefix."""
    priv = open_private(private_enc, kid, secret)
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    cose_key = COSEKey.from_pem(pem, kid=bytes.fromhex(kid))
    ctx = COSE.new(alg_auto_inclusion=False, kid_auto_inclusion=False)
    cose = ctx.encode_and_sign(cbor2.dumps(claims), cose_key, protected={1: ES256, 4: bytes.fromhex(kid)})
    return encode_qr_text(cose, prefix)


def canonical_json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign_document(doc: dict, kid: str, private_enc: str, secret: str) -> dict:
    priv = open_private(private_enc, kid, secret)
    payload = canonical_json(doc)
    r, s = decode_dss_signature(priv.sign(payload, ec.ECDSA(hashes.SHA256())))
    return {"alg": "ES256", "kid": kid, "payload": b64u(payload),
            "signature": b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}


class ListSignatureError(Exception):
    pass


def verify_document(envelope: Any, public_key) -> dict:
    """The payload of a signed list, after checking its ES256 signature; ListSignatureError if not."""
    try:
        if envelope.get("alg") != "ES256":
            raise ListSignatureError("list algorithm must be ES256")
        payload = b64u_decode(envelope["payload"])
        sig = b64u_decode(envelope["signature"])
        if len(sig) != 64:
            raise ListSignatureError("signature length")
        public_key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                          payload, ec.ECDSA(hashes.SHA256()))
        return json.loads(payload)
    except InvalidSignature:
        raise ListSignatureError("the list's signature does not verify") from None
    except ListSignatureError:
        raise
    except Exception as e:
        raise ListSignatureError(f"not a signed list: {type(e).__name__}") from None


def qr_png(text: str, scale: int = 6) -> bytes:
    """QR code, alphanumeric mode (Base45 is inside the QR alphanumeric set), error correction Q."""
    buf = io.BytesIO()
    qr_code(text).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def qr_svg(text: str, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    qr_code(text).save(buf, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True)
    return buf.getvalue()


def qr_code(text: str):
    return segno.make_qr(text, mode="alphanumeric", error="q", boost_error=False)
