"""通行码 pages: the citizen's application (public, for phones), the result with the QR code,
the checkpoint page (camera via BarcodeDetector, a field for a USB scanner gun, ALLOW/DENY in large
type, offline with the signed lists), and the street office's queue of applications to approve."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ...adapters.crypto.passkeys import qr_svg
from ...app.passes import apply as apply_uc
from ...app.passes import setup as setup_uc
from ...domain.errors import DomainError, InvalidInput
from ...domain.passes.model import REASON_TEXT, ApplicationReason
from ...domain.roles import Actor, Role
from . import i18n
from .common import Box, PageActor, error_fragment, redirect, render, require_roles

router = APIRouter(include_in_schema=False)
CST = timezone(timedelta(hours=8))
Approver = Annotated[Actor, Depends(require_roles(Role.UNIT_HANDLER, Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN,
                                                  Role.OPERATOR))]
STATUS = {"pending": i18n.N_("Pending"), "issued": i18n.N_("Issued"), "refused": i18n.N_("Refused"),
          "rejected": i18n.N_("Rejected"), "all": i18n.N_("All")}
REASONS = [(ApplicationReason.SUPPLIES, i18n.N_("Supplies")), (ApplicationReason.MEDICAL, i18n.N_("Medical")),
           (ApplicationReason.UTILITIES, i18n.N_("Utilities")),
           (ApplicationReason.PUBLIC_SERVICE, i18n.N_("Public service")), (ApplicationReason.OTHER, i18n.N_("Other"))]


def _local(value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=CST)
    except (TypeError, ValueError):
        raise InvalidInput(i18n.gettext("Please give a date and time.") + f" ({field})", field=field) from None


@router.get("/pass/apply")
def apply_page(request: Request, box: Box):
    now = box.now().astimezone(CST)
    return render(request, "pass_apply.html", {
        "areas": setup_uc.list_areas(box.uow()), "reasons": REASONS,
        "start": now.strftime("%Y-%m-%dT%H:%M"), "end": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})


@router.post("/pass/apply/code")
async def apply_code(request: Request, box: Box):
    form = await request.form()
    try:
        out = apply_uc.request_code(box.uow(), str(form.get("phone") or ""), box.now())
    except DomainError as e:
        return error_fragment(request, e)
    html = Markup('<input type="hidden" name="otp_id" value="{}"><div class="flash ok" role="status">{}</div>').format(
        out["otp_id"], i18n.gettext("Code sent to %(phone)s. It is valid for 10 minutes.") % {"phone": out["phone"]})
    return HTMLResponse(str(html))


@router.post("/pass/apply")
async def apply_submit(request: Request, box: Box):
    form = await request.form()
    try:
        out = apply_uc.submit(box.uow(), box.pass_crypto, apply_uc.NewApplication(
            name=str(form.get("name") or ""), id_number=str(form.get("id_number") or ""),
            phone=str(form.get("phone") or ""), otp_id=str(form.get("otp_id") or ""), code=str(form.get("code") or ""),
            employer=str(form.get("employer") or ""), reason=str(form.get("reason") or ""),
            area=str(form.get("area") or ""), directions=form.getlist("directions"),
            period_start=_local(str(form.get("period_start") or ""), "period_start"),
            period_end=_local(str(form.get("period_end") or ""), "period_end"), note=str(form.get("note") or "")),
            box.now())
    except DomainError as e:
        return error_fragment(request, e)
    return redirect(request, f"/pass/a/{out['id']}?t={out['token']}")


@router.get("/pass/a/{app_id}")
def application_page(app_id: int, request: Request, box: Box, t: str = ""):
    out = apply_uc.status(box.uow(), app_id, t)
    svg = None
    if out.get("pass"):
        svg = Markup(qr_svg(out["pass"]["qr_text"], scale=5).decode())
    return render(request, "pass_status.html", {"a": out, "svg": svg, "token": t,
                                                "cst": lambda v: v.astimezone(CST).strftime("%m-%d %H:%M") if v else ""})


@router.get("/pass/checkpoint")
def checkpoint_page(request: Request, actor: PageActor, box: Box):
    texts = {"allow": i18n.gettext("ALLOW"), "deny": i18n.gettext("DENY"), "until": i18n.gettext("valid until"),
             "online": i18n.gettext("Online"), "offline": i18n.gettext("Offline: checked on this phone"),
             "offline_mode": i18n.gettext("Checked offline; uploaded when back online"),
             "no_lists": i18n.gettext("Offline and no downloaded key list yet"),
             "no_camera": i18n.gettext("This browser cannot scan with the camera: use the scanner gun or type the code"),
             "anchor_changed": i18n.gettext("The server's list key changed: ask the center before trusting it"),
             "reasons": {k: (zh if i18n.current_locale.get() == "zh_CN" else en) for k, (zh, en) in REASON_TEXT.items()}}
    return render(request, "pass_checkpoint.html", {"actor": actor, "checkpoints": setup_uc.list_checkpoints(box.uow()),
                                                    "texts": json.dumps(texts, ensure_ascii=False)})


@router.get("/pass/queue")
def queue_page(request: Request, actor: Approver, box: Box, status: str = "pending"):
    page = apply_uc.list_applications(box.uow(), actor, status if status != "all" else None, 200, 0)
    return render(request, "pass_queue.html", {"actor": actor, "page": page, "status": status, "labels": STATUS,
                                               "cst": lambda v: v.astimezone(CST).strftime("%m-%d %H:%M") if v else ""})


@router.post("/pass/queue/{app_id}/decide")
async def queue_decide(app_id: int, request: Request, actor: Approver, box: Box):
    form = await request.form()
    try:
        apply_uc.decide(box.uow(), box.pass_crypto, actor, app_id, form.get("approve") == "1",
                        str(form.get("note") or ""), box.now())
    except DomainError as e:
        return error_fragment(request, e)
    return redirect(request, "/pass/queue")
