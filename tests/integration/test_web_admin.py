"""The admin pages over HTTP: admin only; each change through the API's use case, effective at once."""
import json
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from cityops.adapters.db.tables import audit_log, orders
from cityops.app.orders import usecases as uc

from .api_helpers import Api
from .web_helpers import Web, text_of

GAZ = """类型,名称,别名,道路,起号,止号,单双,居委编码,经纬度边界
道路,龙华路,,,1,99,全,S1C1,
小区,幸福小区,幸福花苑、幸福苑,龙华路,20,20,全,S1C1,
道路,坏路,,,50,10,全,S1C1,
小区,无名小区,,,,,,NOPE,
"""


@pytest.fixture
def web(box, district):
    return Web(box)


def urgent_policy_id(web) -> str:
    import re
    page = web.get("adm", "/admin/policies").text
    return re.search(r'data-policy="(\d+)" data-mode="epidemic" data-urgency="urgent" data-category=""', page).group(1)


POLICY_FORM = {"mode": "epidemic", "urgency": "urgent", "category": "", "clock": "24x7", "accept_minutes": "20",
               "feedback_minutes": "90", "resolve_minutes": "720", "remind_unaccepted_minutes": "30",
               "warn_percent": "50, 90", "esc_after_0": "0", "esc_level_0": "unit_lead",
               "esc_after_1": "120", "esc_level_1": "center_supervisor"}


@pytest.mark.parametrize("user", ["op", "sup", "cmd", "s1", "fm"])
def test_a_non_admin_gets_a_403_page_on_every_admin_page(web, user):
    for path in ("/admin", "/admin/users", "/admin/policies", "/admin/routing", "/admin/triage-rules", "/admin/kb",
                 "/admin/keys"):
        r = web.get(user, path)
        assert r.status_code == 403, path
        assert "无权打开此页面" in r.text
    assert web.form(user, "/admin/policies", POLICY_FORM).status_code == 403
    assert web.form(user, "/admin/users", {"username": "x1", "password": "p" * 8, "password2": "p" * 8,
                                           "role": "admin", "unit": "CENTER"}).status_code == 403
    for path in ("/admin/triage-rules", "/admin/triage-rules/reset"):
        assert web.form(user, path, {"rules": "[]"}).status_code == 403
    assert web.form(user, "/admin/triage-rules/try", {"text": "我爸透析"}).status_code == 403


def test_admin_pages_open_for_the_admin(web):
    for path in ("/admin", "/admin/org", "/admin/users", "/admin/policies", "/admin/mode", "/admin/categories",
                 "/admin/routing", "/admin/triage-rules", "/admin/gazetteer", "/admin/kb", "/admin/keys"):
        r = web.get("adm", path)
        assert r.status_code == 200, path
        assert 'id="admin-nav"' in r.text
    org = web.get("adm", "/admin").text
    assert 'data-unit="S1C1" data-depth="2"' in org and "龙漕居委" in org and "居委" in text_of(org)
    assert "13800000001" not in org and "138****0001" in org  # contacts masked like every phone


def test_editing_a_policy_applies_to_the_next_order_without_restart(web, box, district, clock):
    pid = urgent_policy_id(web)
    form = web.get("adm", f"/admin/policies?edit={pid}").text
    assert 'name="resolve_minutes"' in form and 'value="1440"' in form
    r = web.form("adm", "/admin/policies", POLICY_FORM | {"id": pid})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/admin/policies?done=policy"
    o = uc.create_order(box.uow(), district.actors["op"], uc.NewOrder(text="x", urgency="urgent"), clock())
    assert o.resolve_due_at == clock() + timedelta(minutes=720)
    assert [s.after_minutes for s in o.policy.escalation] == [0, 120]
    page = web.get("adm", "/admin/policies").text
    assert "12 小时" in text_of(page) and "v2" in page
    with box.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                            .where(audit_log.c.action == "policy_changed")).scalar_one() == 1


