"""/api/v1 admin: org tree, users, deadline policies, district mode; auth; inbox; statistics."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ...adapters.db import stats as stats_views
from ...adapters.db import views
from ...app import catalog, identity
from ...app.orders import policies as policy_uc
from ...domain.errors import InvalidInput
from ...domain.roles import Actor, Role
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, CategoryIn, LoginIn, LoginOut, ModeIn, PolicyIn, UnitIn, UserIn, errors

auth = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=errors(422))
admin = APIRouter(prefix="/api/v1", tags=["admin"], responses=errors(401, 422))
me = APIRouter(prefix="/api/v1", tags=["inbox"], responses=errors(401, 422))
stats = APIRouter(prefix="/api/v1/stats", tags=["statistics"], responses=errors(401, 422))

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]


@auth.post("/login", response_model=LoginOut, responses=errors(401, 422), summary="Password login → bearer token")
def login(body: LoginIn, box: Box, now: Now, response: Response):
    token, actor = identity.login(box.uow(), box.hasher, body.username, body.password, now,
                                  box.settings.token_ttl_hours)
    response.set_cookie("cityops_token", token, httponly=True, samesite="strict",
                        max_age=box.settings.token_ttl_hours * 3600)
    return LoginOut(token=token, user_id=actor.user_id, username=actor.username, role=str(actor.role),
                    unit_id=actor.unit_id, display_name=actor.display_name)


@auth.post("/logout", status_code=204, responses=errors(401))
def logout(request: Request, actor: CurrentActor, box: Box, response: Response):
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get("cityops_token", "")
    identity.logout(box.uow(), token)
    response.delete_cookie("cityops_token")


@auth.get("/me", responses=errors(401))
def whoami(actor: CurrentActor) -> dict[str, Any]:
    return {"user_id": actor.user_id, "username": actor.username, "role": str(actor.role), "unit_id": actor.unit_id,
            "display_name": actor.display_name}


@admin.get("/units", responses=errors(401), summary="The org tree (flat, ordered by path)")
def units(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.list_units(conn)


@admin.post("/units", status_code=201, responses=STD, summary="Add a unit to the org tree (admin)")
def add_unit(body: UnitIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    contacts = body.model_dump(exclude={"code", "name", "kind", "parent"})
    unit = identity.create_unit(box.uow(), actor, code=body.code, name=body.name, kind=body.kind,
                                parent_code=body.parent, now=now, **contacts)
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": str(unit.kind), "path": unit.path}


@admin.get("/users", responses=STD, summary="Users (admin); phones masked")
def users(actor: Admin, box: Box) -> list[dict[str, Any]]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.list_users(conn)


@admin.post("/users", status_code=201, responses=STD, summary="Create a user (admin)")
def add_user(body: UserIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return identity.create_user(box.uow(), box.hasher, actor, username=body.username, password=body.password,
                                role=body.role, unit_code=body.unit, now=now, display_name=body.display_name,
                                phone=body.phone, email=body.email)


@admin.get("/categories", responses=errors(401), summary="The two-level category tree")
def categories(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.list_categories(conn)


@admin.post("/categories", status_code=201, responses=STD, summary="Add a category (admin): 'parent.child' or a new top level")
def add_category(body: CategoryIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return catalog.add_category(box.uow(), actor, code=body.code, name=body.name, en=body.en, about=body.about, now=now)


@admin.patch("/categories/{code}", responses=STD, summary="Rename, describe or (de)activate a category (admin); codes never change")
def patch_category(code: str, body: dict[str, Any], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return catalog.update_category(box.uow(), actor, code, body, now)


@admin.get("/policies", responses=errors(401), summary="Deadline policies (时限规则)")
def get_policies(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return [p.to_dict() for p in policy_uc.list_policies(box.uow())]


@admin.put("/policies", responses=STD, summary="Create or replace deadline policies (admin, audited; new orders only)")
def put_policies(body: list[PolicyIn], actor: Admin, box: Box, now: Now) -> list[dict[str, Any]]:
    return [p.to_dict() for p in policy_uc.put_policies(box.uow(), actor, [b.model_dump() for b in body], now)]


@admin.get("/mode", responses=errors(401), summary="The district's mode: epidemic (7×24) or normal")
def get_mode(actor: CurrentActor, box: Box) -> dict[str, str]:
    with box.uow() as uow:
        return {"mode": str(uow.policies.mode())}


@admin.put("/mode", responses=STD, summary="Switch the district to epidemic or normal mode (admin or commander)")
def put_mode(body: ModeIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, str]:
    return {"mode": str(policy_uc.set_mode(box.uow(), actor, body.mode, now))}


@admin.get("/calendar", responses=errors(401), summary="Working hours and holidays of the normal-mode clock")
def get_calendar(actor: CurrentActor, box: Box) -> dict[str, Any]:
    return policy_uc.get_calendar(box.uow())


@admin.put("/calendar", responses=STD,
           summary="Replace working hours and holidays / make-up workdays (admin, audited)")
def put_calendar(body: dict[str, Any], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return policy_uc.put_calendar(box.uow(), actor, body, now)


@me.get("/notifications", responses=errors(401), summary="In-app inbox: mine and my unit's")
def notifications(actor: CurrentActor, box: Box, unread_only: bool = False,
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    with box.engine.connect().execution_options(readonly=True) as conn:
        return views.inbox(conn, actor, unread_only, limit, offset)


@me.post("/notifications/read", responses=errors(401, 422), summary="Mark notices as read")
def read(ids: list[int], actor: CurrentActor, box: Box, now: Now) -> dict[str, int]:
    with box.engine.begin() as conn:
        return {"marked": views.mark_read(conn, actor, ids, now)}


@stats.get("", responses=STD, summary="Statistics for a window: counts, rates, growth, urgent, special groups")
def statistics(actor: CurrentActor, box: Box, now: Now,
               start: datetime | None = Query(None, alias="from", description="default: 7 days before `to`"),
               end: datetime | None = Query(None, alias="to", description="default: the end of today (local time)"),
               category: str | None = None, unit: str | None = None, channel: str | None = None,
               urgency: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    if end is None:  # default: the last 7 local calendar days, today included
        local = now.astimezone(ZoneInfo(box.settings.timezone))
        end = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    start = start or end - timedelta(days=7)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from/to 需要带时区 (from/to need a timezone, e.g. 2022-03-25T00:00:00+08:00)", field="from")
    if start >= end:
        raise InvalidInput("from 必须早于 to (from must be before to)", field="from")
    if end - start > timedelta(days=400):
        raise InvalidInput("统计窗口不能超过 400 天 (window longer than 400 days)", field="from")
    f = views.OrderFilter(category=category, unit=unit, channel=channel, urgency=urgency)
    with box.engine.connect().execution_options(readonly=True) as conn:
        return stats_views.statistics(conn, actor, start, end, now, f, box.settings.timezone)
