"""Helpers for the alerts tests: a registered set of devices and rules in the test district."""
from __future__ import annotations

import sqlalchemy as sa

from cityops.adapters.db.tables import alert_events, orders
from cityops.app.alerts import devices as dev_uc
from cityops.app.alerts import rules as rule_uc

NIGHT_DOOR = {"name": "隔离房间夜间开门", "event_type": "door_open", "place": {"place_kinds": ["isolation_room"]},
              "conditions": [{"type": "time_window", "start": "22:00", "end": "06:00"}],
              "category": "epi.isolation_site", "urgency": "critical", "template": "{place}夜间开门（{device_name}，{time}）",
              "resolve_on_clear": True}
SHOP_OPEN = {"name": "封控区商铺开门", "event_type": "shop_open", "place": {"tags": ["sealed"]},
             "category": "epi.violation", "urgency": "urgent", "assignee": {"to": "center"},
             "resolve_on_clear": True, "template": "{place}封控期间开门"}
LONG_QUEUE = {"name": "采样点排队过长", "event_type": "site_status", "category": "epi.testing", "urgency": "urgent",
              "conditions": [{"type": "threshold", "field": "queue_length", "op": ">", "value": 200, "for_minutes": 10}],
              "standby": True, "template": "{place}排队 {data[queue_length]} 人"}


def setup_alerts(box, now, *, rules=(NIGHT_DOOR, SHOP_OPEN, LONG_QUEUE), doors=1) -> dict:
    for i in range(doors):
        dev_uc.register_device(box.uow(), None, code=f"DOOR-{101 + i}", kind="door_sensor", name=f"{101 + i}室门磁",
                               unit="S1", place=f"隔离酒店{101 + i}室", place_kind="isolation_room", now=now)
    src = dev_uc.create_source(box.uow(), None, "vplat", "视频平台", box.settings.secret_key, now)
    dev_uc.register_device(box.uow(), None, code="CAM-7", kind="camera", name="望潮路摄像头", unit="S1",
                           place="望潮路88号", place_kind="shop", tags=["sealed"], source="vplat", now=now)
    dev_uc.register_device(box.uow(), None, code="SITE-1", kind="site_terminal", name="四川北路采样点", unit="S2",
                           place="四川北路1号", place_kind="testing_site", now=now)
    made = [rule_uc.create_rule(box.uow(), None, r, now) for r in rules]
    return {"secret": src["secret"], "rules": made}


def alert_orders(box) -> list:
    with box.engine.connect() as conn:
        return conn.execute(sa.select(orders).where(orders.c.external_ref.like("ALERT-%")).order_by(orders.c.id)).all()


def event_count(box) -> int:
    with box.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(alert_events)).scalar_one()
