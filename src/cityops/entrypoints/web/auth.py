"""Login, logout, language switch, and each role's home."""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ...app import identity
from ...domain.errors import Unauthenticated
from . import i18n
from .common import HOME, LANG_COOKIE, TOKEN_COOKIE, Box, PageActor, render

router = APIRouter(include_in_schema=False)


def _safe_next(next_path: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no '//'), never the login page itself."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return None
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or parts.path.startswith("/login"):
        return None
    return next_path


@router.get("/")
def root(actor: PageActor):
    return RedirectResponse(HOME.get(actor.role, "/queue"), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", {"next": _safe_next(next) or "", "username": ""})


@router.post("/login")
def login_submit(request: Request, box: Box, username: str = Form(""), password: str = Form(""),
                 next: str = Form("")):
    username = username.strip()
    if not username or not password:
        return render(request, "login.html", {"next": next, "username": username,
                                              "error": i18n.gettext("Enter your user name and password.")},
                      status_code=422)
    try:
        token, actor = identity.login(box.uow(), box.hasher, username, password, box.now(),
                                      box.settings.token_ttl_hours)
    except Unauthenticated:
        return render(request, "login.html", {"next": next, "username": username,
                                              "error": i18n.gettext("Wrong user name or password.")},
                      status_code=401)
    resp = RedirectResponse(_safe_next(next) or HOME.get(actor.role, "/queue"), status_code=303)
    resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict",
                    max_age=box.settings.token_ttl_hours * 3600)
    return resp


@router.post("/logout")
def logout(request: Request, box: Box):
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        identity.logout(box.uow(), token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(TOKEN_COOKIE)
    return resp


@router.get("/lang/{code}")
def switch_language(code: str, request: Request):
    code = code if code in i18n.LOCALES else i18n.DEFAULT_LOCALE
    back = _safe_next(request.query_params.get("next")) or "/"
    resp = RedirectResponse(back, status_code=303)
    resp.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 86400)
    return resp
