"""/api/v1/orders — intake, lists, detail with timeline, and every lifecycle action."""

from datetime import datetime
from urllib.parse import quote
from typing import Annotated, Any, Callable

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi.responses import Response

from ...app.orders.attachments import add_attachment

from ...adapters.db import views
from ...app.orders import usecases as uc
from ...domain.errors import NotFound
from ...domain.orders.lifecycle import allowed_actions
from ...domain.orders.model import Order
from ...domain.roles import HANDLING_ROLES
from .deps import Box, CurrentActor, Now
from .schemas import (STD, errors, MergeManyIn, CallbackIn, DirectReplyIn, DispatchIn, ExtensionDecisionIn, ExtensionIn, FeedbackIn,
                      MergeIn, NoteIn, OrderDetail, OrderIn, OrderOut, OrderPage, PreContactIn, ReasonIn,
                      RequiredNoteIn, RevealIn, RevealOut, SuperviseIn, TransferIn)

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})

router = APIRouter(prefix="/api/v1/orders", tags=["orders"], responses=errors(401, 422))


def order_out(o: Order, now: datetime) -> dict[str, Any]:
    m = {k: getattr(o, k) for k in (
        "id", "number", "caller_name", "caller_phone", "address", "text", "category", "lead_unit_id", "received_at",
        "dispatched_at", "accepted_at", "feedback_at", "closed_at", "accept_due_at", "feedback_due_at",
        "resolve_due_at", "paused_at", "supervised", "urge_count", "return_count", "reopen_count", "solved",
        "resolved", "parent_id", "external_ref", "version", "extension")}
    m.update(channel=str(o.channel), urgency=str(o.urgency), state=str(o.state),
             satisfaction=str(o.satisfaction) if o.satisfaction else None,
             special_groups=",".join(o.special_groups), next_due_at=None)
    return views.present(m, now)


@router.post("", status_code=201, response_model=OrderOut, responses=STD,
             summary="受理 — take in a request from any channel (optionally dispatch at once)")
def create(body: OrderIn, actor: CurrentActor, box: Box, now: Now,
           idempotency_key: Annotated[str | None, Header(
               max_length=64, description="any 1-64 character key chosen by the client: a retried request with the "
                                          "same key (same user) returns the order the first one created")] = None):
    cmd = uc.NewOrder(text=body.text, channel=body.channel, urgency=body.urgency, category=body.category,
                      caller_name=body.caller_name, caller_phone=body.caller_phone, address=body.address,
                      special_groups=tuple(body.special_groups), area_unit_code=body.area_unit,
                      dispatch_to=body.dispatch_to, co_units=tuple(body.co_units), note=body.note,
                      suggestion=_suggestion(body.suggestion), client_key=idempotency_key)
    return order_out(uc.create_order(box.uow(), actor, cmd, now), now)


def _suggestion(s: dict | None) -> dict | None:
    """The fields of a triage suggestion worth keeping (the client may send the whole response)."""
    if not s:
        return None
    cat = s.get("category")
    if isinstance(cat, list):
        cat = cat[0].get("code") if cat and isinstance(cat[0], dict) else None
    groups = [g.get("code") if isinstance(g, dict) else g for g in s.get("special_groups") or []]
    return {"category": cat if isinstance(cat, str) else None, "urgency": str(s.get("urgency", ""))[:16],
            "special_groups": [str(g)[:32] for g in groups if g][:10], "model_version": str(s.get("model_version", ""))[:80]}


