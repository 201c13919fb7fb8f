"""The supervisor pages over HTTP: each tab lists the right orders, scoped by unit; quick actions inline."""
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from cityops.adapters.db.tables import order_events, orders
from cityops.app.orders import usecases as uc
from cityops.app.orders.sweep import sweep_until_idle

from .web_helpers import Web, text_of


@pytest.fixture
def web(box, district):
    return Web(box)


@pytest.fixture
def desk(box, district, clock):
    """Five orders, one per situation a supervisor watches (numbers by role in the story)."""
    a = district.actors
    now = clock()

    def new(text, urgency="normal", to=None, groups=()):
        return uc.create_order(box.uow(), a["op"], uc.NewOrder(text=text, urgency=urgency, dispatch_to=to,
                                                               special_groups=tuple(groups)), now).number

    d = {
        "elderly": new("独居老人家中断药，需要配药", "urgent", "S1", ["elderly"]),
        "returned": new("永丰小区路灯不亮", "normal", "S2"),
        "extension": new("龙华路排水管破裂", "normal", "S1"),
        "overdue": new("四川北路小区围栏倒塌", "critical", "S2"),
        "quiet": new("咨询核酸检测点开放时间", "normal", "S1"),
    }
    uc.return_order(box.uow(), a["s2"], d["returned"], "不属于本街道管辖，应由区绿化市容局处理", now)
    uc.accept_order(box.uow(), a["s1"], d["extension"], now)
    uc.request_extension(box.uow(), a["s1"], d["extension"], now + timedelta(days=5), "需要第三方施工队", now)
    uc.accept_order(box.uow(), a["s2"], d["overdue"], now)
    return d


def numbers_in(html: str, list_id: str) -> set[str]:
    """The order numbers in one list of the page (rows carry data-number)."""
    import re
    start = html.index(f'id="list-{list_id}"')
    end = html.index("</table>", start)
    return set(re.findall(r'<tr class="risk-[a-z]+" data-number="([^"]+)"', html[start:end]))


def test_each_supervisor_tab_lists_the_right_orders(web, desk, clock):
    clock.advance(hours=2, minutes=5)  # the critical order is now overdue; the others are not
    page = web.get("sup", "/supervise").text
    assert numbers_in(page, "queue") == {desk["elderly"], desk["returned"], desk["extension"], desk["overdue"]}
    assert numbers_in(web.get("sup", "/supervise?tab=special").text, "special") == {desk["elderly"]}
    assert numbers_in(web.get("sup", "/supervise?tab=overdue").text, "overdue") == {desk["overdue"]}
    pending = web.get("sup", "/supervise?tab=pending").text
    assert numbers_in(pending, "returns") == {desk["returned"]}
    assert numbers_in(pending, "extensions") == {desk["extension"]}
    assert "不属于本街道管辖" in text_of(pending)  # the return reason is shown beside the order
    # counts in the tab labels
    assert 'data-tab="queue"' in page and '<span class="count" data-count="4">' in page
    assert '<span class="count" data-count="2">' in page  # pending: one return + one extension
    assert "督办队列" in page and "特殊人群跟进" in page and "已触发升级" in page


def test_a_street_user_sees_only_its_own_orders_on_every_tab(web, desk, clock):
    clock.advance(hours=2, minutes=5)
    assert numbers_in(web.get("s1", "/supervise").text, "queue") == {desk["elderly"], desk["extension"]}
    assert numbers_in(web.get("s2", "/supervise?tab=overdue").text, "overdue") == {desk["overdue"]}
    assert numbers_in(web.get("s1", "/supervise?tab=overdue").text, "overdue") == set()
    pending = web.get("s1", "/supervise?tab=pending").text
    assert numbers_in(pending, "returns") == set()  # a returned order belongs to no unit until re-dispatched
    assert numbers_in(pending, "extensions") == {desk["extension"]}
    assert 'action="/supervise/act/' + desk["extension"] + '/decide"' not in pending  # a unit cannot decide
    assert "只读" in pending or "View only" in pending


