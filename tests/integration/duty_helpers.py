"""A team with a roster for the duty tests: TEAM1 (under S1) covering S1C1 and S1C2, members
fm (leader), fm2 and fm3 on the two-shift pattern from the test day (A: fm + fm2 by day,
B: fm3 by night in the first week)."""
from __future__ import annotations

from datetime import date

from cityops.app import identity
from cityops.app.duty import rosters, teams
from cityops.app.orders import usecases as uc

DAY0 = date(2022, 3, 25)  # START is 09:00 local on this day


def add_member(box, district, username: str, unit: str = "TEAM1"):
    identity.create_user(box.uow(), box.hasher, None, username=username, password="password-" + username,
                         role="field_member", unit_code=unit, now=box.now(), display_name=username.upper(),
                         phone="1390000" + str(abs(hash(username)) % 10000).zfill(4))
    with box.uow() as uow:
        district.actors[username] = identity.actor_of(uow.users.by_username(username))
    return district.actors[username]


def team_with_roster(box, district, *, pattern: str = "two_shifts", days: int = 14):
    now = box.now()
    add_member(box, district, "fm2")
    add_member(box, district, "fm3")
    sup = district.actors["sup"]
    teams.configure_team(box.uow(), sup, "TEAM1", now, area_units=["S1C1", "S1C2"], skills=["patrol", "delivery"],
                         min_on_duty=1, accept_minutes=15)
    teams.set_member(box.uow(), sup, "TEAM1", "fm", now, is_leader=True, skills=["patrol"],
                     devices=[{"kind": "video_terminal", "code": "VT-001"}])
    teams.set_member(box.uow(), sup, "TEAM1", "fm2", now, skills=["delivery"])
    teams.set_member(box.uow(), sup, "TEAM1", "fm3", now)
    result = rosters.generate_roster(box.uow(), sup, "TEAM1", pattern, DAY0, days, now,
                                     groups={"A": ["fm", "fm2"], "B": ["fm3"]})
    return result


def team_order(box, district, text: str = "老人独居，需要代购药品", area: str = "S1C1", **kw):
    op = district.actors["op"]
    return uc.create_order(box.uow(), op, uc.NewOrder(text=text, area_unit_code=area, dispatch_to="TEAM1", **kw),
                           box.now())
