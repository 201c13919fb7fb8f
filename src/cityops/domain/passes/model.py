"""The pass: its claims (what the QR code carries), its validity, and the checkpoint's decision.

A pass is a CWT (RFC 8392) in a COSE_Sign1: the standard claims iss, iat, nbf, exp and
cti (the pass id), plus our claim map under ``PASS_CLAIM`` with the holder's name and masked ID
number, the area, the directions and the sample time of the test it rests on. The decision at a
gate depends only on these claims, the checkpoint, the direction and the revocation list, so
the same function decides online, offline and in the benchmark.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from ..errors import InvalidInput

PASS_CLAIM = -70001           # private-use CWT claim key (< -65536): the cityops pass claims
PASS_VERSION = 1
CLOCK_SKEW = timedelta(minutes=5)  # a pass issued a moment ago is valid at a gate whose clock lags


class Direction(StrEnum):
    IN = "in"     # 进入封控区
    OUT = "out"   # 离开封控区


class Reason(StrEnum):
    """Why a scan was denied (or ``ok``). Each has a Chinese and an English text in ``REASON_TEXT``."""
    OK = "ok"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    WRONG_AREA = "wrong_area"
    WRONG_DIRECTION = "wrong_direction"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_WITHDRAWN = "key_withdrawn"
    WRONG_PREFIX = "wrong_prefix"
    WRONG_ALGORITHM = "wrong_algorithm"
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"


REASON_TEXT: dict[str, tuple[str, str]] = {
    Reason.OK: ("通行码有效", "valid pass"),
    Reason.EXPIRED: ("通行码已过期", "the pass has expired"),
    Reason.NOT_YET_VALID: ("通行码尚未生效", "the pass is not valid yet"),
    Reason.REVOKED: ("通行码已被撤销", "the pass has been revoked"),
    Reason.WRONG_AREA: ("通行码不适用于本区域", "the pass is for another area"),
    Reason.WRONG_DIRECTION: ("通行码不允许此方向通行", "the pass does not allow this direction"),
    Reason.BAD_SIGNATURE: ("签名无效（伪造或被篡改）", "bad signature: forged or altered"),
    Reason.UNKNOWN_KEY: ("签发密钥未知", "signed by an unknown key"),
    Reason.KEY_WITHDRAWN: ("签发密钥已停用", "the signing key has been withdrawn"),
    Reason.WRONG_PREFIX: ("不是本系统的通行码", "not a pass of this system (wrong prefix)"),
    Reason.WRONG_ALGORITHM: ("签名算法不被接受", "signature algorithm not accepted"),
    Reason.TOO_LARGE: ("二维码内容过长", "the code is too large"),
    Reason.MALFORMED: ("二维码内容无法识别（不完整或已损坏）", "unreadable code: truncated or damaged"),
}


def reason_message(reason: str) -> str:
    zh, en = REASON_TEXT.get(reason, (reason, reason))
    return f"{zh} ({en})"


class ApplicationReason(StrEnum):
    """Why somebody must cross the boundary (申请事由)."""
    SUPPLIES = "supplies"              # 保供物资
    MEDICAL = "medical"                # 医疗救治
    UTILITIES = "utilities"            # 水电气等城市运行保障
    PUBLIC_SERVICE = "public_service"  # 社区防控、公共服务
    OTHER = "other"                    # 其他


@dataclass(frozen=True)
class PassClaims:
    pass_id: str                 # 32 hex characters (the 16-byte cti)
    issuer: str
    issued_at: datetime
    valid_from: datetime
    expires_at: datetime
    name: str
    id_masked: str
    area: str                    # area code
    directions: tuple[str, ...]
    sample_time: datetime

    def to_cwt(self) -> dict[int, Any]:
        return {
            1: self.issuer, 6: _epoch(self.issued_at), 5: _epoch(self.valid_from), 4: _epoch(self.expires_at),
            7: bytes.fromhex(self.pass_id),
            PASS_CLAIM: {"v": PASS_VERSION, "n": self.name, "i": self.id_masked, "a": self.area,
                         "d": list(self.directions), "t": _epoch(self.sample_time)},
        }

    @classmethod
    def from_cwt(cls, m: Any) -> "PassClaims":
        """Claims from a decoded CWT map; ValueError if a claim is missing or of the wrong type."""
        if not isinstance(m, dict):
            raise ValueError("claims are not a map")
        p = m.get(PASS_CLAIM)
        if not isinstance(p, dict) or p.get("v") != PASS_VERSION:
            raise ValueError("no cityops pass claims")
        cti = m.get(7)
        if not isinstance(cti, bytes) or len(cti) != 16:
            raise ValueError("cti must be 16 bytes")
        dirs = p.get("d")
        if not isinstance(dirs, list) or not dirs or not all(d in ("in", "out") for d in dirs):
            raise ValueError("directions")
        for k in ("n", "i", "a"):
            if not isinstance(p.get(k), str):
                raise ValueError(k)
        if not isinstance(m.get(1), str):
            raise ValueError("iss")
        return cls(pass_id=cti.hex(), issuer=m[1], issued_at=_from_epoch(m.get(6)), valid_from=_from_epoch(m.get(5)),
                   expires_at=_from_epoch(m.get(4)), name=p["n"], id_masked=p["i"], area=p["a"],
                   directions=tuple(dirs), sample_time=_from_epoch(p.get("t")))


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def _from_epoch(v: Any) -> datetime:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v < 2 ** 34):
        raise ValueError("time claim")
    return datetime.fromtimestamp(int(v), timezone.utc)


def revocation_hash(pass_id: str) -> str:
    """What the revocation list carries: the first 16 bytes of SHA-256 of the pass id (cti), hex."""
    return hashlib.sha256(bytes.fromhex(pass_id)).digest()[:16].hex()


def pass_expiry(period_end: datetime, test_valid_until: datetime) -> datetime:
    """exp = min(end of the requested period, the time until which the test counts)."""
    return min(period_end, test_valid_until)


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str

    @property
    def result(self) -> str:
        return "allow" if self.allow else "deny"


def decide(claims: PassClaims, *, now: datetime, area: str, direction: str, revoked: bool,
           skew: timedelta = CLOCK_SKEW) -> Decision:
    """The gate's decision for a pass whose signature has been verified."""
    if revoked:
        return Decision(False, Reason.REVOKED)
    if now >= claims.expires_at:  # no tolerance: an expired test never passes
        return Decision(False, Reason.EXPIRED)
    if now + skew < claims.valid_from:
        return Decision(False, Reason.NOT_YET_VALID)
    if claims.area != area:
        return Decision(False, Reason.WRONG_AREA)
    if direction not in claims.directions:
        return Decision(False, Reason.WRONG_DIRECTION)
    return Decision(True, Reason.OK)


def checked_direction(value: str, field: str = "direction") -> str:
    try:
        return Direction(value).value
    except ValueError:
        raise InvalidInput(f"方向应为 in（进）或 out（出）(direction must be in or out, not {value!r})",
                           field=field) from None


def checked_directions(values: Any, field: str = "directions") -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    if not values:
        raise InvalidInput("请选择通行方向 (choose at least one direction)", field=field)
    out = []
    for v in values:
        d = checked_direction(str(v), field)
        if d not in out:
            out.append(d)
    return tuple(sorted(out))
