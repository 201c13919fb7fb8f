"""申请: one-time code to the phone, the application, eligibility, the street office's queue, issuing."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ...domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.org import mask_name, mask_phone
from ...domain.passes.model import ApplicationReason, PassClaims, checked_directions, pass_expiry
from ...domain.passes.rules import build_context, check_eligibility
from ...domain.people import checked_id_number, mask_id_number
from ...domain.roles import Actor
from .common import active_key, may_act_for_area, ruleset, scope_path
from .ports import PassCrypto, PassesUnitOfWork

OTP_TTL = timedelta(minutes=10)
OTP_GAP = timedelta(seconds=60)
OTP_PER_HOUR = 5
OTP_ATTEMPTS = 5
MAX_PERIOD = timedelta(days=31)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
LAPSED = {"id": "TEST-LAPSES-BEFORE-START", "zh": "申请时段开始时核酸结果已失效",
          "en": "the test result lapses before the requested period starts"}


def checked_phone(phone: str) -> str:
    p = re.sub(r"[\s-]", "", phone or "")
    if p.startswith("+86"):
        p = p[3:]
    if not PHONE_RE.match(p):
        raise InvalidInput("请填写11位手机号码 (an 11-digit mainland mobile number)", field="phone")
    return p


def _code_hash(otp_id: str, code: str) -> str:
    return hashlib.sha256(f"{otp_id}|{code}".encode()).hexdigest()


def request_code(uow: PassesUnitOfWork, phone: str, now: datetime) -> dict:
    """A 6-digit code by SMS (the outbox's SMS channel), valid 10 minutes; at most one a minute and
    five an hour per phone. Only the code's hash is stored."""
    phone = checked_phone(phone)
    with uow:
        if uow.passes.otps_since(phone, now - OTP_GAP):
            raise Conflict("验证码已发送，请一分钟后再试 (a code was sent less than a minute ago)", field="phone")
        if uow.passes.otps_since(phone, now - timedelta(hours=1)) >= OTP_PER_HOUR:
            raise Conflict("验证码请求过于频繁，请一小时后再试 (too many codes this hour)", field="phone")
        otp_id = secrets.token_hex(16)
        code = f"{secrets.randbelow(10 ** 6):06d}"
        uow.passes.add_otp({"id": otp_id, "phone": phone, "code_hash": _code_hash(otp_id, code), "created_at": now,
                            "expires_at": now + OTP_TTL, "attempts": 0})
        uow.notices.outbox([{"channel": "sms", "recipient": phone, "subject": "通行码申请验证码",
                             "body": f"您的验证码为 {code}，10分钟内有效。如非本人操作请忽略。", "order_id": None,
                             "created_at": now, "dedup_key": f"pass-otp:{otp_id}"}])
        uow.commit()
    return {"otp_id": otp_id, "phone": mask_phone(phone), "expires_at": now + OTP_TTL}


def _confirm_code(uow: PassesUnitOfWork, otp_id: str, code: str, phone: str, now: datetime) -> None:
    otp = uow.passes.otp(otp_id or "")
    if otp is None or otp["phone"] != phone:
        raise InvalidInput("请先获取短信验证码 (request a code for this phone first)", field="code")
    if otp["used_at"] is not None:
        raise InvalidInput("验证码已使用，请重新获取 (this code was used; request a new one)", field="code")
    if otp["expires_at"] <= now:
        raise InvalidInput("验证码已过期，请重新获取 (the code has expired)", field="code")
    if otp["attempts"] >= OTP_ATTEMPTS:
        raise InvalidInput("验证码错误次数过多，请重新获取 (too many wrong codes; request a new one)", field="code")
    if not hmac.compare_digest(otp["code_hash"], _code_hash(otp["id"], (code or "").strip())):
        uow.passes.update_otp(otp["id"], {"attempts": otp["attempts"] + 1})
        uow.commit()  # the failed attempt counts even though the application is refused
        raise InvalidInput("验证码错误 (wrong code)", field="code")
    uow.passes.update_otp(otp["id"], {"used_at": now})


@dataclass
class NewApplication:
    name: str
    id_number: str
    phone: str
    otp_id: str
    code: str
    employer: str
    reason: str
    area: str
    directions: Any
    period_start: datetime
    period_end: datetime
    note: str = ""


def _utc(dt: datetime, field: str) -> datetime:
    if not isinstance(dt, datetime):
        raise InvalidInput("时间格式无效 (not a date-time)", field=field)
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone(timedelta(hours=8)))).astimezone(timezone.utc)


