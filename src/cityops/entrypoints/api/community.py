"""/api/v1/community — the community registry and testing progress (居村微平台): building
registers, the resident ledger (import, list, reveal), test results (import), testing rounds
(cross-match, progress, the untested list of a building, notes), notice templates and notices,
and the scoped progress summary for the big screen."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from ...adapters.community.crossmatch import DuckDbCrossMatcher
from ...adapters.community.files import read_rows, sha256
from ...app.community import ledger as led
from ...app.community import notices as nt
from ...app.community import results as res
from ...app.community import rounds as rd
from ...bootstrap import Container
from ...domain.errors import InvalidInput
from ...domain.roles import Actor, Role
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, errors

router = APIRouter(prefix="/api/v1/community", tags=["community"], responses=errors(401, 422))
Admin = Annotated[Actor, Depends(require(Role.ADMIN, Role.SUPERVISOR))]
MAX_FILE = 200 * 1024 * 1024  # a district's daily results file: ~1 M rows, ~80 MB


def matcher(box: Container) -> DuckDbCrossMatcher:
    return DuckDbCrossMatcher(box.engine, Path(box.settings.media_dir) / "crossmatch")


def read_upload(file: UploadFile) -> tuple[bytes, str]:
    data = file.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise InvalidInput(f"文件超过 {MAX_FILE // 1024 // 1024} MB，请分批导入 (file too large: split it)", field="file")
    return data, file.filename or "upload"


def parse_header_map(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput("header_map 须为 JSON：{\"id_number\": [\"证件号\"]} (header_map must be JSON)",
                           field="header_map") from None
    if not isinstance(value, dict):
        raise InvalidInput("header_map 须为 {字段: [列名…]} (header_map is {field: [names]})", field="header_map")
    return value


class BuildingIn(BaseModel):
    compound: str = Field("", max_length=100)
    number: str = Field(min_length=1, max_length=32)


class BuildingsIn(BaseModel):
    committee: str | None = Field(None, description="committee unit code (default: the caller's own committee)")
    items: list[BuildingIn] = Field(min_length=1, max_length=5000)


class RevealIn(BaseModel):
    purpose: str = Field("", max_length=200)


class RoundIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    area: str = Field(description="unit code of the area: a committee, a street or the district")
    starts_at: datetime
    ends_at: datetime
    scope: str = Field("everyone", description="everyone (every resident present) | buildings (only building_ids)")
    building_ids: list[int] = Field(default_factory=list)


class NoteIn(BaseModel):
    reason: str = Field(description="no_answer | will_go | refused | not_home | home_sampling | away | hospital | "
                                    "tested_elsewhere | other (the last five exempt the resident from this round)")
    text: str = Field("", max_length=500)


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    subject: str = Field("", max_length=100)
    body: str = Field(min_length=1, max_length=500, description="with {fields}; {name} {building} {room} {committee} per resident")


class NoticeIn(BaseModel):
    template: str
    fields: dict[str, str] = Field(default_factory=dict)
    audience: str = Field("all", description="all | buildings | untested")
    committee: str | None = None
    building_ids: list[int] = Field(default_factory=list)
    round_id: int | None = Field(None, description="required for audience=untested")
    channels: list[str] = Field(default_factory=lambda: ["sms", "inapp"])


# ------------------------------------------------------------------ buildings and ledger

@router.get("/buildings", responses=STD, summary="Building registers in scope (or one committee's)")
def buildings(actor: CurrentActor, box: Box, committee: str | None = None) -> list[dict[str, Any]]:
    return led.list_buildings(box.uow(), actor, committee)


@router.post("/buildings", status_code=201, responses=STD, summary="Add buildings to a committee's register")
def add_buildings(body: BuildingsIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return led.add_buildings(box.uow(), actor, body.committee, [(b.compound, b.number) for b in body.items], now)


@router.post("/buildings/import", responses=STD, summary="Building register from CSV/XLSX: 居委编码, 小区, 楼号")
def import_buildings(actor: CurrentActor, box: Box, now: Now, file: UploadFile = File(...),
                     committee: str | None = Form(None)) -> dict[str, Any]:
    data, name = read_upload(file)
    return led.import_buildings(box.uow(), actor, read_rows(data, name), now, committee)


@router.post("/ledger/import", responses=STD,
             summary="Import a resident ledger (CSV UTF-8/GBK or XLSX): row report, good rows kept, re-import updates")
def import_ledger(actor: CurrentActor, box: Box, now: Now, file: UploadFile = File(...),
                  committee: str | None = Form(None, description="committee code when the file has no 居委编码 column"),
                  header_map: str | None = Form(None, description='extra column names: {"id_number": ["证件号"]}')
                  ) -> dict[str, Any]:
    data, name = read_upload(file)
    return led.import_ledger(box.uow(), actor, read_rows(data, name), filename=name, sha256=sha256(data),
                             secret=box.settings.id_secret, now=now, committee_code=committee,
                             header_map=parse_header_map(header_map), tz=box.settings.timezone)


@router.get("/residents", responses=STD, summary="Residents in scope; names, phones and ID numbers masked")
def residents(actor: CurrentActor, box: Box, committee: str | None = None, building_id: int | None = None,
              status: str | None = None, tag: str | None = None, q: str | None = Query(None, max_length=50),
              limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return led.list_residents(box.uow(), actor, committee_code=committee, building_id=building_id, status=status,
                              tag=tag, q=q, limit=limit, offset=offset)


@router.post("/residents/{resident_id}/reveal", responses=STD, summary="A resident's full name and phone (audited)")
def reveal(resident_id: int, body: RevealIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, str]:
    return led.reveal_resident(box.uow(), actor, resident_id, now, body.purpose)


# ------------------------------------------------------------------ results and imports

@router.post("/results/import", responses=STD,
             summary="Import test results (incremental; hashed on arrival; unmatched counted; positives raise orders)")
def import_results(actor: CurrentActor, box: Box, now: Now, file: UploadFile = File(...),
                   header_map: str | None = Form(None)) -> dict[str, Any]:
    data, name = read_upload(file)
    return res.import_results(box.uow(), actor, read_rows(data, name), filename=name, sha256=sha256(data),
                              secret=box.settings.id_secret, now=now, header_map=parse_header_map(header_map),
                              tz=box.settings.timezone)


@router.get("/imports", responses=STD, summary="Recent ledger and results imports with their counts")
def imports(actor: CurrentActor, box: Box, kind: str | None = None) -> list[dict[str, Any]]:
    from ...app.community.common import committees_in_scope

    with box.uow() as uow:
        ids = committees_in_scope(uow, actor)
        return [{**i, "created_at": i["created_at"].isoformat()} for i in uow.community.imports(kind, ids)]


# ------------------------------------------------------------------ rounds

@router.post("/rounds", status_code=201, responses=STD, summary="Start a testing round for an area")
def create_round(body: RoundIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return rd.create_round(box.uow(), actor, name=body.name, area_code=body.area, starts_at=body.starts_at,
                           ends_at=body.ends_at, now=now, scope=body.scope, building_ids=body.building_ids)


@router.get("/rounds", responses=STD, summary="Testing rounds the caller sees")
def rounds(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return rd.list_rounds(box.uow(), actor)


@router.get("/rounds/{round_id}", responses=STD, summary="One round with its last cross-match summary")
def get_round(round_id: int, actor: CurrentActor, box: Box) -> dict[str, Any]:
    return rd.get_round(box.uow(), actor, round_id)


@router.post("/rounds/{round_id}/match", responses=STD,
             summary="Cross-match the round's area now (DuckDB engine) and store the figures")
def match(round_id: int, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return rd.refresh_progress(box.uow(), actor, round_id, matcher(box), now, box.settings.timezone)


@router.get("/rounds/{round_id}/progress", responses=STD,
            summary="Progress by district | street | committee | building | unit (the last cross-match, scoped)")
def round_progress(round_id: int, actor: CurrentActor, box: Box, by: str = "committee") -> dict[str, Any]:
    return rd.progress(box.uow(), actor, round_id, by)


@router.get("/rounds/{round_id}/buildings/{building_id}", responses=STD,
            summary="One building now: tested / exempted / untested lists (masked) with notes")
def building(round_id: int, building_id: int, actor: CurrentActor, box: Box) -> dict[str, Any]:
    return rd.building_view(box.uow(), actor, round_id, building_id)


@router.post("/rounds/{round_id}/residents/{resident_id}/notes", status_code=201, responses=STD,
             summary="Note why a resident is not tested yet (some reasons exempt them from the round)")
def add_note(round_id: int, resident_id: int, body: NoteIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return rd.add_note(box.uow(), actor, round_id, resident_id, body.reason, body.text, now)


@router.get("/rounds/{round_id}/residents/{resident_id}/notes", responses=STD, summary="Notes on a resident in a round")
def get_notes(round_id: int, resident_id: int, actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return rd.notes(box.uow(), actor, round_id, resident_id)


@router.get("/progress", responses=STD,
            summary="For the big screen: the latest matched round in the caller's scope, per street, worst committees")
def screen_progress(actor: CurrentActor, box: Box) -> dict[str, Any]:
    return rd.screen_summary(box.uow(), actor)


# ------------------------------------------------------------------ notices

@router.get("/templates", responses=STD, summary="Notice templates and the fields a sender fills in")
def templates(actor: CurrentActor, box: Box, now: Now) -> list[dict[str, Any]]:
    return nt.list_templates(box.uow(), actor, now)


@router.put("/templates/{code}", responses=STD, summary="Create or change a notice template (center)")
def put_template(code: str, body: TemplateIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return nt.put_template(box.uow(), actor, code, body.name, body.subject, body.body, now)


@router.post("/notices", status_code=201, responses=STD,
             summary="Send a notice to a committee's residents (all / buildings / untested) by SMS and in-app")
def send_notice(body: NoticeIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return nt.send_notice(box.uow(), actor, template=body.template, fields=body.fields, audience=body.audience,
                          now=now, committee_code=body.committee, building_ids=body.building_ids,
                          round_id=body.round_id, channels=tuple(body.channels))


@router.get("/notices", responses=STD, summary="Notices sent in scope")
def notices(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return nt.list_notices(box.uow(), actor)


@router.get("/notices/{notice_id}", responses=STD, summary="Delivery status per resident and channel")
def notice(notice_id: int, actor: CurrentActor, box: Box) -> dict[str, Any]:
    return nt.notice_deliveries(box.uow(), actor, notice_id)
