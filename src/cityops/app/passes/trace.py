"""追溯: who passed checkpoint X between t1 and t2, where has pass P been, all passes of employer E;
and the counts for the statistics API. Names are masked; center roles only (street offices see
their own checkpoints' passages)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.org import mask_name
from ...domain.roles import CENTER_ROLES, Actor
from .common import may_act_for_area, require_center
from .ports import PassesUnitOfWork

MAX_ROWS = 50_000
MAX_SPAN = timedelta(days=92)


def _scan_out(s: dict) -> dict:
    return {"scan_id": s["scan_id"], "scanned_at": s["scanned_at"], "checkpoint": s["checkpoint"],
            "checkpoint_name": s["checkpoint_name"], "direction": s["direction"], "result": s["result"],
            "reason": s["reason"], "server_reason": s["server_reason"], "mode": s["mode"], "pass_id": s["pass_id"],
            "name": mask_name(s["holder_name"]) if s["holder_name"] else "", "id_masked": s["id_masked"] or "",
            "employer": s["employer"] or "", "area": s["area_code"]}


def passages(uow: PassesUnitOfWork, actor: Actor, checkpoint: str, start: datetime, end: datetime,
             allowed_only: bool = True) -> dict:
    if end <= start or end - start > MAX_SPAN:
        raise InvalidInput("时间范围应为0–92天 (the window must be between 0 and 92 days)", field="until")
    with uow:
        cp = uow.passes.checkpoint(checkpoint)
        if cp is None:
            raise NotFound(f"卡口 {checkpoint} 不存在 (unknown checkpoint)", field="checkpoint")
        if actor.role not in CENTER_ROLES and not may_act_for_area(uow, actor, uow.passes.area(area_id=cp["area_id"])):
            raise NotAllowed("只能查询本街道的卡口 (only your own street's checkpoints)")
        rows = [_scan_out(s) for s in uow.passes.passages(cp["id"], start, end, MAX_ROWS)]
    if allowed_only:
        rows = [r for r in rows if r["result"] == "allow"]
    return {"checkpoint": checkpoint, "since": start, "until": end, "count": len(rows), "items": rows}


def history(uow: PassesUnitOfWork, actor: Actor, pass_id: str) -> dict:
    require_center(actor)
    with uow:
        p = uow.passes.get_pass(pass_id)
        if p is None:
            raise NotFound("通行码不存在 (no such pass)", field="pass_id")
        rows = [_scan_out(s) for s in uow.passes.pass_scans(pass_id, MAX_ROWS)]
    return {"pass": pass_out(p), "count": len(rows), "items": rows}


def pass_out(p: dict) -> dict:
    return {"id": p["id"], "name": mask_name(p["holder_name"]), "id_masked": p["id_masked"], "employer": p["employer"],
            "area": p["area_code"], "area_name": p["area_name"], "directions": p["directions"], "kid": p["kid"],
            "issued_at": p["issued_at"], "valid_from": p["valid_from"], "expires_at": p["expires_at"],
            "sample_time": p["sample_time"], "revoked_at": p["revoked_at"], "revoke_reason": p["revoke_reason"]}


def employer_passes(uow: PassesUnitOfWork, actor: Actor, employer: str) -> dict:
    require_center(actor)
    employer = (employer or "").strip()
    if not employer:
        raise InvalidInput("请填写单位名称 (employer is required)", field="employer")
    with uow:
        rows = [pass_out(p) for p in uow.passes.employer_passes(employer, MAX_ROWS)]
    return {"employer": employer, "count": len(rows), "items": rows}


def stats(uow: PassesUnitOfWork, actor: Actor, start: datetime, end: datetime) -> dict:
    require_center(actor)
    if end <= start:
        raise InvalidInput("结束时间应晚于开始时间 (until must be after since)", field="until")
    with uow:
        return {"since": start, "until": end, **uow.passes.stats(start, end)}
