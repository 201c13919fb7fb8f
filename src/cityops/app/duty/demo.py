"""Duty data for the demo district (an additive hook run after ``seed_demo``): the four field
teams get their area, members and a roster from today-3 for 30 days, the hotline operators at the
center keep Yangpu's two shifts, and the safety team gets the seed's two inspection sweeps
(1,638 street shops, 523 firms) with a few places already checked. Idempotent: a team that
already has a roster is left alone."""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from ..demo.org import CENTER_CODE, PEOPLE, TEAMS
from ..demo.places import STREETS, _gazetteer
from ..orders import usecases as order_uc
from . import assign, patrol, rosters, teams
from .common import actor_of_user, local_day_start, tz_of

# team → (pattern, area street codes or None for the whole district, leader username)
PLAN: dict[str, tuple[str, list[str] | None, str]] = {
    "BJ-S02-LD": ("seven_fourteen", ["BJ-S02"], "ld01"),
    "BJ-S01-WG": ("two_shifts", ["BJ-S01"], "wg01"),
    "BJ-S05-AQ": ("day_night", ["BJ-S05"], "aq01"),
    "BJ-CC-JD": ("two_shifts", None, "jd01"),
    CENTER_CODE: ("two_shifts", None, "operator1"),
}
SKILLS = {"BJ-S02-LD": ["medical_escort", "delivery", "video"], "BJ-S01-WG": ["patrol"],
          "BJ-S05-AQ": ["inspection", "patrol"], "BJ-CC-JD": ["medical_escort", "delivery", "patrol"]}
SHOPS, FIRMS = 1638, 523
DEMO_ORDERS = [  # (team, committee, urgency, category, text)
    ("BJ-S02-LD", "BJ-S02-C03", "critical", "epi.medical", "老街居委封控楼栋内透析病人需今日送医，请联动小分队护送"),
    ("BJ-S02-LD", "BJ-S02-C04", "urgent", "epi.supplies", "娄湾村3组独居老人家中断粮两天，请上门送生活物资"),
    ("BJ-S02-LD", "BJ-S02-C03", "urgent", "epi.medical", "老街居委一户居民高血压药只剩一天，请代配药"),
    ("BJ-S01-WG", "BJ-S01-C02", "normal", "city.environment", "潮音路沿街垃圾桶满溢，请巡查处置"),
    ("BJ-S01-WG", "BJ-S01-C01", "urgent", "epi.access", "望潮路某小区出入口无人值守，请到场查看"),
]
SHOP_KINDS = ("便利店", "水果店", "药房", "餐馆", "理发店", "五金店", "早餐店", "超市", "面馆", "干洗店")
FIRM_KINDS = ("机械有限公司", "物流有限公司", "船舶配件厂", "贸易有限公司", "食品有限公司", "电子科技有限公司")


def _places(n: int, kinds: tuple[str, ...], roads: list[str], rng: random.Random, firm: bool) -> list[dict[str, Any]]:
    out = []
    for i in range(1, n + 1):
        road = roads[i % len(roads)]
        number = 1 + (i * 7) % 998
        name = f"{'滨江' if firm else ''}{road[:2]}{kinds[i % len(kinds)]}{'' if firm else f'（{number}号）'}"
        out.append({"name": f"{name}{i:04d}" if firm else name, "address": f"{road}{number}号"})
    return out


def seed_demo_duty(box: Any) -> str:
    now = box.now()
    rng = random.Random(2022)
    rosters.install_patterns(box.uow(), now)
    with box.uow() as uow:
        tz = tz_of(uow)
        day0 = local_day_start(now, tz) - timedelta(days=3)
        if uow.duty.rosters(uow.units.by_code("BJ-S01-WG").id if uow.units.by_code("BJ-S01-WG") else -1):
            return "值班排班已存在 (demo rosters already present)"
    _streets, committees = _gazetteer()
    lines = []
    team_codes = [t[0] for t in TEAMS] + [CENTER_CODE]
    for code in team_codes:
        pattern, streets, leader = PLAN[code]
        members = [u for u, role, unit, _ in PEOPLE if unit == code and (role == "field_member" or code == CENTER_CODE
                                                                       and role == "operator")]
        area = [c.code for c in committees if streets and c.street.code in streets] if streets else \
            [f"BJ-{s[0]}" for s in STREETS]
        teams.configure_team(box.uow(), None, code, now, area_units=area, skills=SKILLS.get(code, []),
                             min_on_duty=1, accept_minutes=15)
        for u in members:
            teams.set_member(box.uow(), None, code, u, now, is_leader=(u == leader),
                             skills=SKILLS.get(code, [])[: 1 + sum(map(ord, u)) % 2] if code != CENTER_CODE else [],
                             devices=[{"kind": "video_terminal", "code": f"VT-{u.upper()}"}] if code == "BJ-S02-LD"
                             else [{"kind": "phone", "code": f"PH-{u.upper()}"}])
        r = rosters.generate_roster(box.uow(), None, code, pattern, day0.date(), 30, now, people=members)
        lines.append(f"{code} {pattern}: {len(members)} 人, {r['shifts']} 班次, 缺口 {r['gap_count']} 段")
    # the safety team's sweeps over the seed's street shops and firms, a few places checked
    s05 = next(s for s in STREETS if s[0] == "S05")
    shops = patrol.create_inspection(box.uow(), None, "BJ-S05-AQ", "沿街商铺防疫督导", "shop",
                                     _places(SHOPS, SHOP_KINDS, s05[2], rng, False), now, now + timedelta(days=7))
    firms = patrol.create_inspection(box.uow(), None, "BJ-S05-AQ", "辖区企业防疫检查", "firm",
                                     _places(FIRMS, FIRM_KINDS, s05[2], rng, True), now, now + timedelta(days=7))
    with box.uow() as uow:
        aq = actor_of_user(uow.duty.user(username="aq01"))
    for seq in range(1, 41):
        patrol.check_item(box.uow(), box.files, aq, shops["id"], seq, "unreachable" if seq % 9 == 0 else "ok",
                          now - timedelta(minutes=5 * (41 - seq)))
    # a few orders for the teams (as the center dispatches them), then every open order with a team
    # goes to its on-duty members (the system's pick), so the phones show "assigned to me"
    with box.uow() as uow:
        op = actor_of_user(uow.duty.user(username="operator1"))
    for code, area, urgency, category, text in DEMO_ORDERS:
        order_uc.create_order(box.uow(), op, order_uc.NewOrder(text=text, urgency=urgency, category=category,
                                                               area_unit_code=area, dispatch_to=code), now)
    assigned = 0
    for code, *_ in TEAMS:
        for o in assign.team_unassigned(box.uow(), None, code, now, limit=3):
            if o["best"] is not None:
                assign.auto_assign(box.uow(), o["number"], now, code)
                assigned += 1
    lines.append(f"派给队员 member assignments: {assigned}")
    lines.append(f"排查任务: 沿街商铺 {shops['added']} 家, 企业 {firms['added']} 家 (40 家已检查)")
    return "值班排班 duty rosters:\n  " + "\n  ".join(lines)
