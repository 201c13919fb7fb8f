"""受理 — the operator's intake form: triage suggestions while typing, then create, dispatch or reply in one step.

Keyboard first: natural tab order, Ctrl+Enter submits, Esc clears (after a confirm). Each
rendered form carries a random intake key; the server creates at most one order per (user,
key), so a double click or a resent form gives the first order back, never a second one.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from ...adapters.db.tables import orders as orders_table
from ...app.orders import usecases as uc
from ...app.triage import usecases as tri
from ...domain.errors import Conflict, DomainError, IllegalTransition, InvalidInput, NotAllowed, NotFound
from ...domain.orders.model import Channel, State, Urgency
from ...domain.roles import Actor, Role
from . import i18n
from .common import Box, is_htmx, render, require_roles
from .lookups import labels

router = APIRouter(include_in_schema=False)

Intaker = Annotated[Actor, Depends(require_roles(Role.OPERATOR, Role.SUPERVISOR))]

# Shared by the page (HTML pattern attribute) and the server check: digits with optional
# leading +, spaces or dashes; 3-20 characters (mobile 13912345678, landline 021-54321234).
PHONE_PATTERN = r"\+?[0-9][0-9 \-]{1,18}[0-9]"
_PHONE = re.compile(PHONE_PATTERN)
_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
ACTIONS = ("dispatch", "reply", "create")
LIMITS = {"text": 4000, "caller_name": 100, "caller_phone": 20, "address": 300, "note": 1000, "answer": 4000}


def new_key() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class IntakeForm:
    """What the operator typed, as typed (re-rendered on an error without JavaScript)."""

    text: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    channel: str = Channel.HOTLINE.value
    urgency: str = Urgency.NORMAL.value
    category: str = ""
    special_groups: list[str] = field(default_factory=list)
    lead_unit: str = ""
    co_units: list[str] = field(default_factory=list)
    note: str = ""
    answer: str = ""
    kb_entry: str = ""
    intake_key: str = ""
    suggestion: str = ""
    dups: list[str] = field(default_factory=list)
    action: str = "create"

    @classmethod
    def from_form(cls, form: FormData) -> "IntakeForm":
        def text(name: str) -> str:
            return str(form.get(name) or "").strip()

        def many(name: str) -> list[str]:
            return [str(v).strip() for v in form.getlist(name) if str(v).strip()][:20]

        return cls(text=text("text"), caller_name=text("caller_name"), caller_phone=text("caller_phone"),
                   address=text("address"), channel=text("channel") or Channel.HOTLINE.value,
                   urgency=text("urgency") or Urgency.NORMAL.value, category=text("category"),
                   special_groups=many("special_groups"), lead_unit=text("lead_unit"), co_units=many("co_units"),
                   note=text("note"), answer=text("answer"), kb_entry=text("kb_entry"),
                   intake_key=text("intake_key"), suggestion=str(form.get("suggestion") or ""),
                   dups=[d for d in many("dup") if _NUMBER.fullmatch(d)][:5], action=text("do") or "create")

    def validate(self) -> None:
        """The page checks these too; the server says which field and why, in the user's language."""
        if not self.text:
            raise InvalidInput(i18n.gettext("Please write down the caller's request."), field="text")
        for name, limit in LIMITS.items():
            if len(getattr(self, name)) > limit:
                raise InvalidInput(i18n.gettext("Too long: at most %(n)s characters.") % {"n": limit}, field=name)
        if self.caller_phone and not _PHONE.fullmatch(self.caller_phone):
            raise InvalidInput(i18n.gettext("The phone number is not valid: digits only, like 13912345678 or "
                                            "021-54321234."), field="caller_phone")
        if self.channel not in {c.value for c in Channel}:
            raise InvalidInput(i18n.gettext("Choose a channel from the list."), field="channel")
        if self.urgency not in {u.value for u in Urgency}:
            raise InvalidInput(i18n.gettext("Choose an urgency from the list."), field="urgency")
        if self.action not in ACTIONS:
            raise InvalidInput(i18n.gettext("Unknown action."), field="do")
        if self.action == "dispatch" and not self.lead_unit:
            raise InvalidInput(i18n.gettext("Choose the unit to dispatch to."), field="lead_unit")
        if self.action == "reply" and not self.answer:
            raise InvalidInput(i18n.gettext("Write the answer (or pick a knowledge-base answer) to reply directly."),
                               field="answer")
        if not self.intake_key:
            raise InvalidInput(i18n.gettext("This form has no intake key: reload the page."), field="intake_key")

    def command(self) -> uc.NewOrder:
        dispatch = self.action == "dispatch"
        return uc.NewOrder(
            text=self.text, channel=self.channel, urgency=self.urgency, category=self.category or None,
            caller_name=self.caller_name, caller_phone=self.caller_phone, address=self.address,
            special_groups=tuple(dict.fromkeys(self.special_groups)),
            dispatch_to=self.lead_unit if dispatch else None,
            co_units=tuple(c for c in dict.fromkeys(self.co_units) if c != self.lead_unit) if dispatch else (),
            note=self.note or None, suggestion=stored_suggestion(self.suggestion), client_key=self.intake_key)


def compact_suggestion(s: dict[str, Any]) -> dict[str, Any]:
    """What the operator was shown, in the shape stored with the order (as the JSON API stores it)."""
    cats = s.get("category") or []
    return {"category": cats[0]["code"] if cats else None, "urgency": s.get("urgency") or "",
            "special_groups": [g["code"] for g in s.get("special_groups") or []],
            "model_version": s.get("model_version") or ""}


