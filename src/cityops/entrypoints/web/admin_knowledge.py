"""Admin pages for reference data: categories (类别), routing rules (分派规则), the gazetteer
(地名库) and the knowledge base (口径库). Same use cases as /api/v1 (admin.py, knowledge.py)."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from ...adapters.db import views
from ...adapters.kb_files import import_file
from ...adapters.sheets import decode_text
from ...app import catalog
from ...app.triage import knowledge as kn
from ...domain.errors import DomainError, InvalidInput
from ...domain.routing.rules import RoutingRuleError
from . import i18n
from .admin_forms import SUBNAV, AdminActor, answer, json_document, refused, text, values
from .common import Box, is_htmx, redirect, render

router = APIRouter(include_in_schema=False)

MAX_IMPORT = 20 * 1024 * 1024  # as the API


def page(request: Request, actor, name: str, section: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    base = {"actor": actor, "subnav": SUBNAV, "section": section, "done": request.query_params.get("done", ""),
            "form": {}, "error": None}
    base.update(ctx)
    return render(request, name, base, status_code=status_code)


# ------------------------------------------------------------------ categories


def _categories(request: Request, actor, box, extra: dict[str, Any] | None = None) -> Response:
    with box.engine.connect().execution_options(readonly=True) as conn:
        cats = views.list_categories(conn)
    tops = [c for c in cats if not c["parent_code"]]
    children = {t["code"]: [c for c in cats if c["parent_code"] == t["code"]] for t in tops}
    return page(request, actor, "admin_categories.html", "categories",
                {"tops": tops, "children": children, **(extra or {})})


@router.get("/admin/categories")
def categories_page(request: Request, actor: AdminActor, box: Box):
    return _categories(request, actor, box)


@router.post("/admin/categories")
async def add_category(request: Request, actor: AdminActor, box: Box):
    form = await request.form()

    def act():
        parent = text(form, "parent", limit=64)
        child = text(form, "code", required=True, limit=64)
        code = f"{parent}.{child}" if parent else child
        catalog.add_category(box.uow(), actor, code=code, name=text(form, "name", required=True, limit=100),
                             en=text(form, "en"), about=text(form, "about", limit=1000), now=box.now())

    return answer(request, act, done_url="/admin/categories?done=category_added", typed=values(form),
                  page=lambda extra: _categories(request, actor, box, extra))


@router.post("/admin/categories/{code}")
async def update_category(code: str, request: Request, actor: AdminActor, box: Box):
    form = await request.form()

    def act():
        changes: dict[str, Any] = {}
        if "active" in form:
            changes["active"] = str(form.get("active")) == "1"
        else:
            changes["name"] = text(form, "name", required=True, limit=100)
            changes["en"] = text(form, "en")
        catalog.update_category(box.uow(), actor, code, changes, box.now())

    return answer(request, act, done_url=f"/admin/categories?done=category_changed#cat-{code}", typed=values(form),
                  page=lambda extra: _categories(request, actor, box, extra))


# ------------------------------------------------------------------ routing rules


def _routing(request: Request, actor, box, extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    with box.uow() as uow:
        rules = uow.routing.rules()
    extra = dict(extra or {})
    extra.setdefault("form", {"rules": json.dumps(rules, ensure_ascii=False, indent=2)})
    return page(request, actor, "admin_routing.html", "routing", {"rules": rules, **extra}, status_code)


@router.get("/admin/routing")
def routing_page(request: Request, actor: AdminActor, box: Box):
    return _routing(request, actor, box)


@router.post("/admin/routing")
async def save_routing(request: Request, actor: AdminActor, box: Box):
    form = await request.form()
    raw = str(form.get("rules") or "")
    try:
        kn.put_routing_rules(box.uow(), actor, json_document(raw), box.now())
    except RoutingRuleError as exc:
        problems = [{"rule": p.rule_id or f"#{p.index + 1}", "index": p.index, "field": p.field,
                     "message": p.message if i18n.current_locale.get() == "en" else p.message_zh}
                    for p in exc.problems]
        if is_htmx(request):
            return render(request, "_admin_rule_errors.html", {"problems": problems}, status_code=422)
        return _routing(request, actor, box, {"form": {"rules": raw}, "problems": problems}, 422)
    except DomainError as exc:
        return refused(request, exc, lambda extra: _routing(request, actor, box, extra), {"form": {"rules": raw}})
    return redirect(request, "/admin/routing?done=rules")


# ------------------------------------------------------------------ imports (gazetteer, knowledge base)


async def _upload(form) -> tuple[bytes, str]:
    item = form.get("file")
    if not isinstance(item, UploadFile) or not item.filename:
        raise InvalidInput(i18n.gettext("Choose a file to import."), field="file")
    data = await item.read(MAX_IMPORT + 1)
    if len(data) > MAX_IMPORT:
        raise InvalidInput(i18n.gettext("The file is larger than 20 MB."), field="file")
    return data, item.filename


def _report(request: Request, actor, box, render_page, report: dict[str, Any]) -> Response:
    """The import's report: in the form's box (htmx) or on the page."""
    if is_htmx(request):
        return render(request, "_admin_report.html", {"report": report})
    return render_page({"report": report})


def _gazetteer(request: Request, actor, box, extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    with box.uow() as uow:
        count = uow.gazetteer.count()
    return page(request, actor, "admin_gazetteer.html", "gazetteer", {"count": count, **(extra or {})}, status_code)


@router.get("/admin/gazetteer")
def gazetteer_page(request: Request, actor: AdminActor, box: Box):
    return _gazetteer(request, actor, box)


@router.post("/admin/gazetteer")
async def gazetteer_import(request: Request, actor: AdminActor, box: Box):
    form = await request.form()
    try:
        data, _name = await _upload(form)
        text_, _enc = decode_text(data)
        result = kn.import_gazetteer(box.uow(), actor, text_, box.now())
    except DomainError as exc:
        return refused(request, exc, lambda extra: _gazetteer(request, actor, box, extra))
    report = {"kind": "gazetteer", "imported": result["imported"], "errors": result["errors"]}
    return _report(request, actor, box, lambda extra: _gazetteer(request, actor, box, extra), report)


def _kb(request: Request, actor, box, extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    now = box.now()
    q = (request.query_params.get("q", "") or "")[:500].strip()
    with box.uow() as uow:
        if q:
            entries = kn.kb_search(uow, q, now, limit=50)
        else:
            latest = [e for e in uow.kb.all_versions() if uow.kb.latest(e.id) == e]
            entries = [kn.kb_view(e, now) for e in sorted(latest, key=lambda e: e.id)][:200]
            total = len(latest)
    with box.engine.connect().execution_options(readonly=True) as conn:
        cats = {c["code"]: c["name"] for c in views.list_categories(conn)}
    return page(request, actor, "admin_kb.html", "kb",
                {"entries": entries, "q": q, "cats": cats, "total": None if q else total, **(extra or {})},
                status_code)


@router.get("/admin/kb")
def kb_page(request: Request, actor: AdminActor, box: Box):
    return _kb(request, actor, box)


@router.post("/admin/kb/import")
async def kb_import(request: Request, actor: AdminActor, box: Box):
    form = await request.form()
    try:
        data, name = await _upload(form)
        now = box.now()
        with box.uow() as uow:
            cats = uow.reference.category_names()
        result = kn.kb_import(box.uow(), actor, import_file(data, name, known_categories=cats, default_valid_from=now),
                              now)
    except DomainError as exc:
        return refused(request, exc, lambda extra: _kb(request, actor, box, extra))
    report = {"kind": "kb", "added": result["added"], "revised": result["revised"], "errors": result["errors"]}
    return _report(request, actor, box, lambda extra: _kb(request, actor, box, extra), report)

