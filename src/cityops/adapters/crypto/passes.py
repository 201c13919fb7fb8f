"""The passes use cases' cryptography port, implemented with hcert.py and passkeys.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from ...domain.people import id_hash
from . import passkeys
from .hcert import HcertError, TrustedKey, Verifier, public_key_of_certificate


@dataclass(frozen=True)
class CheckResult:
    claims: dict | None = None
    kid: str | None = None
    reason: str | None = None


class PassCryptoAdapter:
    def __init__(self, *, id_secret: str, key_secret: str, prefix: str = "CO1:", issuer: str = "cityops"):
        self._id_secret = id_secret
        self._key_secret = key_secret
        self.prefix = prefix
        self.issuer = issuer
        self._verifiers: dict[tuple, Verifier] = {}

    def id_hash(self, id_number: str) -> str:
        return id_hash(self._id_secret, id_number)

    def new_key(self, purpose: str, subject: str, now: datetime, days: int) -> dict:
        m = passkeys.generate_key(purpose, subject, now, days, self._key_secret)
        return {"kid": m.kid, "certificate": m.certificate, "spki": m.spki, "private_enc": m.private_enc,
                "not_after": m.not_after}

    def sign_pass(self, claims: dict[int, Any], key: dict) -> str:
        return passkeys.sign_pass(claims, key["kid"], key["private_enc"], self._key_secret, self.prefix)

    def sign_list(self, doc: dict, key: dict) -> dict:
        return passkeys.sign_document(doc, key["kid"], key["private_enc"], self._key_secret)

    def fingerprint(self, certificate_pem: str) -> str:
        return passkeys.fingerprint(certificate_pem)

    def verifier(self, keys: Iterable[dict]) -> Verifier:
        """A verifier for the pass keys given (cached by their kids and statuses)."""
        rows = sorted((k["kid"], k["status"], k["certificate"]) for k in keys if k.get("purpose", "pass") == "pass")
        sig = tuple((kid, status) for kid, status, _ in rows)
        v = self._verifiers.get(sig)
        if v is None:
            trusted = [TrustedKey(bytes.fromhex(kid), public_key_of_certificate(passkeys.certificate_der(pem)),
                                  withdrawn=(status == "withdrawn")) for kid, status, pem in rows]
            v = Verifier(trusted, self.prefix)
            if len(self._verifiers) > 32:
                self._verifiers.clear()
            self._verifiers[sig] = v
        return v

    def check(self, text: str, keys: Iterable[dict]) -> CheckResult:
        try:
            got = self.verifier(keys).verify(text)
        except HcertError as e:
            return CheckResult(reason=e.reason)
        return CheckResult(claims=got.claims, kid=got.kid.hex())