@pytest.mark.parametrize("change, field, words", [
    ({"resolve_minutes": "10"}, "resolve_minutes", "办结时限"),
    ({"accept_minutes": "abc"}, "accept_minutes", "签收时限"),
    ({"warn_percent": "90, 20"}, "warn_fractions", "预警"),
    ({"esc_after_1": "-5"}, "escalation", "升级"),
])
def test_a_bad_policy_value_names_its_field_and_keeps_the_form(web, box, change, field, words):
    pid = urgent_policy_id(web)
    r = web.form("adm", "/admin/policies", POLICY_FORM | {"id": pid} | change)
    assert r.status_code == 422 and f'data-field="{field}"' in r.text and words in r.text
    # without JavaScript: the page again, with the error and what was typed
    r = web.form("adm", "/admin/policies", POLICY_FORM | {"id": pid} | change, htmx=False)
    assert r.status_code == 422 and 'id="admin-error"' in r.text and f'data-field="{field}"' in r.text
    typed = next(iter(change.values()))
    assert f'value="{typed}"' in r.text and 'value="90"' in r.text  # the bad value and the others stay
    assert "编辑时限规则" in r.text  # still the edit of that policy
    with box.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                            .where(audit_log.c.action == "policy_changed")).scalar_one() == 0


def test_a_policy_for_one_category_is_added_and_wins_for_that_category(web, box, district, clock):
    r = web.form("adm", "/admin/policies", POLICY_FORM | {"id": "", "category": "epi.medical", "resolve_minutes": "60",
                                                          "accept_minutes": "10", "feedback_minutes": "30"})
    assert r.status_code == 204
    a = district.actors["op"]
    med = uc.create_order(box.uow(), a, uc.NewOrder(text="x", urgency="urgent", category="epi.medical"), clock())
    other = uc.create_order(box.uow(), a, uc.NewOrder(text="y", urgency="urgent", category="city.noise"), clock())
    assert med.resolve_due_at == clock() + timedelta(minutes=60)
    assert other.resolve_due_at == clock() + timedelta(hours=24)


def test_switching_the_district_mode_from_the_page(web, box, district, clock):
    assert 'data-to="normal"' in web.get("adm", "/admin/mode").text
    r = web.form("adm", "/admin/mode", {"mode": "normal"})
    assert r.status_code == 204
    assert 'data-mode="normal"' in web.get("adm", "/admin/mode").text
    o = uc.create_order(box.uow(), district.actors["op"], uc.NewOrder(text="x", urgency="normal"), clock())
    assert o.policy.clock == "business"
    assert web.form("adm", "/admin/mode", {"mode": "panic"}).status_code == 422


def test_a_user_created_from_the_page_can_log_in(web, box):
    data = {"username": "zhou.ming", "display_name": "周明", "password": "secret-pass-1", "password2": "secret-pass-1",
            "role": "unit_handler", "unit": "S1C1", "phone": "13911112222", "email": ""}
    r = web.form("adm", "/admin/users", data)
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/admin/users?created=zhou.ming"
    page = web.get("adm", "/admin/users?created=zhou.ming").text
    assert 'data-username="zhou.ming"' in page and "139****2222" in page and "13911112222" not in page
    fresh = Web(box).app
    from fastapi.testclient import TestClient
    c = TestClient(fresh, follow_redirects=False)
    r = c.post("/login", data={"username": "zhou.ming", "password": "secret-pass-1"})
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    assert c.get("/queue").status_code == 200


def test_creating_a_user_with_a_taken_name_or_short_password_says_why(web):
    base = {"username": "s1", "password": "secret-pass-1", "password2": "secret-pass-1", "role": "unit_handler",
            "unit": "S1"}
    r = web.form("adm", "/admin/users", base)
    assert r.status_code == 409 and 'data-field="username"' in r.text
    r = web.form("adm", "/admin/users", base | {"username": "new1", "password": "short", "password2": "short"})
    assert r.status_code == 422 and 'data-field="password"' in r.text
    r = web.form("adm", "/admin/users", base | {"username": "new1", "password2": "other-pass-2"})
    assert r.status_code == 422 and 'data-field="password2"' in r.text
    r = web.form("adm", "/admin/users", base | {"username": "new1", "password2": "x"}, htmx=False)
    assert r.status_code == 422 and 'value="new1"' in r.text and "secret-pass-1" not in r.text


