"""The operator's intake page over HTTP: suggestions while typing, create / dispatch / reply in one
step, one order per intake key (also through the JSON API's Idempotency-Key), readable errors."""
from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from cityops.adapters.db.orders_repo import SqlOrderRepository
from cityops.adapters.db.tables import intake_keys, orders, orders_triage
from cityops.app.orders import usecases as uc

from .api_helpers import Api
from .web_helpers import Web, text_of

DIALYSIS = "我父亲尿毒症每周三次透析，小区封控出不去，今天必须去医院"
GAZ = """类型,名称,别名,道路,起号,止号,单双,居委编码,经纬度边界
小区,幸福小区,幸福花苑,龙华路,20,20,全,S1C1,
"""
RULES = [
    {"id": "default", "name": "默认：属地街镇", "target": {"kind": "area_street"}, "priority": 0},
    {"id": "health", "name": "就医：卫健委", "category": "epi.medical", "target": {"kind": "unit", "unit": "HEALTH"},
     "priority": 20},
]


@pytest.fixture
def web(box, district, tmp_path_factory):
    from cityops.adapters.triage.provider import TriageProvider

    box._triage = TriageProvider(tmp_path_factory.getbasetemp() / "models-web-intake")  # trained once per session
    w = Web(box)
    w.api = Api(box)
    r = w.api.post("adm", "/api/v1/gazetteer/import", files={"file": ("g.csv", GAZ.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    assert w.api.put("adm", "/api/v1/routing-rules", json=RULES).status_code == 200
    return w


def key_of(html: str) -> str:
    m = re.search(r'id="intake-key" name="intake_key" value="([^"]+)"', html)
    assert m, "the form carries an intake key"
    return m.group(1)


def fresh_key(web, user="op") -> str:
    r = web.get(user, "/intake")
    assert r.status_code == 200, r.text
    return key_of(r.text)


def call(key: str, **fields) -> dict:
    return {"intake_key": key, "text": "龙华路路灯不亮好几天了，晚上很黑", "caller_name": "张三丰",
            "caller_phone": "13912345678", "address": "龙华路20号", "channel": "hotline_12345",
            "urgency": "normal", "do": "create"} | fields


def count_orders(box) -> int:
    with box.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()


def test_the_intake_page_renders_a_keyboard_form_with_a_fresh_key_each_time(web):
    r = web.get("op", "/intake")
    assert r.status_code == 200
    for needle in ('name="caller_phone"', 'pattern=', 'name="text" required', 'value="hotline_12345" selected',
                   'id="btn-dispatch"', 'id="btn-reply"', 'id="btn-create"', "/static/intake.js"):
        assert needle in r.text, needle
    assert "受理并派单" in r.text and "直接答复" in r.text and "仅受理" in r.text
    assert key_of(r.text) != fresh_key(web)


def test_suggestions_show_category_urgency_with_its_reason_and_special_groups_for_the_typed_text(web):
    r = web.form("op", "/intake/suggest", {"text": DIALYSIS, "address": "幸福小区"})
    assert r.status_code == 200, r.text
    html, text = r.text, text_of(r.text)
    assert 'data-pick="category" data-value="epi.medical"' in html and "就医配药" in text
    assert re.search(r'<mark>[^<]*透析[^<]*</mark>', html), "the urgency reason words are shown"
    assert 'data-pick="group" data-value="patient"' in html
    # critical: the red banner, swapped out of band to the top of the page
    assert 'id="critical-banner" class="critical-banner on" hx-swap-oob="true"' in html
    assert 'data-urgency="critical"' in html
    # the responsible unit from the routing rules, with the rule's name
    assert 'data-pick="unit" data-value="HEALTH"' in html and "就医：卫健委" in text
    assert "龙华街道" in text and "龙漕居委" in text  # the place the address resolves to
    stored = re.search(r'name="suggestion" value="([^"]+)"', html).group(1)
    assert "epi.medical" in stored and "critical" in stored


def test_a_plain_request_gets_no_critical_banner_and_an_empty_form_gets_no_panel(web):
    r = web.form("op", "/intake/suggest", {"text": "楼下广场舞音响太响了每天晚上十点还不停", "address": ""})
    assert 'class="critical-banner" hx-swap-oob="true"' in r.text and 'data-urgency="critical"' not in r.text
    empty = web.form("op", "/intake/suggest", {"text": " ", "address": ""}).text
    assert 'name="suggestion"' not in empty and 'class="critical-banner" hx-swap-oob="true"' in empty


def test_possible_duplicates_link_to_the_open_order_and_can_be_merged_into_after_intake(web, box):
    first = web.api.new_order(text="幸福小区封控三天了，快递进不来，家里没菜了", address="幸福小区")["number"]
    r = web.form("op", "/intake/suggest", {"text": "幸福小区封控了三天家里没有菜了，快递也进不来", "address": "幸福小区"})
    assert f'href="/orders/{first}" target="_blank"' in r.text and f'name="dup" value="{first}"' in r.text
    r = web.form("op", "/intake", call(fresh_key(web), text="幸福小区封控了三天家里没有菜了", address="幸福小区",
                                       dup=first))
    assert r.status_code == 200, r.text
    number = re.search(r'data-created="(\d+)"', r.text).group(1)
    assert f'data-merge-into="{first}"' in r.text
    m = web.form("op", "/intake/merge", {"child": number, "parent": first})
    assert m.status_code == 200 and f'data-merged="{number}"' in m.text
    with box.uow() as uow:
        assert uow.orders.get(number).state == "merged"


def test_take_in_and_dispatch_in_one_step_shows_the_number_and_records_the_suggestion(web, box):
    key = fresh_key(web)
    suggestion = '{"category": "epi.medical", "urgency": "critical", "special_groups": ["patient"], "model_version": "m1"}'
    r = web.form("op", "/intake", call(key, text=DIALYSIS, urgency="critical", category="epi.medical",
                                       special_groups=["patient"], lead_unit="HEALTH", co_units=["S1C1"],
                                       do="dispatch", suggestion=suggestion))
    assert r.status_code == 200, r.text
    number = re.search(r'data-created="(\d+)"', r.text).group(1)
    assert f'id="created-link" class="created-number" href="/orders/{number}"' in r.text
    assert 'data-state="dispatched"' in r.text and "区卫健委" in text_of(r.text)
    assert r.headers["HX-Trigger-After-Settle"] == "intake-created"
    new_key = re.search(r'id="intake-key" name="intake_key" value="([^"]+)" hx-swap-oob="true"', r.text).group(1)
    assert new_key != key  # the next call gets its own key
    with box.uow() as uow:
        o = uow.orders.get(number)
        health = uow.units.by_code("HEALTH")
    assert o.state == "dispatched" and o.lead_unit_id == health.id and o.urgency == "critical"
    assert o.special_groups == ("patient",) and o.category == "epi.medical" and len(o.co_unit_ids) == 1
    with box.engine.connect() as conn:
        row = conn.execute(sa.select(orders_triage).where(orders_triage.c.order_id == o.id)).first()
    assert row is not None  # what triage suggested is stored beside the operator's choice


def test_the_same_intake_key_twice_creates_one_order(web, box):
    key = fresh_key(web)
    first = web.form("op", "/intake", call(key, do="dispatch", lead_unit="S1"))
    again = web.form("op", "/intake", call(key, do="dispatch", lead_unit="S1"))
    n1 = re.search(r'data-created="(\d+)"', first.text).group(1)
    n2 = re.search(r'data-created="(\d+)"', again.text).group(1)
    assert n1 == n2 and count_orders(box) == 1
    # another user's form with the same key is another call
    other = web.form("sup", "/intake", call(key))
    assert re.search(r'data-created="(\d+)"', other.text).group(1) != n1 and count_orders(box) == 2


def test_a_resent_plain_form_without_javascript_also_gives_one_order(web, box):
    key = fresh_key(web)
    r1 = web.form("op", "/intake", call(key), htmx=False)
    r2 = web.form("op", "/intake", call(key), htmx=False)
    assert r1.status_code == r2.status_code == 201
    assert count_orders(box) == 1
    number = re.search(r'id="created-link"[^>]*>(\d+)<', r1.text).group(1)
    assert number in r2.text and key_of(r1.text) != key  # a fresh form for the next call


@pytest.mark.parametrize("field,value,name", [("caller_phone", "12ab34", "caller_phone"), ("text", "   ", "text"),
                                              ("caller_phone", "1" * 30, "caller_phone")])
def test_a_bad_phone_or_an_empty_text_returns_a_readable_422_fragment(web, box, field, value, name):
    r = web.form("op", "/intake", call(fresh_key(web), **{field: value}))
    assert r.status_code == 422
    assert f'class="flash error" role="alert" data-field="{name}"' in r.text and "<html" not in r.text
    assert len(text_of(r.text)) > 5 and count_orders(box) == 0


def test_without_javascript_an_error_page_keeps_what_was_typed(web, box):
    key = fresh_key(web)
    r = web.form("op", "/intake", call(key, caller_phone="not a phone", text="井盖丢了很危险"), htmx=False)
    assert r.status_code == 422 and "井盖丢了很危险" in r.text and 'value="not a phone"' in r.text
    assert key_of(r.text) == key and count_orders(box) == 0


def test_dispatch_without_a_unit_and_reply_without_an_answer_are_refused_by_field(web, box):
    r = web.form("op", "/intake", call(fresh_key(web), do="dispatch"))
    assert r.status_code == 422 and 'data-field="lead_unit"' in r.text
    r = web.form("op", "/intake", call(fresh_key(web), do="reply"))
    assert r.status_code == 422 and 'data-field="answer"' in r.text
    r = web.form("op", "/intake", call(fresh_key(web), do="dispatch", lead_unit="NOPE"))
    assert r.status_code == 404 and 'data-field="dispatch_to"' in r.text
    assert count_orders(box) == 0


def test_reply_directly_closes_a_consultation_with_the_knowledge_base_answer(web, box, clock):
    entry = {"id": "KB-W1", "question": "老人行动不便怎么做核酸？", "answer": "请联系居委会登记上门采样。",
             "category": "epi.testing", "keywords": "上门采样,卧床,行动不便", "source": "区卫健委"}
    assert web.api.post("adm", "/api/v1/kb", json=entry).status_code == 201
    s = web.form("op", "/intake/suggest", {"text": "我家老人卧床下不了楼，核酸怎么办", "address": ""})
    assert 'data-pick="answer" data-kb="KB-W1"' in s.text
    r = web.form("op", "/intake", call(fresh_key(web), text="我家老人卧床下不了楼，核酸怎么办", do="reply",
                                       answer=entry["answer"], kb_entry="KB-W1"))
    assert r.status_code == 200, r.text
    number = re.search(r'data-created="(\d+)"', r.text).group(1)
    assert 'data-state="closed"' in r.text
    detail = web.api.get("op", f"/api/v1/orders/{number}").json()
    replied = [e for e in detail["timeline"] if e["kind"] == "direct_replied"]
    assert detail["state"] == "closed" and replied[0]["data"]["kb_entry"] == "KB-W1"


def test_a_failed_direct_reply_keeps_the_order_and_the_same_form_retries_it(web, box):
    key = fresh_key(web)
    r = web.form("op", "/intake", call(key, do="reply", answer="请联系居委", kb_entry="NO-SUCH-ENTRY"))
    assert r.status_code == 409 and 'data-field="answer"' in r.text and "HX-Trigger-After-Settle" not in r.headers
    number = re.search(r'id="created-link"[^>]*>(\d+)<', r.text).group(1)
    r = web.form("op", "/intake", call(key, do="reply", answer="请联系居委"))
    assert r.status_code == 200 and f'data-created="{number}"' in r.text and 'data-state="closed"' in r.text
    assert count_orders(box) == 1


def test_a_street_user_cannot_use_intake(web):
    r = web.get("s1", "/intake")
    assert r.status_code == 403 and "<html" in r.text and "flash error" in r.text
    assert web.form("s1", "/intake/suggest", {"text": DIALYSIS}).status_code == 403
    assert web.form("fm", "/intake", call("k-1")).status_code == 403


def test_the_english_page_is_translated_and_the_chinese_one_has_no_english_labels(web):
    zh = text_of(web.get("op", "/intake").text)
    assert "Take in and dispatch" not in zh and "受理并派单" in zh
    web.client("op").cookies.set("cityops_lang", "en")
    en = text_of(web.get("op", "/intake").text)
    assert "Take in and dispatch" in en and "Reply directly" in en


# ------------------------------------------------------------------ the JSON API's Idempotency-Key


def test_two_api_posts_with_the_same_idempotency_key_give_one_order(web, box):
    body = {"text": "小区门口堆满垃圾", "dispatch_to": "S1"}

    def post(user, key=None):
        headers = web.api.as_(user) | ({"Idempotency-Key": key} if key else {})
        return web.api.client.post("/api/v1/orders", json=body, headers=headers)

    r1, r2 = post("op", "req-42"), post("op", "req-42")
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["number"] == r2.json()["number"] and count_orders(box) == 1
    r3 = post("sup", "req-42")
    assert r3.status_code == 201 and r3.json()["number"] != r1.json()["number"] and count_orders(box) == 2
    r4 = post("op")  # no key: a new order each time
    assert r4.json()["number"] not in (r1.json()["number"], r3.json()["number"])
    bad = post("op", "x" * 65)
    assert bad.status_code == 422


def test_a_key_claimed_by_a_concurrent_submission_returns_that_order_and_leaves_no_second_row(box, district,
                                                                                             monkeypatch):
    op = district.actors["op"]
    first = uc.create_order(box.uow(), op, uc.NewOrder(text="井盖缺失", client_key="race"), box.now())
    real = SqlOrderRepository.intake_key_order
    seen = []

    def late(self, user_id, key):  # the other submission commits between our check and our insert
        seen.append(key)
        return None if len(seen) == 1 else real(self, user_id, key)

    monkeypatch.setattr(SqlOrderRepository, "intake_key_order", late)
    got = uc.create_order(box.uow(), op, uc.NewOrder(text="井盖缺失", client_key="race"), box.now())
    assert got.number == first.number and count_orders(box) == 1
    with box.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(intake_keys)).scalar_one() == 1


def test_concurrent_submissions_of_one_form_make_one_order(box, district):
    op = district.actors["op"]
    start = threading.Barrier(4)
    numbers, errors = [], []

    def submit():
        start.wait()
        try:
            numbers.append(uc.create_order(box.uow(), op, uc.NewOrder(text="路灯不亮", client_key="dbl"),
                                           box.now()).number)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(numbers)) == 1 and count_orders(box) == 1
