"""/api/v1/alerts — devices, sources, rules (+ dry-run), counters, open alerts, the testing-site
monitor, and the signed webhook for video platforms."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...adapters.db.alerts_repo import is_transient
from ...app.alerts import devices as dev_uc
from ...app.alerts import rules as rule_uc
from ...app.alerts import sites as site_uc
from ...app.alerts.common import require_center, scope_path
from ...app.alerts.ingest import counters as counters_uc
from ...app.alerts.webhook import receive_webhook
from ...domain.alerts.devices import Device
from ...domain.roles import Actor, Role
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, errors

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], responses=errors(401, 422))
hook = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]


class DeviceIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="also the last MQTT topic level")
    kind: str = Field(description="door_sensor | camera | body_camera | site_terminal | video_platform")
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(description="owning unit code: alerts go there unless a rule says otherwise")
    place: str = Field("", max_length=300)
    place_kind: str = Field("other", description="isolation_room | isolation_site | shop | testing_site | compound | street | other")
    tags: list[str] = Field(default_factory=list, description='e.g. ["sealed"] for a sealed area (封控区)')
    lat: float | None = None
    lng: float | None = None
    source: str | None = Field(None, description="webhook source allowed to report for this device")


class SourceIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)


class OutcomeIn(BaseModel):
    outcome: str = Field(description="standby_sent | standby_arrived | supplies_sent | queue_normal | not_needed")
    note: str | None = Field(None, max_length=1000)


def device_out(d: Device) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "kind": str(d.kind), "name": d.name, "unit_id": d.unit_id, "place": d.place,
            "place_kind": str(d.place_kind), "tags": list(d.tags), "lat": d.lat, "lng": d.lng, "active": d.active}


@router.get("/devices", responses=STD, summary="Devices in the caller's scope, with open alerts and flapping")
def list_devices(actor: CurrentActor, box: Box, kind: str | None = None,
                 limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return dev_uc.list_devices(box.uow(), actor, kind, limit, offset)


@router.post("/devices", status_code=201, responses=STD, summary="Register a device (admin)")
def add_device(body: DeviceIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return device_out(dev_uc.register_device(box.uow(), actor, now=now, **body.model_dump()))


@router.patch("/devices/{code}", responses=STD, summary="Change a device: name, unit, place, tags, source, active (admin)")
def patch_device(code: str, body: Annotated[dict[str, Any], Body()], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return device_out(dev_uc.update_device(box.uow(), actor, code, body, now))


@router.get("/sources", responses=STD, summary="Webhook sources (admin); secrets are never listed")
def list_sources(actor: Admin, box: Box) -> list[dict[str, Any]]:
    return dev_uc.list_sources(box.uow(), actor)


@router.post("/sources", status_code=201, responses=STD, summary="Add a webhook source; its secret is shown once (admin)")
def add_source(body: SourceIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return dev_uc.create_source(box.uow(), actor, body.code, body.name, box.settings.secret_key, now)


@router.post("/sources/{code}/rotate", responses=STD, summary="New secret for a source; the old one stops at once (admin)")
def rotate_source(code: str, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return dev_uc.rotate_source(box.uow(), actor, code, box.settings.secret_key, now)


@router.get("/rules", responses=STD, summary="Alert rules (center roles)")
def list_rules(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return rule_uc.list_rules(box.uow(), actor)


@router.post("/rules", status_code=201, responses=STD, summary="Create an alert rule (admin, audited)")
def add_rule(body: Annotated[dict[str, Any], Body()], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return rule_uc.create_rule(box.uow(), actor, body, now)


@router.put("/rules/{rule_id}", responses=STD, summary="Replace an alert rule (admin, audited)")
def put_rule(rule_id: int, body: Annotated[dict[str, Any], Body()], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return rule_uc.replace_rule(box.uow(), actor, rule_id, body, now)


@router.post("/rules/{rule_id}/enable", responses=STD, summary="Turn a rule on (admin)")
def enable_rule(rule_id: int, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return rule_uc.set_rule_active(box.uow(), actor, rule_id, True, now)


@router.post("/rules/{rule_id}/disable", responses=STD, summary="Turn a rule off (admin); open orders stay")
def disable_rule(rule_id: int, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return rule_uc.set_rule_active(box.uow(), actor, rule_id, False, now)


@router.post("/rules/dry-run", responses=STD,
             summary="Replay recent events through a draft rule: what it would have matched (nothing is written)")
def dry_run(body: Annotated[dict[str, Any], Body()], actor: CurrentActor, box: Box, now: Now,
            hours: int = Query(24, ge=1, le=168)) -> dict[str, Any]:
    return rule_uc.dry_run(box.uow(), actor, body, now, hours=hours, tz=box.settings.timezone)


@router.get("/counters", responses=STD, summary="Events accepted, duplicates, and rejections per reason (center roles)")
def counters(actor: CurrentActor, box: Box) -> dict[str, Any]:
    require_center(actor)
    return counters_uc(box.uow())


@router.get("/incidents", responses=STD, summary="Alerts per rule and device (count, last seen, order), in scope")
def incidents(actor: CurrentActor, box: Box, open_only: bool = True,
              limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    uow = box.uow()
    with uow:
        return uow.alerts.list_tracks(scope_path(uow, actor), open_only, limit, offset)


@router.get("/sites", responses=STD, summary="Testing-site monitor: every site's latest figures, worst first, + summary")
def site_monitor(actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return site_uc.monitor(box.uow(), actor, now)


@router.post("/site-orders/{number}/outcome", responses=STD,
             summary="Record the outcome of a standby proposal on a testing-site order (sent, arrived, queue normal)")
def site_outcome(number: str, body: OutcomeIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return site_uc.record_outcome(box.uow(), actor, number, body.outcome, now, body.note)


@hook.post("/webhook/{source}", status_code=202, responses=errors(401, 422),
           summary="Events from a video platform: HMAC-SHA256 signed, timestamped (no bearer token)",
           description="Headers: `X-Cityops-Timestamp` (unix seconds, within ±300 s) and `X-Cityops-Signature: "
                       "sha256=<hex HMAC-SHA256 of '{timestamp}.' + body with the source secret>`. Body: one event "
                       "or `{\"events\": [...]}`. A replay inside the window changes nothing (event ids).")
async def webhook(source: str, request: Request, box: Box,
                  x_cityops_timestamp: Annotated[str | None, Header()] = None,
                  x_cityops_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    body = await request.body()
    return await run_in_threadpool(
        receive_webhook, box.uow(), source, x_cityops_timestamp, x_cityops_signature, body, box.now(),
        server_key=box.settings.secret_key, tz=box.settings.timezone, transient=is_transient)
