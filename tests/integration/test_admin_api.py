"""Admin: deadline policies, district mode, org tree and users through HTTP and the audit log."""
import pytest
import sqlalchemy as sa

from cityops.adapters.db.tables import audit_log

from .api_helpers import Api


@pytest.fixture
def api(box, district):
    return Api(box)


POLICY = {"mode": "epidemic", "urgency": "urgent", "accept_minutes": 20, "feedback_minutes": 90, "resolve_minutes": 720,
          "warn_fractions": [0.5, 0.9], "escalation": [{"after_minutes": 0, "level": "unit_lead"}]}


def test_admin_changes_a_policy_and_it_is_audited(api, box):
    r = api.put("adm", "/api/v1/policies", json=[POLICY])
    assert r.status_code == 200 and r.json()[0]["resolve_minutes"] == 720 and r.json()[0]["version"] == 2
    o = api.new_order(urgency="urgent")
    assert o["resolve_due_at"].startswith("2022-03-25T13:00")
    with box.engine.connect() as conn:
        a = conn.execute(sa.select(audit_log).where(audit_log.c.action == "policy_changed")).one()
    assert a.detail["before"]["resolve_minutes"] == 1440 and a.detail["after"]["resolve_minutes"] == 720


@pytest.mark.parametrize("change, field", [
    ({"resolve_minutes": -1}, "resolve_minutes"),
    ({"accept_minutes": 800}, "resolve_minutes"),
    ({"urgency": "whenever"}, None),
    ({"category": "no.such"}, "category"),
    ({"warn_fractions": [0.9, 0.2]}, "warn_fractions"),
])
def test_a_policy_that_makes_no_sense_is_refused_and_nothing_changes(api, change, field):
    before = api.get("adm", "/api/v1/policies").json()
    r = api.put("adm", "/api/v1/policies", json=[{"mode": "epidemic", "urgency": "critical", "accept_minutes": 5,
                                                   "resolve_minutes": 60}, POLICY | change])
    assert r.status_code == 422, r.text
    if field:
        assert r.json()["field"] == field
    assert api.get("adm", "/api/v1/policies").json() == before


def test_only_admin_edits_policies(api):
    assert api.put("sup", "/api/v1/policies", json=[POLICY]).status_code == 403


def test_switching_to_normal_mode_is_one_action_and_changes_new_orders(api):
    assert api.get("op", "/api/v1/mode").json() == {"mode": "epidemic"}
    assert api.put("op", "/api/v1/mode", json={"mode": "normal"}).status_code == 403
    assert api.put("cmd", "/api/v1/mode", json={"mode": "normal"}).json() == {"mode": "normal"}
    o = api.new_order(urgency="normal")  # Friday 09:00 + 5 working days of 8.5 hours, weekend skipped
    assert o["resolve_due_at"].startswith("2022-03-31T09:30")  # Thursday 17:30 in Shanghai
    assert api.put("adm", "/api/v1/mode", json={"mode": "lunar"}).status_code == 422


def test_admin_builds_the_org_tree_and_users(api):
    r = api.post("adm", "/api/v1/units", json={"code": "S1C9", "name": "新居委", "kind": "committee", "parent": "S1"})
    assert r.status_code == 201 and r.json()["path"].count("/") == 4
    assert api.post("adm", "/api/v1/units", json={"code": "X", "name": "x", "kind": "committee", "parent": "D"}).status_code == 422
    assert api.post("adm", "/api/v1/units", json={"code": "S1C9", "name": "x", "kind": "committee", "parent": "S1"}).status_code == 409
    r = api.post("adm", "/api/v1/users", json={"username": "c9", "password": "long-enough", "role": "unit_handler", "unit": "S1C9"})
    assert r.status_code == 201
    r = api.client.post("/api/v1/auth/login", json={"username": "c9", "password": "long-enough"})
    assert r.status_code == 200 and r.json()["role"] == "unit_handler"
    assert api.post("adm", "/api/v1/users", json={"username": "c9", "password": "long-enough", "role": "unit_handler", "unit": "S1C9"}).status_code == 409
    assert api.post("adm", "/api/v1/users", json={"username": "c10", "password": "short", "role": "unit_handler", "unit": "S1C9"}).json()["field"] == "password"


def test_holidays_in_the_calendar_push_normal_mode_deadlines(api):
    api.put("adm", "/api/v1/mode", json={"mode": "normal"})
    cal = {"day_start": "09:00", "day_end": "17:30", "weekend": [5, 6],
           "days": [{"day": "2022-03-28", "kind": "holiday", "name": "测试假日"}]}
    r = api.put("adm", "/api/v1/calendar", json=cal)
    assert r.status_code == 200 and r.json()["days"] == [{"day": "2022-03-28", "kind": "holiday"}]
    o = api.new_order(urgency="normal")  # Friday 09:00; Monday is now a holiday
    assert o["resolve_due_at"].startswith("2022-04-01T09:30")  # Friday 17:30 in Shanghai
    assert api.put("adm", "/api/v1/calendar", json=cal | {"day_end": "08:00"}).status_code == 422
    assert api.put("adm", "/api/v1/calendar", json=cal | {"days": [{"day": "2022-02-30", "kind": "holiday"}]}).status_code == 422
    assert api.put("sup", "/api/v1/calendar", json=cal).status_code == 403
    assert api.get("op", "/api/v1/calendar").json()["days"] == [{"day": "2022-03-28", "kind": "holiday"}]


def test_admin_adds_and_renames_categories_but_codes_never_change(api):
    r = api.post("adm", "/api/v1/categories", json={"code": "epi.masks", "name": "口罩物资", "en": "Masks"})
    assert r.status_code == 201 and r.json()["parent_code"] == "epi"
    assert api.new_order(category="epi.masks")["category"] == "epi.masks"
    assert api.post("adm", "/api/v1/categories", json={"code": "epi.masks.n95", "name": "x"}).status_code == 422
    assert api.post("adm", "/api/v1/categories", json={"code": "nope.xy", "name": "x"}).status_code == 404
    assert api.post("adm", "/api/v1/categories", json={"code": "epi.masks", "name": "x"}).status_code == 409
    r = api.client.patch("/api/v1/categories/epi.testing", json={"name": "核酸与抗原检测"}, headers=api.as_("adm"))
    assert r.status_code == 200 and r.json()["name"] == "核酸与抗原检测"
    r = api.client.patch("/api/v1/categories/epi.testing", json={"code": "x"}, headers=api.as_("adm"))
    assert r.status_code == 422 and r.json()["field"] == "code"
    api.client.patch("/api/v1/categories/epi.masks", json={"active": False}, headers=api.as_("adm"))
    assert api.post("op", "/api/v1/orders", json={"text": "x", "category": "epi.masks"}).status_code == 404
    assert api.post("op", "/api/v1/categories", json={"code": "epi.yy", "name": "y"}).status_code == 403
