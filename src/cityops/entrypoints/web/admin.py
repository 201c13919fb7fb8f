"""管理 — admin pages: org tree, users, deadline policies, district mode, Open311 keys (here),
categories, routing rules, gazetteer and knowledge base (``admin_knowledge``), and triage rules
(``admin_triage``). Admin only; other roles get a 403 page. Every change goes through the same
use case as the JSON API, which audits it; reference data changes reach every process at its
next transaction (no restart)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...adapters.db import views
from ...app import identity
from ...app.open311 import services as o311
from ...app.orders import policies as policy_uc
from ...domain.errors import InvalidInput
from ...domain.org import ALLOWED_PARENTS, UnitKind, mask_phone
from ...domain.orders.policy import DeadlinePolicy, EscalationLevel, Mode, Urgency
from ...domain.roles import Role
from . import i18n
from .admin_forms import SUBNAV, AdminActor, answer, text, values
from .admin_knowledge import router as knowledge_router
from .admin_triage import router as triage_router
from .common import Box, redirect, render
from .lookups import labels

router = APIRouter(include_in_schema=False)
router.include_router(knowledge_router)
router.include_router(triage_router)

PHONE_PATTERN = r"[0-9+\- ]{3,40}"


def page(request: Request, actor, name: str, section: str, ctx: dict[str, Any]) -> Response:
    base = {"actor": actor, "subnav": SUBNAV, "section": section, "done": request.query_params.get("done", ""),
            "form": {}, "error": None}
    base.update(ctx)
    return render(request, name, base)


# ------------------------------------------------------------------ org tree


def _org(request: Request, actor, box, extra: dict[str, Any] | None = None) -> Response:
    with box.engine.connect().execution_options(readonly=True) as conn:
        units = views.list_units(conn)
    for u in units:
        u["depth"] = max(0, u["path"].strip("/").count("/"))
        u["hotline_lead_phone"] = mask_phone(u["hotline_lead_phone"])
        u["leader_phone"] = mask_phone(u["leader_phone"])
    kinds = [k.value for k in UnitKind]
    parents_ok = {k.value: sorted(str(p) for p in ALLOWED_PARENTS[k] if p is not None) for k in UnitKind}
    return page(request, actor, "admin_org.html", "org",
                {"units": units, "kinds": kinds, "parents_ok": parents_ok, "phone_pattern": PHONE_PATTERN,
                 **(extra or {})})


@router.get("/admin")
@router.get("/admin/org")
def org_page(request: Request, actor: AdminActor, box: Box):
    return _org(request, actor, box)


@router.post("/admin/org/units")
async def add_unit(request: Request, actor: AdminActor, box: Box):
    form = await request.form()

    def act():
        contacts = {k: text(form, k, limit=500 if k == "webhook_url" else 200) for k in
                    ("hotline_lead_name", "hotline_lead_phone", "leader_name", "leader_phone", "email", "webhook_url")}
        url = contacts["webhook_url"]
        if url and not url.startswith(("http://", "https://")):
            raise InvalidInput(i18n.gettext("The webhook address must start with http:// or https://."),
                               field="webhook_url")
        identity.create_unit(box.uow(), actor, code=text(form, "code", required=True, limit=64),
                             name=text(form, "name", required=True), kind=text(form, "kind", required=True),
                             parent_code=text(form, "parent", limit=64) or None, now=box.now(), **contacts)

    return answer(request, act, done_url="/admin/org?done=unit", typed=values(form),
                  page=lambda extra: _org(request, actor, box, extra))


# ------------------------------------------------------------------ users


def _users(request: Request, actor, box, extra: dict[str, Any] | None = None) -> Response:
    with box.engine.connect().execution_options(readonly=True) as conn:
        users = views.list_users(conn)  # phones masked
        units = [u for u in views.list_units(conn) if u["active"]]
    return page(request, actor, "admin_users.html", "users",
                {"users": users, "units": units, "roles": [r.value for r in Role], "phone_pattern": PHONE_PATTERN,
                 "created": request.query_params.get("created", ""), **(extra or {})})


@router.get("/admin/users")
def users_page(request: Request, actor: AdminActor, box: Box):
    return _users(request, actor, box)


@router.post("/admin/users")
async def add_user(request: Request, actor: AdminActor, box: Box):
    form = await request.form()
    created: dict[str, Any] = {}

    def act():
        password = str(form.get("password") or "")
        if password != str(form.get("password2") or ""):
            raise InvalidInput(i18n.gettext("The two passwords differ."), field="password2")
        created.update(identity.create_user(
            box.uow(), box.hasher, actor, username=text(form, "username", required=True, limit=64),
            password=password, role=text(form, "role", required=True, limit=32),
            unit_code=text(form, "unit", required=True, limit=64), now=box.now(),
            display_name=text(form, "display_name", limit=100), phone=text(form, "phone", limit=40),
            email=text(form, "email")))

    resp = answer(request, act, done_url="", typed=values(form), page=lambda extra: _users(request, actor, box, extra))
    if created:
        return redirect(request, f"/admin/users?created={created['username']}")
    return resp


# ------------------------------------------------------------------ deadline policies

POLICY_FIELDS = {
    "accept_minutes": i18n.N_("Accept within (minutes)"),
    "feedback_minutes": i18n.N_("First report-back within (minutes)"),
    "resolve_minutes": i18n.N_("Resolve within (minutes)"),
    "remind_unaccepted_minutes": i18n.N_("Remind if not accepted after (minutes)"),
    "warn_fractions": i18n.N_("Warnings at (percent of the window)"),
    "escalation": i18n.N_("Escalation ladder"),
    "clock": i18n.N_("Clock"),
    "category": i18n.N_("Category"),
    "mode": i18n.N_("Mode"),
    "urgency": i18n.N_("Urgency"),
}
# The domain's reasons (English) as the page shows them.
POLICY_PROBLEMS = {
    "clock must be 24x7 or business": i18n.N_("clock must be 24x7 or business"),
    "accept_minutes must be a positive number of minutes": i18n.N_("must be a positive number of minutes"),
    "resolve_minutes must be a positive number of minutes": i18n.N_("must be a positive number of minutes"),
    "feedback_minutes must be positive": i18n.N_("must be a positive number of minutes"),
    "remind_unaccepted_minutes must be positive": i18n.N_("must be a positive number of minutes"),
    "resolve deadline is before the accept deadline": i18n.N_("resolve deadline is before the accept deadline"),
    "feedback deadline is after the resolve deadline": i18n.N_("feedback deadline is after the resolve deadline"),
    "feedback deadline is before the accept deadline": i18n.N_("feedback deadline is before the accept deadline"),
    "warning fractions must lie strictly between 0 and 1": i18n.N_("each warning must lie between 1 and 99 percent"),
    "warning fractions must be increasing, without repeats": i18n.N_("warnings must be increasing, without repeats"),
    "escalation steps must not come before the resolve deadline":
        i18n.N_("escalation steps must not come before the resolve deadline"),
    "escalation steps must be in increasing order of time": i18n.N_("escalation steps must be in increasing order of time"),
}
LADDER_ROWS = 4


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{i18n.gettext(POLICY_FIELDS.get(field, field))}: {message}", field=field)


def _minutes(form, name: str, required: bool) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        if required:
            raise _field_error(name, i18n.gettext("Please fill in this field."))
        return None
    try:
        return int(raw)
    except ValueError:
        raise _field_error(name, i18n.gettext("enter a whole number of minutes")) from None


def policy_from_form(form) -> dict[str, Any]:
    """The policy as the API takes it, from the page's fields; a bad value names its field."""
    warn_raw = str(form.get("warn_percent") or "").replace("，", ",").replace("%", "")
    try:
        warns = [float(x) / 100 for x in warn_raw.split(",") if x.strip()]
    except ValueError:
        raise _field_error("warn_fractions", i18n.gettext("enter percentages like 50, 80")) from None
    ladder = []
    for i in range(LADDER_ROWS):
        after = str(form.get(f"esc_after_{i}") or "").strip()
        level = str(form.get(f"esc_level_{i}") or "").strip()
        if not after and not level:
            continue
        if not after or not level:
            raise _field_error("escalation", i18n.gettext("each step needs both minutes and a level"))
        try:
            ladder.append({"after_minutes": int(after), "level": EscalationLevel(level).value})
        except ValueError:
            raise _field_error("escalation", i18n.gettext("enter a whole number of minutes")) from None
    body = {
        "mode": text(form, "mode", required=True, limit=16), "urgency": text(form, "urgency", required=True, limit=16),
        "category": text(form, "category", limit=64) or None, "clock": text(form, "clock", limit=16) or "24x7",
        "accept_minutes": _minutes(form, "accept_minutes", True),
        "feedback_minutes": _minutes(form, "feedback_minutes", False),
        "resolve_minutes": _minutes(form, "resolve_minutes", True),
        "remind_unaccepted_minutes": _minutes(form, "remind_unaccepted_minutes", False),
        "warn_fractions": warns, "escalation": ladder,
    }
    if body["mode"] not in [m.value for m in Mode]:
        raise _field_error("mode", i18n.gettext("choose a mode"))
    if body["urgency"] not in [u.value for u in Urgency]:
        raise _field_error("urgency", i18n.gettext("choose an urgency"))
    problems = DeadlinePolicy.from_dict(body).problems()
    if problems:
        field = problems[0][0]
        raise InvalidInput("; ".join(f"{i18n.gettext(POLICY_FIELDS.get(f, f))}: {i18n.gettext(POLICY_PROBLEMS.get(m, m))}"
                                     for f, m in problems), field=field)
    return body


