"""大屏 — the commander's big screen (1920×1080, dark), live over Server-Sent Events.

The page is drawn with the data already in it (no blank first paint); ``/screen/events`` then
pushes the same object whenever an order changes (checked every few seconds with a cheap
marker, ``max(order_events.id)``) or one of the other contexts on the screen does (rosters and
assignments, a round's cross-match, a site's report, passes and scans: ``contexts_marker``), and
at least once a minute (deadlines and who is on duty move with time), with keep-alive comments
between, until the browser goes away. Screens of the same scope share one computation per
change, so ten screens in a room cost the database what one does. The duty, testing, sites and
passes panels come from those contexts' own use cases (``screen_extra``).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ...adapters.db.screen import change_marker, contexts_marker, screen_data
from ...domain.orders.model import State
from ...domain.orders.policy import Urgency
from ...domain.roles import Actor, HANDLING_ROLES, Role
from . import i18n
from .common import Box, render, require_roles
from .screen_extra import extra_sections

router = APIRouter(include_in_schema=False)

ScreenActor = Annotated[Actor, Depends(require_roles(Role.COMMANDER, Role.SUPERVISOR, Role.ADMIN))]

POLL_SECONDS = 3.0        # how often a stream looks at the change marker
REFRESH_SECONDS = 60.0    # recompute at least this often: deadlines and "today" move with the clock
KEEPALIVE_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
RETRY_MS = 5000           # the browser's reconnection delay


class SharedData:
    """The latest screen object per scope, recomputed when the marker moves or it grows old."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[Any, tuple[Any, float, dict[str, Any]]] = {}

    def get(self, box, actor: Actor, marker: tuple | None = None, max_age: float = REFRESH_SECONDS) -> dict[str, Any]:
        key = actor.unit_id if actor.role in HANDLING_ROLES else None
        with self._lock:
            hit = self._latest.get(key)
            if marker is None:
                marker = _marker(box)
            if hit and hit[0] == marker and time.monotonic() - hit[1] < max_age:
                return hit[2]
            now = box.now()
            with box.engine.connect().execution_options(readonly=True) as conn:
                data = screen_data(conn, actor, now, box.settings.timezone)
            data.update(extra_sections(box, actor, now, box.settings.timezone))
            data = jsonable_encoder(data)
            # the marker read before computing: a change made meanwhile is seen at the next poll
            self._latest[key] = (marker, time.monotonic(), data)
            return data


_create_lock = threading.Lock()


def shared(request: Request) -> SharedData:
    """The application's cache (one per app, so two apps on two databases never mix)."""
    state = request.app.state
    with _create_lock:
        if not hasattr(state, "screen_data"):
            state.screen_data = SharedData()
        return state.screen_data


def _marker(box) -> tuple:
    """(order events, the other contexts): what the stream polls every few seconds."""
    with box.engine.connect().execution_options(readonly=True) as conn:
        return change_marker(conn), *contexts_marker(conn)


# The words the page's script needs: key → msgid.
WORDS = {
    "today": i18n.N_("Today"), "last_week": i18n.N_("Same day last week"), "closed": i18n.N_("Closed"),
    "remaining": i18n.N_("Remaining"), "epidemic": i18n.N_("Epidemic"), "other": i18n.N_("Other"),
    "elsewhere": i18n.N_("District level / not located"), "overdue": i18n.N_("Overdue"), "open": i18n.N_("Open"),
    "no_hotspots": i18n.N_("No hot spots in the last 24 hours."), "no_urgent": i18n.N_("No urgent orders open."),
    "paused": i18n.N_("Paused"),
    # the bottom row (duty, testing, sites, passes)
    "not_here": i18n.N_("Not shown at this level"), "no_duty": i18n.N_("No duty roster yet"),
    "no_round": i18n.N_("No testing round matched yet"), "no_sites": i18n.N_("No testing sites reporting"),
    "no_passes": i18n.N_("No passes or scans today"), "on_duty": i18n.N_("On duty"), "busy": i18n.N_("On an order"),
    "off_duty": i18n.N_("Off duty"), "teams_short": i18n.N_("Teams short"), "tested": i18n.N_("Tested"),
    "untested": i18n.N_("Untested"), "exempted": i18n.N_("Exempted"), "untested_short": i18n.N_("Not yet tested"),
    "site": i18n.N_("Site"), "queue": i18n.N_("Waiting"), "per_hour": i18n.N_("Per hour"), "samplers": i18n.N_("Samplers"),
    "scanners": i18n.N_("Scanners"), "swabs_tubes": i18n.N_("Swabs / tubes"), "issued": i18n.N_("Issued"),
    "refused": i18n.N_("Refused or rejected"), "scans": i18n.N_("Scans"), "denied": i18n.N_("Denied"),
}


def labels() -> dict[str, Any]:
    """The words the page's script needs, in the page's language."""
    out: dict[str, Any] = {key: i18n.gettext(msgid) for key, msgid in WORDS.items()}
    out["state"] = {s.value: i18n.label("state", s.value) for s in State}
    out["urgency"] = {u.value: i18n.label("urgency", u.value) for u in Urgency}
    out["en"] = i18n.current_locale.get() == "en"
    return out


@router.get("/screen")
def screen_page(request: Request, actor: ScreenActor, box: Box):
    data = shared(request).get(box, actor)
    words = labels()
    return render(request, "screen.html", {
        "actor": actor, "data": data, "tz_name": box.settings.timezone,
        "data_json": _script_json(data), "labels_json": _script_json(words),
    })


def _script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json"> (no closing tag can appear)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


async def _events(request: Request, box, actor: Actor):
    yield f"retry: {RETRY_MS}\n\n"
    last_marker: tuple | None = None
    last_push = last_write = time.monotonic()
    while True:
        if await request.is_disconnected():
            break
        marker = await run_in_threadpool(_marker, box)
        now = time.monotonic()
        changed = marker != last_marker
        if changed or now - last_push >= REFRESH_SECONDS:
            # a change: a computation made by another screen for this marker will do;
            # the periodic refresh: recompute unless another screen just did
            data = await run_in_threadpool(shared(request).get, box, actor, marker,
                                           REFRESH_SECONDS if changed else POLL_SECONDS)
            last_marker, last_push = marker, now
            last_write = now
            yield f"id: {data['marker']}\nevent: screen\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        elif now - last_write >= KEEPALIVE_SECONDS:
            last_write = now
            yield ": keepalive\n\n"
        await asyncio.sleep(POLL_SECONDS)


@router.get("/screen/events")
def screen_events(request: Request, actor: ScreenActor, box: Box):
    return StreamingResponse(_events(request, box, actor), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