def stored_suggestion(raw: str) -> dict[str, Any] | None:
    """The hidden field back from the browser: kept only in the expected shape and sizes."""
    if not raw or len(raw) > 2000:
        return None
    try:
        s = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(s, dict):
        return None
    cat = s.get("category")
    groups = s.get("special_groups") if isinstance(s.get("special_groups"), list) else []
    return {"category": cat[:64] if isinstance(cat, str) else None, "urgency": str(s.get("urgency") or "")[:16],
            "special_groups": [str(g)[:32] for g in groups if g][:10],
            "model_version": str(s.get("model_version") or "")[:80]}


def _form_context(box, actor: Actor) -> dict[str, Any]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
        units = lab.dispatch_units()
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in lab.leaf_categories():
        groups.setdefault(c["parent_code"], []).append(c)
    return {"actor": actor, "lab": lab, "dispatch_units": units, "category_groups": groups,
            "phone_pattern": PHONE_PATTERN, "limits": LIMITS, "channels": lab.channels, "urgencies": lab.urgencies}


def _status(exc: DomainError) -> int:
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, (Conflict, IllegalTransition)):
        return 409
    if isinstance(exc, NotFound) and exc.field in (None, "number"):
        return 404
    return 422


def _orders_brief(conn, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """State, address and text of the possible duplicates (no personal data)."""
    if not numbers:
        return {}
    o = orders_table.c
    rows = conn.execute(sa.select(o.number, o.state, o.address, o.text).where(o.number.in_(numbers)))
    return {r.number: dict(r._mapping) for r in rows}


@router.get("/intake")
def intake_page(request: Request, actor: Intaker, box: Box):
    ctx = _form_context(box, actor) | {"f": IntakeForm(intake_key=new_key()), "created": None}
    return render(request, "intake.html", ctx)


@router.post("/intake/suggest")
async def suggest(request: Request, actor: Intaker, box: Box):
    """The suggestions panel for the text and address typed so far."""
    form = await request.form()
    text = str(form.get("text") or "")[:tri.MAX_TEXT]
    address = str(form.get("address") or "")[:300]
    if not text.strip() and not address.strip():
        return HTMLResponse(str(Markup('<div id="critical-banner" class="critical-banner" hx-swap-oob="true"></div>'
                                       '<p class="muted">{}</p>').format(
            i18n.gettext("Suggestions appear as you type the request and the address."))))
    s = tri.suggest(box.uow(), box.triage, text, box.now(), address=address, actor=actor)
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
        dup_info = _orders_brief(conn, [d["number"] for d in s["duplicates"]])
    return render(request, "_intake_suggest.html", {
        "s": s, "lab": lab, "has_text": bool(text.strip()), "dup_info": dup_info,
        "stored": json.dumps(compact_suggestion(s), ensure_ascii=False)})


@router.post("/intake")
async def intake_submit(request: Request, actor: Intaker, box: Box):
    f = IntakeForm.from_form(await request.form())
    try:
        f.validate()
        order = uc.create_order(box.uow(), actor, f.command(), box.now())
    except DomainError as exc:
        if is_htmx(request):
            raise
        ctx = _form_context(box, actor) | {"f": f, "created": None, "error": exc.message, "error_field": exc.field}
        return render(request, "intake.html", ctx, status_code=_status(exc))
    created = {"number": order.number, "state": str(order.state), "action": f.action, "dups": f.dups,
               "reply_error": None}
    if f.action == "reply" and order.state == State.RECEIVED:
        try:
            order = uc.direct_reply(box.uow(), actor, order.number, f.answer, box.now(), f.kb_entry or None)
            created["state"] = str(order.state)
        except DomainError as exc:  # the order exists; sending the same form again retries the reply
            created["reply_error"] = exc.message
    if order.state == State.DISPATCHED:
        with box.uow() as uow:
            unit = uow.units.get(order.lead_unit_id) if order.lead_unit_id else None
        created["unit_name"] = unit.name if unit else ""
    if not is_htmx(request):
        ctx = _form_context(box, actor) | {"f": IntakeForm(intake_key=new_key()) if not created["reply_error"] else f,
                                           "created": created}
        return render(request, "intake.html", ctx, status_code=201)
    # htmx: the message box says so, the result box keeps the number, a fresh key replaces the old
    # one, and the page script clears the form for the next call (intake.js, on "intake-created").
    status = 409 if created["reply_error"] else 200
    headers = {} if created["reply_error"] else {"HX-Trigger-After-Settle": "intake-created"}
    return render(request, "_intake_done.html",
                  {"created": created, "key": None if created["reply_error"] else new_key()},
                  status_code=status, headers=headers)


@router.post("/intake/merge")
async def merge_duplicate(request: Request, actor: Intaker, box: Box):
    """合并: the order just taken in is a duplicate of an open one; it follows that order."""
    form = await request.form()
    child, parent = str(form.get("child") or "").strip(), str(form.get("parent") or "").strip()
    if not _NUMBER.fullmatch(child) or not _NUMBER.fullmatch(parent):
        raise InvalidInput(i18n.gettext("Unknown order number."), field="parent")
    uc.merge_orders(box.uow(), actor, child, parent, box.now(), "受理时发现重复 (duplicate found at intake)")
    if not is_htmx(request):
        return Response(status_code=303, headers={"Location": f"/orders/{child}"})
    return render(request, "_intake_merged.html", {"child": child, "parent": parent})