def test_adding_a_unit_shows_it_in_the_tree(web):
    r = web.form("adm", "/admin/org/units", {"code": "S1C3", "name": "新建居委", "kind": "committee", "parent": "S1",
                                            "hotline_lead_phone": "13800009999"})
    assert r.status_code == 204
    assert 'data-unit="S1C3" data-depth="2"' in web.get("adm", "/admin/org").text
    r = web.form("adm", "/admin/org/units", {"code": "X9", "name": "错位居委", "kind": "committee", "parent": "D"})
    assert r.status_code == 422 and 'data-field="parent"' in r.text


def test_gazetteer_import_reports_bad_rows_and_keeps_the_good_ones(web, box):
    r = web.client("adm").post("/admin/gazetteer", headers={"HX-Request": "true"},
                               files={"file": ("g.csv", GAZ.encode("gbk"), "text/csv")})
    assert r.status_code == 200
    assert 'data-imported="2"' in r.text and 'data-errors="2"' in r.text
    assert 'data-line="4"' in r.text and 'data-line="5"' in r.text and "NOPE" in r.text
    page = web.get("adm", "/admin/gazetteer").text
    assert 'data-count="2"' in page
    with box.uow() as uow:
        from cityops.app.triage import knowledge as kn
        assert kn.resolve_area(uow, "幸福花苑3号楼")["committee"] == "S1C1"
    r = web.client("adm").post("/admin/gazetteer", headers={"HX-Request": "true"},
                               files={"file": ("bad.csv", "类型,名称,居委编码\n道路,某路,NOPE\n".encode(), "text/csv")})
    assert r.status_code == 200 and 'data-imported="0"' in r.text
    assert 'data-count="2"' in web.get("adm", "/admin/gazetteer").text  # a file with no good row changes nothing


def test_routing_rules_errors_are_named_per_rule_and_nothing_changes(web):
    import json
    good = [{"id": "default", "name": "默认：属地街镇", "target": {"kind": "area_street"}, "priority": 0}]
    assert web.form("adm", "/admin/routing", {"rules": json.dumps(good, ensure_ascii=False)}).status_code == 204
    bad = good + [{"id": "ghost", "name": "x", "category": "epi.testing", "target": {"kind": "unit", "unit": "NOPE"}},
                  {"name": "no id", "category": "no.such", "target": {"kind": "area_street"}}]
    r = web.form("adm", "/admin/routing", {"rules": json.dumps(bad, ensure_ascii=False)})
    assert r.status_code == 422 and 'data-rule="ghost"' in r.text and 'data-rule-field="target.unit"' in r.text
    assert 'data-index="2"' in r.text
    page = web.get("adm", "/admin/routing").text
    assert 'data-rule="default"' in page and 'data-rule="ghost"' not in page
    r = web.form("adm", "/admin/routing", {"rules": "[{"})
    assert r.status_code == 422 and "JSON" in r.text and 'data-field="rules"' in r.text
    r = web.form("adm", "/admin/routing", {"rules": json.dumps(bad)}, htmx=False)
    assert r.status_code == 422 and "ghost" in r.text and "NOPE" in r.text  # the textarea keeps the text


@pytest.fixture
def api(box, district):
    return Api(box)


def triage_rules(api) -> dict:
    """What GET /api/v1/triage/rules returns."""
    r = api.get("adm", "/api/v1/triage/rules")
    assert r.status_code == 200
    return r.json()


DIALYSIS = "我爸透析，小区封了出不去"


def test_the_triage_rules_page_lists_the_shipped_rules(web, box):
    shipped = box.triage.shipped_rules()
    page = web.get("adm", "/admin/triage-rules").text
    assert 'data-section="triage"' in page and 'href="/admin/triage-rules"' in page  # linked in the admin navigation
    assert f'data-version="{shipped["version"]}" data-source="shipped"' in page
    for r in shipped["rules"]:
        assert f'data-rule="{r["id"]}"' in page
    n = sum(1 for r in shipped["rules"] if r["kind"] == "urgency" and r.get("effect", "floor") == "floor"
            and r["target"] == "critical")
    assert f'data-kind="urgency" data-effect="floor" data-target="critical" data-count="{n}"' in page
    assert "&#34;u.dialysis&#34;" in page  # the whole document, in the editor


