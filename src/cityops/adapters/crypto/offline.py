"""Offline verification for a checkpoint without the server: a folder with the pinned anchor
(the list key's certificate), the signed key list and the signed revocation list, kept up to date
by ``fetch`` whenever the network is there (revocations incrementally, by sequence).

    anchor.json       {kid, certificate, spki, fingerprint} — pinned at set-up; never replaced by fetch
    keys.json         the signed key list as downloaded
    revocations.json  {"upto": n, "hashes": [...]} merged from the signed downloads
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ...domain.passes.model import Decision, PassClaims, Reason, decide, revocation_hash
from .hcert import HcertError, TrustedKey, Verifier, public_key_of_certificate
from .passkeys import ListSignatureError, certificate_der, fingerprint, public_key_from_pem, verify_document


class BundleError(Exception):
    pass


@dataclass
class OfflineBundle:
    verifier: Verifier
    checkpoints: dict[str, dict]
    revoked: set[str]
    keys_issued_at: str
    keys_valid_until: str
    revocations_upto: int

    @classmethod
    def load(cls, folder: Path) -> "OfflineBundle":
        try:
            anchor = json.loads((folder / "anchor.json").read_text(encoding="utf-8"))
            keys_env = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise BundleError(f"离线目录不完整，请先 fetch (run `cityops pass fetch` first): {e}") from None
        if fingerprint(anchor["certificate"]) != anchor["fingerprint"]:
            raise BundleError("锚证书指纹不符 (the pinned anchor does not match its fingerprint)")
        list_key = public_key_from_pem(anchor["certificate"])
        try:
            doc = verify_document(keys_env, list_key)
        except ListSignatureError as e:
            raise BundleError(f"密钥清单签名无效 (the key list's signature does not verify): {e}") from None
        if doc.get("type") != "cityops-pass-keys":
            raise BundleError("不是密钥清单 (not a key list)")
        trusted = [TrustedKey(bytes.fromhex(k["kid"]), public_key_of_certificate(certificate_der(k["certificate"])),
                              withdrawn=k["status"] == "withdrawn") for k in doc["keys"]]
        rev = {"upto": 0, "hashes": []}
        path = folder / "revocations.json"
        if path.exists():
            rev = json.loads(path.read_text(encoding="utf-8"))
        return cls(Verifier(trusted, doc["prefix"]), {c["code"]: c for c in doc["checkpoints"]}, set(rev["hashes"]),
                   doc["issued_at"], doc["valid_until"], int(rev["upto"]))

    def verify(self, text: Any, checkpoint: str, direction: str, now: datetime) -> tuple[Decision, PassClaims | None]:
        cp = self.checkpoints.get(checkpoint)
        if cp is None:
            raise BundleError(f"卡口 {checkpoint} 不在密钥清单中 (unknown checkpoint)")
        if not isinstance(text, str) or len(text) > 8192:
            return Decision(False, Reason.TOO_LARGE if isinstance(text, str) else Reason.MALFORMED), None
        try:
            got = self.verifier.verify(text)
            claims = PassClaims.from_cwt(got.claims)
        except HcertError as e:
            return Decision(False, e.reason), None
        except ValueError:
            return Decision(False, Reason.MALFORMED), None
        revoked = revocation_hash(claims.pass_id) in self.revoked
        return decide(claims, now=now, area=cp["area"], direction=direction, revoked=revoked), claims


def fetch(folder: Path, get: Callable[[str], Any]) -> dict:
    """Bring the folder up to date through ``get(path) -> JSON`` (the server's public endpoints).

    The anchor is pinned the first time; afterwards a different anchor is refused (a new list key
    must be pinned on purpose by deleting anchor.json). Lists are written only after their
    signatures verify against the pinned anchor."""
    folder.mkdir(parents=True, exist_ok=True)
    anchor_path = folder / "anchor.json"
    served = get("/api/v1/passes/anchor")
    if anchor_path.exists():
        pinned = json.loads(anchor_path.read_text(encoding="utf-8"))
        if pinned["fingerprint"] != served["fingerprint"]:
            raise BundleError("服务器的名单签名证书已变更；如确认无误，删除 anchor.json 后重新 fetch "
                              "(the server's list key changed: delete anchor.json to pin the new one)")
    else:
        if fingerprint(served["certificate"]) != served["fingerprint"]:
            raise BundleError("anchor fingerprint mismatch")
        anchor_path.write_text(json.dumps(served, ensure_ascii=False, indent=1), encoding="utf-8")
        pinned = served
    list_key = public_key_from_pem(pinned["certificate"])
    keys_env = get("/api/v1/passes/keys")
    keys_doc = verify_document(keys_env, list_key)
    (folder / "keys.json").write_text(json.dumps(keys_env), encoding="utf-8")
    rev_path = folder / "revocations.json"
    rev = json.loads(rev_path.read_text(encoding="utf-8")) if rev_path.exists() else {"upto": 0, "hashes": []}
    env = get(f"/api/v1/passes/revocations?since={int(rev['upto'])}")
    doc = verify_document(env, list_key)
    if doc.get("type") != "cityops-pass-revocations" or doc["since"] != rev["upto"]:
        raise BundleError("revocation list does not continue the one we have")
    merged = {"upto": doc["upto"], "hashes": sorted(set(rev["hashes"]) | set(doc["hashes"]))}
    rev_path.write_text(json.dumps(merged), encoding="utf-8")
    return {"keys": len(keys_doc["keys"]), "checkpoints": len(keys_doc["checkpoints"]), "new_revocations":
            len(doc["hashes"]), "revocations": len(merged["hashes"]), "upto": merged["upto"]}
