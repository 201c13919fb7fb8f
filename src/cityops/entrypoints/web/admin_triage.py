"""Admin page for the triage rules (分拨规则): urgency floors and caps, special-group flags.

The same use cases as ``GET/PUT /api/v1/triage/rules`` (``app/triage/usecases.py``: validated,
audited); "try a text" runs :meth:`RuleSet.apply` on the rules in force or on the unsaved draft
in the editor, without the model. Semantics of the rules: ``domain/triage/rules.py``,
``docs/triage.md``."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...app.triage import usecases as tri
from ...domain.errors import DomainError
from ...domain.triage.codes import SPECIAL_GROUPS, URGENCY_LEVELS
from ...domain.triage.ruledoc import shipped_changes
from ...domain.triage.rules import RuleError, RuleSet
from . import i18n
from .admin_forms import AdminActor, json_document, refused, text
from .admin_knowledge import page
from .common import Box, is_htmx, redirect, render
from .lookups import labels

router = APIRouter(include_in_schema=False)

def _problems(exc: RuleError) -> list[dict[str, Any]]:
    """A RuleError as the routing page's list of problems (one: the rule set stops at the first)."""
    return [{"rule": exc.rule_id or i18n.gettext("(the document)"), "index": "", "field": "rules",
             "message": exc.message}]


def _summary(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, int]]]:
    """The table's rows and the number of rules per (kind, effect, target), most urgent first."""
    rows = [{"id": r.get("id"), "kind": r.get("kind"), "target": r.get("target"), "reason": r.get("reason", ""),
             "effect": r.get("effect", "floor") if r.get("kind") == "urgency" else "",
             "patterns": len(r.get("patterns") or ()), "unless": bool(r.get("unless")),
             "requires": bool(r.get("requires")), "about": r.get("about", "")} for r in doc.get("rules", [])]
    n = Counter((r["kind"], r["effect"], r["target"]) for r in rows)
    order = [("urgency", e, t) for e in ("floor", "cap") for t in reversed(URGENCY_LEVELS)] + \
            [("special_group", "", g) for g in SPECIAL_GROUPS]
    return rows, [(k, e, t, n[(k, e, t)]) for k, e, t in order if n[(k, e, t)]]


def _triage(request: Request, actor, box, extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    with box.uow() as uow:
        saved = uow.triage.rules()
    shipped = box.triage.shipped_rules()
    doc = saved or shipped
    rows, counts = _summary(doc)
    with box.engine.connect().execution_options(readonly=True) as conn:
        lab = labels(conn, actor)
    extra = dict(extra or {})
    extra.setdefault("form", {"rules": json.dumps(doc, ensure_ascii=False, indent=2)})
    return page(request, actor, "admin_triage.html", "triage",
                {"doc": doc, "rows": rows, "counts": counts, "lab": lab, "source": "saved" if saved else "shipped",
                 "same_as_shipped": saved == shipped, "shipped_version": shipped.get("version", ""),
                 "shipped": _shipped_changes(saved, shipped), **extra},
                status_code)


def _shipped_changes(saved: Any, shipped: dict[str, Any]) -> dict[str, Any] | None:
    """For the "take from the shipped rules" card: the shipped rules new or changed against the
    saved copy (with their reason and purpose), the lists that differ, the copy's own rules."""
    if not saved:
        return None
    try:
        changes = shipped_changes(saved, shipped)
    except RuleError:
        return None  # a saved copy that no longer validates: the editor above names the rule
    if not changes.any:
        return None
    theirs = {r["id"]: r for r in shipped.get("rules", [])}
    return {"new": [theirs[i] for i in changes.new], "changed": [theirs[i] for i in changes.changed],
            "lists": [(name, shipped.get(name, [])) for name in changes.lists], "own": changes.own}


@router.get("/admin/triage-rules")
def triage_page(request: Request, actor: AdminActor, box: Box):
    return _triage(request, actor, box)


def _rule_error(request: Request, actor, box, exc: RuleError, form: dict[str, str]) -> Response:
    if is_htmx(request):
        return render(request, "_admin_rule_errors.html", {"problems": _problems(exc)}, status_code=422)
    return _triage(request, actor, box, {"form": form, "problems": _problems(exc)}, 422)


@router.post("/admin/triage-rules")
async def save_triage(request: Request, actor: AdminActor, box: Box):
    form = await request.form()
    raw = str(form.get("rules") or "")
    typed = {"rules": raw, "text": str(form.get("text") or "")}
    try:
        tri.put_rules(box.uow(), actor, json_document(raw), box.now())
    except RuleError as exc:
        return _rule_error(request, actor, box, exc, typed)
    except DomainError as exc:
        return refused(request, exc, lambda extra: _triage(request, actor, box, extra), {"form": typed})
    return redirect(request, "/admin/triage-rules?done=rules")


@router.post("/admin/triage-rules/try")
async def try_text(request: Request, actor: AdminActor, box: Box):
    """What the rules (in force, or the draft when ``use_draft``) do on a request text; saves nothing."""
    form = await request.form()
    raw = str(form.get("rules") or "")
    draft = form.get("use_draft") == "1"
    typed = {"rules": raw, "text": str(form.get("text") or ""), "use_draft": "1" if draft else ""}
    try:
        said = text(form, "text", required=True, limit=tri.MAX_TEXT, label=i18n.gettext("Request text"))
        rules = RuleSet.from_data(json_document(raw) if draft else tri.get_rules(box.uow(), box.triage))
        out = rules.apply(said)
    except RuleError as exc:
        return _rule_error(request, actor, box, exc, typed)
    except DomainError as exc:
        return refused(request, exc, lambda extra: _triage(request, actor, box, extra), {"form": typed})
    trial = {"draft": draft, "version": rules.version, "urgency": out.urgency, "reasons": out.urgency_reasons,
             "cap": out.urgency_cap, "cap_reasons": out.cap_reasons, "groups": out.special_groups,
             "matches": out.matches}
    if is_htmx(request):
        with box.engine.connect().execution_options(readonly=True) as conn:
            lab = labels(conn, actor)
        return render(request, "_admin_triage_try.html", {"trial": trial, "lab": lab})
    return _triage(request, actor, box, {"form": typed, "trial": trial})


@router.post("/admin/triage-rules/reset")
async def reset_triage(request: Request, actor: AdminActor, box: Box):
    try:
        tri.put_rules(box.uow(), actor, box.triage.shipped_rules(), box.now())
    except DomainError as exc:
        return refused(request, exc, lambda extra: _triage(request, actor, box, extra))
    return redirect(request, "/admin/triage-rules?done=reset")


@router.post("/admin/triage-rules/take")
async def take_shipped(request: Request, actor: AdminActor, box: Box):
    """Take the ticked shipped rules and lists into the saved copy; every other edit stays."""
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")]
    lists = [str(v) for v in form.getlist("lists")]
    try:
        tri.take_shipped_rules(box.uow(), actor, box.triage, ids, lists, box.now())
    except RuleError as exc:  # the saved copy itself no longer validates: name the rule, keep the editor
        if is_htmx(request):
            return render(request, "_admin_rule_errors.html", {"problems": _problems(exc)}, status_code=422)
        return _triage(request, actor, box, {"problems": _problems(exc)}, 422)
    except DomainError as exc:
        return refused(request, exc, lambda extra: _triage(request, actor, box, extra))
    return redirect(request, "/admin/triage-rules?done=taken")