def test_approving_an_extension_inline_moves_the_deadline(web, box, desk, clock):
    before = web.get("sup", "/supervise?tab=pending").text
    assert f'/supervise/act/{desk["extension"]}/decide' in before
    r = web.form("sup", f"/supervise/act/{desk['extension']}/decide", {"decision": "approve", "tab": "pending"})
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "closest tr"
    assert "03-30" in r.text  # the new deadline, 5 days on, shown in the row that replaces the form
    with box.engine.connect() as conn:
        due = conn.execute(sa.select(orders.c.resolve_due_at).where(orders.c.number == desk["extension"])).scalar_one()
    assert due == clock() + timedelta(days=5)
    assert numbers_in(web.get("sup", "/supervise?tab=pending").text, "extensions") == set()


def test_denying_an_extension_without_a_reason_keeps_the_form_and_says_why(web, desk):
    r = web.form("sup", f"/supervise/act/{desk['extension']}/decide", {"decision": "deny", "until": ""})
    assert r.status_code == 422 and 'data-field="reason"' in r.text
    assert "HX-Retarget" not in r.headers  # the message goes into the form's box; the form stays
    assert numbers_in(web.get("sup", "/supervise?tab=pending").text, "extensions") == {desk["extension"]}


def test_a_returned_order_is_dispatched_again_from_the_pending_tab(web, box, desk, district):
    r = web.form("sup", f"/supervise/act/{desk['returned']}/redispatch",
                 {"lead_unit": "HEALTH", "note": "请区卫健委协调", "tab": "pending"})
    assert r.status_code == 200 and "区卫健委" in r.text
    with box.engine.connect() as conn:
        row = conn.execute(sa.select(orders.c.state, orders.c.lead_unit_id)
                           .where(orders.c.number == desk["returned"])).one()
        kinds = conn.execute(sa.select(order_events.c.kind).join(orders, orders.c.id == order_events.c.order_id)
                             .where(orders.c.number == desk["returned"])).scalars().all()
    assert row.state == "dispatched" and row.lead_unit_id == district.units["HEALTH"].id
    assert kinds[-1] == "redispatched"
    assert numbers_in(web.get("sup", "/supervise?tab=pending").text, "returns") == set()
    assert desk["returned"] in web.get("hw", "/queue").text  # the new unit has it


def test_re_dispatch_without_a_unit_is_refused_with_a_message(web, desk):
    r = web.form("sup", f"/supervise/act/{desk['returned']}/redispatch", {"lead_unit": "", "note": "x"})
    assert r.status_code == 422 and 'data-field="lead_unit"' in r.text


def test_escalations_tab_shows_the_alarms_after_the_sweep_runs(web, box, desk, clock):
    assert numbers_in(web.get("sup", "/supervise?tab=escalations").text, "escalations") == set()
    clock.advance(hours=2, minutes=1)
    sweep_until_idle(box.uow, clock)
    page = web.get("sup", "/supervise?tab=escalations").text
    assert desk["overdue"] in numbers_in(page, "escalations")
    assert 'data-kind="escalated"' in page and 'data-level="unit_lead"' in page
    assert 'data-kind="overdue"' in page
    assert "已升级" in text_of(page) and "单位热线负责人" in text_of(page)  # alarm and level in Chinese
    assert "四川北路街道" in page  # the lead unit
    # scoped: the street that does not own the order sees none of it
    assert desk["overdue"] not in numbers_in(web.get("s1", "/supervise?tab=escalations").text, "escalations")
    assert desk["overdue"] in numbers_in(web.get("s2", "/supervise?tab=escalations").text, "escalations")
    # a day later the alarms have left the 24-hour window
    clock.advance(hours=25)
    later = Web(box)  # the morning's session has expired: log in again
    assert numbers_in(later.get("sup", "/supervise?tab=escalations").text, "escalations") == set()