def test_saving_the_triage_rules_from_the_page_changes_what_the_api_returns(web, api, box):
    doc = box.triage.shipped_rules()
    doc["version"] = "page-edit-1"
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "u.dialysis"]
    r = web.form("adm", "/admin/triage-rules", {"rules": json.dumps(doc, ensure_ascii=False)})
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/admin/triage-rules?done=")
    now = triage_rules(api)
    assert now["version"] == "page-edit-1" and "u.dialysis" not in [r["id"] for r in now["rules"]]
    page = web.get("adm", "/admin/triage-rules").text
    assert 'data-version="page-edit-1" data-source="saved" data-same-as-shipped="no"' in page
    assert 'data-rule="u.dialysis"' not in page
    with box.engine.connect() as conn:  # audited by the use case
        assert conn.execute(sa.select(audit_log.c.id).where(audit_log.c.action == "triage_rules_changed")).first()
    # without JavaScript the form posts normally and comes back with a 303
    r = web.form("adm", "/admin/triage-rules", {"rules": json.dumps(box.triage.shipped_rules())}, htmx=False)
    assert r.status_code == 303 and triage_rules(api)["version"] == box.triage.shipped_rules()["version"]


def test_the_page_offers_the_shipped_rules_a_saved_copy_lacks_and_takes_the_ticked_ones(web, api, box):
    shipped = box.triage.shipped_rules()
    assert 'id="shipped-changes"' not in web.get("adm", "/admin/triage-rules").text  # no copy saved
    old = dict(shipped, version="site-1", past=["上个月"],
               rules=[r for r in shipped["rules"] if r["id"] not in ("u.fire_lane", "u.arrival_control")])
    old["rules"].append({"id": "site.own", "kind": "urgency", "target": "urgent", "patterns": ["化粪池冒"], "reason": "化粪池外溢"})
    assert web.form("adm", "/admin/triage-rules", {"rules": json.dumps(old, ensure_ascii=False)}).status_code == 204
    page = web.get("adm", "/admin/triage-rules").text
    assert 'id="shipped-changes" data-new="2" data-changed="0"' in page
    assert 'data-shipped-rule="u.fire_lane" data-change="new"' in page and 'value="u.fire_lane" checked' in page
    assert 'data-list="past" data-change="list"' in page and "site.own" in page  # the own rule is named as kept
    r = web.form("adm", "/admin/triage-rules/take", {"ids": ["u.fire_lane"]})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/admin/triage-rules?done=taken"
    now = triage_rules(api)
    ids = [x["id"] for x in now["rules"]]
    assert "u.fire_lane" in ids and "u.arrival_control" not in ids and "site.own" in ids and now["past"] == ["上个月"]
    page = web.get("adm", "/admin/triage-rules").text
    assert 'data-new="1"' in page and 'data-shipped-rule="u.arrival_control" data-change="new"' in page
    r = web.form("adm", "/admin/triage-rules/take", {})  # nothing ticked: told so, nothing saved
    assert r.status_code == 422 and triage_rules(api) == now


@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_triage_rule_is_named_the_text_kept_and_nothing_saved(web, api, box, htmx):
    before = triage_rules(api)
    doc = box.triage.shipped_rules()
    doc["version"] = "broken-1"
    doc["rules"].append({"id": "u.ghost", "kind": "urgency", "target": "apocalyptic", "patterns": ["末日"],
                         "reason": "末日"})
    typed = json.dumps(doc, ensure_ascii=False, indent=1)
    r = web.form("adm", "/admin/triage-rules", {"rules": typed}, htmx=htmx)
    assert r.status_code == 422 and 'data-rule="u.ghost"' in r.text and "apocalyptic" in r.text
    if not htmx:  # the page again, the typed document in the editor
        assert "broken-1" in r.text and "&#34;u.ghost&#34;" in r.text and 'id="rules-json"' in r.text
    r = web.form("adm", "/admin/triage-rules", {"rules": typed[:-40]}, htmx=htmx)
    assert r.status_code == 422 and "JSON" in r.text and 'data-field="rules"' in r.text
    if not htmx:
        assert "broken-1" in r.text
    assert triage_rules(api) == before


