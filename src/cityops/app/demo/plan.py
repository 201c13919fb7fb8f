"""The planner: decides what each demo order is (when, category, urgency, text, caller, address,
lead unit) and what will happen to it (returned, extended, paused, urged, supervised, merged,
transferred, left stuck and overdue, the callback's outcome). ``simulate`` then makes it happen.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...domain.orders.model import Order
from .org import TEAM_SIZE
from .places import LOCKDOWN, _Committee, address
from .texts import (COMPANIES, DAYS_ZH, DEVICE_TPLS, DIRECT, DRUGS, GIVEN, HOSPITALS, ISITES, PACKS, ROUTES, SHOPS,
                    SURNAMES, TEMPLATES, TRANSFER_TPLS, _Tpl)

DAYS = 14  # the orders cover the 14 days ending at the seeding time

# ------------------------------------------------------------------------------------ the mix

# the patrol teams that report what they find, and the street each one patrols
PATROL_TEAMS = {"BJ-S01-WG": "BJ-S01", "BJ-S05-AQ": "BJ-S05", "BJ-S02-LD": "BJ-S02"}

EPI_WEIGHTS = {"epi.supplies": 22, "epi.medical": 16, "epi.testing": 15, "epi.isolation": 12, "epi.access": 12,
               "epi.policy": 10, "epi.certificate": 6, "epi.isolation_site": 4, "epi.violation": 3}
CITY_WEIGHTS = {"city.environment": 14, "city.housing": 14, "city.noise": 10, "city.utilities": 10,
                "city.traffic": 9, "city.labour": 10, "city.market": 9, "city.welfare": 9, "city.safety": 8,
                "city.other": 7}
# (critical, urgent) shares per category; the rest is normal
URGENCY_P = {
    "epi.supplies": (0.10, 0.35), "epi.medical": (0.35, 0.40), "epi.testing": (0.0, 0.22),
    "epi.isolation": (0.0, 0.22), "epi.access": (0.10, 0.30), "epi.policy": (0.0, 0.08),
    "epi.certificate": (0.0, 0.0), "epi.isolation_site": (0.08, 0.40), "epi.violation": (0.0, 0.35),
    "city.environment": (0.02, 0.15), "city.housing": (0.0, 0.20), "city.noise": (0.0, 0.08),
    "city.utilities": (0.12, 0.40), "city.traffic": (0.06, 0.25), "city.labour": (0.0, 0.0),
    "city.market": (0.0, 0.10), "city.welfare": (0.0, 0.30), "city.safety": (0.35, 0.40), "city.other": (0.0, 0.0),
}
URG = {"C": "critical", "U": "urgent", "N": "normal"}
# not every caller who mentions an old parent or a child is flagged as a special group at intake
GROUP_FLAGGED = 0.5

# ------------------------------------------------------------------------------------ the plan


@dataclass
class _Plan:
    at: datetime
    kind: str = "flow"              # flow | direct | transfer | dup
    channel: str = "hotline_12345"
    category: str = "city.other"
    urgency: str = "normal"
    text: str = ""
    tpl: _Tpl | None = None
    slots: dict = field(default_factory=dict)
    committee: _Committee | None = None
    groups: tuple[str, ...] = ()
    caller: tuple[str, str] = ("", "")
    creator: str = "op"             # op | system | a username
    lead: str = ""
    co: tuple[str, ...] = ()
    wrong: str | None = None        # first (wrong) lead unit: returned, then re-dispatched
    answer: str = ""
    transfer_reason: str = ""
    precontact: bool = False
    stuck: str | None = None        # unaccepted | unfinished: still open, overdue now
    late: bool = False
    ext: str | None = None          # approve | deny
    pause: bool = False
    urge: bool = False
    supervise: bool = False
    progress: bool = False
    co_progress: bool = False
    resolved: bool = True
    callback: str = "satisfied"     # satisfied | basically_satisfied | unsat_solved | unsat_reopen | none
    parent: "_Plan | None" = None
    external_ref: str | None = None
    # outcome
    cur: Order | None = None
    children: list = field(default_factory=list)
    ext_asked: bool = False
    ext_approved: bool = False
    merged: bool = False
    transferred: bool = False
    touch: int = 0                  # bumped on every write: stale deadline-tracker entries are ignored

    @property
    def epidemic(self) -> bool:
        return self.category.startswith("epi.")


def _pick(rng: random.Random, weighted) -> Any:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    total = sum(w for _, w in items)
    r = rng.random() * total
    for item, w in items:
        r -= w
        if r <= 0:
            return item
    return items[-1][0]


class _Planner:
    """Decides what each order is and what will happen to it; the simulator then makes it happen."""

    def __init__(self, rng: random.Random, end: datetime, tz: str, committees: list[_Committee]):
        self.rng, self.end, self.zone = rng, end, ZoneInfo(tz)
        self.start = end - timedelta(days=DAYS)
        self.committees = committees
        self.by_street: dict[str, list[_Committee]] = {}
        for c in committees:
            self.by_street.setdefault(c.street.code, []).append(c)

    # -- when
    def _ramp(self, t: datetime) -> float:
        """Daily volume: ~1× at the start, ~2.8× in the last days (the seed's surge)."""
        d = (t - self.start).total_seconds() / 86400
        return 1 + 1.8 / (1 + math.exp(-(d - 6) / 1.6))

    @staticmethod
    def _diurnal(hour: int) -> float:
        return [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.0, 1.0, 0.95, 0.85, 0.7, 0.8, 0.95, 0.95, 0.9, 0.85,
                0.8, 0.85, 0.9, 0.75, 0.5, 0.3][hour]

    def _when(self) -> datetime:
        span = (self.end - self.start).total_seconds() - 600
        while True:
            t = self.start + timedelta(seconds=self.rng.random() * span)
            f = self._ramp(t) * self._diurnal(t.astimezone(self.zone).hour)
            if self.rng.random() * 2.8 <= f:
                return t.replace(microsecond=0)

    def epi_share(self, t: datetime) -> float:
        """Share of epidemic orders: ~64% at the start of the window, ~88% at its end (Pudong 67.1% → 87%)."""
        return 0.64 + 0.24 * (t - self.start).total_seconds() / (DAYS * 86400)

    # -- what
    def _slots(self, c: _Committee) -> dict[str, Any]:
        r = self.rng
        roads = c.street.roads
        road = r.choice(roads)
        return dict(
            street=c.street.name, committee=c.name, compound=r.choice(c.compounds), road=road,
            road2=r.choice([x for x in roads if x != road] or [road]), no=r.randint(1, 999), bld=r.randint(1, 32),
            room=f"{r.randint(1, 18)}0{r.randint(1, 4)}", room2=f"{r.randint(2, 12)}{r.randint(1, 30):02d}",
            floor=r.randint(2, 12), days=r.choice(DAYS_ZH), age=r.randint(72, 93), months=r.randint(4, 9),
            kid_age=r.choice(["8个月", "1岁", "1岁半", "2岁", "3岁", "5岁"]), drug=r.choice(DRUGS),
            baby_age=r.choice(["6个月", "8个月", "10个月", "1岁", "1岁半"]), dayn=r.randint(2, 12),
            left=r.choice(["一", "两", "两", "三"]), hospital=r.choice(HOSPITALS), isite=r.choice(ISITES),
            shop=r.choice(SHOPS), company=r.choice(COMPANIES), pack=r.choice(PACKS), hours=r.choice(["两", "三", "四"]),
            hours2=r.choice([36, 40, 48, 60]), ago=r.choice(["前天", "大前天", "周一"]),
            day2=r.choice(["后天", "周一", "下周三"]), site=f"{r.choice(c.compounds)}{r.choice('东南西北')}门核酸采样点",
            queue=r.randint(180, 420), rate=r.randint(60, 140), wage_months=r.choice(["两", "三", "四"]),
            amount=r.choice([4800, 7600, 9200, 12500, 16800]),
        )

    def _address(self, c: _Committee, s: dict) -> str:
        return address(self.rng, c, s)

    def _caller(self) -> tuple[str, str]:
        r = self.rng
        return r.choice(SURNAMES) + r.choice(GIVEN), f"13{r.choice('5679')}0000{r.randint(0, 9999):04d}"

    def _route(self, routes, p: _Plan) -> str:
        target = _pick(self.rng, routes)
        if target != "street":
            return target
        c = p.committee
        assert c is not None
        if c.code in LOCKDOWN and p.category in ("epi.supplies", "epi.medical", "epi.violation", "epi.access",
                                                 "epi.testing") and self.rng.random() < 0.6:
            return "BJ-S02-LD"  # inside the sealed area: straight to the linkage team's phones
        if c.code in ("BJ-S01-C02", "BJ-S02-C03") or self.rng.random() < 0.25:
            return c.code       # to the residents' committee itself
        return c.street.code

    def _wrong_for(self, p: _Plan) -> str:
        """A plausible first (wrong) lead unit: a neighbouring street, or a department for a local matter,
        or the street for a department's matter."""
        assert p.committee is not None
        if p.lead.endswith("-LD"):
            return self.rng.choice(["BJ-FGJ", "BJ-SWW"])
        if p.lead.startswith("BJ-S"):
            others = [s for s in self.by_street if s != p.committee.street.code]
            return self.rng.choice(["BJ-FGJ", "BJ-SWW", self.rng.choice(others), self.rng.choice(others)])
        return p.committee.street.code

    def _urgency(self, cat: str, tpls: list[_Tpl]) -> tuple[str, _Tpl]:
        pc, pu = URGENCY_P[cat]
        r = self.rng.random()
        letter = "C" if r < pc else "U" if r < pc + pu else "N"
        fits = [t for t in tpls if letter in t.urgencies]
        if not fits:
            t = self.rng.choice(tpls)
            return URG[t.urgencies[-1]], t
        return URG[letter], self.rng.choice(fits)

    def plan(self, n: int) -> list[_Plan]:
        r = self.rng
        plans = []
        for _ in range(n):
            p = _Plan(at=self._when())
            u = r.random()
            if u < 0.06:
                self._device(p)
            else:
                self._citizen(p)
            plans.append(p)
        plans.sort(key=lambda p: p.at)
        self._fates(plans)
        return plans

    def _citizen(self, p: _Plan) -> None:
        r = self.rng
        cat = _pick(r, EPI_WEIGHTS if r.random() < self.epi_share(p.at) else CITY_WEIGHTS)
        p.category = cat
        p.urgency, tpl = self._urgency(cat, TEMPLATES[cat])
        p.tpl = tpl
        p.committee = r.choice(self.committees)
        p.slots = self._slots(p.committee)
        p.text = tpl.text.format(**p.slots)
        if tpl.group and r.random() < tpl.group_p * GROUP_FLAGGED:
            p.groups = (tpl.group,)
        elif r.random() < 0.015:  # the caller mentions it in passing: 家里有老人 / 孩子
            p.groups = (r.choice(["elderly", "elderly", "child", "patient"]),)
        p.channel = _pick(r, {"hotline_12345": 62, "direct_line": 26, "web": 6, "open311": 3, "city_platform": 3})
        if p.channel == "city_platform":
            p.external_ref = f"SH12345-{p.at:%y%m%d}{r.randint(10000, 99999)}"
        p.caller = self._caller()
        p.slots["address"] = self._address(p.committee, p.slots)
        p.lead = self._route(tpl.route or ROUTES[cat], p)
        if tpl.consult and r.random() < (0.55 if cat in ("epi.policy", "city.other") else 0.3):
            p.kind = "direct"
            p.answer = DIRECT.get(cat, DIRECT["epi.policy"])

    def _device(self, p: _Plan) -> None:
        r = self.rng
        cat, tpl = r.choice(DEVICE_TPLS)
        channel, text, route = tpl.channel, tpl.text, tpl.route
        assert channel is not None
        p.channel, p.category, p.urgency, p.tpl = channel, cat, URG[tpl.urgencies[0]], tpl
        if channel == "patrol":
            team = r.choice(list(PATROL_TEAMS))
            p.creator = {"BJ-S01-WG": r.choice(["wg01", "wg02"]), "BJ-S05-AQ": "aq01"}.get(
                team, f"ld{r.randint(1, TEAM_SIZE):02d}")
            street = PATROL_TEAMS[team]
            pool = [c for c in self.by_street[street] if team != "BJ-S02-LD" or c.code in LOCKDOWN]
            p.committee = r.choice(pool)
        else:
            p.creator = "system"
            p.committee = r.choice(self.committees)
        p.slots = self._slots(p.committee)
        p.text = text.format(**p.slots)
        p.slots["address"] = self._address(p.committee, p.slots)
        p.lead = self._route(route, p)
        if channel == "sensor" and cat == "epi.testing":
            p.co = (p.committee.street.code,)

    # -- what will happen
    def _fates(self, plans: list[_Plan]) -> None:
        r, end = self.rng, self.end
        resolve = {"critical": timedelta(hours=2), "urgent": timedelta(hours=24), "normal": timedelta(hours=48)}
        for p in plans:
            if p.kind != "flow":
                continue
            crit = p.urgency == "critical"
            p.precontact = crit or (p.urgency == "urgent" and r.random() < 0.12)
            if p.category == "epi.medical" and p.urgency != "normal" and p.lead.startswith("BJ-S") and r.random() < 0.7:
                p.co = (r.choice(["BJ-CDC", "BJ-WJW", "BJ-H1"]),)
            p.co_progress = bool(p.co) and r.random() < 0.6
            p.late = r.random() < (0.10 if crit else 0.07)
            # optional progress notes; one before the report-back deadline is added anyway when the
            # feedback comes later than that deadline (see _Sim._work)
            p.progress = r.random() < {"critical": 0.4, "urgent": 0.3, "normal": 0.1}[p.urgency]
            p.supervise = (bool(p.groups) and p.urgency != "normal" and r.random() < 0.6) or r.random() < 0.02
            p.urge = r.random() < 0.04
            if not crit and p.creator != "system" and r.random() < 0.06:
                p.wrong = self._wrong_for(p)
            if not crit and r.random() < 0.045:
                p.ext = "approve" if r.random() < 0.8 else "deny"
            elif p.urgency == "normal" and r.random() < 0.012:
                p.pause = True
            p.resolved = r.random() > 0.05
            sat = 0.80 if p.groups else 0.70
            x = r.random()
            if x < 0.04:
                p.callback = "none"
            elif not p.resolved:
                p.callback = "unsat_reopen" if x < 0.6 else "basically_satisfied"
            elif x < 0.04 + sat:
                p.callback = "satisfied"
            elif x < 0.93:
                p.callback = "basically_satisfied"
            elif x < 0.975:
                p.callback = "unsat_solved"
            else:
                p.callback = "unsat_reopen"
        # duplicates of an open order, merged into it (合并)
        k = max(1, round(0.012 * len(plans)))
        flows = [p for p in plans if p.kind == "flow"]
        parents = [p for p in flows if p.urgency != "critical" and not p.stuck and p.committee and p.creator == "op"
                   and p.at < end - timedelta(hours=3)]
        r.shuffle(parents)
        made = 0
        for parent in parents:
            if made == k:
                break
            if parent.kind != "flow":
                continue
            pool = [q for q in flows if q.kind == "flow" and q is not parent and not q.stuck and not q.children
                    and q.category == parent.category and q.creator == "op"]
            if not pool:
                continue
            dup = r.choice(pool)
            made += 1
            dup.kind, dup.parent = "dup", parent
            parent.children.append(dup)
            dup.at = parent.at + timedelta(minutes=r.randint(10, 60))
            dup.committee, dup.slots = parent.committee, dict(parent.slots)
            dup.urgency = parent.urgency
            dup.tpl = parent.tpl
            assert parent.tpl is not None
            dup.text = r.choice(["我也要反映：", "邻居已经打过电话了，我再反映一次：", "", "第二次反映："]) + \
                parent.tpl.text.format(**dup.slots)
            dup.caller = self._caller()
            dup.groups = ()
        # a couple of matters leave the district (流转市级)
        candidates = [p for p in flows if p.kind == "flow" and not p.stuck and p.creator == "op" and not p.children
                      and p.at < end - timedelta(hours=2)]
        for p in r.sample(candidates, min(len(candidates), max(2, len(plans) // 400))):
            cat, text, reason = r.choice(TRANSFER_TPLS)
            p.kind, p.category, p.urgency, p.transfer_reason = "transfer", cat, "normal", reason
            p.text, p.groups = text.format(**p.slots), ()
        flows = [p for p in plans if p.kind == "flow"]
        mature = [p for p in flows if p.at < end - timedelta(days=4)]
        # still open and overdue now: the unit never accepted, or accepted and never finished
        eligible = [p for p in flows if end - timedelta(days=5) < p.at < end - resolve[p.urgency] - timedelta(hours=1)
                    and p.creator != "system"]
        for p in r.sample(eligible, min(len(eligible), max(2, round(0.035 * len(eligible))))):
            p.stuck = "unaccepted" if r.random() < 0.3 else "unfinished"
            p.supervise, p.wrong, p.ext, p.pause = True, None, None, False
        mature = [p for p in mature if not p.stuck]
        # a small demo still shows every path at least once
        called = [p for p in mature if p.creator == "op"]  # orders with a caller to call back
        if called and not any(p.callback == "unsat_reopen" for p in called):
            r.choice(called).callback = "unsat_reopen"
        if mature and not any(p.wrong for p in mature):
            q = r.choice([p for p in mature if p.urgency != "critical" and p.creator != "system"] or mature)
            q.wrong = self._wrong_for(q)
        if mature and not any(p.ext for p in mature):
            q = r.choice([p for p in mature if p.urgency != "critical"] or mature)
            q.ext, q.pause = "approve", False
        plans.sort(key=lambda p: p.at)


