"""The simulation: steps every demo order's life (``lives``) forward in time order through the real
use cases, and runs the deadline sweeper (``sweep_once``) a couple of simulated minutes after each
deadline step falls due, as the in-process worker would have.
"""
from __future__ import annotations

import heapq
import random
from datetime import datetime, timedelta
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from ...domain.errors import DomainError
from ...domain.orders.clock import Clock
from ...domain.orders.model import Order
from ...domain.orders.schedule import next_due, schedule
from ...domain.roles import Actor
from ..orders.sweep import SweepResult, sweep_once
from .lives import Step, _Lives
from .plan import _Plan

SWEEP_LAG = timedelta(minutes=2)


class _Sim(_Lives):
    """Steps every order's life forward in time order; sweeps deadlines as the clock passes."""

    def __init__(self, box: Any, rng: random.Random, end: datetime, start: datetime, actors: dict[str, Actor],
                 unit_users: dict[str, list[str]]):
        self.box, self.rng, self.end = box, rng, end
        self.zone = ZoneInfo(box.settings.timezone)
        self.actors, self.unit_users = actors, unit_users
        self.heap: list = []
        self.seq = 0
        self.tick = start
        self.swept = SweepResult()
        self.errors: list[str] = []
        self.sweeps = 0
        # earliest deadline step of each order we wrote, so ticks with nothing due skip the sweep
        self.due: list = []
        with box.uow() as uow:
            self.calendar = uow.policies.calendar()

    # -- the engine
    def add(self, plan: _Plan, gen: Iterator[Step]) -> None:
        self._advance(plan, gen, None)

    def _advance(self, plan: _Plan, gen, value) -> None:
        try:
            t, fn = gen.send(value)
        except StopIteration:
            return
        if t > self.end:
            gen.close()  # the rest of this order's life lies in the future: it stays where it is
            return
        heapq.heappush(self.heap, (t, self.seq, plan, gen, fn))
        self.seq += 1

    def _clock(self, o: Order) -> Clock:
        return Clock(o.policy.clock, self.calendar if o.policy.clock == "business" else None)

    def _track(self, plan: _Plan, at: datetime | None) -> None:
        if at is not None:
            heapq.heappush(self.due, (at, self.seq, plan, plan.touch))
            self.seq += 1

    def _due_by(self, t: datetime) -> bool:
        while self.due and self.due[0][3] != self.due[0][2].touch:
            heapq.heappop(self.due)  # the order changed since: a newer entry stands for it
        return bool(self.due) and self.due[0][0] <= t

    def _sweep_to(self, t: datetime) -> None:
        """Run the deadline sweeper up to ``t``, a couple of minutes after each step falls due, as the
        in-process worker would have (it polls every few seconds; a minute or two of lag keeps this cheap)."""
        while self._due_by(t):
            self.tick = max(self.tick, min(self.due[0][0] + SWEEP_LAG, t))
            while True:
                r = sweep_once(self.box.uow(), self.tick, 500)
                self.sweeps += 1
                self.swept += r
                if r.orders < 500:
                    break
            # every step due by now has fired: each swept order waits for its next later step
            while self._due_by(self.tick):
                _, _, plan, _ = heapq.heappop(self.due)
                o = plan.cur
                later = [s.due_at for s in schedule(o, self._clock(o)) if s.key not in o.fired and s.due_at > self.tick]
                self._track(plan, min(later) if later else None)

    def run(self) -> None:
        while self.heap:
            t, _, plan, gen, fn = heapq.heappop(self.heap)
            self._sweep_to(t)
            try:
                value = fn(t) if fn is not None else None
            except DomainError as e:  # should not happen; keep going, and say so in the report
                self.errors.append(f"{plan.cur.number if plan.cur else plan.at.isoformat()}: {e.message}")
                gen.close()
                continue
            if isinstance(value, Order):
                plan.cur = value
                plan.touch += 1
                self._track(plan, next_due(value, self._clock(value)))
            self._advance(plan, gen, value)