def test_trying_a_text_shows_the_floor_groups_and_matches_on_the_rules_or_the_draft(web, api, box):
    r = web.form("adm", "/admin/triage-rules/try", {"text": DIALYSIS, "rules": ""})
    assert r.status_code == 200 and 'data-urgency="critical"' in r.text and 'data-draft="no"' in r.text
    assert 'data-rule="u.dialysis" data-demoted="no"' in r.text and "透析" in text_of(r.text)
    assert 'data-group="patient"' in r.text
    r = web.form("adm", "/admin/triage-rules/try", {"text": "万一要透析，小区封了出不去", "rules": ""})
    assert 'data-rule="u.dialysis" data-demoted="yes"' in r.text and 'data-urgency="urgent"' in r.text
    # a draft without the dialysis rule, not saved
    doc = box.triage.shipped_rules()
    doc["rules"] = [x for x in doc["rules"] if x["id"] != "u.dialysis"]
    draft = json.dumps(doc, ensure_ascii=False)
    r = web.form("adm", "/admin/triage-rules/try", {"text": DIALYSIS, "rules": draft, "use_draft": "1"})
    assert r.status_code == 200 and 'data-draft="yes"' in r.text
    assert 'data-urgency="critical"' not in r.text and 'data-rule="u.dialysis"' not in r.text
    assert "u.dialysis" in [x["id"] for x in triage_rules(api)["rules"]]  # nothing saved
    # without JavaScript: the whole page, the draft and the text kept
    r = web.form("adm", "/admin/triage-rules/try", {"text": DIALYSIS, "rules": draft, "use_draft": "1"}, htmx=False)
    assert r.status_code == 200 and 'id="try-outcome" data-urgency="normal"' in r.text
    assert DIALYSIS in r.text and 'name="use_draft" value="1" checked' in r.text
    # a bad draft: the same readable error, never a 500
    bad = json.dumps({"rules": [{"id": "g.x", "kind": "special_group", "target": "elderly", "patterns": ["("],
                                 "reason": "x"}]})
    for htmx in (True, False):
        r = web.form("adm", "/admin/triage-rules/try", {"text": DIALYSIS, "rules": bad, "use_draft": "1"}, htmx=htmx)
        assert r.status_code == 422 and 'data-rule="g.x"' in r.text
        r = web.form("adm", "/admin/triage-rules/try", {"text": DIALYSIS, "rules": "{", "use_draft": "1"}, htmx=htmx)
        assert r.status_code == 422 and "JSON" in r.text
    r = web.form("adm", "/admin/triage-rules/try", {"text": "  ", "rules": ""})
    assert r.status_code == 422 and 'data-field="text"' in r.text


def test_back_to_the_shipped_triage_rules(web, api, box):
    shipped = box.triage.shipped_rules()
    doc = dict(shipped, version="local-1", rules=shipped["rules"][:3])
    assert web.form("adm", "/admin/triage-rules", {"rules": json.dumps(doc, ensure_ascii=False)}).status_code == 204
    assert triage_rules(api)["version"] == "local-1"
    page = web.get("adm", "/admin/triage-rules").text
    assert 'data-version="local-1" data-source="saved" data-same-as-shipped="no"' in page
    assert f'替换为出厂规则（版本 {shipped["version"]}）' in page and 'action="/admin/triage-rules/reset"' in page
    assert web.form("adm", "/admin/triage-rules/reset").status_code == 204
    assert triage_rules(api) == shipped
    page = web.get("adm", "/admin/triage-rules").text
    assert f'data-version="{shipped["version"]}" data-source="saved" data-same-as-shipped="yes"' in page
    assert web.form("adm", "/admin/triage-rules/reset", htmx=False).status_code == 303


