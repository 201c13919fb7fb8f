"""卡口核验: scanning a pass online, uploading scans made offline, the signed key and revocation
lists checkpoints download, and revocation."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.passes.model import (Decision, PassClaims, Reason, checked_direction, decide, reason_message,
                                    revocation_hash)
from ...domain.roles import Actor
from .common import active_key, ensure_keys, may_act_for_area
from .ports import PassCrypto, PassesUnitOfWork

MAX_QR_INPUT = 8192           # longer input is refused before any decoding (too_large)
MAX_UPLOAD = 1000             # scans per upload
SCAN_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
LIST_TTL = timedelta(hours=24)


def verify_text(crypto: PassCrypto, keys: list[dict], text: Any, *, now: datetime, area: str, direction: str,
                revoked) -> tuple[Decision, PassClaims | None]:
    """Decode, check the signature, decide. Never raises: anything wrong is a DENY with its reason."""
    if not isinstance(text, str):
        return Decision(False, Reason.MALFORMED), None
    if len(text) > MAX_QR_INPUT:
        return Decision(False, Reason.TOO_LARGE), None
    checked = crypto.check(text, keys)
    if checked.reason is not None:
        return Decision(False, checked.reason), None
    try:
        claims = PassClaims.from_cwt(checked.claims)
    except ValueError:
        return Decision(False, Reason.MALFORMED), None
    return decide(claims, now=now, area=area, direction=direction, revoked=revoked(claims.pass_id)), claims


def _decision_out(d: Decision, claims: PassClaims | None, checkpoint: dict, direction: str, scan_id: str,
                  at: datetime) -> dict:
    out = {"scan_id": scan_id, "result": d.result.upper(), "allow": d.allow, "reason": str(d.reason),
           "message": reason_message(d.reason), "checkpoint": checkpoint["code"], "direction": direction,
           "scanned_at": at}
    if claims is not None:
        out["pass"] = {"id": claims.pass_id, "name": claims.name, "id_masked": claims.id_masked, "area": claims.area,
                       "directions": list(claims.directions), "valid_from": claims.valid_from,
                       "expires_at": claims.expires_at, "sample_time": claims.sample_time}
    return out


def _checkpoint(uow: PassesUnitOfWork, code: str) -> dict:
    cp = uow.passes.checkpoint(code or "")
    if cp is None or not cp["active"]:
        raise NotFound(f"卡口 {code} 不存在 (unknown checkpoint)", field="checkpoint")
    return cp


def checked_scan_id(scan_id: str | None) -> str:
    if scan_id is None or scan_id == "":
        return secrets.token_hex(16)
    if not isinstance(scan_id, str) or not SCAN_ID_RE.match(scan_id):
        raise InvalidInput("scan_id 应为8–64位字母数字 (scan_id: 8–64 of A-Z a-z 0-9 _.:-)", field="scan_id")
    return scan_id


def scan(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor, text: Any, checkpoint: str, direction: str,
         now: datetime, scan_id: str | None = None) -> dict:
    """One scan at a gate, decided online against the current keys and revocations, and logged."""
    direction = checked_direction(direction)
    sid = checked_scan_id(scan_id)
    with uow:
        cp = _checkpoint(uow, checkpoint)
        d, claims = verify_text(crypto, uow.passes.keys("pass"), text, now=now, area=cp["area_code"],
                                direction=direction, revoked=uow.passes.is_revoked)
        uow.passes.add_scans([{"scan_id": sid, "pass_id": claims.pass_id if claims else None,
                               "checkpoint_id": cp["id"], "direction": direction, "scanned_at": now,
                               "received_at": now, "result": d.result, "reason": str(d.reason),
                               "server_reason": None, "mode": "online", "user_id": actor.user_id}])
        uow.commit()
    return _decision_out(d, claims, cp, direction, sid, now)


def _time(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput("时间格式无效 (not an ISO date-time)", field=field) from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def upload_scans(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor, scans: list[dict], now: datetime) -> dict:
    """Scans a gate made offline, uploaded later: each is kept once (by its scan_id), with the gate's
    own result and the server's verdict at the scan time beside it. Bad items are reported, not lost
    silently; the good ones in the same upload are kept."""
    if not isinstance(scans, list) or len(scans) > MAX_UPLOAD:
        raise InvalidInput(f"scans 应为最多 {MAX_UPLOAD} 条的数组 (at most {MAX_UPLOAD} scans per upload)", field="scans")
    rows, rejected = [], []
    with uow:
        keys = uow.passes.keys("pass")
        cps: dict[str, dict] = {}
        for i, s in enumerate(scans):
            try:
                if not isinstance(s, dict):
                    raise InvalidInput("每条记录应为对象 (each scan is an object)")
                sid = s.get("scan_id")
                if not sid:
                    raise InvalidInput("离线记录必须带 scan_id (an offline scan needs its scan_id)", field="scan_id")
                sid = checked_scan_id(sid)
                direction = checked_direction(str(s.get("direction", "")))
                code = str(s.get("checkpoint", ""))
                cp = cps.get(code) or _checkpoint(uow, code)
                cps[code] = cp
                at = _time(s.get("scanned_at"), "scanned_at")
                if at > now + timedelta(minutes=10):
                    raise InvalidInput("扫码时间晚于服务器时间 (scanned_at is in the future)", field="scanned_at")
                result = str(s.get("result", "")).lower()
                if result not in ("allow", "deny"):
                    raise InvalidInput("result 应为 allow 或 deny", field="result")
                gate_reason = str(s.get("reason") or ("ok" if result == "allow" else "malformed"))[:24]
                d, claims = verify_text(crypto, keys, s.get("qr"), now=at, area=cp["area_code"], direction=direction,
                                        revoked=uow.passes.is_revoked)
                rows.append({"scan_id": sid, "pass_id": claims.pass_id if claims else None, "checkpoint_id": cp["id"],
                             "direction": direction, "scanned_at": at, "received_at": now, "result": result,
                             "reason": gate_reason, "server_reason": str(d.reason), "mode": "offline",
                             "user_id": actor.user_id})
            except (InvalidInput, NotFound) as e:
                rejected.append({"index": i, "scan_id": s.get("scan_id") if isinstance(s, dict) else None,
                                 "message": e.message})
        new = uow.passes.add_scans(rows)
        uow.commit()
    return {"received": len(scans), "stored": new, "duplicates": len(rows) - new, "rejected": rejected}


def key_list(uow: PassesUnitOfWork, crypto: PassCrypto, now: datetime) -> dict:
    """The signed key list: pass keys (active, retired: still verify; withdrawn: deny) and checkpoints."""
    with uow:
        ensure_keys(uow, crypto, now)
        list_key = active_key(uow, crypto, "list", now)
        keys = [{"kid": k["kid"], "status": k["status"], "certificate": k["certificate"], "spki": k["spki"],
                 "not_after": k["not_after"].isoformat()} for k in uow.passes.keys("pass")]
        cps = [{"code": c["code"], "name": c["name"], "area": c["area_code"], "area_name": c["area_name"]}
               for c in uow.passes.checkpoints() if c["active"]]
        uow.commit()
    doc = {"type": "cityops-pass-keys", "prefix": crypto.prefix, "issuer": crypto.issuer,
           "issued_at": now.isoformat(), "valid_until": (now + LIST_TTL).isoformat(), "keys": keys,
           "checkpoints": cps}
    return crypto.sign_list(doc, list_key)


def revocation_list(uow: PassesUnitOfWork, crypto: PassCrypto, since: int, now: datetime) -> dict:
    """Revoked passes (hashes of their ids) after sequence ``since``: 0 for the whole list, the last
    ``upto`` for only what is new. Signed by the list key."""
    if since < 0:
        raise InvalidInput("since 不能为负 (since must be >= 0)", field="since")
    with uow:
        list_key = active_key(uow, crypto, "list", now)
        rows = uow.passes.revocations(since)
        uow.commit()
    doc = {"type": "cityops-pass-revocations", "since": since, "upto": rows[-1]["seq"] if rows else since,
           "issued_at": now.isoformat(), "hashes": [r["hash"] for r in rows]}
    return crypto.sign_list(doc, list_key)


def anchor(uow: PassesUnitOfWork, crypto: PassCrypto, now: datetime) -> dict:
    """The list key's certificate: what a checkpoint pins (by fingerprint) when it is set up."""
    with uow:
        k = active_key(uow, crypto, "list", now)
        uow.commit()
    return {"kid": k["kid"], "certificate": k["certificate"], "spki": k["spki"],
            "fingerprint": crypto.fingerprint(k["certificate"])}


