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
