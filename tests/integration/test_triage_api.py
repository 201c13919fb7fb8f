"""Triage through HTTP: suggestions, recorded corrections, retraining, editable rules."""
import pytest

from .api_helpers import Api


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def api(box, district, models_dir):
    from cityops.adapters.triage.provider import TriageProvider

    box._triage = TriageProvider(models_dir)  # one trained model for the module
    return Api(box)


def test_a_dialysis_call_is_critical_with_the_reason_and_the_patient_flag(api):
    r = api.post("op", "/api/v1/triage", json={"text": "我父亲尿毒症每周三次透析，小区封控出不去，今天必须去医院"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["urgency"] == "critical" and any("透析" in x for x in s["urgency_reasons"])
    assert "patient" in [g["code"] for g in s["special_groups"]]
    assert s["category"][0]["code"] == "epi.medical" and s["category"][0]["name"] == "就医配药"
    assert len(s["category"]) == 3 and s["model_version"]


@pytest.mark.parametrize("text", ["", "😀😀😀", "hello world " * 50, "x" * 19000])
def test_odd_text_gets_a_low_confidence_answer_not_an_error(api, text):
    r = api.post("op", "/api/v1/triage", json={"text": text})
    assert r.status_code == 200 and r.json()["low_confidence"] is True


def test_possible_duplicates_are_offered(api):
    first = api.new_order(text="幸福小区封控三天了，快递进不来，家里没菜了", address="幸福小区")["number"]
    s = api.post("op", "/api/v1/triage", json={"text": "幸福小区封控了三天家里没有菜了，快递也进不来",
                                               "address": "幸福小区"}).json()
    assert s["duplicates"] and s["duplicates"][0]["number"] == first
    # a street's patrol report gets no duplicates: they are drawn from the whole district
    r = api.post("s2", "/api/v1/triage", json={"text": "幸福小区封控了三天家里没有菜了", "address": "幸福小区"})
    assert r.status_code == 200 and r.json()["duplicates"] == []


def test_a_correction_is_stored_and_feeds_the_next_model(api, box):
    s = api.post("op", "/api/v1/triage", json={"text": "楼下广场舞音响太响了每天晚上十点还不停"}).json()
    o = api.new_order(text="楼下广场舞音响太响了每天晚上十点还不停", category="city.noise", urgency="normal",
                      suggestion=s)
    with box.uow() as uow:
        ex = uow.triage.confirmed_examples()
    assert ex[0]["category"] == "city.noise"
    r = api.post("sup", "/api/v1/triage/retrain", json={})
    assert r.status_code == 200 and r.json()["confirmed"] == 1
    models = api.get("sup", "/api/v1/triage/models").json()
    assert models[0]["active"] and models[0]["version"] == r.json()["version"]
    s2 = api.post("op", "/api/v1/triage", json={"text": "广场舞太吵"}).json()
    assert s2["model_version"].startswith(r.json()["version"])
    assert o["number"]


def test_rules_are_editable_by_admin_and_bad_rules_are_named(api):
    rules = api.get("op", "/api/v1/triage/rules").json()
    assert rules["rules"]
    rules["rules"].append({"id": "gas-smell", "kind": "urgency", "target": "critical", "patterns": ["煤气味"],
                           "reason": "煤气泄漏"})
    assert api.put("op", "/api/v1/triage/rules", json=rules).status_code == 403
    r = api.put("adm", "/api/v1/triage/rules", json=rules)
    assert r.status_code == 200, r.text
    s = api.post("op", "/api/v1/triage", json={"text": "楼道里一股煤气味"}).json()
    assert s["urgency"] == "critical" and "煤气泄漏" in s["urgency_reasons"]
    rules["rules"].append({"id": "broken", "kind": "urgency", "target": "critical", "patterns": ["("], "reason": "x"})
    r = api.put("adm", "/api/v1/triage/rules", json=rules)
    assert r.status_code == 422 and "broken" in r.json()["message"]


def test_an_admin_copy_takes_new_shipped_rules_and_keeps_its_own_edits(api, box):
    shipped = box.triage.shipped_rules()
    assert api.get("adm", "/api/v1/triage/rules/shipped-changes").json()["source"] == "shipped"
    # an admin's copy from before u.fire_lane shipped, with one rule of their own
    old = dict(shipped, version="site-2026-04", rules=[r for r in shipped["rules"] if r["id"] != "u.fire_lane"])
    old["rules"].append({"id": "site.septic", "kind": "urgency", "target": "urgent", "patterns": ["化粪池冒"],
                         "reason": "化粪池外溢"})
    assert api.put("adm", "/api/v1/triage/rules", json=old).status_code == 200
    text = "北门拉的铁马把消防通道全堵死了"
    assert "消防通道堵死" not in api.post("op", "/api/v1/triage", json={"text": text}).json()["urgency_reasons"]
    ch = api.get("adm", "/api/v1/triage/rules/shipped-changes").json()
    assert ch["source"] == "saved" and ch["in_force_version"] == "site-2026-04" and ch["any"]
    assert ch["new"] == ["u.fire_lane"] and ch["own"] == ["site.septic"] and ch["changed"] == []
    assert api.get("op", "/api/v1/triage/rules/shipped-changes").status_code == 403
    assert api.post("op", "/api/v1/triage/rules/take-shipped", json={"ids": ["u.fire_lane"]}).status_code == 403
    r = api.post("adm", "/api/v1/triage/rules/take-shipped", json={"ids": ["u.fire_lane", "u.nonexistent"]})
    assert r.status_code == 422 and "u.nonexistent" in r.json()["message"]
    assert api.post("adm", "/api/v1/triage/rules/take-shipped", json={}).status_code == 422
    r = api.post("adm", "/api/v1/triage/rules/take-shipped", json={"ids": ["u.fire_lane"]})
    assert r.status_code == 200, r.text
    now = api.get("adm", "/api/v1/triage/rules").json()
    ids = [x["id"] for x in now["rules"]]
    assert "u.fire_lane" in ids and "site.septic" in ids and now["version"] == shipped["version"] + "+local"
    s = api.post("op", "/api/v1/triage", json={"text": text}).json()
    assert s["urgency"] == "critical" and "消防通道堵死" in s["urgency_reasons"]
    assert api.get("adm", "/api/v1/triage/rules/shipped-changes").json()["new"] == []
