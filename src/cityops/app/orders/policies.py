"""Admin use cases for deadline policies, the district mode and the holiday calendar."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from ...domain.errors import InvalidInput, NotAllowed
from ...domain.orders.policy import DeadlinePolicy, Mode
from ...domain.roles import Actor, Role
from ..ports import UnitOfWork


def _admin(actor: Actor, also: Iterable[Role] = ()) -> None:
    if actor.role != Role.ADMIN and actor.role not in set(also):
        raise NotAllowed("只有管理员可以修改时限规则 (only an admin may change deadline policies)")


def list_policies(uow: UnitOfWork) -> list[DeadlinePolicy]:
    with uow:
        return uow.policies.all()


def put_policies(uow: UnitOfWork, actor: Actor, items: Iterable[dict[str, Any]], now: datetime) -> list[DeadlinePolicy]:
    """Create or replace policies (by mode + urgency + category). All or nothing; audited.

    A change applies to orders received from now on: running orders keep the policy they
    were received under (a snapshot stored with each order)."""
    _admin(actor)
    parsed = []
    for i, item in enumerate(items):
        try:
            p = DeadlinePolicy.from_dict(item).validated()
        except InvalidInput as e:
            raise InvalidInput(f"第 {i + 1} 条时限规则: {e.message} (policy #{i + 1})", field=e.field) from None
        parsed.append(p)
    if not parsed:
        raise InvalidInput("没有时限规则 (no policies given)", field="policies")
    with uow:
        saved = []
        for p in parsed:
            if p.category is not None and not uow.catalog.category_exists(p.category):
                raise InvalidInput(f"未知类别 {p.category!r} (unknown category)", field="category")
            before = {(q.mode, q.urgency, q.category): q for q in uow.policies.all()}.get((p.mode, p.urgency, p.category))
            s = uow.policies.upsert(p, actor.user_id, now)
            uow.audit.add(now, actor.user_id, "policy_changed", "deadline_policy", str(s.id),
                          {"before": before.to_dict() if before else None, "after": s.to_dict()})
            saved.append(s)
        uow.commit()
        return saved


def set_mode(uow: UnitOfWork, actor: Actor, mode: str, now: datetime) -> Mode:
    """Switch the district between epidemic (7×24, the seed's rules) and normal mode: one action."""
    _admin(actor, also=(Role.COMMANDER,))
    try:
        m = Mode(mode)
    except ValueError:
        raise InvalidInput("mode 必须是 epidemic 或 normal (mode must be epidemic or normal)", field="mode") from None
    with uow:
        before = uow.policies.mode()
        uow.policies.set_mode(m, actor.user_id, now)
        uow.audit.add(now, actor.user_id, "mode_changed", "district", "mode", {"before": str(before), "after": str(m)})
        uow.commit()
    return m


def get_calendar(uow: UnitOfWork) -> dict[str, Any]:
    with uow:
        return _calendar_view(uow.policies.calendar())


def _calendar_view(cal) -> dict[str, Any]:
    return {
        "tz": cal.tz, "day_start": cal.day_start.strftime("%H:%M"), "day_end": cal.day_end.strftime("%H:%M"),
        "weekend": sorted(cal.weekend),
        "days": sorted([{"day": d.isoformat(), "kind": "holiday"} for d in cal.holidays]
                       + [{"day": d.isoformat(), "kind": "workday"} for d in cal.workdays], key=lambda x: x["day"]),
    }


def put_calendar(uow: UnitOfWork, actor: Actor, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Replace working hours and the holiday / make-up workday list (admin; audited)."""
    from datetime import date, time
    from zoneinfo import ZoneInfo

    from ...domain.orders.clock import WorkCalendar

    _admin(actor)
    try:
        hours = {"tz": body.get("tz", "Asia/Shanghai"), "day_start": body.get("day_start", "09:00"),
                 "day_end": body.get("day_end", "17:30"), "weekend": [int(w) for w in body.get("weekend", [5, 6])]}
        ZoneInfo(hours["tz"])
        days = [(date.fromisoformat(d["day"]), d["kind"], d.get("name", "")) for d in body.get("days", [])]
        WorkCalendar(tz=hours["tz"], day_start=time.fromisoformat(hours["day_start"]),
                     day_end=time.fromisoformat(hours["day_end"]), weekend=frozenset(hours["weekend"]))
    except InvalidInput:
        raise
    except Exception as e:
        raise InvalidInput(f"工作日历无效: {e} (invalid calendar)", field="calendar") from None
    if any(k not in ("holiday", "workday") for _, k, _ in days):
        raise InvalidInput("kind 必须是 holiday 或 workday (kind must be holiday or workday)", field="days")
    if any(not 0 <= w <= 6 for w in hours["weekend"]):
        raise InvalidInput("weekend 取值 0–6 (Monday=0) (weekend days are 0-6)", field="weekend")
    with uow:
        before = _calendar_view(uow.policies.calendar())
        uow.policies.set_calendar(hours, days, actor.user_id, now)
        after = _calendar_view(uow.policies.calendar())
        uow.audit.add(now, actor.user_id, "calendar_changed", "district", "calendar", {"before": before, "after": after})
        uow.commit()
    return after