@router.get("", response_model=OrderPage, responses=STD, summary="Orders in the caller's scope, filtered and paged")
def list_(actor: CurrentActor, box: Box, now: Now,
          state: Annotated[list[str] | None, Query()] = None,
          urgency: Annotated[list[str] | None, Query()] = None,
          category: str | None = None, unit: str | None = None, channel: str | None = None,
          special_group: str | None = Query(None, description="a special-group code, or 'any'"),
          overdue: bool | None = None, supervised: bool | None = None, open_only: bool = False,
          q: str | None = Query(None, max_length=100),
          received_from: datetime | None = None, received_to: datetime | None = None,
          sort: str = Query("received", pattern="^(next_due|resolve_due|received|received_asc|urgency)$"),
          limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    f = views.OrderFilter(state=state, urgency=urgency, category=category, unit=unit, channel=channel,
                          special_group=special_group, overdue=overdue, supervised=supervised, open_only=open_only,
                          q=q, received_from=received_from, received_to=received_to)
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.list_orders(conn, actor, f, now, sort=sort, limit=limit, offset=offset)


@router.get("/supervision", response_model=OrderPage, responses=STD,
            summary="督办 queue: supervised, urged, special-group, overdue or awaiting a decision — until closed")
def supervision(actor: CurrentActor, box: Box, now: Now, limit: int = Query(100, ge=1, le=500),
                offset: int = Query(0, ge=0)):
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.supervision_queue(conn, actor, now, limit=limit, offset=offset)


@router.get("/hotspots", responses=STD, summary="Hot spots: N+ open orders about one committee and matter within T hours")
def hotspots(actor: CurrentActor, box: Box, now: Now, hours: int = Query(24, ge=1, le=720),
             min_count: int = Query(3, ge=2, le=1000)):
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.hotspots(conn, actor, now, hours, min_count)


@router.post("/hotspots/merge", response_model=list[OrderOut], responses=STD,
             summary="Handle a hot spot as one parent order: merge the others into it")
def merge_hotspot(body: MergeManyIn, actor: CurrentActor, box: Box, now: Now):
    return [order_out(o, now) for o in uc.merge_many(box.uow(), actor, body.parent, body.children, now, body.reason)]


@router.get("/{number}", response_model=OrderDetail, responses=STD, summary="One order with its whole timeline")
def detail(number: str, actor: CurrentActor, box: Box, now: Now):
    with box.uow() as uow:
        order = uc.load_visible(uow, actor, number)
        handles = not actor.role in HANDLING_ROLES or (
            order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id))
        actions = allowed_actions(order, actor, handles)
    with box.engine.connect().execution_options(readonly=True) as conn:
        out = views.order_detail(conn, number, now)
    if out is None:
        raise NotFound(f"工单 {number} 不存在 (order not found)")
    out["allowed_actions"] = actions
    return out


def _action(path: str, summary: str, model, call: Callable[..., Order]):
    def endpoint(number: str, body: model, actor: CurrentActor, box: Box, now: Now):  # type: ignore[valid-type]
        return order_out(call(box.uow(), actor, number, body, now), now)

    endpoint.__name__ = path.replace("-", "_")
    router.add_api_route(f"/{{number}}/{path}", endpoint, methods=["POST"], response_model=OrderOut,
                         responses=STD, summary=summary)


_action("dispatch", "派单 — to a lead unit (+ co-handling units); also re-dispatch after a return", DispatchIn,
        lambda u, a, n, b, t: uc.dispatch_order(u, a, n, b.lead_unit, b.co_units, t, b.note))
_action("direct-reply", "直接答复 — answer a consultation and close without dispatch", DirectReplyIn,
        lambda u, a, n, b, t: uc.direct_reply(u, a, n, b.answer, t, b.kb_entry))
_action("pre-contact", "先联 — record contact with the caller or unit ahead of dispatch", PreContactIn,
        lambda u, a, n, b, t: uc.pre_contact(u, a, n, b.note, t, b.contacted))
_action("accept", "签收 — the lead unit takes the order", NoteIn,
        lambda u, a, n, b, t: uc.accept_order(u, a, n, t))
_action("return", "退单 — not our matter: back to the dispatcher with the reason", ReasonIn,
        lambda u, a, n, b, t: uc.return_order(u, a, n, b.reason, t))
_action("progress", "处置进展 — a progress note (with attachments)", RequiredNoteIn,
        lambda u, a, n, b, t: uc.add_progress(u, a, n, b.note, t, b.attachment_ids))
