"""Who is on duty now (当前在岗), for every team and the unit above it — for the API, the
console page and the big screen. Status comes from the roster and open assignments."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ...domain.duty import coverage
from ...domain.duty.roster import LEAVE, WORK
from ...domain.duty.status import BUSY, OFF, ON_DUTY, ORDER, member_status
from ...domain.org import mask_phone
from ...domain.roles import Actor
from .common import can_read
from .ports import DutyUnitOfWork

AHEAD = timedelta(hours=24)


def duty_now(uow: DutyUnitOfWork, actor: Actor | None, now: datetime, team_code: str | None = None) -> dict[str, Any]:
    with uow:
        teams = []
        for t in uow.duty.teams():
            unit = uow.units.get(t.unit_id)
            if unit is None or not unit.active or not can_read(uow, actor, unit):
                continue
            if team_code and unit.code != team_code:
                continue
            teams.append((unit, t))
        ids = {u.id for u, _ in teams}
        members = [m for m in uow.duty.members() if m.team_unit_id in ids]
        slots = [s for s in uow.duty.shifts(None, now - timedelta(seconds=1), now + AHEAD)]
        by_team_slots: dict[int, list] = {}
        member_team = {m.user_id: m.team_unit_id for m in members}
        for s in slots:
            tid = member_team.get(s.user_id)
            if tid is not None:
                by_team_slots.setdefault(tid, []).append(s)
        loads = uow.duty.active_counts()
        parents = {u.parent_id: uow.units.get(u.parent_id) for u, _ in teams if u.parent_id}
    out_teams = []
    units: dict[str, dict[str, Any]] = {}
    by_user: dict[int, list] = {}
    for s in slots:
        by_user.setdefault(s.user_id, []).append(s)
    team_members: dict[int, list] = {}
    for m in members:
        team_members.setdefault(m.team_unit_id, []).append(m)
    for unit, team in teams:
        tslots = by_team_slots.get(unit.id, [])
        rows = []
        for m in team_members.get(unit.id, []):
            mine = by_user.get(m.user_id, [])
            shift = next((s for s in mine if s.kind == WORK and s.covers(now)), None)
            leave = any(s.kind == LEAVE and s.covers(now) for s in mine)
            st = member_status(shift, leave, loads.get(m.user_id, 0))
            upcoming = min((s.starts_at for s in mine if s.kind == WORK and s.starts_at > now), default=None)
            rows.append({
                "user_id": m.user_id, "username": m.extra.get("username"), "name": m.extra.get("display_name"),
                "phone": mask_phone(m.extra.get("phone") or ""), "is_leader": m.is_leader, "status": st.status,
                "on_leave": st.on_leave, "open_assignments": st.open_assignments,
                "handover_needed": st.handover_needed,
                "shift": st.shift.shift_code if st.shift else None,
                "shift_ends_at": st.shift.ends_at.isoformat() if st.shift else None,
                "next_shift_at": upcoming.isoformat() if upcoming else None,
                "skills": list(m.skills), "devices": [dict(d) for d in m.devices],
                "lat": m.lat, "lng": m.lng, "position_at": m.position_at.isoformat() if m.position_at else None,
                "position_warning": m.position_warning,
            })
        rows.sort(key=lambda r: (ORDER[r["status"]], not r["is_leader"], r["username"] or ""))
        counts = {k: sum(1 for r in rows if r["status"] == k) for k in (ON_DUTY, BUSY, OFF)}
        on = counts[ON_DUTY] + counts[BUSY]
        gaps = coverage.gaps(tslots, now, now + AHEAD, team.min_on_duty) if team.min_on_duty and tslots else []
        parent = parents.get(unit.parent_id)
        item = {"code": unit.code, "name": unit.name, "kind": str(unit.kind),
                "parent": {"code": parent.code, "name": parent.name} if parent else None,
                "min_on_duty": team.min_on_duty, "on_duty": on, **{f"n_{k}": v for k, v in counts.items()},
                "members": rows, "short_now": bool(tslots) and on < team.min_on_duty,
                "has_roster": bool(tslots),
                "handover_needed": sum(1 for r in rows if r["handover_needed"]),
                "gaps_next_24h": [g.to_dict() for g in gaps[:10]], "gap_count_24h": len(gaps)}
        out_teams.append(item)
        key = parent.code if parent else unit.code
        u = units.setdefault(key, {"code": key, "name": parent.name if parent else unit.name, "teams": 0,
                                   "on_duty": 0, "busy": 0, "off": 0, "short_now": 0})
        u["teams"] += 1
        u["on_duty"] += counts[ON_DUTY]
        u["busy"] += counts[BUSY]
        u["off"] += counts[OFF]
        u["short_now"] += int(item["short_now"])
    totals = {"teams": len(out_teams), "members": sum(len(t["members"]) for t in out_teams),
              "on_duty": sum(t["n_on_duty"] for t in out_teams), "busy": sum(t["n_busy"] for t in out_teams),
              "off": sum(t["n_off"] for t in out_teams), "teams_short_now": sum(t["short_now"] for t in out_teams),
              "position_warnings": sum(1 for t in out_teams for r in t["members"] if r["position_warning"])}
    return {"at": now.isoformat(), "totals": totals, "units": sorted(units.values(), key=lambda u: u["code"]),
            "teams": out_teams}
