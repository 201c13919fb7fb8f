"""What every page shares: templates, the logged-in user, the locale, errors shown in the page."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ...app import identity
from ...bootstrap import Container
from ...domain.errors import DomainError, NotAllowed, Unauthenticated
from ...domain.roles import Actor, Role
from . import i18n

HERE = Path(__file__).parent
TOKEN_COOKIE = "cityops_token"
LANG_COOKIE = "cityops_lang"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True, extensions=["jinja2.ext.i18n"]))
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.globals["tr"] = i18n.label

# Where each role lands after logging in.
HOME = {
    Role.OPERATOR: "/intake",
    Role.SUPERVISOR: "/supervise",
    Role.UNIT_HANDLER: "/queue",
    Role.FIELD_MEMBER: "/field",
    Role.COMMANDER: "/screen",
    Role.ADMIN: "/admin",
}

# The navigation each role sees: (path, label msgid).
NAV = {
    Role.OPERATOR: [("/intake", i18n.N_("Intake")), ("/queue", i18n.N_("Queue")), ("/supervise", i18n.N_("Supervision")), ("/duty", i18n.N_("Duty"))],
    Role.SUPERVISOR: [("/supervise", i18n.N_("Supervision")), ("/queue", i18n.N_("Queue")), ("/intake", i18n.N_("Intake")),
                      ("/reports", i18n.N_("Reports")), ("/screen", i18n.N_("Big screen")), ("/duty", i18n.N_("Duty")),
                      ("/community/progress", i18n.N_("Testing progress")), ("/pass/queue", i18n.N_("Passes"))],
    Role.UNIT_HANDLER: [("/queue", i18n.N_("Queue")), ("/field", i18n.N_("Phone view")), ("/duty", i18n.N_("Duty")),
                        ("/community", i18n.N_("Community")), ("/pass/queue", i18n.N_("Passes"))],
    Role.FIELD_MEMBER: [("/field", i18n.N_("My orders")), ("/queue", i18n.N_("Queue")), ("/pass/checkpoint", i18n.N_("Checkpoint")),
                        ("/duty", i18n.N_("Duty"))],
    Role.COMMANDER: [("/screen", i18n.N_("Big screen")), ("/supervise", i18n.N_("Supervision")), ("/queue", i18n.N_("Queue")),
                     ("/reports", i18n.N_("Reports")), ("/duty", i18n.N_("Duty")),
                     ("/community/progress", i18n.N_("Testing progress"))],
    Role.ADMIN: [("/admin", i18n.N_("Administration")), ("/queue", i18n.N_("Queue")), ("/reports", i18n.N_("Reports")), ("/screen", i18n.N_("Big screen")), ("/duty", i18n.N_("Duty")),
                 ("/community/progress", i18n.N_("Testing progress"))],
}


class LoginRequired(Exception):
    """Raised by page dependencies; turned into a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def get_container(request: Request) -> Container:
    return request.app.state.container


Box = Annotated[Container, Depends(get_container)]


def cookie_actor(request: Request, box: Container) -> Actor | None:
    """The user of the session cookie, or None (no cookie, expired or unknown token)."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    try:
        return identity.authenticate(box.read_uow(), token, box.now())
    except Unauthenticated:
        return None


def page_actor(request: Request, box: Box) -> Actor:
    actor = cookie_actor(request, box)
    if actor is None:
        raise LoginRequired(request.url.path)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def require_roles(*roles: Role):
    def check(actor: PageActor) -> Actor:
        if actor.role not in roles:
            raise NotAllowed(i18n.gettext("Your role may not open this page.") + f" ({actor.role})")
        return actor
    return check


def local_tz(box: Container) -> ZoneInfo:
    return ZoneInfo(box.settings.timezone)


def fmt_dt(value: datetime | None, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz).strftime(fmt)


def fmt_left(seconds: int | None) -> str:
    """Time left (or overdue) in a compact form: 1h05m, -0h12m, 2d03h."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    return f"{sign}{d}d{h:02d}h" if d else f"{sign}{h}h{m:02d}m"


def risk(item: dict[str, Any], total_seconds: int | None = None) -> str:
    """A colour class for the queue: overdue, high (< 25 % or < 30 min left), medium (< 50 %), ok."""
    left = item.get("seconds_left")
    if item.get("overdue"):
        return "overdue"
    if left is None:
        return "none"
    if left < 1800 or (total_seconds and left < total_seconds * 0.25):
        return "high"
    if left < 4 * 3600 or (total_seconds and left < total_seconds * 0.5):
        return "medium"
    return "ok"


def render(request: Request, name: str, ctx: dict[str, Any], *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    box: Container = request.app.state.container
    actor: Actor | None = ctx.get("actor")
    tz = local_tz(box)
    base = {
        "request": request,
        "locale": i18n.current_locale.get(),
        "nav": NAV.get(actor.role, []) if actor else [],
        "home": HOME.get(actor.role, "/") if actor else "/login",
        "tz": tz,
        "dt": lambda v, fmt="%m-%d %H:%M": fmt_dt(v, tz, fmt),
        "left": fmt_left,
        "risk": risk,
        "now": box.now(),
    }
    base.update(ctx)
    return templates.TemplateResponse(request, name, base, status_code=status_code, headers=headers)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_fragment(request: Request, exc: DomainError | str, status_code: int = 422) -> HTMLResponse:
    """An error for htmx to show in the form's message box; what the user typed stays in the form."""
    message = exc if isinstance(exc, str) else exc.message
    field = None if isinstance(exc, str) else exc.field
    html = Markup('<div class="flash error" role="alert" data-field="{}">{}</div>').format(field or "", message)
    return HTMLResponse(str(html), status_code=status_code)


def redirect(request: Request, url: str) -> Response:
    """After a successful form: htmx follows HX-Redirect, a plain form follows 303."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