_action("feedback", "反馈 — result, resolved or not, attachments", FeedbackIn,
        lambda u, a, n, b, t: uc.submit_feedback(u, a, n, b.result, b.resolved, t, b.attachment_ids))
_action("callback", "回访 — satisfaction and solved; unsatisfied + unsolved reopens", CallbackIn,
        lambda u, a, n, b, t: uc.record_callback(u, a, n, b.satisfaction, b.solved, t, b.note))
_action("reopen", "重办 — send back to the unit (supervisor)", ReasonIn,
        lambda u, a, n, b, t: uc.reopen_order(u, a, n, b.reason, t))
_action("close", "结案 — close (a reason is needed when there was no callback)", NoteIn,
        lambda u, a, n, b, t: uc.close_order(u, a, n, t, b.note))
_action("extension", "延期申请 — the unit asks for a later resolve deadline", ExtensionIn,
        lambda u, a, n, b, t: uc.request_extension(u, a, n, b.until, b.reason, t))
_action("extension/decide", "延期审批 — a supervisor approves (deadline moves) or denies", ExtensionDecisionIn,
        lambda u, a, n, b, t: uc.decide_extension(u, a, n, b.approve, t, b.reason, b.until))
_action("pause", "暂停计时 — waiting on the citizen: the clock stops", ReasonIn,
        lambda u, a, n, b, t: uc.pause_clock(u, a, n, b.reason, t))
_action("resume", "恢复计时 — the clock runs again; deadlines move by the paused time", NoteIn,
        lambda u, a, n, b, t: uc.resume_clock(u, a, n, t, b.note))
_action("transfer", "流转市级 — hand over to the city platform; stays traceable", TransferIn,
        lambda u, a, n, b, t: uc.transfer_to_city(u, a, n, b.reason, t, b.city_ref))
_action("merge", "合并 — this order follows the parent and closes with it", MergeIn,
        lambda u, a, n, b, t: uc.merge_orders(u, a, n, b.parent, t, b.reason))
_action("urge", "催办 — press the unit", NoteIn,
        lambda u, a, n, b, t: uc.urge_order(u, a, n, t, b.note))
_action("supervise", "督办 — mark or unmark for the supervision queue", SuperviseIn,
        lambda u, a, n, b, t: uc.supervise_order(u, a, n, t, b.on, b.note))


@router.post("/{number}/reveal", response_model=RevealOut, responses=STD,
             summary="The caller's full name and phone (audited; for roles that need them)")
def reveal(number: str, body: RevealIn, actor: CurrentActor, box: Box, now: Now):
    return uc.reveal_caller(box.uow(), actor, number, now, body.purpose)


@router.post("/{number}/attachments", status_code=201, responses=errors(403, 404),
             summary="Upload a photo or document to an order (then cite its id in progress or feedback)")
async def upload(number: str, actor: CurrentActor, box: Box, now: Now, file: UploadFile = File(...)):
    limit = box.settings.max_upload_bytes
    data = await file.read(limit + 1)
    return add_attachment(box.uow(), box.files, actor, number, file.filename or "", file.content_type or "",
                          data, now, limit)


@router.get("/{number}/attachments/{attachment_id}", responses=STD, response_class=Response,
            summary="Download an attachment of an order in the caller's scope")
def download(number: str, attachment_id: int, actor: CurrentActor, box: Box):
    with box.uow() as uow:
        order = uc.load_visible(uow, actor, number)
        att = uow.attachments.get(attachment_id)
    if att is None or att["order_id"] != order.id:
        raise NotFound(f"附件 {attachment_id} 不存在 (attachment not found)", field="attachment_id")
    # Photos open in the browser (the phone page and the timeline show them); anything else downloads.
    disposition = "inline" if att["content_type"] in INLINE_TYPES else "attachment"
    return Response(box.files.get(att["sha256"]), media_type=att["content_type"],
                    headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(att['filename'])}",
                             "X-Content-Type-Options": "nosniff"})
