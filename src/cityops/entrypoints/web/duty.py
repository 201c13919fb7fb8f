"""值班 — duty pages: who is on duty now (every team and the unit above it), one team's roster
with its gaps, hand edits (generate, leave, swap, cover), orders to give to members with the
system's suggestion, handover at a shift change; inspection checklists; and the phone's patrol
report, assignment accept/decline and position. Same use cases as /api/v1/duty."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from ...app.duty import assign as assign_uc
from ...app.duty import board, patrol, rosters
from ...app.duty.common import can_manage, readable_team
from ...app.duty.teams import report_position
from ...domain.errors import InvalidInput
from ...domain.roles import Actor, Role
from . import i18n
from .common import Box, fmt_dt, local_tz, redirect, render, require_roles
from .forms import text as _text
from .forms import uploads
from .lookups import labels

router = APIRouter(include_in_schema=False)

DutyUser = Annotated[Actor, Depends(require_roles(Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN, Role.OPERATOR,
                                                  Role.UNIT_HANDLER, Role.FIELD_MEMBER))]
FieldUser = Annotated[Actor, Depends(require_roles(Role.FIELD_MEMBER, Role.UNIT_HANDLER))]
DAYS_SHOWN = 7
STATUS_LABELS = {"on_duty": i18n.N_("On duty"), "busy": i18n.N_("Busy with an order"), "off": i18n.N_("Off duty")}
RESULT_LABELS = {"pending": i18n.N_("To check"), "ok": i18n.N_("Fine"), "problem": i18n.N_("Problem found"),
                 "unreachable": i18n.N_("Closed / unreachable")}


def _at(box):
    """ISO strings from the use cases shown in local time: at(value, "%H:%M")."""
    tz = local_tz(box)
    return lambda v, fmt="%m-%d %H:%M": fmt_dt(datetime.fromisoformat(v), tz, fmt) if v else ""


def _local(box, value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(i18n.gettext("Not a valid date and time.") + f" ({name})", field=name) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=local_tz(box))


async def _photos(request: Request, form: FormData) -> list[patrol.Photo]:
    box = request.app.state.container
    return [patrol.Photo(*u) for u in await uploads(form, "photo", box.settings.max_upload_bytes)]


# ------------------------------------------------------------------------------------ who is on duty now

@router.get("/duty")
def duty_page(request: Request, actor: DutyUser, box: Box):
    now = box.now()
    data = board.duty_now(box.read_uow(), actor, now)
    inspections = patrol.list_inspections(box.read_uow(), actor)
    return render(request, "duty.html", {"actor": actor, "data": data, "inspections": inspections,
                                         "status_labels": STATUS_LABELS, "at": _at(box)})


# ------------------------------------------------------------------------------------ one team

def _grid(box, roster: dict, members: list[dict], start: datetime) -> tuple[list[date], list[dict]]:
    tz = local_tz(box)
    days = [(start + timedelta(days=i)).astimezone(tz).date() for i in range(DAYS_SHOWN)]
    rows = []
    for m in members:
        cells: dict[date, list[dict]] = {d: [] for d in days}
        for s in roster["shifts"]:
            if s["user_id"] != m["user_id"]:
                continue
            d = datetime.fromisoformat(s["starts_at"]).astimezone(tz).date()
            if d in cells:
                cells[d].append(s)
        rows.append({"member": m, "cells": [cells[d] for d in days]})
    return days, rows


@router.get("/duty/team/{code}")
def team_page(code: str, request: Request, actor: DutyUser, box: Box):
    now = box.now()
    tz = local_tz(box)
    start_q = request.query_params.get("start")
    try:
        first = date.fromisoformat(start_q) if start_q else now.astimezone(tz).date()
    except ValueError:
        first = now.astimezone(tz).date()
    start = datetime.combine(first, datetime.min.time(), tz)
    with box.uow() as uow:
        unit = readable_team(uow, actor, code)
        manage = can_manage(uow, actor, unit)
    team_now = board.duty_now(box.read_uow(), actor, now, code)["teams"]
    team = team_now[0] if team_now else {"code": unit.code, "name": unit.name, "members": [], "gaps_next_24h": [],
                                         "min_on_duty": 1, "on_duty": 0}
    roster = rosters.roster(box.read_uow(), actor, code, start, start + timedelta(days=DAYS_SHOWN))
    days, grid = _grid(box, roster, team["members"], start)
    unassigned = assign_uc.team_unassigned(box.read_uow(), actor, code, now, limit=30)
    handover = assign_uc.handover_list(box.read_uow(), actor, code, now)
    upcoming = [s for s in roster["shifts"] if s["kind"] == "work" and datetime.fromisoformat(s["ends_at"]) > now][:80]
    return render(request, "duty_team.html", {
        "actor": actor, "team": team, "unit": unit, "manage": manage, "roster": roster, "days": days, "grid": grid,
        "unassigned": unassigned, "handover": handover, "patterns": rosters.list_patterns(box.read_uow()),
        "upcoming": upcoming, "first": first, "prev": first - timedelta(days=DAYS_SHOWN),
        "next": first + timedelta(days=DAYS_SHOWN), "status_labels": STATUS_LABELS,
        "done": request.query_params.get("done", ""), "at": _at(box)})


@router.post("/duty/team/{code}/generate")
async def team_generate(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    try:
        first = date.fromisoformat(_text(form, "start", True, 10))
        days = int(_text(form, "days", True, 3))
    except ValueError:
        raise InvalidInput(i18n.gettext("Give a start date and a number of days."), field="start") from None
    r = rosters.generate_roster(box.uow(), actor, code, _text(form, "pattern", True, 32), first, days, box.now(),
                                replace_existing=bool(form.get("replace")))
    return redirect(request, f"/duty/team/{code}?start={first.isoformat()}&done=generated-{r['shifts']}-{r['gap_count']}")


@router.post("/duty/team/{code}/leave")
async def team_leave(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    r = rosters.add_leave(box.uow(), actor, code, _text(form, "username", True, 64),
                          _local(box, _text(form, "from", True, 30), "from"), _local(box, _text(form, "to", True, 30), "to"),
                          box.now(), _text(form, "note", limit=500))
    return redirect(request, f"/duty/team/{code}?done=leave-{r['gap_count']}")


@router.post("/duty/team/{code}/swap")
async def team_swap(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    try:
        a, b = int(_text(form, "shift", True, 12)), int(_text(form, "with_shift", True, 12))
    except ValueError:
        raise InvalidInput(i18n.gettext("Choose two shifts."), field="shift") from None
    rosters.swap_shifts(box.uow(), actor, a, b, box.now(), _text(form, "note", limit=500))
    return redirect(request, f"/duty/team/{code}?done=swapped")


@router.post("/duty/team/{code}/cover")
async def team_cover(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    try:
        shift = int(_text(form, "shift", True, 12))
    except ValueError:
        raise InvalidInput(i18n.gettext("Choose a shift."), field="shift") from None
    rosters.reassign_shift(box.uow(), actor, shift, _text(form, "username", True, 64), box.now(),
                           _text(form, "note", limit=500))
    return redirect(request, f"/duty/team/{code}?done=covered")


@router.post("/duty/team/{code}/assign")
async def team_assign(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    number = _text(form, "number", True, 20)
    username = _text(form, "username", limit=64) or None
    assign_uc.assign(box.uow(), actor, number, box.now(), username=username, team_code=code,
                     note=_text(form, "note", limit=1000), replace_active=bool(form.get("replace")))
    return redirect(request, f"/duty/team/{code}?done=assigned")


@router.post("/duty/team/{code}/handover")
async def team_handover(code: str, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    try:
        ids = [int(v) for v in form.getlist("assignment")]
    except ValueError:
        raise InvalidInput(i18n.gettext("Choose the orders to hand over."), field="assignment_ids") from None
    r = assign_uc.handover(box.uow(), actor, code, _text(form, "from", True, 64), _text(form, "to", True, 64), ids,
                           box.now(), _text(form, "note", limit=1000))
    return redirect(request, f"/duty/team/{code}?done=handover-{len(r['moved'])}-{r['still_with_leaving_member']}")


# ------------------------------------------------------------------------------------ inspections

@router.get("/duty/inspections/{inspection_id}")
def inspection_page(inspection_id: int, request: Request, actor: DutyUser, box: Box):
    q = request.query_params
    result = q.get("result") or None
    try:
        page = max(1, int(q.get("page") or 1))
    except ValueError:
        page = 1
    view = patrol.inspection_view(box.read_uow(), actor, inspection_id, result=result, q=q.get("q"), limit=50,
                                  offset=(page - 1) * 50)
    return render(request, "duty_inspection.html", {
        "actor": actor, "v": view, "result": result or "", "q": q.get("q") or "", "page": page,
        "pages": max(1, (view["total"] + 49) // 50), "result_labels": RESULT_LABELS,
        "phone": actor.role in (Role.FIELD_MEMBER, Role.UNIT_HANDLER), "done": q.get("done", "")})


@router.post("/duty/inspections/{inspection_id}/{seq}")
async def inspection_check(inspection_id: int, seq: int, request: Request, actor: DutyUser, box: Box):
    form = await request.form()
    r = patrol.check_item(box.uow(), box.files, actor, inspection_id, seq, _text(form, "result", True, 16),
                          box.now(), note=_text(form, "note", limit=1000), category=_text(form, "category", limit=64) or None,
                          photos=await _photos(request, form), max_bytes=box.settings.max_upload_bytes)
    back = str(form.get("back") or f"/duty/inspections/{inspection_id}")
    if not back.startswith("/duty/inspections/"):
        back = f"/duty/inspections/{inspection_id}"
    sep = "&" if "?" in back else "?"
    return redirect(request, f"{back}{sep}done={seq}-{r['result']}")


# ------------------------------------------------------------------------------------ the phone

@router.post("/duty/assignments/{assignment_id}/accept")
def phone_accept(assignment_id: int, request: Request, actor: FieldUser, box: Box):
    a = assign_uc.accept(box.uow(), actor, assignment_id, box.now())
    return redirect(request, f"/field/{a['order']['number']}?done=accept")


@router.post("/duty/assignments/{assignment_id}/decline")
async def phone_decline(assignment_id: int, request: Request, actor: FieldUser, box: Box):
    form = await request.form()
    assign_uc.decline(box.uow(), actor, assignment_id, _text(form, "reason", True, 1000), box.now())
    return redirect(request, "/field?done=declined")


@router.post("/duty/position")
async def phone_position(request: Request, actor: FieldUser, box: Box):
    form = await request.form()
    try:
        lat, lng = float(_text(form, "lat", True, 30)), float(_text(form, "lng", True, 30))
    except ValueError:
        raise InvalidInput(i18n.gettext("Not a valid position."), field="lat") from None
    return JSONResponse(report_position(box.uow(), actor, lat, lng, box.now()))


@router.get("/patrol/new")
def patrol_form(request: Request, actor: FieldUser, box: Box):
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
    return render(request, "duty_patrol.html", {"actor": actor, "lab": lab,
                                                "categories": lab.leaf_categories(),
                                                "key": request.query_params.get("k") or _key()})


def _key() -> str:
    return secrets.token_urlsafe(12)


@router.post("/patrol/new")
async def patrol_submit(request: Request, actor: FieldUser, box: Box):
    form = await request.form()

    def num(name: str) -> float | None:
        v = _text(form, name, limit=30)
        try:
            return float(v) if v else None
        except ValueError:
            raise InvalidInput(i18n.gettext("Not a valid position."), field=name) from None

    r = patrol.report_patrol(box.uow(), box.files, actor, box.now(), text=_text(form, "text", True, 4000),
                             category=_text(form, "category", limit=64) or None,
                             address=_text(form, "address", limit=300), lat=num("lat"), lng=num("lng"),
                             photos=await _photos(request, form), max_bytes=box.settings.max_upload_bytes,
                             client_key=_text(form, "key", limit=64) or None)
    return redirect(request, f"/field?done=patrol&n={r['number']}")
