"""The report ``seed_demo`` returns: what was seeded (org, order mix, states, callbacks, paths
taken, deadline sweeps), followed by the login table."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from ...domain.orders.model import State
from ..orders.sweep import SweepResult
from .org import DEPARTMENTS, PEOPLE, TEAM_SIZE, TEAMS, _login_table
from .places import DISTRICT_NAME, STREETS, _gazetteer
from .plan import DAYS, _Planner, _Plan
from .simulate import _Sim
from .texts import SATISFACTION_ZH


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def _report(plans: list[_Plan], planner: _Planner, sim: _Sim, final: SweepResult, now: datetime, elapsed: float,
            created_org: bool) -> str:
    made = [p for p in plans if p.cur is not None]
    n = len(made)
    cur = [p.cur for p in made]
    urg = Counter(str(o.urgency) for o in cur)
    ch = Counter(str(o.channel) for o in cur)
    states = Counter(str(o.state) for o in cur)
    epi = sum(p.epidemic for p in made)
    first = [p for p in made if p.at < planner.start + timedelta(days=3)]
    last = [p for p in made if p.at >= now - timedelta(days=3)]
    open_ = [o for o in cur if o.is_open and o.state != State.MERGED]
    overdue = [o for o in cur if o.overdue_at(now)]
    cb = Counter(str(o.satisfaction) for o in cur if o.satisfaction is not None)
    groups = sum(bool(o.special_groups) for o in cur)
    hot = [o for o in cur if str(o.urgency) in ("critical", "urgent")]
    hot_closed = sum(o.state in (State.CLOSED, State.TRANSFERRED) for o in hot)
    lines = [
        f"{DISTRICT_NAME} demo {'seeded' if created_org else 'batch added'} in {elapsed:.1f} s: "
        f"{n} orders over {DAYS} days ({planner.start:%Y-%m-%d %H:%M} → {now:%Y-%m-%d %H:%M} UTC)",
    ]
    if created_org:
        lines.append(f"组织 org: 1 区 · 1 城运中心 · {len(STREETS)} 街镇 · {len(_gazetteer()[1])} 居村 · "
                     f"{sum(k == 'department' for _, _, k, *_ in DEPARTMENTS)} 部门 · "
                     f"{sum(k == 'hospital' for _, _, k, *_ in DEPARTMENTS)} 医院 · {len(TEAMS)} 联动队伍 "
                     f"(含 {TEAM_SIZE} 人联动小分队) · {len(PEOPLE)} 用户")
    lines += [
        f"疫情类 epidemic share: {_pct(epi, n)} (first 3 days {_pct(sum(p.epidemic for p in first), len(first))}, "
        f"last 3 days {_pct(sum(p.epidemic for p in last), len(last))})",
        "紧急程度 urgency: " + ", ".join(f"{k} {urg[k]} ({_pct(urg[k], n)})" for k in ("critical", "urgent", "normal")),
        "渠道 channels: " + ", ".join(f"{k} {v}" for k, v in ch.most_common()),
        f"特殊群体 special groups: {groups} ({_pct(groups, n)})",
        "状态 states: " + ", ".join(f"{k} {v}" for k, v in states.most_common()),
        f"在办 open: {len(open_)}, of which overdue now 超时: {len(overdue)}",
        f"紧急+特急 urgent orders accepted / closed / remaining: {len(hot)} / {hot_closed} / {len(hot) - hot_closed}",
        f"回访 callbacks: " + ", ".join(f"{SATISFACTION_ZH[k]} {cb[k]}" for k in ("satisfied", "basically_satisfied",
                                                                                "unsatisfied")),
        f"退单 returned {sum(o.return_count > 0 for o in cur)}, 重办 reopened {sum(o.reopen_count > 0 for o in cur)}, "
        f"延期 extensions {sum(p.ext_asked for p in made)} (approved {sum(p.ext_approved for p in made)}), "
        f"催办 urged {sum(o.urge_count > 0 for o in cur)}, 督办 supervised {sum(o.supervised for o in cur)}, "
        f"合并 merged {sum(p.merged for p in made)}, 直接答复 direct replies {sum(p.kind == 'direct' for p in made)}, "
        f"流转市级 transferred {sum(p.transferred for p in made)}",
        f"截止时限 deadline sweeps: {sim.sweeps + 1} runs, {sim.swept.steps + final.steps} steps fired "
        f"(reminders, warnings, overdue alarms, escalations), {sim.swept.notices + final.notices} notices",
    ]
    if sim.errors:
        lines.append(f"WARNING: {len(sim.errors)} steps refused, e.g. {sim.errors[0]}")
    return "\n".join(lines) + "\n\n" + _login_table()