def submit(uow: PassesUnitOfWork, crypto: PassCrypto, cmd: NewApplication, now: datetime) -> dict:
    """Checks the code and the rules; the answer is refused (with the reasons and the last test
    time), pending (areas with manual approval: the street office's queue) or issued (the pass)."""
    name = lc.checked_text(cmd.name, "name", limit=50)
    number = checked_id_number(cmd.id_number)
    phone = checked_phone(cmd.phone)
    employer = lc.checked_text(cmd.employer, "employer", limit=200)
    note = lc.checked_text(cmd.note, "note", required=False, limit=500)
    try:
        reason = ApplicationReason(cmd.reason).value
    except ValueError:
        raise InvalidInput(f"申请事由无效 (reason must be one of {[r.value for r in ApplicationReason]})",
                           field="reason") from None
    directions = checked_directions(cmd.directions)
    start, end = _utc(cmd.period_start, "period_start"), _utc(cmd.period_end, "period_end")
    if end <= start:
        raise InvalidInput("结束时间应晚于开始时间 (the period must end after it starts)", field="period_end")
    if end <= now:
        raise InvalidInput("申请时段已过 (the period is over)", field="period_end")
    if end - start > MAX_PERIOD:
        raise InvalidInput("申请时段最长31天 (at most 31 days)", field="period_end")
    id_hash = crypto.id_hash(number)
    token = secrets.token_urlsafe(24)
    with uow:
        area = uow.passes.area(code=cmd.area)
        if area is None or not area["active"]:
            raise NotFound(f"区域 {cmd.area} 不存在 (unknown area)", field="area")
        _confirm_code(uow, cmd.otp_id, cmd.code, phone, now)
        version, rules = ruleset(uow)
        test = uow.passes.latest_result(id_hash)
        elig = check_eligibility(rules, build_context(
            now=now, employer=employer, reason=reason, directions=directions, start=start, end=end,
            area_code=area["code"], area_kind=area["kind"], manual=area["manual_approval"], test=test))
        failures = list(elig.failures)
        if not failures and elig.test_valid_until is not None and pass_expiry(end, elig.test_valid_until) <= start:
            failures.append(LAPSED)
        status = "refused" if failures else ("pending" if area["manual_approval"] else "issued")
        app_id = uow.passes.add_application({
            "access_hash": hashlib.sha256(token.encode()).hexdigest(), "name": name, "id_hash": id_hash,
            "id_masked": mask_id_number(number), "phone": phone, "employer": employer, "reason": reason,
            "note": note, "area_id": area["id"], "directions": list(directions), "period_start": start,
            "period_end": end, "status": status, "failures": failures,
            "last_test_at": test["sample_time"] if test else None,
            "last_test_result": test["result"] if test else None, "ruleset_version": version, "created_at": now})
        if status == "issued":
            _issue(uow, crypto, uow.passes.application(app_id), test, elig.test_valid_until, now)
        uow.commit()
        return application_out(uow, uow.passes.application(app_id), token=token)


def _issue(uow: PassesUnitOfWork, crypto: PassCrypto, app: dict, test: dict, valid_until: datetime,
           now: datetime) -> dict:
    key = active_key(uow, crypto, "pass", now)
    valid_from = max(app["period_start"], now)
    claims = PassClaims(pass_id=secrets.token_hex(16), issuer=crypto.issuer, issued_at=now, valid_from=valid_from,
                        expires_at=pass_expiry(app["period_end"], valid_until), name=app["name"],
                        id_masked=app["id_masked"], area=app["area_code"], directions=tuple(app["directions"]),
                        sample_time=test["sample_time"])
    qr = crypto.sign_pass(claims.to_cwt(), key)
    row = {"id": claims.pass_id, "application_id": app["id"], "kid": key["kid"], "holder_name": app["name"],
           "id_hash": app["id_hash"], "id_masked": app["id_masked"], "employer": app["employer"],
           "area_id": app["area_id"], "directions": list(claims.directions), "sample_time": test["sample_time"],
           "issued_at": now, "valid_from": claims.valid_from, "expires_at": claims.expires_at, "qr_text": qr}
    uow.passes.add_pass(row)
    return row


