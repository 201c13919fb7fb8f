"""外勤 — the field phone page: my unit's open orders by next deadline; accept, arrive, resolve with a photo.

Made for a 360-px-wide phone held in one hand: big buttons, the camera for photos
(``capture="environment"``), the list refreshing itself every 30 seconds. The actions are the
same use cases as the order page and the JSON API.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ...adapters.db import views
from ...app.duty import assign as duty_assign
from ...app.duty import patrol as duty_patrol
from ...app.orders import usecases as uc
from ...domain.errors import NotFound
from ...domain.orders.lifecycle import allowed_actions
from ...domain.orders.model import State
from ...domain.roles import Actor, Role
from . import forms, i18n
from .common import Box, local_tz, redirect, render, require_roles
from .exports import xlsx_response
from .lookups import labels
from .queue import ORDER_HEADERS, order_rows

router = APIRouter(include_in_schema=False)

FieldUser = Annotated[Actor, Depends(require_roles(Role.FIELD_MEMBER, Role.UNIT_HANDLER))]

# What is still the unit's to do: not yet accepted, accepted, being handled.
FIELD_STATES = [State.DISPATCHED.value, State.ACCEPTED.value, State.IN_PROGRESS.value]
LIST_LIMIT = 500
ARRIVED_NOTE = "已到场"


def next_deadline(o: dict[str, Any], now: datetime) -> tuple[str, datetime | None]:
    """The deadline the unit faces next: accepting (while not accepted), reporting back, resolving."""
    if o.get("paused_at"):
        return "paused", None
    steps = []
    if o["state"] == State.DISPATCHED.value and o.get("accept_due_at"):
        steps.append(("accept", o["accept_due_at"]))
    if o.get("feedback_due_at"):
        steps.append(("feedback", o["feedback_due_at"]))
    if o.get("resolve_due_at"):
        steps.append(("resolve", o["resolve_due_at"]))
    upcoming = [s for s in steps if s[1] >= now]
    if upcoming:
        return min(upcoming, key=lambda s: s[1])
    if steps:  # everything is past: the most overdue one
        return min(steps, key=lambda s: s[1])
    return "none", None


def field_orders(box, actor: Actor, now: datetime) -> tuple[list[dict[str, Any]], Any]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        page = views.list_orders(conn, actor, views.OrderFilter(state=FIELD_STATES), now, sort="next_due",
                                 limit=LIST_LIMIT, with_total=False)
        lab = labels(conn, actor)
    items = page["items"]
    for o in items:
        kind, due = next_deadline(o, now)
        o["due_kind"], o["due_at"] = kind, due
        o["due_left"] = int((due - now).total_seconds()) if due else None
    items.sort(key=lambda o: (o["due_at"] is None, o["due_at"] or now, o["number"]))
    return items, lab


@router.get("/field")
def field_list(request: Request, actor: FieldUser, box: Box):
    now = box.now()
    items, lab = field_orders(box, actor, now)
    assigned = duty_assign.my_assignments(box.read_uow(), actor)  # assigned to me: shown first, awaiting acceptance on top
    tz = local_tz(box)
    for a in assigned:
        a["accept_due_local"] = datetime.fromisoformat(a["accept_due_at"]).astimezone(tz).strftime("%H:%M")
    mine = {a["order"]["number"] for a in assigned if a.get("order")}
    items = [o for o in items if o["number"] not in mine]
    sweeps = [i for i in duty_patrol.list_inspections(box.read_uow(), actor) if i["progress"]["pending"]]
    return render(request, "field.html", {"actor": actor, "items": items, "lab": lab, "now_epoch": now.timestamp(),
                                          "assigned": assigned, "sweeps": sweeps,
                                          "done": request.query_params.get("done", ""),
                                          "done_number": request.query_params.get("n", "")})


@router.get("/field.xlsx")
def field_export(request: Request, actor: FieldUser, box: Box) -> Response:
    now = box.now()
    items, lab = field_orders(box, actor, now)
    tz = local_tz(box)
    return xlsx_response(f"field-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx", i18n.gettext("My orders"),
                         [i18n.gettext(h) for h in ORDER_HEADERS], order_rows(items, lab, tz))


@router.get("/field/{number}")
def field_order(number: str, request: Request, actor: FieldUser, box: Box):
    now = box.now()
    with box.uow() as uow:
        order = uc.load_visible(uow, actor, number)
        handles = order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id)
        actions = set(allowed_actions(order, actor, handles))
    my_assignment = next((a for a in duty_assign.order_assignments(box.read_uow(), actor, number)
                          if a["user_id"] == actor.user_id and a["state"] in ("assigned", "accepted", "arrived")), None)
    with box.engine.connect().execution_options(readonly=True) as conn:
        detail = views.order_detail(conn, number, now)
        lab = labels(conn, actor)
    if detail is None:
        raise NotFound(i18n.gettext("Order not found.") + f" ({number})")
    kind, due = next_deadline(detail, now)
    arrived = any(e["kind"] == "progress_noted" and (e.get("reason") or "").startswith(ARRIVED_NOTE)
                  for e in detail["timeline"])
    return render(request, "field_order.html", {
        "actor": actor, "o": detail, "lab": lab, "actions": actions, "arrived": arrived, "my_assignment": my_assignment,
        "due_kind": kind, "due_left": int((due - now).total_seconds()) if due else None,
        "now_epoch": now.timestamp(), "done": request.query_params.get("done", ""),
        "events": list(reversed(detail["timeline"]))[:8]})


@router.post("/field/{number}/accept")
def field_accept(number: str, request: Request, actor: FieldUser, box: Box):
    uc.accept_order(box.uow(), actor, number, box.now())
    return redirect(request, f"/field/{number}?done=accept")


@router.post("/field/{number}/arrived")
async def field_arrived(number: str, request: Request, actor: FieldUser, box: Box):
    form = await request.form()
    now = box.now()
    extra = forms.text(form, "note", limit=900)
    ids = await forms.attach_uploads(box, actor, number, form, "photo", now)
    duty_assign.arrive(box.uow(), actor, number, now, extra, ids)  # the member's assignment moves with the order
    return redirect(request, f"/field/{number}?done=arrived")


@router.post("/field/{number}/resolve")
async def field_resolve(number: str, request: Request, actor: FieldUser, box: Box):
    form = await request.form()
    now = box.now()
    result = forms.text(form, "result", required=True, limit=4000)
    resolved = str(form.get("resolved") or "").lower() in ("1", "true", "on", "yes")
    ids = await forms.attach_uploads(box, actor, number, form, "photo", now)
    duty_assign.resolve(box.uow(), actor, number, result, resolved, now, ids)  # ends the member's assignment too
    return redirect(request, f"/field?done=resolve&n={number}")


@router.post("/field/{number}/return")
async def field_return(number: str, request: Request, actor: FieldUser, box: Box):
    form = await request.form()
    uc.return_order(box.uow(), actor, number, forms.text(form, "reason", required=True, limit=1000), box.now())
    return redirect(request, f"/field?done=return&n={number}")

