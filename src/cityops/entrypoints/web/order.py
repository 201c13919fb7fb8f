"""工单 — one order: facts, the whole timeline, and the actions the user's role allows now."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from ...adapters.db import views
from ...app.orders import usecases as uc
from ...domain.errors import InvalidInput, NotFound
from ...domain.orders.lifecycle import allowed_actions
from ...domain.roles import HANDLING_ROLES, REVEAL_ROLES
from . import i18n
from .common import Box, PageActor, error_fragment, local_tz, redirect, render
from .forms import attach_uploads
from .forms import text as _text
from .lookups import labels

router = APIRouter(include_in_schema=False)

# The order in which actions are offered, and which of them are dangerous (red, confirmed twice).
ACTION_ORDER = ("accept", "dispatch", "direct_reply", "progress", "feedback", "callback", "close", "return",
                "request_extension", "decide_extension", "pause", "resume", "pre_contact", "urge", "supervise",
                "reopen", "merge", "transfer")
DANGEROUS = {"return", "close", "merge", "transfer", "reopen"}


def _bool(form: FormData, name: str) -> bool:
    return str(form.get(name) or "").lower() in ("1", "true", "on", "yes")


def _local_dt(form: FormData, name: str, tz: ZoneInfo, required: bool = True) -> datetime | None:
    raw = _text(form, name, required)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(i18n.gettext("Enter a date and time like 2022-04-01 18:00.") + f" ({name})",
                           field=name) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


Handler = Callable[..., Any]


def _handlers(tz: ZoneInfo) -> dict[str, Handler]:
    return {
        "dispatch": lambda u, a, n, f, t, files: uc.dispatch_order(
            u, a, n, _text(f, "lead_unit", True), [c for c in f.getlist("co_units") if c], t, _text(f, "note") or None),
        "direct_reply": lambda u, a, n, f, t, files: uc.direct_reply(u, a, n, _text(f, "answer", True), t,
                                                                     _text(f, "kb_entry") or None),
        "pre_contact": lambda u, a, n, f, t, files: uc.pre_contact(u, a, n, _text(f, "note", True), t,
                                                                   _text(f, "contacted") or "caller"),
        "accept": lambda u, a, n, f, t, files: uc.accept_order(u, a, n, t),
        "return": lambda u, a, n, f, t, files: uc.return_order(u, a, n, _text(f, "reason", True), t),
        "progress": lambda u, a, n, f, t, files: uc.add_progress(u, a, n, _text(f, "note", True), t, files),
        "feedback": lambda u, a, n, f, t, files: uc.submit_feedback(u, a, n, _text(f, "result", True),
                                                                    _bool(f, "resolved"), t, files),
        "callback": lambda u, a, n, f, t, files: uc.record_callback(u, a, n, _text(f, "satisfaction", True),
                                                                    _bool(f, "solved"), t, _text(f, "note") or None),
        "reopen": lambda u, a, n, f, t, files: uc.reopen_order(u, a, n, _text(f, "reason", True), t),
        "close": lambda u, a, n, f, t, files: uc.close_order(u, a, n, t, _text(f, "note") or None),
        "request_extension": lambda u, a, n, f, t, files: uc.request_extension(
            u, a, n, _local_dt(f, "until", tz), _text(f, "reason", True), t),
        "decide_extension": lambda u, a, n, f, t, files: uc.decide_extension(
            u, a, n, _text(f, "decision", True) == "approve", t, _text(f, "reason") or None,
            _local_dt(f, "until", tz, required=False)),
        "pause": lambda u, a, n, f, t, files: uc.pause_clock(u, a, n, _text(f, "reason", True), t),
        "resume": lambda u, a, n, f, t, files: uc.resume_clock(u, a, n, t, _text(f, "note") or None),
        "transfer": lambda u, a, n, f, t, files: uc.transfer_to_city(u, a, n, _text(f, "reason", True), t,
                                                                     _text(f, "city_ref") or None),
        "merge": lambda u, a, n, f, t, files: uc.merge_orders(u, a, n, _text(f, "parent", True), t,
                                                              _text(f, "reason") or None),
        "urge": lambda u, a, n, f, t, files: uc.urge_order(u, a, n, t, _text(f, "note") or None),
        "supervise": lambda u, a, n, f, t, files: uc.supervise_order(u, a, n, t, _text(f, "on") != "0",
                                                                     _text(f, "note") or None),
    }


def order_context(box, actor, number: str) -> dict[str, Any]:
    now = box.now()
    with box.uow() as uow:
        order = uc.load_visible(uow, actor, number)
        handles = actor.role not in HANDLING_ROLES or (
            order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id))
        actions = allowed_actions(order, actor, handles)
    with box.engine.connect().execution_options(readonly=True) as conn:
        detail = views.order_detail(conn, number, now)
        files = views.order_attachments(conn, detail["id"]) if detail else {}
        lab = labels(conn, actor)
        dispatch_units = lab.dispatch_units()
    if detail is None:
        raise NotFound(i18n.gettext("Order not found.") + f" ({number})")
    actions = sorted(actions, key=lambda a: ACTION_ORDER.index(a) if a in ACTION_ORDER else 99)
    return {"actor": actor, "o": detail, "actions": actions, "lab": lab, "dangerous": DANGEROUS,
            "dispatch_units": dispatch_units, "files": files, "can_reveal": actor.role in REVEAL_ROLES,
            "now_epoch": now.timestamp()}


@router.get("/orders/{number}")
def order_page(number: str, request: Request, actor: PageActor, box: Box):
    ctx = order_context(box, actor, number)
    ctx["done"] = request.query_params.get("done", "")
    return render(request, "order.html", ctx)


@router.post("/orders/{number}/act/{action}")
async def order_action(number: str, action: str, request: Request, actor: PageActor, box: Box):
    tz = local_tz(box)
    handler = _handlers(tz).get(action)
    if handler is None:
        return error_fragment(request, i18n.gettext("Unknown action.") + f" ({action})", 404)
    form = await request.form()
    now = box.now()
    files = await attach_uploads(box, actor, number, form, "files", now) if action in ("progress", "feedback") else []
    handler(box.uow(), actor, number, form, now, files)
    try:  # a return (退单) takes the order out of the unit's sight: go back to the queue then
        with box.read_uow() as uow:
            uc.load_visible(uow, actor, number)
    except NotFound:
        return redirect(request, f"/queue?done={action}&number={number}")
    return redirect(request, f"/orders/{number}?done={action}")


@router.post("/orders/{number}/reveal")
async def reveal(number: str, request: Request, actor: PageActor, box: Box):
    form = await request.form()
    who = uc.reveal_caller(box.uow(), actor, number, box.now(), _text(form, "purpose", True))
    return HTMLResponse(render(request, "_revealed.html", {"who": who}).body)
