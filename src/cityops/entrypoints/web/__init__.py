"""The web console: server-rendered pages (Jinja2), htmx for forms and fragments, SSE for live data.

``mount(app)`` adds the pages, the static files and the vendored browser libraries to the
FastAPI application. Pages call the same use cases as the JSON API.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ...domain.errors import DomainError
from . import i18n
from .common import HERE, LANG_COOKIE, LoginRequired, cookie_actor, error_fragment, is_htmx, render
from .vendor import router as vendor_router

PAGE_MODULES = ("auth", "queue", "order", "supervise", "admin", "screen", "reports", "intake", "field", "duty", "community", "passes")


def is_web_request(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/open311") or path in ("/healthz", "/docs", "/openapi.json"))


def web_error(request: Request, exc: DomainError, status_code: int) -> Response:
    if is_htmx(request):
        return error_fragment(request, exc, status_code)
    # the error page keeps the user's navigation and a link to their home page
    actor = cookie_actor(request, request.app.state.container)
    return render(request, "error.html", {"message": exc.message, "status": status_code, "actor": actor},
                  status_code=status_code)


def mount(app: FastAPI) -> None:
    import importlib

    app.include_router(vendor_router)  # before the /static mount, which would shadow /static/vendor/
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for name in PAGE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        target = "/login?next=" + quote(exc.next_path)
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.middleware("http")
    async def locale_and_origin(request: Request, call_next):
        # The page's locale, for the catalogue callables.
        token = i18n.current_locale.set(
            i18n.pick_locale(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")))
        try:
            # Forms change state only when they come from our own pages (the session cookie is
            # SameSite=Strict as well): a cross-site Origin is refused.
            if request.method not in ("GET", "HEAD", "OPTIONS") and is_web_request(request):
                origin = request.headers.get("origin")
                # "null" comes from sandboxed frames and file: pages — not from our own pages
                if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")):
                    return HTMLResponse("cross-site form refused", status_code=403)
            return await call_next(request)
        finally:
            i18n.current_locale.reset(token)
