"""/api/v1/screen — every panel of the big screen in one object, scoped by the caller's unit: the
order figures (``adapters.db.screen``) and the duty, testing, sites and passes sections
(``web.screen_extra``, from those contexts' use cases)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...adapters.db.screen import screen_data
from ..web.screen_extra import extra_sections
from .deps import Box, CurrentActor, Now
from .schemas import errors

router = APIRouter(prefix="/api/v1", tags=["statistics"], responses=errors(401, 422))


@router.get("/screen", summary="Big-screen data: today, by category and street, SLA risk, special groups, hot spots, "
                                "hourly trend vs last week, urgent ticker, who is on duty, testing progress, "
                                "testing sites, passes today")
def screen(actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    """One object with every panel of the big screen (``/screen``), computed for the caller's scope
    (a street sees its own orders, center roles the district). Times are UTC; ``day`` and the
    trend's hours are local (``timezone``). ``marker`` grows with every order event. ``duty``,
    ``testing``, ``sites`` and ``passes`` each carry ``available`` (false: not for this caller's
    role) and ``empty`` (nothing yet: no roster, no matched round, no site, no pass today)."""
    with box.engine.connect().execution_options(readonly=True) as conn:
        data = screen_data(conn, actor, now, box.settings.timezone)
    data.update(extra_sections(box, actor, now, box.settings.timezone))
    return data