def policy_form_values(p: DeadlinePolicy) -> dict[str, str]:
    d = {"mode": str(p.mode), "urgency": str(p.urgency), "category": p.category or "", "clock": p.clock,
         "accept_minutes": str(p.accept_minutes), "feedback_minutes": "" if p.feedback_minutes is None else str(p.feedback_minutes),
         "resolve_minutes": str(p.resolve_minutes),
         "remind_unaccepted_minutes": "" if p.remind_unaccepted_minutes is None else str(p.remind_unaccepted_minutes),
         "warn_percent": ", ".join(f"{f * 100:g}" for f in p.warn_fractions)}
    for i, step in enumerate(p.escalation[:LADDER_ROWS]):
        d[f"esc_after_{i}"] = str(step.after_minutes)
        d[f"esc_level_{i}"] = str(step.level)
    return d


def human_minutes(m: int | None) -> str:
    if m is None:
        return "—"
    if m % 1440 == 0:
        return i18n.gettext("%(n)s d") % {"n": m // 1440}
    if m % 60 == 0:
        return i18n.gettext("%(n)s h") % {"n": m // 60}
    if m > 60:
        return i18n.gettext("%(h)s h %(m)s min") % {"h": m // 60, "m": m % 60}
    return i18n.gettext("%(n)s min") % {"n": m}


def _policies(request: Request, actor, box, extra: dict[str, Any] | None = None) -> Response:
    policies = policy_uc.list_policies(box.uow())
    with box.uow() as uow:
        mode = str(uow.policies.mode())
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
    extra = dict(extra or {})
    typed = extra.get("form") or {}
    editing = None
    edit_id = request.query_params.get("edit", "") or typed.get("id", "")  # a refused edit stays an edit
    if edit_id.isdigit():
        editing = next((p for p in policies if p.id == int(edit_id)), None)
    is_new = request.query_params.get("new") == "1" or (bool(typed) and not editing)
    if "form" not in extra:
        extra["form"] = policy_form_values(editing) if editing else (
            {"mode": mode, "urgency": "normal", "clock": "24x7", "warn_percent": "50, 80"} if is_new else {})
    form = extra["form"]
    show_form = bool(editing) or is_new or "error" in extra
    order = {"critical": 0, "urgent": 1, "normal": 2}
    policies.sort(key=lambda p: (p.mode != mode, str(p.mode), order.get(str(p.urgency), 9), p.category or ""))
    return page(request, actor, "admin_policies.html", "policies", {
        "policies": policies, "mode": mode, "lab": lab, "editing": editing, "is_new": is_new and not editing,
        "show_form": show_form, "fields": POLICY_FIELDS, "levels": [lv.value for lv in EscalationLevel],
        "modes": [m.value for m in Mode], "urgencies": [u.value for u in Urgency], "ladder_rows": LADDER_ROWS,
        "hm": human_minutes, "edit_id": form.get("id", str(editing.id) if editing else ""), **extra})


@router.get("/admin/policies")
def policies_page(request: Request, actor: AdminActor, box: Box):
    return _policies(request, actor, box)


@router.post("/admin/policies")
async def save_policy(request: Request, actor: AdminActor, box: Box):
    form = await request.form()

    def act():
        body = policy_from_form(form)
        policy_uc.put_policies(box.uow(), actor, [body], box.now())

    return answer(request, act, done_url="/admin/policies?done=policy", typed=values(form),
                  page=lambda extra: _policies(request, actor, box, extra))


# ------------------------------------------------------------------ district mode


@router.get("/admin/mode")
def mode_page(request: Request, actor: AdminActor, box: Box):
    with box.uow() as uow:
        mode = str(uow.policies.mode())
    return page(request, actor, "admin_mode.html", "mode", {"mode": mode, "modes": [m.value for m in Mode]})


@router.post("/admin/mode")
async def set_mode(request: Request, actor: AdminActor, box: Box):
    form = await request.form()

    def act():
        policy_uc.set_mode(box.uow(), actor, text(form, "mode", required=True, limit=16), box.now())

    def again(extra):
        with box.uow() as uow:
            mode = str(uow.policies.mode())
        return page(request, actor, "admin_mode.html", "mode", {"mode": mode, "modes": [m.value for m in Mode], **extra})

    return answer(request, act, done_url="/admin/mode?done=mode", typed=values(form), page=again)


# ------------------------------------------------------------------ Open311 keys


@router.get("/admin/keys")
def keys_page(request: Request, actor: AdminActor, box: Box):
    keys = o311.list_keys(box.uow(), actor)
    return page(request, actor, "admin_keys.html", "keys", {"keys": keys})
