"""/api/v1/passes — 通行码: applications (public, with a one-time SMS code), the street office's
queue, scanning, offline uploads, the signed key and revocation lists, revocation, trace
(JSON or XLSX), statistics, and admin (areas, checkpoints, rules, keys, test-result import)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...app.passes import apply as apply_uc
from ...app.passes import results as results_uc
from ...app.passes import scan as scan_uc
from ...app.passes import setup as setup_uc
from ...app.passes import trace as trace_uc
from ...adapters.crypto.passkeys import qr_png, qr_svg
from ...domain.errors import InvalidInput
from ...domain.passes.results import MAX_BYTES
from ...domain.roles import Actor, Role
from ..web.exports import xlsx_response
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, errors

router = APIRouter(prefix="/api/v1/passes", tags=["passes"], responses=errors(401, 422))
public = APIRouter(prefix="/api/v1/passes", tags=["passes (public)"], responses=errors(404, 409, 422))
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]


class CodeIn(BaseModel):
    phone: str = Field(max_length=20)


class ApplicationIn(BaseModel):
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=30, description="18-character resident ID number; stored only as a keyed hash")
    phone: str = Field(max_length=20)
    otp_id: str = Field(max_length=64, description="from POST /api/v1/passes/code")
    code: str = Field(max_length=10, description="the 6-digit code sent by SMS")
    employer: str = Field(max_length=200)
    reason: str = Field(description="supplies | medical | utilities | public_service | other")
    area: str = Field(max_length=64, description="area code")
    directions: list[str] = Field(description='["in"], ["out"] or ["in", "out"]')
    period_start: datetime
    period_end: datetime
    note: str = Field("", max_length=500)


class ScanIn(BaseModel):
    qr: str = Field(max_length=100_000, description="the scanned text (longer than 8,192 characters: DENY too_large)")
    checkpoint: str = Field(max_length=64)
    direction: str = Field(description="in | out")
    scan_id: str | None = Field(None, max_length=64, description="the gate's own id for this scan (idempotency)")


class UploadIn(BaseModel):
    scans: list[dict[str, Any]] = Field(description="[{scan_id, qr, checkpoint, direction, scanned_at, result, reason}]")


class DecisionIn(BaseModel):
    approve: bool
    note: str = Field("", max_length=500)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class AreaIn(BaseModel):
    code: str
    name: str
    kind: str = Field(description="sealed | controlled | precaution")
    unit: str = Field(description="the street office (unit code) that approves and revokes")
    manual_approval: bool = False


class CheckpointIn(BaseModel):
    code: str
    name: str
    area: str


# --- public: the citizen's application and the lists checkpoints download -------------------

@public.post("/code", status_code=201, summary="Send a one-time code to the applicant's phone (SMS via the outbox)")
def send_code(body: CodeIn, box: Box, now: Now) -> dict[str, Any]:
    return apply_uc.request_code(box.uow(), body.phone, now)


@public.post("/applications", status_code=201, summary="Apply for a pass: refused with reasons, pending, or issued")
def apply(body: ApplicationIn, box: Box, now: Now) -> dict[str, Any]:
    return apply_uc.submit(box.uow(), box.pass_crypto, apply_uc.NewApplication(**body.model_dump()), now)


@public.get("/applications/{app_id}/status", summary="The applicant's own view (token from the application)")
def application_status(app_id: int, box: Box, t: str = Query(..., max_length=64)) -> dict[str, Any]:
    return apply_uc.status(box.uow(), app_id, t)


@public.get("/applications/{app_id}/qr.{fmt}", summary="The pass as a QR image (PNG or SVG; alphanumeric, level Q)",
            responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}})
def application_qr(app_id: int, fmt: str, box: Box, t: str = Query(..., max_length=64),
                   download: bool = False) -> Response:
    if fmt not in ("png", "svg"):
        raise InvalidInput("格式应为 png 或 svg (format: png or svg)", field="fmt")
    text = apply_uc.pass_text(box.uow(), app_id, t)
    headers = {"Cache-Control": "no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="pass-{app_id}.{fmt}"'
    if fmt == "png":
        return Response(qr_png(text), media_type="image/png", headers=headers)
    return Response(qr_svg(text), media_type="image/svg+xml", headers=headers)


@public.get("/areas", summary="Areas one may apply for")
def areas(box: Box) -> list[dict[str, Any]]:
    return setup_uc.list_areas(box.uow())


@public.get("/keys", summary="The signed key list (pass keys and checkpoints), for offline checkpoints")
def key_list(box: Box, now: Now) -> dict[str, Any]:
    return scan_uc.key_list(box.uow(), box.pass_crypto, now)


@public.get("/revocations", summary="The signed revocation list; since=<upto of the last download> for what is new")
def revocations(box: Box, now: Now, since: int = Query(0, ge=0)) -> dict[str, Any]:
    return scan_uc.revocation_list(box.uow(), box.pass_crypto, since, now)


@public.get("/anchor", summary="The list key's certificate and fingerprint (pinned by checkpoints)")
def anchor(box: Box, now: Now) -> dict[str, Any]:
    return scan_uc.anchor(box.uow(), box.pass_crypto, now)


# --- checkpoints ----------------------------------------------------------------------------

@router.post("/scan", responses=STD, summary="Scan a pass at a checkpoint: ALLOW or DENY with the reason (logged)")
def scan(body: ScanIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return scan_uc.scan(box.uow(), box.pass_crypto, actor, body.qr, body.checkpoint, body.direction, now, body.scan_id)


@router.post("/scans", responses=STD, summary="Upload scans made offline (idempotent by scan_id)")
def upload(body: UploadIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return scan_uc.upload_scans(box.uow(), box.pass_crypto, actor, body.scans, now)


@router.get("/checkpoints", responses=STD, summary="Checkpoints")
def checkpoints(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    return setup_uc.list_checkpoints(box.uow())


# --- street offices and the center ------------------------------------------------------------

@router.get("/applications", responses=STD, summary="Applications in the caller's scope (names masked)")
def list_applications(actor: CurrentActor, box: Box, status: str | None = Query(None),
                      limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return apply_uc.list_applications(box.uow(), actor, status, limit, offset)


@router.post("/applications/{app_id}/decision", responses=STD, summary="Approve or reject a pending application")
def decision(app_id: int, body: DecisionIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return apply_uc.decide(box.uow(), box.pass_crypto, actor, app_id, body.approve, body.note, now)


@router.post("/{pass_id}/revoke", responses=STD, summary="Revoke a pass (denied online at once)")
def revoke(pass_id: str, body: RevokeIn, actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    return scan_uc.revoke(box.uow(), actor, pass_id, body.reason, now)


def _window(since: datetime | None, until: datetime | None, now: datetime, days: int = 1) -> tuple[datetime, datetime]:
    until = until or now + timedelta(seconds=1)  # what happened this second counts
    since = since or until - timedelta(days=days)
    fix = lambda d: d if d.tzinfo else d.replace(tzinfo=timezone(timedelta(hours=8)))  # noqa: E731
    return fix(since).astimezone(timezone.utc), fix(until).astimezone(timezone.utc)


CST = timezone(timedelta(hours=8))


def _t(v: Any) -> Any:
    """Spreadsheet cells: times as Shanghai wall-clock text (Excel has no time zones)."""
    return v.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v


SCAN_HEADERS = ["扫码时间 scanned at", "卡口 checkpoint", "方向 direction", "结果 result", "原因 reason",
                "服务器核验 server", "方式 mode", "通行码 pass", "姓名 name", "证件 ID", "单位 employer"]


def _scan_rows(items: list[dict]) -> list[list[Any]]:
    return [[_t(i["scanned_at"]), i["checkpoint"], i["direction"], i["result"], i["reason"], i["server_reason"] or "",
             i["mode"], i["pass_id"] or "", i["name"], i["id_masked"], i["employer"]] for i in items]


@router.get("/trace/checkpoint/{code}", responses=STD,
            summary="Who passed checkpoint X between since and until (format=xlsx for a spreadsheet)")
def trace_checkpoint(code: str, actor: CurrentActor, box: Box, now: Now, since: datetime | None = None,
                     until: datetime | None = None, all_results: bool = False, format: str = "json"):
    s, u = _window(since, until, now)
    out = trace_uc.passages(box.uow(), actor, code, s, u, allowed_only=not all_results)
    if format == "xlsx":
        return xlsx_response(f"passages-{code}.xlsx", code[:31], SCAN_HEADERS, _scan_rows(out["items"]))
    return out


@router.get("/trace/pass/{pass_id}", responses=STD, summary="Where has pass P been (format=xlsx for a spreadsheet)")
def trace_pass(pass_id: str, actor: CurrentActor, box: Box, format: str = "json"):
    out = trace_uc.history(box.uow(), actor, pass_id)
    if format == "xlsx":
        return xlsx_response(f"pass-{pass_id[:8]}.xlsx", pass_id[:31], SCAN_HEADERS, _scan_rows(out["items"]))
    return out


@router.get("/trace/employer", responses=STD, summary="All passes of employer E (format=xlsx for a spreadsheet)")
def trace_employer(actor: CurrentActor, box: Box, employer: str = Query(..., max_length=200), format: str = "json"):
    out = trace_uc.employer_passes(box.uow(), actor, employer)
    if format == "xlsx":
        headers = ["通行码 pass", "姓名 name", "证件 ID", "区域 area", "方向 directions", "签发 issued", "生效 from",
                   "失效 expires", "撤销 revoked"]
        rows = [[p["id"], p["name"], p["id_masked"], p["area"], ",".join(p["directions"]), _t(p["issued_at"]),
                 _t(p["valid_from"]), _t(p["expires_at"]), _t(p["revoked_at"]) or ""] for p in out["items"]]
        return xlsx_response("employer-passes.xlsx", "passes", headers, rows)
    return out


@router.get("/stats", responses=STD, summary="Counts: applications by status, issued, refused by rule, scans, denials")
def stats(actor: CurrentActor, box: Box, now: Now, since: datetime | None = None,
          until: datetime | None = None) -> dict[str, Any]:
    s, u = _window(since, until, now, days=7)
    return trace_uc.stats(box.uow(), actor, s, u)


# --- admin ----------------------------------------------------------------------------------

@router.post("/areas", status_code=201, responses=STD, summary="Add an area (admin)")
def add_area(body: AreaIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.add_area(box.uow(), actor, now=now, **body.model_dump())


@router.patch("/areas/{code}", responses=STD, summary="Change an area: name, kind, unit, manual_approval, active (admin)")
def patch_area(code: str, body: Annotated[dict[str, Any], Body()], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.update_area(box.uow(), actor, code, body, now)


@router.post("/checkpoints", status_code=201, responses=STD, summary="Add a checkpoint (admin)")
def add_checkpoint(body: CheckpointIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.add_checkpoint(box.uow(), actor, now=now, **body.model_dump())


@router.get("/rules", responses=STD, summary="The eligibility ruleset in force (CertLogic)")
def get_rules(actor: CurrentActor, box: Box) -> dict[str, Any]:
    return setup_uc.get_ruleset(box.uow())


@router.put("/rules", responses=STD, summary="Save a new version of the eligibility ruleset (admin)")
def put_rules(body: Annotated[dict[str, Any], Body()], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.save_ruleset(box.uow(), actor, body, now)


@router.get("/admin/keys", responses=STD, summary="Signing keys (admin): kid, status, fingerprint — never private parts")
def list_keys(actor: Admin, box: Box, now: Now) -> list[dict[str, Any]]:
    return setup_uc.list_keys(box.uow(), box.pass_crypto, actor, now)


@router.post("/admin/keys/rotate", responses=STD, summary="Rollover: a new pass key; the old one still verifies")
def rotate_key(actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.rotate_key(box.uow(), box.pass_crypto, actor, now)


@router.post("/admin/keys/{kid}/withdraw", responses=STD, summary="Withdraw a retired key: its passes are denied")
def withdraw_key(kid: str, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return setup_uc.withdraw_key(box.uow(), box.pass_crypto, actor, kid, now)


@router.post("/results/import", responses=STD, summary="Import nucleic-acid results (CSV); row report")
async def import_results(actor: CurrentActor, box: Box, now: Now, file: UploadFile = File(...)) -> dict[str, Any]:
    data = await file.read(MAX_BYTES + 1)
    return await run_in_threadpool(results_uc.import_results, box.uow(), box.pass_crypto, actor, data,
                                   file.filename or "upload.csv", now)
