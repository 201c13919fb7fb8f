"""督办 — the supervisor's desk: supervision queue, special-group follow-ups, pending returns and
extension requests, the overdue list and the alarms that fired. Quick actions inline (htmx).

Every list is scoped by the caller's unit (a street office sees its own orders); the actions are
offered to the roles the order lifecycle allows, and the use cases check again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from ...adapters.db import supervision as sv
from ...app.orders import usecases as uc
from ...domain.errors import InvalidInput
from ...domain.orders.lifecycle import RULES
from ...domain.orders.model import State
from ...domain.roles import Actor
from . import i18n
from .common import Box, PageActor, error_fragment, is_htmx, local_tz, redirect, render
from .exports import XLSX, xlsx_bytes
from .lookups import labels
from .queue import ORDER_HEADERS, order_rows

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
ESCALATION_HOURS = 24

TABS: list[tuple[str, str]] = [
    ("queue", i18n.N_("Supervision queue")),
    ("special", i18n.N_("Special-group follow-ups")),
    ("pending", i18n.N_("Pending decisions")),
    ("overdue", i18n.N_("Overdue list")),
    ("escalations", i18n.N_("Escalations fired")),
]
TAB_KEYS = [k for k, _ in TABS]
LISTS: dict[str, Callable[..., dict[str, Any]]] = {
    "queue": sv.supervision_queue, "special": sv.special_groups, "overdue": sv.overdue,
    "returns": sv.pending_returns, "extensions": sv.pending_extensions, "escalations": sv.recent_escalations,
}
# Which page parameter pages which list.
PAGE_PARAM = {"queue": "page", "special": "page", "overdue": "page", "escalations": "page",
              "returns": "rpage", "extensions": "epage"}


def can(actor: Actor, action: str, state: str) -> bool:
    """Whether to offer an action (the use case checks again, with the unit scope)."""
    states, roles = RULES[action]
    try:
        return actor.role in roles and State(state) in states
    except ValueError:
        return False


def _page_no(request: Request, name: str) -> int:
    raw = request.query_params.get(name, "1") or "1"
    try:
        return max(1, min(int(raw), 20_000))
    except ValueError:
        raise InvalidInput(i18n.gettext("The page number must be a whole number."), field=name) from None


def _tab(request: Request) -> str:
    tab = request.query_params.get("tab", "queue")
    return tab if tab in TAB_KEYS else "queue"


def _fetch(conn, actor: Actor, name: str, now: datetime, limit: int, offset: int, with_total: bool = True):
    fn = LISTS[name]
    if name == "escalations":
        return fn(conn, actor, now, hours=ESCALATION_HOURS, limit=limit, offset=offset, with_total=with_total)
    return fn(conn, actor, now, limit=limit, offset=offset, with_total=with_total)


def _params(tab: str, **pages: int) -> str:
    values: dict[str, Any] = {"tab": tab}
    values.update({k: v for k, v in pages.items() if v and v > 1})
    return urlencode(values)


@router.get("/supervise")
def supervise_page(request: Request, actor: PageActor, box: Box):
    now = box.now()
    tab = _tab(request)
    shown = ["returns", "extensions"] if tab == "pending" else [tab]
    pages = {name: _page_no(request, PAGE_PARAM[name]) for name in shown}
    with box.engine.connect().execution_options(readonly=True) as conn:
        lists = {name: _fetch(conn, actor, name, now, PAGE_SIZE, (pages[name] - 1) * PAGE_SIZE) for name in shown}
        totals = {name: lists[name]["total"] if name in lists else _fetch(conn, actor, name, now, 0, 0)["total"]
                  for name in LISTS}
        lab = labels(conn, actor)
        dispatch_units = lab.dispatch_units()
    counts = {"queue": totals["queue"], "special": totals["special"], "overdue": totals["overdue"],
              "escalations": totals["escalations"], "pending": totals["returns"] + totals["extensions"]}
    page_counts = {name: max(1, -(-lists[name]["total"] // PAGE_SIZE)) for name in lists}
    ctx = {"actor": actor, "tab": tab, "tabs": TABS, "counts": counts, "lists": lists, "pages": pages,
           "page_counts": page_counts, "lab": lab, "dispatch_units": dispatch_units, "now_epoch": now.timestamp(),
           "can": can, "params": _params, "page_param": PAGE_PARAM, "hours": ESCALATION_HOURS,
           "done": request.query_params.get("done", "")}
    return render(request, "supervise.html", ctx)


# ------------------------------------------------------------------ export

def _local(value: datetime | None, tz) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None) if value else None


RETURN_HEADERS = (i18n.N_("Return reason"), i18n.N_("Returned at"), i18n.N_("Returned by"))
EXTENSION_HEADERS = (i18n.N_("Extend to"), i18n.N_("Extension reason"), i18n.N_("Asked by"), i18n.N_("Asked at"))
ESCALATION_HEADERS = (i18n.N_("Fired at"), i18n.N_("Alarm"), i18n.N_("Escalation level"))


@router.get("/supervise.xlsx")
def supervise_export(request: Request, actor: PageActor, box: Box) -> Response:
    now = box.now()
    tz = local_tz(box)
    tab = _tab(request)
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
        shown = ["returns", "extensions"] if tab == "pending" else [tab]
        data = {name: _fetch(conn, actor, name, now, EXPORT_LIMIT, 0, with_total=False)["items"] for name in shown}
    heads = [i18n.gettext(h) for h in ORDER_HEADERS]
    sheets = []
    for name, items in data.items():
        rows = order_rows(items, lab, tz)
        if name == "returns":
            extra = [[o.get("return_reason") or "", _local(o.get("returned_at"), tz), o.get("returned_by_unit") or ""]
                     for o in items]
            sheets.append((i18n.gettext("Returned orders"), [i18n.gettext(h) for h in RETURN_HEADERS] + heads,
                           [e + r for e, r in zip(extra, rows)]))
        elif name == "extensions":
            extra = [[_local(o["extension"]["requested_until"], tz), o["extension"]["reason"],
                      o["extension"].get("requested_by_name", ""), _local(o["extension"]["requested_at"], tz)]
                     for o in items]
            sheets.append((i18n.gettext("Extension requests"), [i18n.gettext(h) for h in EXTENSION_HEADERS] + heads,
                           [e + r for e, r in zip(extra, rows)]))
        elif name == "escalations":
            extra = [[_local(o["event"]["at"], tz), i18n.label("fired", o["event"]["kind"]),
                      i18n.label("esc_level", o["event"]["level"]) if o["event"]["level"] else ""] for o in items]
            sheets.append((i18n.gettext(dict(TABS)[tab]), [i18n.gettext(h) for h in ESCALATION_HEADERS] + heads,
                           [e + r for e, r in zip(extra, rows)]))
        else:
            sheets.append((i18n.gettext(dict(TABS)[tab]), heads, rows))
    filename = f"supervise-{tab}-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx"
    return Response(xlsx_bytes(sheets), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# ------------------------------------------------------------------ quick actions

QUICK = ("urge", "supervise", "redispatch", "decide")


def _text(form, name: str, required: bool = False, limit: int = 1000) -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(i18n.gettext("Please fill in this field.") + f" ({name})", field=name)
    if len(value) > limit:
        raise InvalidInput(i18n.gettext("At most %(n)s characters.") % {"n": limit} + f" ({name})", field=name)
    return value


def _until(form, box) -> datetime | None:
    raw = _text(form, "until")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(i18n.gettext("Enter a date and time like 2022-04-01 18:00.") + " (until)",
                           field="until") from None
    return value.replace(tzinfo=local_tz(box)) if value.tzinfo is None else value


def _row_state(order) -> dict[str, Any]:
    return {"number": order.number, "state": str(order.state), "supervised": order.supervised,
            "urge_count": order.urge_count}


@router.post("/supervise/act/{number}/{action}")
async def quick_action(number: str, action: str, request: Request, actor: PageActor, box: Box):
    if action not in QUICK:
        return error_fragment(request, i18n.gettext("Unknown action.") + f" ({action})", 404)
    form = await request.form()
    tab = str(form.get("tab") or "queue")
    tab = tab if tab in TAB_KEYS else "queue"
    now = box.now()
    # A DomainError below becomes an error fragment in the row's message box (what was typed stays).
    if action == "urge":
        order = uc.urge_order(box.uow(), actor, number, now, _text(form, "note") or None)
        msg = i18n.gettext("Urged (%(n)s times).") % {"n": order.urge_count}
    elif action == "supervise":
        on = str(form.get("on") or "1") != "0"
        order = uc.supervise_order(box.uow(), actor, number, now, on, _text(form, "note") or None)
        msg = i18n.gettext("Marked for supervision.") if on else i18n.gettext("No longer supervised.")
    elif action == "redispatch":
        unit = _text(form, "lead_unit", required=True, limit=64)
        order = uc.dispatch_order(box.uow(), actor, number, unit, [], now, _text(form, "note") or None)
        with box.uow() as uow:
            unit_name = (uow.units.get(order.lead_unit_id).name if order.lead_unit_id else unit)
        msg = i18n.gettext("Dispatched again to %(unit)s.") % {"unit": unit_name}
    else:
        decision = _text(form, "decision", required=True)
        if decision not in ("approve", "deny"):
            raise InvalidInput(i18n.gettext("Choose approve or deny."), field="decision")
        order = uc.decide_extension(box.uow(), actor, number, decision == "approve", now,
                                    _text(form, "reason") or None, _until(form, box))
        msg = (i18n.gettext("Extension approved; resolve by %(when)s.")
               % {"when": order.resolve_due_at.astimezone(local_tz(box)).strftime("%m-%d %H:%M")}
               if decision == "approve" else i18n.gettext("Extension denied."))
    if not is_htmx(request):
        return redirect(request, f"/supervise?tab={tab}&done={action}")
    if action in ("urge", "supervise"):
        # The actions cell again (the supervise toggle flips), with the confirmation in it.
        resp = render(request, "_supervise_actions.html",
                      {"actor": actor, "o": _row_state(order), "tab": tab, "can": can, "msg": msg,
                       "dispatch_units": [], "lab": None})
        resp.headers["HX-Retarget"] = "closest td"
        resp.headers["HX-Reswap"] = "innerHTML"
        return resp
    # Decided: the row leaves the pending list; a one-line note takes its place.
    html = Markup('<tr class="done" data-number="{n}" data-done="{a}"><td colspan="9">'
                  '<div class="flash ok" role="status">✓ <a href="/orders/{n}">{n}</a> {m}</div></td></tr>'
                  ).format(n=order.number, a=action, m=msg)
    return Response(str(html), media_type="text/html",
                    headers={"HX-Retarget": "closest tr", "HX-Reswap": "outerHTML"})
