"""What the admin pages share: the admin-only dependency, the sub-navigation, and one way to
answer a form — success: back to the page with a note; refused: the readable message in the
form's box (htmx) or the page again with what was typed (plain form)."""
from __future__ import annotations

import json
from typing import Annotated, Any, Callable

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from ...domain.errors import Conflict, DomainError, IllegalTransition, InvalidInput, NotAllowed, NotFound
from ...domain.roles import Actor, Role
from . import i18n
from .common import error_fragment, is_htmx, redirect, require_roles

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]

# The admin sub-pages: (path, label msgid, id used by tests).
SUBNAV = [
    ("/admin/org", i18n.N_("Org tree"), "org"),
    ("/admin/users", i18n.N_("Users"), "users"),
    ("/admin/policies", i18n.N_("Deadline policies"), "policies"),
    ("/admin/mode", i18n.N_("District mode"), "mode"),
    ("/admin/categories", i18n.N_("Categories"), "categories"),
    ("/admin/routing", i18n.N_("Routing rules"), "routing"),
    ("/admin/triage-rules", i18n.N_("Triage rules"), "triage"),
    ("/admin/gazetteer", i18n.N_("Gazetteer"), "gazetteer"),
    ("/admin/kb", i18n.N_("Knowledge base"), "kb"),
    ("/admin/keys", i18n.N_("Open311 API keys"), "keys"),
]

STATUS = ((NotAllowed, 403), (NotFound, 404), (IllegalTransition, 409), (Conflict, 409), (InvalidInput, 422))


def status_of(exc: DomainError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def text(form: FormData, name: str, *, required: bool = False, limit: int = 200, label: str = "") -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(i18n.gettext("Please fill in this field.") + f" ({label or name})", field=name)
    if len(value) > limit:
        raise InvalidInput(i18n.gettext("At most %(n)s characters.") % {"n": limit} + f" ({label or name})",
                           field=name)
    return value


MAX_JSON_DOC = 1_000_000  # characters of a rules document typed on an admin page


def json_document(raw: str) -> Any:
    """A rules document typed in an admin textarea, or an InvalidInput naming the line and column."""
    if len(raw) > MAX_JSON_DOC:
        raise InvalidInput(i18n.gettext("At most %(n)s characters.") % {"n": MAX_JSON_DOC}, field="rules")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(i18n.gettext("Not valid JSON (line %(line)s, column %(col)s): %(msg)s")
                           % {"line": e.lineno, "col": e.colno, "msg": e.msg}, field="rules") from None


def values(form: FormData) -> dict[str, str]:
    """What was typed, to put back into the form (files and passwords left out)."""
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and "password" not in k}


def answer(request: Request, action: Callable[[], Any], *, done_url: str,
           page: Callable[[dict[str, Any]], Response], typed: dict[str, str]) -> Response:
    """Run ``action``; on success go to ``done_url``; on a DomainError show why and keep the form."""
    try:
        action()
    except DomainError as exc:
        return refused(request, exc, page, {"form": typed})
    return redirect(request, done_url)


def refused(request: Request, exc: DomainError, page: Callable[[dict[str, Any]], Response],
            extra: dict[str, Any] | None = None) -> Response:
    """A refused form: the readable message in the form's box (htmx), or the page again with
    ``extra`` and the error, with the error's status code."""
    if is_htmx(request):
        return error_fragment(request, exc, status_of(exc))
    resp = page({**(extra or {}), "error": exc})
    resp.status_code = status_of(exc)
    return resp
