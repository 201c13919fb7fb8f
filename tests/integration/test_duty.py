"""Field teams and duty rosters through the use cases, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cityops.adapters.db.tables import notifications, order_events, outbox
from cityops.app.duty import assign, board, patrol, rosters, teams
from cityops.app.duty.sweep import sweep_duty
from cityops.app.orders import usecases as uc
from cityops.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound

from .duty_helpers import DAY0, team_order, team_with_roster


def kinds(box, number):
    with box.engine.connect() as conn:
        oid = conn.execute(sa.text("select id from orders where number = :n"), {"n": number}).scalar_one()
        return [r.kind for r in conn.execute(sa.select(order_events.c.kind).where(order_events.c.order_id == oid)
                                             .order_by(order_events.c.id))]


def inbox(box, **where):
    with box.engine.connect() as conn:
        stmt = sa.select(notifications)
        for k, v in where.items():
            stmt = stmt.where(notifications.c[k] == v)
        return [dict(r._mapping) for r in conn.execute(stmt)]


def test_a_generated_roster_shows_who_is_on_duty_now_for_the_team_and_its_street(box, district):
    r = team_with_roster(box, district)
    assert r["shifts"] == 14 * 3 and r["overlap_count"] == 0
    # the one gap: the first night before the first day shift (nobody from an earlier roster)
    assert r["gap_count"] == 1 and r["gaps"][0]["hours"] == 8 and r["gaps"][0]["nobody"]
    now = board.duty_now(box.uow(), district.actors["sup"], box.now())
    team = next(t for t in now["teams"] if t["code"] == "TEAM1")
    status = {m["username"]: m["status"] for m in team["members"]}
    assert status == {"fm": "on_duty", "fm2": "on_duty", "fm3": "off"}
    assert team["parent"]["code"] == "S1" and now["units"][0]["code"] == "S1"
    assert now["totals"]["on_duty"] == 2
    # a member of another street does not see this team
    assert board.duty_now(box.uow(), district.actors["s2"], box.now())["teams"] == []


def test_generating_over_an_existing_roster_is_refused_unless_replacing(box, district):
    team_with_roster(box, district)
    with pytest.raises(Conflict):
        rosters.generate_roster(box.uow(), district.actors["sup"], "TEAM1", "two_shifts", DAY0, 7, box.now())
    r = rosters.generate_roster(box.uow(), district.actors["sup"], "TEAM1", "seven_fourteen", DAY0, 7, box.now(),
                                replace_existing=True)
    assert r["replaced"] == 7 * 3 and r["shifts"] == 7  # one person per 7+14 group, the first group on


def test_leave_opens_a_gap_listed_at_once_and_raised_to_the_supervisors_once(box, district, clock):
    team_with_roster(box, district)
    sup = district.actors["sup"]
    night = datetime(2022, 3, 25, 12, 0, tzinfo=timezone.utc)  # 20:00 local: fm3's night shift
    out = rosters.add_leave(box.uow(), sup, "TEAM1", "fm3", night, night + timedelta(hours=12), box.now(), "病假")
    assert out["gap_count"] == 1 and out["gaps"][0]["nobody"]
    assert len(out["shifts_on_leave"]) == 1  # the shift stays on the roster, marked
    assert sweep_duty(box.uow, box.now()).gaps >= 1
    sweep_duty(box.uow, clock.advance(minutes=5))
    center = district.units["CENTER"]
    gaps = [n for n in inbox(box, unit_id=center.id) if n["kind"] == "duty_gap"]
    assert len(gaps) == 1 and "无人在岗" in gaps[0]["title"]


def test_an_overlapping_hand_made_shift_is_kept_with_a_warning(box, district):
    team_with_roster(box, district)
    start = datetime(2022, 3, 25, 2, 0, tzinfo=timezone.utc)  # inside fm's day shift
    out = rosters.add_shift(box.uow(), district.actors["sup"], "TEAM1", "fm", start, start + timedelta(hours=4),
                            box.now())
    assert out["warnings"] and "重叠" in out["warnings"][0]
    view = rosters.roster(box.uow(), district.actors["sup"], "TEAM1", start, start + timedelta(hours=4))
    assert sum(1 for s in view["shifts"] if s["name"] == "FM") == 2 and view["overlap_count"] == 1


def test_a_swap_exchanges_two_peoples_shifts(box, district):
    team_with_roster(box, district)
    sup = district.actors["sup"]
    day = rosters.roster(box.uow(), sup, "TEAM1", box.now(), box.now() + timedelta(hours=12))["shifts"]
    fm_day = next(s for s in day if s["name"] == "FM")
    fm3_night = next(s for s in day if s["name"] == "FM3")
    rosters.swap_shifts(box.uow(), sup, fm_day["id"], fm3_night["id"], box.now())
    status = {m["username"]: m["status"] for m in board.duty_now(box.uow(), sup, box.now())["teams"][0]["members"]}
    assert status["fm3"] == "on_duty" and status["fm"] == "off"


def test_the_system_assigns_the_on_duty_member_who_covers_the_place_and_is_least_loaded(box, district):
    team_with_roster(box, district)
    first = team_order(box, district)
    a1 = assign.assign(box.uow(), district.actors["fm"], first.number, box.now(), username="fm")
    assert a1["state"] == "assigned"
    second = team_order(box, district, "小区门口垃圾堆放", category="city.environment")
    s = assign.suggest(box.uow(), district.actors["fm"], second.number, box.now())
    assert s["best"]["name"] == "FM2"  # fm is busy with one, fm3 is off duty
    a2 = assign.auto_assign(box.uow(), second.number, box.now())
    assert a2["member"] == "FM2"
    assert "member_assigned" in kinds(box, second.number)
    fm2 = district.actors["fm2"]
    notes = inbox(box, user_id=fm2.user_id)
    assert notes and notes[0]["kind"] == "member_assigned"
    with box.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox).where(outbox.c.channel == "sms",
                            outbox.c.dedup_key.like("duty:%"))).scalar_one() == 1  # fm has no phone


def test_a_member_assigned_outside_their_area_is_assigned_with_a_warning(box, district):
    team_with_roster(box, district)
    teams.set_member(box.uow(), district.actors["sup"], "TEAM1", "fm2", box.now(), area_units=["S1C2"])
    order = team_order(box, district)  # in S1C1
    s = assign.suggest(box.uow(), district.actors["fm"], order.number, box.now())
    assert s["best"]["name"] == "FM"
    a = assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")
    assert a["outside_area"] and any("不负责" in w for w in a["warnings"])


def test_an_assignment_not_accepted_in_time_escalates_to_the_leader_once(box, district, clock):
    team_with_roster(box, district)
    order = team_order(box, district)
    a = assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")
    assert sweep_duty(box.uow, clock.advance(minutes=10)).escalated == 0
    assert sweep_duty(box.uow, clock.advance(minutes=6)).escalated == 1
    assert sweep_duty(box.uow, clock.advance(minutes=6)).escalated == 0
    assert kinds(box, order.number).count("member_escalated") == 1
    leader = district.actors["fm"]
    assert [n["kind"] for n in inbox(box, user_id=leader.user_id)] == ["member_escalated"]
    # late acceptance still works and is marked late on the timeline
    done = assign.accept(box.uow(), district.actors["fm2"], a["id"], box.now())
    assert done["state"] == "accepted" and done["order"]["state"] == "accepted"


def test_accept_arrive_and_resolve_move_the_assignment_and_the_order_together(box, district, clock):
    team_with_roster(box, district)
    order = team_order(box, district)
    a = assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")
    fm2 = district.actors["fm2"]
    assign.accept(box.uow(), fm2, a["id"], clock.advance(minutes=2))
    assign.arrive(box.uow(), fm2, order.number, clock.advance(minutes=20), "楼下")
    o = assign.resolve(box.uow(), fm2, order.number, "药品已送达", True, clock.advance(minutes=30))
    assert str(o.state) == "feedback_submitted"
    k = kinds(box, order.number)
    for kind in ("member_assigned", "member_accepted", "accepted", "member_arrived", "progress_noted",
                 "member_resolved", "feedback_submitted"):
        assert kind in k
    assert assign.my_assignments(box.uow(), fm2) == []


def test_declining_needs_a_reason_and_tells_the_team(box, district):
    team_with_roster(box, district)
    order = team_order(box, district)
    a = assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")
    with pytest.raises(InvalidInput):
        assign.decline(box.uow(), district.actors["fm2"], a["id"], " ", box.now())
    assign.decline(box.uow(), district.actors["fm2"], a["id"], "车辆故障", box.now())
    assert any(n["kind"] == "member_declined" for n in inbox(box, unit_id=district.units["TEAM1"].id))


def test_a_plain_member_may_not_assign_but_the_leader_may(box, district):
    team_with_roster(box, district)
    order = team_order(box, district)
    with pytest.raises(NotAllowed):
        assign.assign(box.uow(), district.actors["fm2"], order.number, box.now(), username="fm2")
    assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")


def test_at_shift_change_open_orders_are_listed_and_handed_over_explicitly(box, district, clock):
    team_with_roster(box, district)
    o1, o2 = team_order(box, district), team_order(box, district, "路灯不亮")
    fm2 = district.actors["fm2"]
    a1 = assign.assign(box.uow(), district.actors["fm"], o1.number, box.now(), username="fm2")
    a2 = assign.assign(box.uow(), district.actors["fm"], o2.number, box.now(), username="fm2")
    assign.accept(box.uow(), fm2, a1["id"], box.now())
    clock.advance(hours=10, minutes=30)  # 19:30 local: the day shift ends at 20:00
    h = assign.handover_list(box.uow(), district.actors["fm"], "TEAM1", box.now())
    leaving = {x["username"]: x for x in h["leaving"]}
    assert set(leaving) == {"fm2"} and len(leaving["fm2"]["assignments"]) == 2
    assert "fm3" in {x["username"] for x in h["incoming"]}
    out = assign.handover(box.uow(), district.actors["fm"], "TEAM1", "fm2", "fm3", [a1["id"]], box.now())
    assert out["still_with_leaving_member"] == 1  # the other one is not dropped
    clock.advance(hours=1)
    h = assign.handover_list(box.uow(), district.actors["fm"], "TEAM1", box.now())
    assert [len(x["assignments"]) for x in h["leaving"]] == [1]
    assert "member_handed_over" in kinds(box, o1.number)
    assert [x["order"]["number"] for x in assign.my_assignments(box.uow(), district.actors["fm3"])] == [o1.number]


def test_a_position_far_from_the_area_is_kept_with_a_warning(box, district):
    team_with_roster(box, district)
    teams.configure_team(box.uow(), district.actors["sup"], "TEAM1", box.now(),
                         polygons=[[[121.40, 31.20], [121.42, 31.20], [121.42, 31.22], [121.40, 31.22]]])
    fm2 = district.actors["fm2"]
    ok = teams.report_position(box.uow(), fm2, 31.21, 121.41, box.now())
    assert ok["warnings"] == [] and ok["km_outside_area"] == 0
    far = teams.report_position(box.uow(), fm2, 39.90, 116.40, box.now() + timedelta(minutes=5))
    assert far["kept"] and len(far["warnings"]) == 2  # far away, and a jump nobody could travel
    member = next(m for m in board.duty_now(box.uow(), district.actors["sup"], box.now())["teams"][0]["members"]
                  if m["username"] == "fm2")
    assert member["lat"] == 39.90 and member["position_warning"]


def test_a_patrol_report_becomes_a_patrol_order_with_its_photo(box, district):
    team_with_roster(box, district)
    photo = patrol.Photo("p.jpg", "image/jpeg", b"\xff\xd8\xff" + b"0" * 100)
    out = patrol.report_patrol(box.uow(), box.files, district.actors["fm2"], box.now(), text="井盖缺失",
                               category="city.safety", address="龙漕居委 某小区门口", photos=[photo])
    assert out["channel"] == "patrol" and len(out["attachments"]) == 1
    assert "patrol_reported" in kinds(box, out["number"])
    with pytest.raises(InvalidInput):
        patrol.report_patrol(box.uow(), box.files, district.actors["fm2"], box.now(), text="无地点", category=None)


def test_an_inspection_sweep_counts_progress_and_turns_a_problem_into_an_order(box, district):
    team_with_roster(box, district)
    places = [{"name": f"商铺{i}", "address": f"龙华路{i}号"} for i in range(1, 6)] + [{"name": ""}, {"name": "商铺1", "address": "龙华路1号"}]
    ins = patrol.create_inspection(box.uow(), district.actors["fm"], "TEAM1", "沿街商铺防疫督导", "shop", places, box.now())
    assert ins["added"] == 5 and [e["row"] for e in ins["errors"]] == [6, 7]
    fm2 = district.actors["fm2"]
    patrol.check_item(box.uow(), box.files, fm2, ins["id"], 1, "ok", box.now())
    r = patrol.check_item(box.uow(), box.files, fm2, ins["id"], 2, "problem", box.now(), note="未张贴场所码")
    assert r["order"] and r["progress"]["done"] == 2 and r["progress"]["percent"] == 40.0
    again = patrol.check_item(box.uow(), box.files, fm2, ins["id"], 2, "problem", box.now(), note="仍未张贴")
    assert again["order"] is None  # the first order stays the item's order; no duplicate
    view = patrol.inspection_view(box.uow(), fm2, ins["id"], result="problem")
    assert view["items"][0]["order_number"] == r["order"]
    with pytest.raises(NotFound):  # another street's handler does not see this team's sweep
        patrol.check_item(box.uow(), box.files, district.actors["s2"], ins["id"], 3, "ok", box.now())


def test_an_assignment_ends_when_the_order_leaves_the_team(box, district):
    team_with_roster(box, district)
    order = team_order(box, district)
    assign.assign(box.uow(), district.actors["fm"], order.number, box.now(), username="fm2")
    uc.return_order(box.uow(), district.actors["fm"], order.number, "不属于本队", box.now())
    assert sweep_duty(box.uow, box.now()).cancelled == 1
    assert "member_cancelled" in kinds(box, order.number)
