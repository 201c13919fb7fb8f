"""Open311 GeoReport v2 (+ FixMyStreet updates) over HTTP, on SQLite and PostgreSQL.

XML is parsed the way strict consumers do: xmltodict with repeated elements forced to lists,
the root's name ignored (only its children are read)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import xmltodict
from typer.testing import CliRunner

from cityops.app.orders import usecases as orders_uc
from cityops.entrypoints.cli import app as cli_app

from .api_helpers import Api

BASE = "/open311/v2"
LISTS = ("service", "request", "request_update", "error", "attribute", "value", "endpoint", "format", "group")


def parse_xml(r) -> dict:
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    doc = xmltodict.parse(r.content, force_list=LISTS)
    (root,) = doc.values()  # the root's name is not relied on
    return root or {}


@pytest.fixture
def api(box, district) -> Api:
    return Api(box)


@pytest.fixture
def key(api) -> str:
    r = api.post("adm", "/api/v1/open311/keys", json={"name": "fixmystreet", "channel": "open311"})
    assert r.status_code == 201, r.text
    return r.json()["key"]


def file(api, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "city.traffic", "lat": "31.17", "long": "121.44",
            "description": "望潮路88弄门口路面塌陷一个大坑，晚上很危险", "email": "zhang@example.org",
            "first_name": "三丰", "last_name": "张", "phone": "13912345678"} | fields
    return api.client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def error_descriptions(r) -> list[str]:
    if r.headers["content-type"].startswith("application/json"):
        return [e["description"] for e in r.json()]
    return [e["description"] for e in parse_xml(r)["error"]]


# ------------------------------------------------------------------ discovery and services


def test_discovery_names_the_georeport_endpoint_in_both_formats(api):
    x = parse_xml(api.client.get(f"{BASE}/discovery.xml"))
    ep = x["endpoints"]["endpoint"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2" and ep["url"].endswith("/open311/v2/")
    assert ep["formats"]["format"] == ["text/xml", "application/json"]
    assert api.client.get(f"{BASE}/discovery.json").json()["endpoints"][0]["type"] == "production"


def test_services_list_categories_with_group_and_keywords(api):
    services = parse_xml(api.client.get(f"{BASE}/services.xml"))["service"]
    codes = {s["service_code"]: s for s in services}
    assert "city.traffic" in codes and "city" not in codes  # groups are not services
    road = codes["city.traffic"]
    assert road["type"] == "realtime" and road["metadata"] == "false" and road["group"] and road["keywords"]
    js = api.client.get(f"{BASE}/services.json").json()
    assert [s["service_code"] for s in js] == [s["service_code"] for s in services]


def test_service_definition_lists_attributes_in_order_with_ordered_values(api):
    attrs = [
        {"code": "depth", "datatype": "number", "required": True, "description": "How deep (cm)?"},
        {"code": "surface", "datatype": "singlevaluelist", "values": [{"key": "asph", "name": "Asphalt"},
                                                                     {"key": "brick", "name": "Brick"}]},
        {"code": "hazards", "datatype": "multivaluelist", "values": [{"key": "water", "name": "Water"},
                                                                    {"key": "gas", "name": "Gas smell"}]},
        {"code": "seen_at", "datatype": "datetime"},
    ]
    r = api.put("adm", "/api/v1/categories/city.traffic/attributes", json=attrs)
    assert r.status_code == 200, r.text
    d = parse_xml(api.client.get(f"{BASE}/services/city.traffic.xml"))
    assert d["service_code"] == "city.traffic"
    got = d["attributes"]["attribute"]
    assert [a["code"] for a in got] == ["depth", "surface", "hazards", "seen_at"]
    assert [a["order"] for a in got] == ["1", "2", "3", "4"]
    assert got[0]["required"] == "true" and got[0]["datatype"] == "number"
    assert [v["key"] for v in got[1]["values"]["value"]] == ["asph", "brick"]
    js = api.client.get(f"{BASE}/services/city.traffic.json").json()
    assert js["attributes"][2]["values"] == [{"key": "water", "name": "Water"}, {"key": "gas", "name": "Gas smell"}]
    services = api.client.get(f"{BASE}/services.json").json()
    assert next(s for s in services if s["service_code"] == "city.traffic")["metadata"] is True


def test_unknown_service_is_404_in_the_spec_error_shape(api):
    r = api.client.get(f"{BASE}/services/nope.xml")
    assert r.status_code == 404 and parse_xml(r)["error"][0]["code"] == "404"
    r = api.client.get(f"{BASE}/services/nope.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    assert api.client.get(f"{BASE}/no/such/thing.xml").status_code == 404


def test_attribute_definitions_are_validated_and_admin_only(api):
    url = "/api/v1/categories/city.traffic/attributes"
    assert api.put("adm", url, json=[{"code": "x", "datatype": "colour"}]).status_code == 422
    assert api.put("adm", url, json=[{"code": "x", "datatype": "singlevaluelist"}]).status_code == 422
    assert api.put("adm", url, json=[{"code": "x", "datatype": "string", "values": [{"key": "a", "name": "A"}]}]
                   ).status_code == 422
    assert api.put("adm", url, json=[{"code": "x", "datatype": "string"}, {"code": "x", "datatype": "text"}]
                   ).status_code == 422
    assert api.put("op", url, json=[]).status_code == 403
    assert api.put("adm", "/api/v1/categories/nope/attributes", json=[]).status_code == 404


# ------------------------------------------------------------------ keys


def test_keys_are_admin_only_shown_once_and_revocable(api, key):
    assert api.post("op", "/api/v1/open311/keys", json={"name": "x"}).status_code == 403
    assert api.post("adm", "/api/v1/open311/keys", json={"name": "x", "channel": "hotline_12345"}).status_code == 422
    listed = api.get("adm", "/api/v1/open311/keys").json()
    assert len(listed) == 1 and "key" not in listed[0] and "key_hash" not in listed[0]
    assert key.startswith(listed[0]["prefix"]) and listed[0]["last_used_at"] is None
    assert file(api, key).status_code == 200
    assert api.get("adm", "/api/v1/open311/keys").json()[0]["last_used_at"] is not None
    assert api.client.delete(f"/api/v1/open311/keys/{listed[0]['id']}", headers=api.as_("adm")).status_code == 200
    r = file(api, key, fmt="xml")
    assert r.status_code == 403 and parse_xml(r)["error"][0]["code"] == "403"


def test_missing_or_bad_api_key_is_403(api, key):
    assert file(api, None).status_code == 403
    assert file(api, "").status_code == 403  # empty is missing
    assert file(api, "o311_wrong").status_code == 403


def test_cli_creates_lists_and_revokes_keys(tmp_path, monkeypatch, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the CLI test runs on its own SQLite file")
    monkeypatch.setenv("CITYOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CITYOPS_ENV", "test")
    run = CliRunner().invoke
    assert run(cli_app, ["migrate"]).exit_code == 0
    r = run(cli_app, ["open311", "keys", "create", "portal", "--channel", "web"])
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("o311_")
    r = run(cli_app, ["open311", "keys", "list"])
    assert "portal" in r.output and "web" in r.output and "active" in r.output and secret not in r.output
    assert run(cli_app, ["open311", "keys", "revoke", "1"]).exit_code == 0
    assert "revoked" in run(cli_app, ["open311", "keys", "list"]).output
    assert run(cli_app, ["open311", "keys", "revoke", "99"]).exit_code == 1
    assert run(cli_app, ["open311", "keys", "create", "x", "--channel", "sensor"]).exit_code == 1


# ------------------------------------------------------------------ POST requests


def test_a_request_becomes_an_ordinary_order_on_the_keys_channel(api, key, box, clock):
    r = file(api, key, fmt="xml", **{"media_url": "https://img.example.org/1.jpg", "device_id": "dev-1"})
    assert r.status_code == 200, r.text
    (req,) = parse_xml(r)["request"]
    number = req["service_request_id"]
    assert "Expected to be resolved by" in req["service_notice"]
    with box.uow() as uow:
        order = uow.orders.get(number, lock=False)
    assert order.channel == "open311" and order.category == "city.traffic" and order.state == "received"
    assert order.caller_name == "三丰 张" and order.caller_phone == "13912345678"
    assert order.lat == 31.17 and order.lng == 121.44 and order.resolve_due_at is not None
    assert order.details["email"] == "zhang@example.org" and order.details["media_url"].endswith("1.jpg")
    assert order.details["device_id"] == "dev-1"
    assert str(order.urgency) in ("critical", "urgent", "normal")
    # read back: no contact data ever
    (got,) = api.client.get(f"{BASE}/requests/{number}.json").json()
    assert got["status"] == "open" and got["service_code"] == "city.traffic" and got["lat"] == 31.17
    assert got["media_url"].endswith("1.jpg")
    assert datetime.fromisoformat(got["expected_datetime"]) == order.resolve_due_at
    assert datetime.fromisoformat(got["requested_datetime"]).utcoffset() is not None
    body = api.client.get(f"{BASE}/requests/{number}.xml").text
    for secret in ("13912345678", "zhang@example.org", "三丰"):
        assert secret not in body


def test_triage_sets_urgency_and_special_groups_for_open311_requests(api, key, box):
    r = file(api, key, service_code="epi.supplies",
             description="家里独居老人心脏病发作，胸口疼得厉害，喘不上气，需要马上送医")
    assert r.status_code == 200, r.text
    with box.uow() as uow:
        order = uow.orders.get(r.json()[0]["service_request_id"], lock=False)
    assert order.category == "epi.supplies"  # the service_code, not triage's guess
    assert str(order.urgency) == "critical" and "elderly" in order.special_groups


def test_web_channel_keys_file_on_the_web_channel(api, box):
    k = api.post("adm", "/api/v1/open311/keys", json={"name": "portal", "channel": "web"}).json()["key"]
    r = file(api, k, lat=None, long=None, address_string="望潮路88弄")
    assert r.status_code == 200, r.text
    with box.uow() as uow:
        assert uow.orders.get(r.json()[0]["service_request_id"], lock=False).channel == "web"


def test_attributes_are_validated_and_stored(api, key, box):
    api.put("adm", "/api/v1/categories/city.traffic/attributes", json=[
        {"code": "depth", "datatype": "number", "required": True},
        {"code": "hazards", "datatype": "multivaluelist", "values": [{"key": "water", "name": "Water"},
                                                                    {"key": "gas", "name": "Gas"}]},
    ])
    r = file(api, key, fmt="xml")
    assert r.status_code == 400 and "attribute[depth] is required" in error_descriptions(r)
    r = file(api, key, **{"attribute[depth]": "deep", "attribute[hazards][]": "fire"})
    assert r.status_code == 400 and len(r.json()) == 2
    r = api.client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "city.traffic", "address_string": "望潮路88弄",
        "attribute[depth]": "30", "attribute[hazards][]": ["water", "gas"],
        "attribute[fixmystreet_id]": "4711", "attribute[title]": "Pothole", "description": "大坑"})
    assert r.status_code == 200, r.text
    with box.uow() as uow:
        order = uow.orders.get(r.json()[0]["service_request_id"], lock=False)
    assert order.details["attributes"] == {"depth": "30", "hazards": ["water", "gas"], "fixmystreet_id": "4711",
                                           "title": "Pothole"}
    assert order.external_ref == "4711"


def test_several_bad_fields_give_several_errors(api, key):
    r = file(api, key, fmt="xml", service_code="nope", lat=None, long=None, email="not-an-email")
    assert r.status_code == 400
    errs = parse_xml(r)["error"]
    assert len(errs) == 3 and {e["code"] for e in errs} == {"400"}
    text = " ".join(e["description"] for e in errs)
    assert "service_code" in text and "location" in text and "email" in text


@pytest.mark.parametrize("fields, needle", [
    ({"service_code": ""}, "service_code is required"),
    ({"lat": None, "long": None, "address_string": ""}, "location is required"),
    ({"lat": "abc"}, "lat must be a number"),
    ({"lat": "91"}, "lat must be between"),
    ({"long": "nan"}, "long must be between"),
    ({"long": None}, "together"),
    ({"description": "坑" * 4001}, "longer than 4000"),
    ({"media_url": "javascript:alert(1)"}, "media_url"),
])
def test_bad_input_is_the_specs_400_never_500(api, key, fields, needle):
    r = file(api, key, **fields)
    assert r.status_code == 400, r.text
    assert any(needle in d for d in error_descriptions(r)), r.text


def test_html_in_the_description_is_stored_as_plain_text(api, key, box):
    r = file(api, key, description='<p>路面<b>塌陷</b></p><script>alert("x")</script><img src=x onerror=alert(1)>&amp; 积水')
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    with box.uow() as uow:
        text = uow.orders.get(number, lock=False).text
    assert "<" not in text and "alert" not in text and "塌陷" in text and "& 积水" in text
    xml = api.client.get(f"{BASE}/requests/{number}.xml").text
    assert "<script" not in xml and "<b>" not in xml


def test_jurisdiction_id_is_accepted(api, key):
    assert file(api, key, jurisdiction_id="cityops").status_code == 200
    assert api.client.get(f"{BASE}/services.json?jurisdiction_id=cityops").status_code == 200


# ------------------------------------------------------------------ GET requests


def test_get_requests_filters_and_window(api, key, box, clock, district):
    a = file(api, key).json()[0]["service_request_id"]
    clock.advance(days=1)
    b = file(api, key, service_code="epi.supplies", description="小区三天没有物资了").json()[0]["service_request_id"]
    hotline = api.new_order()["number"]  # not an Open311 order: never shown
    got = [r["service_request_id"] for r in api.client.get(f"{BASE}/requests.json").json()]
    assert got == [b, a]
    assert api.client.get(f"{BASE}/requests/{hotline}.json").status_code == 404
    assert [r["service_request_id"] for r in
            parse_xml(api.client.get(f"{BASE}/requests.xml?service_code=epi.supplies"))["request"]] == [b]
    assert [r["service_request_id"] for r in
            api.client.get(f"{BASE}/requests.json?service_request_id={a},{hotline},{b}").json()] == [a, b]
    start = (clock.now - timedelta(hours=1)).isoformat()
    assert [r["service_request_id"] for r in
            api.client.get(f"{BASE}/requests.json", params={"start_date": start}).json()] == [b]
    assert api.client.get(f"{BASE}/requests.json?status=closed").json() == []
    assert len(api.client.get(f"{BASE}/requests.json?status=open,closed").json()) == 2
    assert api.client.get(f"{BASE}/requests.json?start_date=&status=").status_code == 200  # empty = missing
    # an empty result in XML is still a well-formed wrapper
    assert parse_xml(api.client.get(f"{BASE}/requests.xml?status=closed")) == {}


def test_old_requests_fall_outside_the_default_90_day_window(api, key, clock):
    a = file(api, key).json()[0]["service_request_id"]
    clock.advance(days=91)
    assert api.client.get(f"{BASE}/requests.json").json() == []
    assert api.client.get(f"{BASE}/requests/{a}.json").status_code == 200


@pytest.mark.parametrize("query, needle", [
    ("start_date=yesterday", "start_date must be a W3C"),
    ("end_date=2022-13-45T00:00:00Z", "end_date must be a W3C"),
    ("start_date=2022-01-01T00:00:00Z&end_date=2022-04-02T00:00:00Z", "90 days"),
    ("start_date=2022-03-01T00:00:00Z&end_date=2022-02-01T00:00:00Z", "before"),
    ("status=lost", "status"),
])
def test_bad_windows_and_statuses_are_400(api, query, needle):
    for fmt in ("json", "xml"):
        r = api.client.get(f"{BASE}/requests.{fmt}?{query}")
        assert r.status_code == 400 and any(needle in d for d in error_descriptions(r)), r.text
    if "status" not in query:
        assert api.client.get(f"{BASE}/servicerequestupdates.json?{query}").status_code == 400


def test_unknown_format_is_400(api):
    assert api.client.get(f"{BASE}/services.html").status_code == 400


# ------------------------------------------------------------------ following an order through its life


def test_status_notes_agency_and_updates_follow_the_order(api, key, box, clock, district):
    number = file(api, key).json()[0]["service_request_id"]
    a = district.actors
    t0 = clock.now
    clock.advance(minutes=5)
    orders_uc.dispatch_order(box.uow(), a["op"], number, "S2", [], clock.now)
    clock.advance(minutes=5)
    orders_uc.return_order(box.uow(), a["s2"], number, "不属于本街道", clock.now)
    (r,) = api.client.get(f"{BASE}/requests/{number}.json").json()
    assert r["status"] == "open" and r["extended_status"] == "investigating" and r["status_notes"] == "不属于本街道"
    clock.advance(minutes=5)
    orders_uc.dispatch_order(box.uow(), a["op"], number, "S1", [], clock.now)
    clock.advance(minutes=5)
    orders_uc.accept_order(box.uow(), a["s1"], number, clock.now)
    clock.advance(minutes=5)
    orders_uc.add_progress(box.uow(), a["s1"], number, "施工队已到场围挡", clock.now)
    (r,) = parse_xml(api.client.get(f"{BASE}/requests/{number}.xml"))["request"]
    assert r["status"] == "open" and r["extended_status"] == "in_progress"
    assert r["agency_responsible"] == "龙华街道" and r["status_notes"] == "施工队已到场围挡"
    clock.advance(minutes=5)
    orders_uc.submit_feedback(box.uow(), a["s1"], number, "坑已填平", True, clock.now)
    clock.advance(minutes=5)
    orders_uc.close_order(box.uow(), a["op"], number, clock.now, note="市民未接电话，按反馈结案")
    (r,) = api.client.get(f"{BASE}/requests/{number}.json").json()
    assert r["status"] == "closed" and r["status_notes"] == "市民未接电话，按反馈结案" and "expected_datetime" not in r
    assert api.client.get(f"{BASE}/requests.json?status=closed").json()[0]["service_request_id"] == number

    ups = parse_xml(api.client.get(f"{BASE}/servicerequestupdates.xml",
                                   params={"start_date": t0.isoformat()}))["request_update"]
    assert [u["status"] for u in ups] == ["INVESTIGATING", "INVESTIGATING", "INVESTIGATING", "IN_PROGRESS",
                                          "IN_PROGRESS", "FIXED", "CLOSED"]
    assert all(u["service_request_id"] == number and u["update_id"] for u in ups)
    assert ups[1]["description"] == "不属于本街道" and ups[-1]["description"] == "市民未接电话，按反馈结案"
    assert len({u["update_id"] for u in ups}) == len(ups)
    js = api.client.get(f"{BASE}/servicerequestupdates.json", params={"start_date": t0.isoformat()}).json()
    assert [u["update_id"] for u in js] == [u["update_id"] for u in ups]
    assert datetime.fromisoformat(js[0]["updated_datetime"]).utcoffset() is not None
    # a later window excludes them
    later = (clock.now + timedelta(minutes=1)).isoformat()
    assert api.client.get(f"{BASE}/servicerequestupdates.json", params={"start_date": later}).json() == []


def test_merged_and_transferred_orders_read_as_duplicate_and_referral(api, key, box, district):
    op = district.actors["op"]
    a = file(api, key).json()[0]["service_request_id"]
    b = file(api, key).json()[0]["service_request_id"]
    c = file(api, key).json()[0]["service_request_id"]
    orders_uc.merge_orders(box.uow(), op, b, a, box.now(), "同一个坑")
    orders_uc.transfer_to_city(box.uow(), op, c, "属市管道路", box.now())
    got = {r["service_request_id"]: r for r in api.client.get(f"{BASE}/requests.json").json()}
    assert got[b]["status"] == "closed" and got[b]["extended_status"] == "duplicate" and a in got[b]["status_notes"]
    assert got[c]["status"] == "closed" and got[c]["extended_status"] == "internal_referral"
    assert got[a]["status"] == "open"
    assert [r["service_request_id"] for r in api.client.get(f"{BASE}/requests.json?status=duplicate").json()] == [b]


def test_citizen_updates_are_timeline_events_with_an_update_id(api, key, box, clock):
    number = file(api, key).json()[0]["service_request_id"]
    clock.advance(minutes=10)
    form = {"api_key": key, "update_id": "fms-77", "service_request_id": number, "status": "OPEN",
            "updated_datetime": clock.now.isoformat(), "description": "<b>坑</b>越来越大了", "email": "z@example.org",
            "first_name": "三丰", "last_name": "张", "media_url": "https://img.example.org/2.jpg"}
    r = api.client.post(f"{BASE}/servicerequestupdates.xml", data=form)
    assert r.status_code == 200, r.text
    (u,) = parse_xml(r)["request_update"]
    uid = u["update_id"]
    with box.engine.connect() as conn:
        row = conn.exec_driver_sql(f"SELECT kind, reason FROM order_events WHERE id = {int(uid)}").one()
    assert row.kind == "citizen_update" and row.reason == "坑越来越大了"
    ups = api.client.get(f"{BASE}/servicerequestupdates.json").json()
    mine = next(x for x in ups if x["update_id"] == uid)
    assert mine["status"] == "OPEN" and mine["description"] == "坑越来越大了" and mine["media_url"].endswith("2.jpg")
    assert api.client.get(f"{BASE}/update_tokens/{uid}.json").json() == [{"update_id": uid, "token": uid}]
    assert api.client.get(f"{BASE}/update_tokens/999999.json").status_code == 404
    (req,) = api.client.get(f"{BASE}/requests/{number}.json").json()
    assert req["updated_datetime"] == datetime.fromisoformat(mine["updated_datetime"]).isoformat()
    # errors: bad key, unknown request, missing fields
    assert api.client.post(f"{BASE}/servicerequestupdates.json", data=form | {"api_key": "x"}).status_code == 403
    assert api.client.post(f"{BASE}/servicerequestupdates.json",
                           data=form | {"service_request_id": "nope"}).status_code == 404
    r = api.client.post(f"{BASE}/servicerequestupdates.json",
                        data=form | {"status": "", "updated_datetime": "soon", "update_id": ""})
    assert r.status_code == 400 and len(r.json()) == 3


def test_tokens_resolve_to_the_request_id(api, key):
    number = file(api, key).json()[0]["service_request_id"]
    (t,) = parse_xml(api.client.get(f"{BASE}/tokens/{number}.xml"))["request"]
    assert t["service_request_id"] == number
    assert api.client.get(f"{BASE}/tokens/nope.json").status_code == 404