def application_out(uow: PassesUnitOfWork, a: dict, token: str | None = None, masked: bool = False) -> dict:
    p = uow.passes.pass_of_application(a["id"]) if a["status"] == "issued" else None
    out = {
        "id": a["id"], "status": a["status"], "name": mask_name(a["name"]) if masked else a["name"],
        "id_masked": a["id_masked"], "phone": mask_phone(a["phone"]), "employer": a["employer"],
        "reason": a["reason"], "note": a["note"], "area": a["area_code"], "area_name": a["area_name"],
        "directions": a["directions"], "period_start": a["period_start"], "period_end": a["period_end"],
        "failures": a["failures"], "refusal": "；".join(f"{f['zh']} ({f['en']})" for f in a["failures"]),
        "last_test_at": a["last_test_at"], "last_test_result": a["last_test_result"],
        "ruleset_version": a["ruleset_version"], "created_at": a["created_at"], "decided_at": a["decided_at"],
        "decision_note": a["decision_note"],
    }
    if token:
        out["token"] = token
    if p is not None:
        out["pass"] = {"id": p["id"], "kid": p["kid"], "valid_from": p["valid_from"], "expires_at": p["expires_at"],
                       "revoked": p["revoked_at"] is not None, "revoke_reason": p["revoke_reason"],
                       "qr_text": None if masked else p["qr_text"]}
    return out


def _by_token(uow: PassesUnitOfWork, app_id: int, token: str) -> dict:
    a = uow.passes.application(app_id)
    if a is None or not token or not hmac.compare_digest(a["access_hash"],
                                                         hashlib.sha256(token.encode()).hexdigest()):
        raise NotFound("申请不存在或链接无效 (no such application, or the link is wrong)")
    return a


def status(uow: PassesUnitOfWork, app_id: int, token: str) -> dict:
    """The applicant's own view (by the link's token): status, reasons, the pass."""
    with uow:
        return application_out(uow, _by_token(uow, app_id, token))


def pass_text(uow: PassesUnitOfWork, app_id: int, token: str) -> str:
    with uow:
        a = _by_token(uow, app_id, token)
        p = uow.passes.pass_of_application(a["id"])
        if p is None:
            raise NotFound("该申请尚未签发通行码 (no pass issued for this application)")
        return p["qr_text"]


def list_applications(uow: PassesUnitOfWork, actor: Actor, status_: str | None, limit: int, offset: int) -> dict:
    """The street office's queue (its areas) or, for center roles, the district's; names masked."""
    with uow:
        path = scope_path(uow, actor)
        page = uow.passes.applications(status=status_ or None, unit_path=path, limit=limit, offset=offset)
        return {"total": page["total"], "items": [application_out(uow, a, masked=True) for a in page["items"]]}


def decide(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor, app_id: int, approve: bool, note: str,
           now: datetime) -> dict:
    """The street office approves (the rules are checked again: a test may have lapsed) or rejects."""
    note = lc.checked_text(note, "note", required=not approve, limit=500)
    with uow:
        a = uow.passes.application(app_id)
        if a is None:
            raise NotFound("申请不存在 (no such application)")
        area = uow.passes.area(area_id=a["area_id"])
        if not may_act_for_area(uow, actor, area):
            raise NotAllowed("只有该区域所属街道或中心可以审批 (only the area's street office or the center may decide)")
        if a["status"] != "pending":
            raise Conflict(f"申请状态为 {a['status']}，不能再审批 (the application is not pending)")
        values: dict[str, Any] = {"decided_by": actor.user_id, "decided_at": now, "decision_note": note}
        if approve:
            version, rules = ruleset(uow)
            test = uow.passes.latest_result(a["id_hash"])
            elig = check_eligibility(rules, build_context(
                now=now, employer=a["employer"], reason=a["reason"], directions=tuple(a["directions"]),
                start=a["period_start"], end=a["period_end"], area_code=area["code"], area_kind=area["kind"],
                manual=area["manual_approval"], test=test))
            failures = list(elig.failures)
            if not failures and pass_expiry(a["period_end"], elig.test_valid_until) <= now:
                failures.append(LAPSED)
            values.update(status="refused" if failures else "issued", failures=failures, ruleset_version=version,
                          last_test_at=test["sample_time"] if test else None,
                          last_test_result=test["result"] if test else None)
            uow.passes.update_application(app_id, values)
            if not failures:
                _issue(uow, crypto, uow.passes.application(app_id), test, elig.test_valid_until, now)
        else:
            values.update(status="rejected", failures=[{"id": "STREET-REJECTED", "zh": f"街道审核未通过：{note}",
                                                        "en": "rejected by the street office"}])
            uow.passes.update_application(app_id, values)
        uow.audit.add(now, actor.user_id, "pass_application_" + ("approved" if approve else "rejected"),
                      "pass_application", str(app_id), {"note": note})
        uow.commit()
        return application_out(uow, uow.passes.application(app_id), masked=True)
