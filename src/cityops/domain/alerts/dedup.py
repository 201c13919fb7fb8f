"""Dedup and flap suppression, per rule and device (the "track").

* An alert that fires while the track's order is open and the last firing was within the
  rule's ``dedup_minutes`` updates that order (count, last seen) instead of opening another.
* A clearing event (door closed, shop closed, a normal reading) clears the track; when the
  rule says ``resolve_on_clear`` the order is resolved (unless the sensor is flapping).
* Every fire-after-clear and clear-after-fire is a change; ``flap_changes`` changes within
  ``flap_window_minutes`` mark the track as flapping — reported once — and, while it flaps,
  clears no longer resolve the order, so one order carries the whole episode. Flapping ends
  when a whole window passes without a change.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .events import AlertEvent
from .rules import Judgement, Rule

IDLE, OPEN, CLEARED = "idle", "open", "cleared"

# actions
OPEN_ORDER = "open"        # create a new order
UPDATE = "update"          # one more event on the open order
CLEAR = "clear"            # the condition is over (note it on the order)
RESOLVE = "resolve"        # ... and resolve the order (rule's resolve_on_clear)
FLAPPING = "flapping"      # the sensor started flapping: report once


@dataclass(frozen=True)
class Track:
    state: str = IDLE
    order_open: bool = False          # the linked order (or the one being created) is still open
    count: int = 0                    # events on the current order
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    breach_since: datetime | None = None
    changes: tuple[datetime, ...] = ()
    flapping: bool = False
    cleared_at: datetime | None = None
    opened: int = 0                   # orders opened by this track so far

    def evolve(self, **kw) -> "Track":
        return replace(self, **kw)


def step(track: Track, rule: Rule, event: AlertEvent, judgement: Judgement) -> tuple[Track, list[str]]:
    """The track after one event the rule judged, and what to do about the order."""
    at = event.at
    window = timedelta(minutes=rule.flap_window_minutes)
    changes = tuple(c for c in track.changes if at - c < window)
    t = track.evolve(breach_since=judgement.breach_since, changes=changes,
                     flapping=track.flapping and bool(changes))
    actions: list[str] = []
    recent = t.last_seen is not None and at - t.last_seen <= timedelta(minutes=rule.dedup_minutes)
    if judgement.fire:
        if t.state in (OPEN, CLEARED) and t.order_open and (recent or t.flapping):
            if t.state == CLEARED:
                t = t.evolve(changes=t.changes + (at,))
            t = t.evolve(state=OPEN, count=t.count + 1, last_seen=max(at, t.last_seen or at), cleared_at=None)
            actions.append(UPDATE)
        else:
            t = t.evolve(state=OPEN, order_open=True, count=1, first_seen=at, last_seen=at, cleared_at=None,
                         opened=t.opened + 1, changes=t.changes + ((at,) if track.state == CLEARED else ()))
            actions.append(OPEN_ORDER)
    elif judgement.clear and t.state == OPEN:
        t = t.evolve(state=CLEARED, cleared_at=at, changes=t.changes + (at,))
        actions.append(CLEAR)
    if len(t.changes) >= rule.flap_changes and not t.flapping:
        t = t.evolve(flapping=True)
        actions.append(FLAPPING)
    if CLEAR in actions and rule.resolve_on_clear and not t.flapping:
        actions.append(RESOLVE)
    return t, actions
