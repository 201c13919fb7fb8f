"""/api/v1/screen — every panel of the big screen in one object, scoped by the caller's unit."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...adapters.db.screen import screen_data
from .deps import Box, CurrentActor, Now
from .schemas import errors

router = APIRouter(prefix="/api/v1", tags=["statistics"], responses=errors(401, 422))


@router.get("/screen", summary="Big-screen data: today, by category and street, SLA risk, special groups, hot spots, "
                                "hourly trend vs last week, urgent ticker")
def screen(actor: CurrentActor, box: Box, now: Now) -> dict[str, Any]:
    """One object with every panel of the big screen (``/screen``), computed for the caller's scope
    (a street sees its own orders, center roles the district). Times are UTC; ``day`` and the
    trend's hours are local (``timezone``). ``marker`` grows with every order event."""
    with box.engine.connect().execution_options(readonly=True) as conn:
        return screen_data(conn, actor, now, box.settings.timezone)
