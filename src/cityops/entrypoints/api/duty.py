"""/api/v1/duty — field teams and duty rosters: who is on duty now, patterns, rosters and hand
edits, coverage gaps, member assignment (suggest, assign, accept, decline, arrive, resolve),
handover, positions, patrol reports and inspection sweeps."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...app.duty import assign as assign_uc
from ...app.duty import board, patrol, rosters, teams
from .deps import Box, CurrentActor, Now
from .schemas import STD, errors

router = APIRouter(prefix="/api/v1/duty", tags=["duty"], responses=errors(401, 422))
Staff = CurrentActor


class TeamIn(BaseModel):
    area_units: list[str] | None = Field(None, description="committee / village / street codes the team covers")
    polygons: list[list[list[float]]] | None = Field(None, description="rings of [lng, lat] points")
    skills: list[str] | None = Field(None, description="e.g. medical_escort, delivery, patrol")
    min_on_duty: int | None = Field(None, ge=0, le=500, description="headcount the coverage check asks for")
    accept_minutes: int | None = Field(None, ge=1, le=1440, description="minutes a member has to accept an order")


class MemberIn(BaseModel):
    is_leader: bool | None = None
    skills: list[str] | None = None
    devices: list[dict[str, str]] | None = Field(None, description='[{"kind": "video_terminal", "code": "SN-001"}]')
    area_units: list[str] | None = Field(None, description="the member's own area (empty: the team's)")
    polygons: list[list[list[float]]] | None = None


class PatternIn(BaseModel):
    code: str
    name: str
    about: str = ""
    shifts: list[dict[str, Any]] = Field(description='[{"code": "D", "name": "白班", "start": "08:00", "hours": 12}]')
    rotation: dict[str, list[str | None]] = Field(description='{"A": ["D", "N", null, null], ...}')


class RosterIn(BaseModel):
    pattern: str
    start: date
    days: int = Field(ge=1, le=366)
    people: list[str] | None = Field(None, description="usernames, dealt into the pattern's groups in this order "
                                                       "(default: every member of the team)")
    groups: dict[str, list[str]] | None = Field(None, description='{"A": ["wg01"], "B": ["wg02"]}: explicit groups')
    cycle_offset: int = Field(0, ge=0, le=999, description="the cycle day the start date is")
    replace_existing: bool = Field(False, description="replace the team's work shifts in the period (leave is kept)")


class ShiftIn(BaseModel):
    username: str
    starts_at: datetime
    ends_at: datetime
    kind: str = Field("work", description="work | leave")
    note: str = Field("", max_length=500)


class SwapIn(BaseModel):
    with_shift: int
    note: str = Field("", max_length=500)


class ReassignShiftIn(BaseModel):
    username: str
    note: str = Field("", max_length=500)


class AssignIn(BaseModel):
    username: str | None = Field(None, description="the member; omit to let the system pick (on duty, covers the "
                                                   "place, least loaded)")
    team: str | None = Field(None, description="when the order is with more than one team")
    note: str = Field("", max_length=1000)
    replace: bool = Field(False, description="reassign: end the current member's assignment")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class StepIn(BaseModel):
    note: str = Field("", max_length=900)
    attachment_ids: list[int] = Field(default_factory=list)


class ResolveIn(BaseModel):
    result: str = Field(min_length=1, max_length=4000)
    resolved: bool = True
    attachment_ids: list[int] = Field(default_factory=list)


class HandoverIn(BaseModel):
    from_user: str = Field(alias="from")
    to_user: str = Field(alias="to")
    assignment_ids: list[int]
    note: str = Field("", max_length=1000)


class PositionIn(BaseModel):
    lat: float
    lng: float


class InspectionIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field("shop", description="shop | firm | compound | site | other")
    places: list[dict[str, Any]] = Field(description='[{"name": "…", "address": "…", "lat": 31.2, "lng": 121.4}]')
    due_at: datetime | None = None


class CheckIn(BaseModel):
    result: str = Field(description="ok | problem | unreachable")
    note: str = Field("", max_length=1000)
    category: str | None = None


def _window(start: datetime | None, end: datetime | None, now: datetime, days: int = 7) -> tuple[datetime, datetime]:
    s = start or now
    return s, end or s + timedelta(days=days)


# ------------------------------------------------------------------------------------ now, teams

@router.get("/now", summary="Who is on duty now: every team in scope, its members' status, gaps in the next 24 h; "
                            "totals and per-unit counts for the big screen")
def now_on_duty(actor: Staff, box: Box, now: Now, team: str | None = None) -> dict[str, Any]:
    return board.duty_now(box.read_uow(), actor, now, team)


@router.put("/teams/{code}", responses=STD, summary="Set a team's area, skills, required headcount, accept deadline")
def put_team(code: str, body: TeamIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return teams.configure_team(box.uow(), actor, code, now, **body.model_dump(exclude_unset=True))


@router.put("/teams/{code}/members/{username}", responses=STD, summary="Put a person on the team (or update them)")
def put_member(code: str, username: str, body: MemberIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return teams.set_member(box.uow(), actor, code, username, now, **body.model_dump(exclude_unset=True))


@router.delete("/teams/{code}/members/{username}", responses=STD,
               summary="Take a person off the team (refused while they hold open assignments)")
def delete_member(code: str, username: str, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return teams.remove_member(box.uow(), actor, code, username, now)


@router.post("/me/position", responses=STD, summary="The phone reports the member's position (kept; odd ones flagged)")
def post_position(body: PositionIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return teams.report_position(box.uow(), actor, body.lat, body.lng, now)


# ------------------------------------------------------------------------------------ patterns, rosters

@router.get("/patterns", summary="Shift patterns, with whether each covers 7×24")
def get_patterns(actor: Staff, box: Box) -> list[dict[str, Any]]:
    return rosters.list_patterns(box.read_uow())


@router.put("/patterns/{code}", responses=STD, summary="Add or change a shift pattern (supervisor, admin)")
def put_pattern(code: str, body: PatternIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return rosters.save_pattern(box.uow(), actor, {**body.model_dump(), "code": code}, now)


@router.post("/teams/{code}/rosters", status_code=201, responses=STD,
             summary="Generate a roster for a period from a pattern and the people; answers gaps and overlaps")
def post_roster(code: str, body: RosterIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return rosters.generate_roster(box.uow(), actor, code, body.pattern, body.start, body.days, now,
                                   people=body.people, groups=body.groups, cycle_offset=body.cycle_offset,
                                   replace_existing=body.replace_existing)


@router.get("/teams/{code}/shifts", responses=STD, summary="The team's shifts in a window, with gaps and overlaps")
def get_shifts(code: str, actor: Staff, box: Box, now: Now, start: datetime | None = Query(None, alias="from"),
               end: datetime | None = Query(None, alias="to")) -> dict[str, Any]:
    s, e = _window(start, end, now)
    return rosters.roster(box.read_uow(), actor, code, s, e)


@router.get("/teams/{code}/coverage", responses=STD,
            summary="7×24 coverage: every stretch with nobody (or too few) on duty in the window")
def get_coverage(code: str, actor: Staff, box: Box, now: Now, start: datetime | None = Query(None, alias="from"),
                 end: datetime | None = Query(None, alias="to")) -> dict[str, Any]:
    s, e = _window(start, end, now)
    r = rosters.roster(box.read_uow(), actor, code, s, e)
    return {k: r[k] for k in ("team", "name", "from", "to", "min_on_duty", "gaps", "gap_count", "overlaps",
                              "overlap_count")}


@router.post("/teams/{code}/shifts", status_code=201, responses=STD,
             summary="Add a shift (or a leave) by hand; overlaps are kept and reported")
def post_shift(code: str, body: ShiftIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    if body.kind == "leave":
        return rosters.add_leave(box.uow(), actor, code, body.username, body.starts_at, body.ends_at, now, body.note)
    return rosters.add_shift(box.uow(), actor, code, body.username, body.starts_at, body.ends_at, now,
                             kind=body.kind, note=body.note)


@router.post("/shifts/{shift_id}/swap", responses=STD, summary="换班: two people exchange two shifts")
def post_swap(shift_id: int, body: SwapIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return rosters.swap_shifts(box.uow(), actor, shift_id, body.with_shift, now, body.note)


@router.post("/shifts/{shift_id}/reassign", responses=STD, summary="顶班: another member takes this shift")
def post_reassign_shift(shift_id: int, body: ReassignShiftIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return rosters.reassign_shift(box.uow(), actor, shift_id, body.username, now, body.note)


@router.delete("/shifts/{shift_id}", responses=STD, summary="Remove a shift or a leave; answers the gaps it opens")
def delete_shift(shift_id: int, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return rosters.delete_shift(box.uow(), actor, shift_id, now)


# ------------------------------------------------------------------------------------ assignment

@router.get("/orders/{number}/suggest", responses=STD,
            summary="Rank the team's members for an order: on duty, covers the place, skill, least loaded, nearest")
def get_suggest(number: str, actor: Staff, box: Box, now: Now, team: str | None = None) -> dict[str, Any]:
    return assign_uc.suggest(box.read_uow(), actor, number, now, team)


@router.post("/orders/{number}/assign", status_code=201, responses=STD,
             summary="Give the order to a member (or to the system's pick); the member is notified")
def post_assign(number: str, body: AssignIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return assign_uc.assign(box.uow(), actor, number, now, username=body.username, team_code=body.team,
                            note=body.note, replace_active=body.replace)


@router.get("/orders/{number}/assignments", responses=STD, summary="Every member assignment of an order")
def get_order_assignments(number: str, actor: Staff, box: Box) -> list[dict[str, Any]]:
    return assign_uc.order_assignments(box.read_uow(), actor, number)


@router.get("/me/assignments", summary="My open assignments, those awaiting my acceptance first")
def get_my_assignments(actor: Staff, box: Box) -> list[dict[str, Any]]:
    return assign_uc.my_assignments(box.read_uow(), actor)


@router.post("/assignments/{assignment_id}/accept", responses=STD, summary="接单 (the order is accepted too)")
def post_accept(assignment_id: int, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return assign_uc.accept(box.uow(), actor, assignment_id, now)


@router.post("/assignments/{assignment_id}/decline", responses=STD, summary="The member cannot take it (reason)")
def post_decline(assignment_id: int, body: ReasonIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return assign_uc.decline(box.uow(), actor, assignment_id, body.reason, now)


@router.post("/orders/{number}/arrive", responses=STD, summary="到场 (with photos already uploaded to the order)")
def post_arrive(number: str, body: StepIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    o = assign_uc.arrive(box.uow(), actor, number, now, body.note, body.attachment_ids)
    return {"number": o.number, "state": str(o.state)}


@router.post("/orders/{number}/resolve", responses=STD, summary="处置完成: the member's result (feedback for the team)")
def post_resolve(number: str, body: ResolveIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    o = assign_uc.resolve(box.uow(), actor, number, body.result, body.resolved, now, body.attachment_ids)
    return {"number": o.number, "state": str(o.state)}


@router.get("/teams/{code}/unassigned", responses=STD,
            summary="Open orders with the team that no member holds, each with the top suggestion")
def get_unassigned(code: str, actor: Staff, box: Box, now: Now) -> list[dict[str, Any]]:
    return assign_uc.team_unassigned(box.read_uow(), actor, code, now)


@router.get("/teams/{code}/handover", responses=STD,
            summary="At a shift change: members going off with open assignments, and who is coming on")
def get_handover(code: str, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return assign_uc.handover_list(box.read_uow(), actor, code, now)


@router.post("/teams/{code}/handover", responses=STD,
             summary="Hand the named open assignments of the leaving member to the incoming one")
def post_handover(code: str, body: HandoverIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return assign_uc.handover(box.uow(), actor, code, body.from_user, body.to_user, body.assignment_ids, now,
                              body.note)


# ------------------------------------------------------------------------------------ patrol, inspections

@router.post("/patrol", status_code=201, responses=STD,
             summary="巡查上报: a problem found on patrol (multipart: text, category, address, lat, lng, photo)")
async def post_patrol(actor: Staff, box: Box, now: Now, text: Annotated[str, Form(min_length=1, max_length=4000)],
                      category: Annotated[str | None, Form()] = None, address: Annotated[str, Form()] = "",
                      lat: Annotated[float | None, Form()] = None, lng: Annotated[float | None, Form()] = None,
                      photo: Annotated[list[UploadFile] | None, File()] = None) -> dict[str, Any]:
    photos = []
    limit = box.settings.max_upload_bytes
    for f in photo or []:
        if f.filename:
            photos.append(patrol.Photo(f.filename, f.content_type or "", await f.read(limit + 1)))
    return await run_in_threadpool(patrol.report_patrol, box.uow(), box.files, actor, now, text=text,
                                   category=category or None, address=address, lat=lat, lng=lng, photos=photos,
                                   max_bytes=limit)


@router.get("/inspections", summary="Inspection sweeps in scope, with progress")
def get_inspections(actor: Staff, box: Box) -> list[dict[str, Any]]:
    return patrol.list_inspections(box.read_uow(), actor)


@router.post("/teams/{code}/inspections", status_code=201, responses=STD,
             summary="Create an inspection sweep over a list of places (bad rows reported, good ones kept)")
def post_inspection(code: str, body: InspectionIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return patrol.create_inspection(box.uow(), actor, code, body.title, body.kind, body.places, now, body.due_at)


@router.get("/inspections/{inspection_id}", responses=STD, summary="One sweep: progress and items")
def get_inspection(inspection_id: int, actor: Staff, box: Box, result: str | None = None, q: str | None = None,
                   limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return patrol.inspection_view(box.read_uow(), actor, inspection_id, result=result, q=q, limit=limit, offset=offset)


@router.post("/inspections/{inspection_id}/items/{seq}", responses=STD,
             summary="Record one place's check; a problem becomes a patrol order")
def post_check(inspection_id: int, seq: int, body: CheckIn, actor: Staff, box: Box, now: Now) -> dict[str, Any]:
    return patrol.check_item(box.uow(), box.files, actor, inspection_id, seq, body.result, now, note=body.note,
                             category=body.category, max_bytes=box.settings.max_upload_bytes)
