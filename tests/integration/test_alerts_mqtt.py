"""The MQTT door against a real Mosquitto: events become orders; a bad message never stops the
consumer; a consumer killed mid-burst, a dropped connection and a broker restart lose nothing
and double nothing (QoS 1, persistent session, ack after commit, idempotency by event id)."""
from __future__ import annotations

import json
import shutil
import os
import socket
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from cityops.adapters.db.tables import alert_tracks
from cityops.app.alerts.ingest import counters
from cityops.entrypoints.alerts_consumer import build_consumer

from .alerts_helpers import alert_orders, event_count, setup_alerts

HOST, PORT = "127.0.0.1", 1883
ANY_DOOR = {"name": "隔离房间开门", "event_type": "door_open", "place": {"place_kinds": ["isolation_room"]},
            "category": "epi.isolation_site", "urgency": "urgent", "dedup_minutes": 600}


def _reachable(host, port) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


if not _reachable(HOST, PORT) and os.environ.get("CITYOPS_MQTT_REQUIRED") == "1":
    raise RuntimeError("CITYOPS_MQTT_REQUIRED=1 but no MQTT broker answers at 127.0.0.1:1883")
pytestmark = pytest.mark.skipif(not _reachable(HOST, PORT), reason="needs Mosquitto at 127.0.0.1:1883")


class Publisher:
    def __init__(self, port=PORT):
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
        self.c.connect(HOST, port)
        self.c.loop_start()

    def send(self, topic, payload, qos=1):
        info = self.c.publish(topic, payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos)
        info.wait_for_publish(timeout=10)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def run(box, clock, district):
    clock.now = datetime.now(timezone.utc)
    setup_alerts(box, clock.now, rules=[ANY_DOOR], doors=20)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    consumers, threads = [], []

    def start(client_id=None, port=PORT, handle_wrap=None):
        cid = client_id or f"{prefix}-consumer"
        c = build_consumer(box, host=HOST, port=port, client_id=cid, prefix=prefix, batch_max=20)
        if handle_wrap is not None:
            c.handle = handle_wrap(c, c.handle)
        c.start()
        assert c.connected.wait(10), "consumer did not connect"
        time.sleep(0.3)  # SUBACK
        t = threading.Thread(target=c.run, daemon=True)
        t.start()
        consumers.append(c)
        threads.append(t)
        return c

    def topic(device, kind="door_sensor"):
        return f"{prefix}/{box.settings.district_code}/events/{kind}/{device}"

    r = type("Run", (), {"start": staticmethod(start), "topic": staticmethod(topic), "prefix": prefix})
    yield r
    for c in consumers:
        if not c.stop_event.is_set():
            c.stop_event.set()
        try:
            c.stop(forget_session=True)
        except Exception:
            pass
    for t in threads:
        t.join(timeout=5)


def wait_for(pred, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def track_counts(box):
    with box.engine.connect() as conn:
        return sum(conn.execute(sa.select(alert_tracks.c.count)).scalars())


def test_events_published_to_the_broker_become_orders_and_bad_ones_do_not_stop_the_consumer(run, box):
    run.start()
    pub = Publisher()
    pub.send(run.topic("DOOR-101"), {"id": "a1", "type": "door_open"})
    pub.send(run.topic("DOOR-101"), b"\x00garbage")
    pub.send(run.topic("DOOR-999"), {"id": "a2", "type": "door_open"})
    pub.send(run.topic("DOOR-101"), {"id": "a3", "type": "door_open"})
    pub.send(run.topic("DOOR-102"), {"id": "a4", "type": "door_open"})
    pub.send(run.topic("DOOR-102", "camera"), {"id": "a5", "type": "door_open"})
    pub.send(run.topic("DOOR-101"), {"id": "a1", "type": "door_open"})  # redelivered by the device
    assert wait_for(lambda: counters(box.uow())["accepted"] == 3 and counters(box.uow())["duplicate"] == 1)
    pub.close()
    c = counters(box.uow())
    assert c["rejected"]["malformed"]["count"] == 1 and c["rejected"]["unknown_device"]["count"] == 2
    assert wait_for(lambda: len(alert_orders(box)) == 2)  # created right after the batch's commit
    orders = alert_orders(box)
    assert len(orders) == 2 and {o.state for o in orders} == {"dispatched"}
    assert track_counts(box) == 3


def _burst(run, pub, start, n):
    for i in range(start, start + n):
        pub.send(run.topic(f"DOOR-{101 + i % 20}"), {"id": f"b{i}", "type": "door_open"})


def _exactly_once(box, n):
    assert wait_for(lambda: event_count(box) == n, 60), f"{event_count(box)} of {n} events"
    assert wait_for(lambda: len(alert_orders(box)) == 20)
    time.sleep(0.5)
    assert event_count(box) == n and len(alert_orders(box)) == 20 and track_counts(box) == n


def test_a_consumer_killed_mid_burst_loses_nothing_and_doubles_nothing(run, box):
    n, state = 400, {"handled": 0, "killed": False}

    def crash_after_commit(consumer, handle):
        def wrapped(batch):
            handle(batch)  # committed ...
            state["handled"] += len(batch)
            if state["handled"] >= 100 and not state["killed"]:
                state["killed"] = True
                consumer.stop_event.set()
                consumer.drop_connection()
                raise RuntimeError("killed before the acknowledgement")  # ... never acknowledged
        return wrapped

    a = run.start(handle_wrap=crash_after_commit)
    pub = Publisher()
    _burst(run, pub, 0, n)
    assert wait_for(lambda: state["killed"])
    a.client.loop_stop()
    b = run.start(client_id=a.client._client_id.decode())  # same persistent session
    _exactly_once(box, n)
    assert counters(box.uow())["duplicate"] >= 1  # the unacknowledged batch came again, and changed nothing
    pub.close()
    assert b.handled >= n - 100


def test_a_dropped_connection_mid_burst_loses_nothing_and_doubles_nothing(run, box):
    c = run.start()
    pub = Publisher()
    dropped = threading.Event()

    def drop_later():
        if wait_for(lambda: c.handled >= 100, 30):
            c.drop_connection()
            dropped.set()

    threading.Thread(target=drop_later, daemon=True).start()
    _burst(run, pub, 0, 400)
    _exactly_once(box, 400)
    assert dropped.is_set() and wait_for(lambda: c.generation >= 2, 20)  # it reconnected ...
    time.sleep(1.0)
    _exactly_once(box, 400)  # ... and what the broker redelivered changed nothing
    pub.close()


@pytest.mark.skipif(shutil.which("mosquitto") is None and not shutil.os.path.exists("/usr/sbin/mosquitto"),
                    reason="needs the mosquitto binary")
def test_a_broker_restart_mid_burst_loses_nothing_and_doubles_nothing(run, box, tmp_path):
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    f"persistence_location {tmp_path}/\nmax_queued_messages 0\n")

    def broker():
        p = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: _reachable(HOST, port), 10)
        return p

    proc = broker()
    try:
        c = run.start(port=port)
        pub = Publisher(port)
        _burst(run, pub, 0, 200)
        assert wait_for(lambda: c.handled >= 50, 30)
        pub.close()
        proc.terminate()            # the broker goes away mid-burst (saving its sessions to disk)
        proc.wait(10)
        proc = broker()             # and comes back
        assert wait_for(lambda: c.connected.is_set() and c.generation >= 2, 30)
        pub = Publisher(port)
        _burst(run, pub, 200, 200)
        _exactly_once(box, 400)
        pub.close()
    finally:
        proc.terminate()
        proc.wait(10)