def test_urge_and_supervise_toggle_inline(web, box, desk):
    n = desk["elderly"]
    r = web.form("sup", f"/supervise/act/{n}/urge", {"tab": "queue"})
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "closest td"
    assert "(1)" in r.text
    r = web.form("sup", f"/supervise/act/{n}/supervise", {"on": "1", "tab": "queue"})
    assert r.status_code == 200 and 'name="on" value="0"' in r.text  # the toggle now offers to stop
    with box.engine.connect() as conn:
        row = conn.execute(sa.select(orders.c.supervised, orders.c.urge_count).where(orders.c.number == n)).one()
    assert row.supervised is True and row.urge_count == 1
    # without JavaScript the form posts and comes back to the same tab with a note
    r = web.form("sup", f"/supervise/act/{n}/urge", {"tab": "special"}, htmx=False)
    assert r.status_code == 303 and r.headers["location"] == "/supervise?tab=special&done=urge"
    # the quiet order joins the supervision queue once it is marked
    web.form("sup", f"/supervise/act/{desk['quiet']}/supervise", {"on": "1"})
    assert desk["quiet"] in numbers_in(web.get("sup", "/supervise").text, "queue")


def test_an_operator_sees_no_supervise_toggle_and_cannot_post_one(web, desk):
    page = web.get("op", "/supervise").text
    assert f'/supervise/act/{desk["elderly"]}/urge' in page  # operators may urge
    assert f'/supervise/act/{desk["elderly"]}/supervise' not in page
    r = web.form("op", f"/supervise/act/{desk['elderly']}/supervise", {"on": "1"})
    assert r.status_code == 403


def test_every_tab_exports_to_xlsx(web, desk, clock):
    clock.advance(hours=2, minutes=5)
    r = web.get("sup", "/supervise.xlsx?tab=pending")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(r.content))
    returns, extensions = wb.worksheets
    assert returns.max_row == 2 and "不属于本街道管辖" in returns.cell(2, 1).value
    assert extensions.max_row == 2 and extensions.cell(2, 2).value == "需要第三方施工队"
    ws = load_workbook(BytesIO(web.get("sup", "/supervise.xlsx?tab=queue").content)).active
    assert ws.max_row == 5  # header + four orders
    ws = load_workbook(BytesIO(web.get("s1", "/supervise.xlsx?tab=special").content)).active
    assert [c.value for c in ws["A"]][1:] == [desk["elderly"]]


def test_lists_page_past_fifty_orders(web, box, district, clock):
    a = district.actors
    for i in range(53):
        uc.create_order(box.uow(), a["op"], uc.NewOrder(text=f"独居老人{i}", dispatch_to="S1",
                                                         special_groups=("elderly",)), clock())
    first = web.get("sup", "/supervise?tab=special").text
    second = web.get("sup", "/supervise?tab=special&page=2").text
    assert len(numbers_in(first, "special")) == 50 and len(numbers_in(second, "special")) == 3
    assert "page=2" in first and not (numbers_in(first, "special") & numbers_in(second, "special"))


def test_the_supervisor_pages_speak_english_when_asked(web, desk):
    web.get("sup", "/lang/en?next=/supervise")
    for tab in ("queue", "special", "pending", "overdue", "escalations"):
        page = web.get("sup", f"/supervise?tab={tab}").text
        assert "Supervision queue" in page and "Pending decisions" in page and "督办队列" not in page


def test_every_alarm_and_escalation_level_has_a_chinese_name():
    from cityops.adapters.db.supervision import FIRED_KINDS
    from cityops.domain.orders.policy import EscalationLevel
    from cityops.entrypoints.web import i18n
    zh = i18n.read_catalogue("zh_CN")
    assert [k for k in FIRED_KINDS if zh.get(f"fired:{k}") is None] == []
    assert [lv.value for lv in EscalationLevel if zh.get(f"esc_level:{lv.value}") is None] == []