def test_categories_add_rename_and_deactivate(web, box):
    r = web.form("adm", "/admin/categories", {"parent": "epi", "code": "masks", "name": "口罩发放", "en": "Masks"})
    assert r.status_code == 204
    assert 'data-category="epi.masks"' in web.get("adm", "/admin/categories").text
    assert web.form("adm", "/admin/categories/epi.masks", {"name": "口罩与防护用品", "en": "Masks"}).status_code == 204
    assert web.form("adm", "/admin/categories/epi.masks", {"active": "0"}).status_code == 204
    page = web.get("adm", "/admin/categories").text
    assert "口罩与防护用品" in page and 'data-toggle="epi.masks">启用' in page.replace("\n", "")
    r = web.form("adm", "/admin/categories", {"parent": "epi", "code": "Bad Code", "name": "x"})
    assert r.status_code == 422 and 'data-field="code"' in r.text


def test_kb_import_reports_bad_rows_and_search_finds_the_good_ones(web):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "问题", "答复口径", "类别", "生效日期", "失效日期"])
    ws.append(["A1", "误工证明怎么开？", "向居委申请，街道盖章。", "epi.certificate", "2022-03-01", None])
    ws.append(["A2", None, "没有问题的行", "epi.certificate", "2022-03-01", None])
    buf = BytesIO()
    wb.save(buf)
    r = web.client("adm").post("/admin/kb/import", headers={"HX-Request": "true"},
                               files={"file": ("kb.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and 'data-added="1"' in r.text and 'data-line="3"' in r.text
    page = web.get("adm", "/admin/kb?q=怎么开误工证明").text
    assert 'data-kb="A1"' in page
    assert 'data-kb="A1"' in web.get("adm", "/admin/kb").text
    r = web.client("adm").post("/admin/kb/import", headers={"HX-Request": "true"},
                               files={"file": ("kb.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "x")})
    assert r.status_code == 422 and 'data-field="file"' in r.text


def test_open311_keys_are_listed_without_the_key(web, box):
    from cityops.app.open311 import services
    with box.uow() as uow:
        from cityops.app import identity
        admin = identity.actor_of(uow.users.by_username("adm"))
    key = services.create_key(box.uow(), admin, "12345 小程序", "web", box.now())
    page = web.get("adm", "/admin/keys").text
    assert "12345 小程序" in page and key["prefix"] in page and key["key"] not in page


def test_orders_are_unaffected_by_an_admin_page_error(web, box, district, clock):
    """A refused policy edit leaves running and new orders on the old policy."""
    pid = urgent_policy_id(web)
    web.form("adm", "/admin/policies", POLICY_FORM | {"id": pid, "resolve_minutes": "5"})
    o = uc.create_order(box.uow(), district.actors["op"], uc.NewOrder(text="x", urgency="urgent"), clock())
    with box.engine.connect() as conn:
        due = conn.execute(sa.select(orders.c.resolve_due_at).where(orders.c.number == o.number)).scalar_one()
    assert due == clock() + timedelta(hours=24)


def test_the_admin_pages_speak_english_when_asked(web):
    web.get("adm", "/lang/en?next=/admin")
    for path in ("/admin", "/admin/users", "/admin/policies?new=1", "/admin/mode", "/admin/categories", "/admin/routing",
                 "/admin/triage-rules", "/admin/gazetteer", "/admin/kb", "/admin/keys"):
        r = web.get("adm", path)
        assert r.status_code == 200 and "Deadline policies" in r.text and "时限规则" not in r.text, path


def test_every_unit_kind_mode_and_clock_has_a_chinese_name():
    from cityops.domain.org import UnitKind
    from cityops.domain.orders.policy import Mode
    from cityops.entrypoints.web import i18n
    zh = i18n.read_catalogue("zh_CN")
    codes = [f"unit_kind:{k.value}" for k in UnitKind] + [f"mode:{m.value}" for m in Mode] + ["clock:24x7", "clock:business"]
    assert [c for c in codes if zh.get(c) is None] == []
