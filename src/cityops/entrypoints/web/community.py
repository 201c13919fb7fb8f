"""居村微平台 — the community pages.

* ``/community`` — the committee's phone page: progress of my buildings in the current round
  (counted live), the untested list of a building with notes and a call button, send a notice;
* ``/community/progress`` — the street / district view: the last cross-match per street,
  committee and building, a button to cross-match now, a form to start a round;
* XLSX exports of every list (untested of a building, progress, a notice's deliveries, the
  ledger — masked).
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ...app.community import ledger as led
from ...app.community import notices as nt
from ...app.community import rounds as rd
from ...domain.community.ledger import TAG_NAMES
from ...domain.community.rounds import NOTE_REASONS
from ...domain.errors import InvalidInput
from ...domain.roles import Actor, Role
from ..api.community import matcher
from . import i18n
from .common import Box, local_tz, redirect, render, require_roles
from .exports import xlsx_response

router = APIRouter(include_in_schema=False)

CommitteeUser = Annotated[Actor, Depends(require_roles(Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN))]
ProgressUser = Annotated[Actor, Depends(require_roles(Role.UNIT_HANDLER, Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN,
                                                      Role.OPERATOR))]

STATUS_LABELS = {"present": i18n.N_("Present"), "away": i18n.N_("Away"), "moved_out": i18n.N_("Moved out")}
REASON_LABELS = {
    "no_answer": i18n.N_("No answer on the phone"), "will_go": i18n.N_("Told; will go to be sampled"),
    "refused": i18n.N_("Refuses to be tested"), "not_home": i18n.N_("Nobody at home"),
    "home_sampling": i18n.N_("Home sampling arranged"), "away": i18n.N_("Not in town (away)"),
    "hospital": i18n.N_("In hospital"), "tested_elsewhere": i18n.N_("Tested in another district"),
    "other": i18n.N_("Other"),
}
TAG_LABELS = {"elderly_alone": i18n.N_("Elderly living alone"), "bedridden": i18n.N_("Bedridden"),
              "pregnant": i18n.N_("Pregnant"), "infant": i18n.N_("Infant")}
AUDIENCE_LABELS = {"all": i18n.N_("All residents"), "buildings": i18n.N_("Some buildings"),
                   "untested": i18n.N_("Untested in this round")}
DELIVERY_LABELS = {"queued": i18n.N_("SMS queued"), "sent": i18n.N_("SMS sent"), "failed": i18n.N_("SMS failed"),
                   "delivered": i18n.N_("Delivered in-app"), "no_phone": i18n.N_("No phone number")}
ROUND_STATUS = {"untested": i18n.N_("Untested"), "exempted": i18n.N_("Exempted"), "tested": i18n.N_("Tested")}
LEVEL_LABELS = {"street": i18n.N_("Street"), "committee": i18n.N_("Residents' committee"), "building": i18n.N_("Building no.")}
assert set(REASON_LABELS) == set(NOTE_REASONS) and set(TAG_LABELS) == set(TAG_NAMES)


def _t(table: dict[str, str], code: str | None) -> str:
    return i18n.gettext(table[code]) if code in table else (code or "")


def _ctx(**kw: Any) -> dict[str, Any]:
    return {"reasons": REASON_LABELS, "t": _t, "STATUS": STATUS_LABELS, "REASON": REASON_LABELS, "TAG": TAG_LABELS,
            "AUDIENCE": AUDIENCE_LABELS, "DELIVERY": DELIVERY_LABELS, "LEVEL": LEVEL_LABELS, "pct": _pct, **kw}


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _round_id(request: Request, box, actor: Actor) -> int | None:
    raw = request.query_params.get("round")
    if raw and raw.isdigit():
        return int(raw)
    return rd.current_round(box.uow(), actor, box.now())


def _own_committee(box, actor: Actor) -> bool:
    with box.read_uow() as uow:
        unit = uow.units.get(actor.unit_id)
    return unit is not None and unit.kind in ("committee", "village")


@router.get("/community")
def committee_home(request: Request, actor: CommitteeUser, box: Box):
    if not _own_committee(box, actor):
        return redirect(request, "/community/progress")
    rid = _round_id(request, box, actor)
    view = rd.committee_view(box.uow(), actor, rid) if rid else None
    return render(request, "community/home.html", _ctx(
        actor=actor, view=view, rounds=rd.list_rounds(box.uow(), actor), round_id=rid,
        done=request.query_params.get("done", "")))


@router.get("/community/b/{building_id}")
def building_page(building_id: int, request: Request, actor: CommitteeUser, box: Box):
    rid = _round_id(request, box, actor)
    if rid is None:
        raise InvalidInput(i18n.gettext("No testing round yet."), field="round")
    view = rd.building_view(box.uow(), actor, rid, building_id)
    return render(request, "community/building.html", _ctx(actor=actor, v=view, round_id=rid,
                                                           done=request.query_params.get("done", "")))


def _form_text(form: FormData, name: str, limit: int = 500) -> str:
    value = str(form.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(i18n.gettext("Too long: at most %(n)s characters.") % {"n": limit}, field=name)
    return value


@router.post("/community/r/{round_id}/resident/{resident_id}/note")
async def note(round_id: int, resident_id: int, request: Request, actor: CommitteeUser, box: Box):
    form = await request.form()
    rd.add_note(box.uow(), actor, round_id, resident_id, _form_text(form, "reason", 24), _form_text(form, "text"), box.now())
    back = _form_text(form, "back", 200)
    target = back if back.startswith("/community/") else f"/community?round={round_id}"
    return redirect(request, target + ("&" if "?" in target else "?") + "done=note")


@router.post("/community/resident/{resident_id}/reveal")
async def reveal(resident_id: int, request: Request, actor: CommitteeUser, box: Box):
    who = led.reveal_resident(box.uow(), actor, resident_id, box.now(), "community: call about testing")
    return HTMLResponse(render(request, "community/_revealed.html", {"who": who}).body)


@router.get("/community/b/{building_id}/untested.xlsx")
def building_export(building_id: int, request: Request, actor: CommitteeUser, box: Box) -> Response:
    rid = _round_id(request, box, actor)
    if rid is None:
        raise InvalidInput(i18n.gettext("No testing round yet."), field="round")
    v = rd.building_view(box.uow(), actor, rid, building_id)
    headers = [i18n.gettext(h) for h in (i18n.N_("Testing status"), i18n.N_("Block unit"), i18n.N_("Room no."), i18n.N_("Resident name"), i18n.N_("Phone"), i18n.N_("Special groups"), i18n.N_("Living status"), i18n.N_("Reason"), i18n.N_("Note"))]
    rows = []
    for kind, items in (("untested", v["untested_list"]), ("exempted", v["exempted_list"]), ("tested", v["tested_list"])):
        for p in items:
            rows.append([_t(ROUND_STATUS, kind), p["unit"], p["room"], p["name"], p["phone"],
                         "、".join(_t(TAG_LABELS, g) for g in p["tags"]), _t(STATUS_LABELS, p["status"]),
                         _t(REASON_LABELS, (p["note"] or {}).get("reason") or p["why_exempt"]), (p["note"] or {}).get("text", "")])
    b = v["building"]
    return xlsx_response(f"untested-{b['compound']}{b['number']}-{box.now():%Y%m%d-%H%M}.xlsx",
                         f"{b['compound']}{b['number']}", headers, rows)


# ------------------------------------------------------------------ notices

@router.get("/community/notice")
def notice_form(request: Request, actor: CommitteeUser, box: Box):
    if not _own_committee(box, actor):
        raise InvalidInput(i18n.gettext("Notices are sent by a residents' committee."), field="committee")
    templates = nt.list_templates(box.uow(), actor, box.now())
    code = request.query_params.get("template") or (templates[0]["code"] if templates else "")
    tpl = next((t for t in templates if t["code"] == code), None)
    return render(request, "community/notice.html", _ctx(
        actor=actor, templates=templates, tpl=tpl, buildings=led.list_buildings(box.uow(), actor),
        round_id=_round_id(request, box, actor), notices=nt.list_notices(box.uow(), actor)[:20]))


@router.post("/community/notice")
async def notice_send(request: Request, actor: CommitteeUser, box: Box):
    form = await request.form()
    fields = {k[2:]: _form_text(form, k, 100) for k in form.keys() if k.startswith("f_")}
    rid = _form_text(form, "round_id", 12)
    out = nt.send_notice(box.uow(), actor, template=_form_text(form, "template", 32), fields=fields,
                         audience=_form_text(form, "audience", 16), now=box.now(),
                         building_ids=[int(x) for x in form.getlist("building_ids") if str(x).isdigit()],
                         round_id=int(rid) if rid.isdigit() else None,
                         channels=tuple(str(c) for c in form.getlist("channels")))
    return redirect(request, f"/community/notices/{out['notice_id']}?done=sent")


@router.get("/community/notices/{notice_id}")
def notice_page(notice_id: int, request: Request, actor: CommitteeUser, box: Box):
    d = nt.notice_deliveries(box.uow(), actor, notice_id)
    return render(request, "community/deliveries.html", _ctx(actor=actor, d=d, done=request.query_params.get("done", "")))


@router.get("/community/notices/{notice_id}.xlsx")
def notice_export(notice_id: int, request: Request, actor: CommitteeUser, box: Box) -> Response:
    d = nt.notice_deliveries(box.uow(), actor, notice_id)
    headers = [i18n.gettext(h) for h in (i18n.N_("Building no."), i18n.N_("Block unit"), i18n.N_("Room no."), i18n.N_("Resident name"), i18n.N_("Phone"), i18n.N_("Channel"), i18n.N_("Delivery status"), i18n.N_("Send attempts"))]
    rows = [[f"{x['compound']}{x['building']}", x["unit"], x["room"], x["name"], x["phone"], x["channel"],
             _t(DELIVERY_LABELS, x["delivery"]), x["attempts"]] for x in d["items"]]
    return xlsx_response(f"notice-{notice_id}.xlsx", d["notice"]["subject"], headers, rows)


@router.get("/community/residents.xlsx")
def residents_export(request: Request, actor: CommitteeUser, box: Box) -> Response:
    page = led.list_residents(box.uow(), actor, limit=1_000_000)
    headers = [i18n.gettext(h) for h in (i18n.N_("Residential compound"), i18n.N_("Building no."), i18n.N_("Block unit"), i18n.N_("Room no."), i18n.N_("Household no."), i18n.N_("Resident name"), i18n.N_("Phone"), i18n.N_("ID number (masked)"), i18n.N_("Special groups"), i18n.N_("Living status"))]
    rows = [[r["compound"], r["building"], r["unit"], r["room"], r["household"], r["name"], r["phone"], r["id_masked"],
             "、".join(_t(TAG_LABELS, g) for g in r["tags"]), _t(STATUS_LABELS, r["status"])] for r in page["items"]]
    return xlsx_response(f"ledger-{box.now():%Y%m%d}.xlsx", i18n.gettext("Resident ledger"), headers, rows)


# ------------------------------------------------------------------ street / district view

def _progress_ctx(request: Request, box, actor: Actor) -> dict[str, Any]:
    rid = _round_id(request, box, actor)
    by = request.query_params.get("by") or "street"
    if by not in ("street", "committee", "building"):
        by = "street"
    data = rd.progress(box.uow(), actor, rid, by) if rid else None
    total = rd.progress(box.uow(), actor, rid, "district")["items"] if rid else []
    return {"round_id": rid, "by": by, "data": data, "total": total[0] if total else None}


@router.get("/community/progress")
def progress_page(request: Request, actor: ProgressUser, box: Box):
    ctx = _progress_ctx(request, box, actor)
    tz: ZoneInfo = local_tz(box)
    return render(request, "community/progress.html", _ctx(
        actor=actor, rounds=rd.list_rounds(box.uow(), actor), can_match=actor.role != Role.OPERATOR,
        done=request.query_params.get("done", ""), today=box.now().astimezone(tz).strftime("%Y-%m-%d"), **ctx))


@router.get("/community/progress.xlsx")
def progress_export(request: Request, actor: ProgressUser, box: Box) -> Response:
    ctx = _progress_ctx(request, box, actor)
    if ctx["data"] is None:
        raise InvalidInput(i18n.gettext("No testing round yet."), field="round")
    headers = [i18n.gettext(h) for h in (LEVEL_LABELS[ctx["by"]], i18n.N_("Must test"), i18n.N_("Tested"), i18n.N_("Exempted"),
                                         i18n.N_("Untested"), i18n.N_("Positives"), i18n.N_("Completion"))]
    rows = [[(f"{x.get('committee_name', '')} {x['compound']}{x['number']}" if ctx["by"] == "building" else x["name"]),
             x["must"], x["tested"], x["exempted"], x["untested"], x["positive"], x["rate"]] for x in ctx["data"]["items"]]
    return xlsx_response(f"progress-{ctx['by']}-{box.now():%Y%m%d-%H%M}.xlsx", ctx["data"]["round"]["name"], headers, rows)


@router.post("/community/progress/{round_id}/match")
def match_now(round_id: int, request: Request, actor: ProgressUser, box: Box):
    rd.refresh_progress(box.uow(), actor, round_id, matcher(box), box.now(), box.settings.timezone)
    return redirect(request, f"/community/progress?round={round_id}&done=matched")


def _local(form: FormData, name: str, tz: ZoneInfo) -> datetime:
    raw = _form_text(form, name, 40)
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=tz)
    except ValueError:
        raise InvalidInput(i18n.gettext("Enter a date and time.") + f" ({name})", field=name) from None


@router.post("/community/rounds")
async def round_create(request: Request, actor: ProgressUser, box: Box):
    form = await request.form()
    tz = local_tz(box)
    r = rd.create_round(box.uow(), actor, name=_form_text(form, "name", 100), area_code=_form_text(form, "area", 64),
                        starts_at=_local(form, "starts_at", tz), ends_at=_local(form, "ends_at", tz), now=box.now())
    return redirect(request, f"/community/progress?round={r['id']}&done=created")