def revoke(uow: PassesUnitOfWork, actor: Actor | None, pass_id: str, reason: str, now: datetime) -> dict:
    """撤销: denied online at once, offline after the checkpoint's next revocation-list download."""
    reason = lc.checked_text(reason, "reason", limit=500)
    if not re.fullmatch(r"[0-9a-f]{32}", pass_id or ""):
        raise NotFound("通行码不存在 (no such pass)", field="pass_id")
    with uow:
        p = uow.passes.get_pass(pass_id)
        if p is None:
            raise NotFound("通行码不存在 (no such pass)", field="pass_id")
        if not may_act_for_area(uow, actor, uow.passes.area(area_id=p["area_id"])):
            raise NotAllowed("只有该区域所属街道或中心可以撤销 (only the area's street office or the center may revoke)")
        seq = uow.passes.revoke(pass_id, revocation_hash(pass_id), actor.user_id if actor else None, reason, now)
        if seq:
            uow.audit.add(now, actor.user_id if actor else None, "pass_revoked", "pass", pass_id, {"reason": reason})
        uow.commit()
        p = uow.passes.get_pass(pass_id)
    return {"id": pass_id, "revoked_at": p["revoked_at"], "revoke_reason": p["revoke_reason"], "seq": seq or None,
            "already_revoked": not seq}
