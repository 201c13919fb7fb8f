"""Who hears about what: timeline events and deadline steps → in-app notices and outbox messages.

Rows only: the in-app inbox is written in the same transaction as the event, external
messages go to the outbox and are delivered by the outbox worker.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.orders.model import Event, Order
from ...domain.orders.policy import EscalationLevel
from ...domain.orders.schedule import Step
from ...domain.org import Unit

URGENCY_ZH = {"critical": "特急", "urgent": "紧急", "normal": "一般"}

_EVENT_TITLES = {
    "dispatched": "新派单",
    "redispatched": "退单后重新派单",
    "reopened": "工单重办",
    "urged": "催办",
    "supervised": "督办",
    "returned": "单位退单，待重新派单",
    "feedback_submitted": "单位已反馈，待回访",
    "extension_requested": "延期申请待审批",
    "extension_approved": "延期申请已批准",
    "extension_denied": "延期申请未批准",
}
# events that the lead (and co-handling) units hear about
_TO_UNIT = {"dispatched", "redispatched", "reopened", "urged", "supervised", "extension_approved", "extension_denied"}
# events that the center (operators and supervisors) hears about
_TO_CENTER = {"returned", "feedback_submitted", "extension_requested"}

_STEP_TITLES = {
    "remind_unaccepted": "派单后未签收提醒",
    "accept_overdue": "签收超时",
    "feedback_overdue": "反馈超时",
    "warning": "即将超时预警",
    "overdue": "办理超时",
    "escalation": "超时升级",
}


def _title(order: Order, what: str) -> str:
    return f"[{URGENCY_ZH.get(str(order.urgency), '')}] {what} · 工单 {order.number}"


def _summary(order: Order) -> str:
    text = order.text if len(order.text) <= 80 else order.text[:80] + "…"
    due = order.resolve_due_at.isoformat(timespec="minutes") if order.resolve_due_at else "-"
    return f"{text}\n办结时限: {due}"


def for_events(order: Order, events: list[Event], lead: Unit | None, center: Unit | None) -> tuple[list[dict], list[dict]]:
    """In-app notices and outbox messages for the timeline events of one transition."""
    inapp: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for ev in events:
        title = _EVENT_TITLES.get(ev.kind)
        if title is None:
            continue
        if ev.kind in _TO_UNIT:
            for unit_id in [order.lead_unit_id, *order.co_unit_ids]:
                if unit_id:
                    inapp.append(dict(unit_id=unit_id, order_id=order.id, kind=ev.kind,
                                      title=_title(order, title), body=_summary(order), created_at=ev.at))
            if lead is not None and lead.webhook_url and ev.kind in ("dispatched", "redispatched", "reopened", "urged"):
                out.append(dict(channel="webhook", recipient=lead.webhook_url, subject=_title(order, title),
                                body=_summary(order), order_id=order.id, created_at=ev.at))
            if lead is not None and lead.hotline_lead_phone and ev.kind == "urged":
                out.append(dict(channel="sms", recipient=lead.hotline_lead_phone, subject=_title(order, title),
                                body=_summary(order), order_id=order.id, created_at=ev.at))
        if ev.kind in _TO_CENTER and center is not None:
            inapp.append(dict(unit_id=center.id, order_id=order.id, kind=ev.kind, title=_title(order, title),
                              body=(ev.reason or "") + "\n" + _summary(order), created_at=ev.at))
    return inapp, out


def for_step(order: Order, step: Step, lead: Unit | None, center: Unit | None, now: datetime) -> tuple[list[dict], list[dict]]:
    """Notices for one deadline step; dedup keys make each one exactly once per order and step."""
    title = _STEP_TITLES[step.kind]
    if step.kind == "warning":
        title = f"{title}（已用 {step.fraction:.0%} 时限）"
    if step.kind == "escalation" and step.level is not None:
        title = f"{title}：{ {'unit_lead': '单位热线负责人', 'supervising_leader': '分管领导', 'center_supervisor': '中心督办'}[str(step.level)] }"
    subject, body = _title(order, title), _summary(order)
    base = f"{order.id}:{step.key}"
    inapp: list[dict] = []
    out: list[dict] = []

    def notice(unit_id: int, tag: str) -> None:
        inapp.append(dict(unit_id=unit_id, order_id=order.id, kind=step.kind, title=subject, body=body,
                          created_at=now, dedup_key=f"{base}:u{tag}"))

    def sms(phone: str, tag: str) -> None:
        if phone:
            out.append(dict(channel="sms", recipient=phone, subject=subject, body=body, order_id=order.id,
                            created_at=now, dedup_key=f"{base}:sms{tag}"))

    to_center = step.kind in ("accept_overdue", "overdue") or lead is None or (
        step.kind == "escalation" and step.level == EscalationLevel.CENTER_SUPERVISOR)
    if lead is not None and step.kind != "escalation":
        notice(lead.id, "lead")
    if to_center and center is not None:
        notice(center.id, "center")
    if lead is not None:
        if step.kind == "remind_unaccepted":  # Putuo: hotline lead and supervising leader
            sms(lead.hotline_lead_phone, "lead")
            sms(lead.leader_phone, "leader")
        elif step.kind == "overdue":
            sms(lead.hotline_lead_phone, "lead")
        elif step.kind == "escalation":
            if step.level == EscalationLevel.UNIT_LEAD:
                notice(lead.id, "lead")
                sms(lead.hotline_lead_phone, "lead")
            elif step.level == EscalationLevel.SUPERVISING_LEADER:
                notice(lead.id, "lead")
                sms(lead.leader_phone, "leader")
        if step.kind in ("overdue", "escalation") and lead.webhook_url:
            out.append(dict(channel="webhook", recipient=lead.webhook_url, subject=subject, body=body,
                            order_id=order.id, created_at=now, dedup_key=f"{base}:wh"))
    return inapp, out
