"""The demo district (滨江示范区): a fictional district shaped like the seed's, with two weeks of
work orders driven through the real use cases.

``seed_demo`` builds the org tree (center, 9 streets/towns, 71 residents' committees and
villages, 11 departments, 2 hospitals, 4 field teams), one or more users per role with a fixed
demo password, and ``orders`` work orders over the 14 days ending at ``box.now()``.

Every order is created and moved through its life by the same use cases the API calls, each
with an explicit ``now``: a small discrete-event simulation steps all orders forward in time
order, and runs the deadline sweeper (``sweep_once``) a couple of simulated minutes after each
deadline step falls due, so reminders, warnings, overdue alarms and escalations land in the
timelines about when the in-process worker would have fired them. Nothing is written with raw
SQL, and no time after ``box.now()`` is ever used. Seed while the server is stopped (the
script does): a live worker would otherwise fire the past deadlines at the present time.

All names, addresses and phone numbers are invented (phones look like 1380000xxxx / 13x0000xxxx).

The package, by concept: ``places`` (district, streets, committees, compounds, addresses), ``org``
(center, departments, teams, people, the login table), ``texts`` (request and feedback templates
per category), ``plan`` (what each order is and what will happen to it), ``lives`` and
``simulate`` (the use-case steps of each order's life, run in time order with the sweeper),
``report``.
"""
from __future__ import annotations

import random
import time as _time
from typing import Any

from ...domain.errors import InvalidInput
from ..orders.sweep import sweep_until_idle
from ..reference import install_defaults
from .org import CENTER_CODE, DEMO_PASSWORD, PEOPLE, _build_org, _load_people, _login_table
from .places import DISTRICT_CODE, DISTRICT_NAME, _gazetteer
from .plan import _Planner
from .report import _report
from .simulate import _Sim

__all__ = ["seed_demo", "DEMO_PASSWORD", "DISTRICT_CODE", "DISTRICT_NAME", "CENTER_CODE", "PEOPLE"]


def seed_demo(box: Any, *, orders: int = 2000, seed: int = 2022, force: bool = False) -> str:
    """Seed the demo district once; returns a report with the login table.

    ``box`` is the container (``.uow()``, ``.now()``, ``.hasher``, ``.settings``). Without
    ``force``, an existing demo district is left alone. With ``force``, another batch of
    ``orders`` is added over the last 14 days (the org and users are reused).
    """
    if orders < 0:
        raise InvalidInput("orders 不能为负数 (orders must not be negative)", field="orders")
    started = _time.perf_counter()
    end = box.now()
    with box.uow() as uow:
        exists = uow.units.by_code(DISTRICT_CODE) is not None
    if exists and not force:
        return (f"演示数据已存在，未做任何改动 (the demo district {DISTRICT_NAME} is already seeded; nothing added — "
                f"use --force to add another batch of orders).\n\n" + _login_table())
    install_defaults(box.uow(), end)
    if not exists:
        _build_org(box, end)
    actors, unit_users = _load_people(box)

    rng = random.Random(seed)
    _streets, committees = _gazetteer()
    planner = _Planner(rng, end, box.settings.timezone, committees)
    plans = planner.plan(orders)
    sim = _Sim(box, rng, end, planner.start, actors, unit_users)
    for p in plans:
        sim.add(p, sim.life(p))
    sim.run()
    sim._sweep_to(end)
    final = sweep_until_idle(box.uow, box.now, 500)
    elapsed = _time.perf_counter() - started
    return _report(plans, planner, sim, final, box.now(), elapsed, created_org=not exists)
