"""P6: device events from MQTT publish to order created/updated — sustained events/s, 0 lost,
and the end-to-end latency (publish → the transaction holding the order change committed).

Setup: a district (``prepare_db``), 200 door sensors of isolation rooms, one rule (door
opened → urgent order to the owning unit, dedup 10 h). So each device's first event opens an
order through ``create_order`` (200 orders) and the rest update it (count, last seen).

* baseline: the same number of QoS 1 messages through the same broker to a bare paho
  subscriber that acknowledges at once (no parsing, no database) — what the broker, paho and
  this machine can carry;
* P6: a publisher process sends N events (QoS 1) as fast as the broker takes them; the real
  consumer (``build_consumer``: persistent session, batches, ack after commit) ingests them.
  Rate = N / (last commit − first publish) for a burst sent as fast as possible; latency per
  event = commit time − publish time (carried in the message), reported for the burst (mostly
  queueing) and for a 10 s phase paced at ``--rate`` (below capacity: the figure that matters).
  Lost = events sent − events stored.

The broker is a private Mosquitto on a free port (``max_queued_messages 0``: the default 1000
would drop a burst the consumer has not caught up with — set it in production too), or
``--broker HOST:PORT``. Database: SQLite file (default) and/or PostgreSQL (private schema).

    .venv/bin/python bench/alerts_throughput.py [--events 20000] [--db sqlite,postgres] [--broker private]
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fast_hasher, free_port, pct, prepare_db, private_schema  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from cityops.adapters.db.engine import make_engine  # noqa: E402
from cityops.adapters.db.tables import alert_events, orders  # noqa: E402
from cityops.app.alerts import devices as dev_uc, rules as rule_uc  # noqa: E402
from cityops.bootstrap import bootstrap  # noqa: E402
from cityops.entrypoints.alerts_consumer import build_consumer  # noqa: E402
from cityops.settings import load_settings  # noqa: E402

DEVICES = 200
GOAL = 2000.0
RULE = {"name": "隔离房间开门", "event_type": "door_open", "place": {"place_kinds": ["isolation_room"]},
        "category": "epi.isolation_site", "urgency": "urgent", "dedup_minutes": 600}


def publish(host: str, port: int, topics: list[str], n: int, tag: str, ready, rate: float = 0.0) -> None:
    """A separate process: N QoS 1 events, each carrying its send time; ``rate`` > 0 paces them."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    c.max_inflight_messages_set(200)
    c.max_queued_messages_set(0)
    c.connect(host, port)
    c.loop_start()
    ready.wait()
    infos = []
    t0 = time.time()
    for i in range(n):
        if rate > 0 and i % 20 == 0:
            ahead = t0 + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        body = json.dumps({"id": f"{tag}-{i}", "type": "door_open", "sent": time.time()})
        infos.append(c.publish(topics[i % len(topics)], body, qos=1))
    for info in infos:
        info.wait_for_publish(timeout=120)
    c.disconnect()
    c.loop_stop()


def baseline(host: str, port: int, n: int) -> dict:
    topic = f"bench/{uuid.uuid4().hex[:8]}/raw"
    lat, done, first = [], threading.Event(), []

    def on_message(client, userdata, msg):
        lat.append(time.time() - json.loads(msg.payload)["sent"])
        if len(lat) >= n:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{uuid.uuid4().hex[:6]}")
    sub.on_message = on_message
    sub.connect(host, port)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    time.sleep(0.5)
    ready = mp.Event()
    p = mp.Process(target=publish, args=(host, port, [topic], n, "raw", ready))
    p.start()
    time.sleep(0.5)
    t0 = time.time()
    ready.set()
    done.wait(120)
    elapsed = time.time() - t0
    p.join(30)
    sub.disconnect()
    sub.loop_stop()
    return {"events": n, "received": len(lat), "events_per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(lat, 50) * 1000, 1), "p99_ms": round(pct(lat, 99) * 1000, 1)}


def p6(url: str, host: str, port: int, n: int, rate: float) -> dict:
    now = datetime.now(timezone.utc)
    prepare_db(url, now)
    engine = make_engine(url)
    box = bootstrap(load_settings({}, env="test"), engine=engine, hasher=fast_hasher(), transports={})
    for i in range(DEVICES):
        dev_uc.register_device(box.uow(), None, code=f"D{i:04d}", kind="door_sensor", name=f"门磁{i}", unit="S1",
                               place=f"隔离酒店{i}室", place_kind="isolation_room", now=now)
    rule_uc.create_rule(box.uow(), None, RULE, now)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    lat: list[float] = []
    last_commit = [0.0]

    def on_results(batch, results):
        t = time.time()
        last_commit[0] = t
        for m in batch:
            lat.append(t - json.loads(m.payload)["sent"])

    consumer = build_consumer(box, host=host, port=port, client_id=f"{prefix}-c", prefix=prefix, batch_max=200,
                              on_results=on_results)
    consumer.start()
    consumer.connected.wait(10)
    time.sleep(0.5)
    th = threading.Thread(target=consumer.run, daemon=True)
    th.start()
    topics = [f"{prefix}/{box.settings.district_code}/events/door_sensor/D{i:04d}" for i in range(DEVICES)]

    def phase(count: int, tag: str, pace: float) -> tuple[float, list[float]]:
        lat.clear()
        ready = mp.Event()
        p = mp.Process(target=publish, args=(host, port, topics, count, tag, ready, pace))
        p.start()
        time.sleep(0.5)
        t0 = time.time()
        ready.set()
        end = time.time() + 300
        while len(lat) < count and time.time() < end:
            time.sleep(0.1)
            if not p.is_alive() and time.time() - max(last_commit[0], t0) > 30:
                break  # nothing committed for 30 s after the last publish: the rest is lost
        p.join(30)
        return last_commit[0] - t0, list(lat)

    elapsed, burst_lat = phase(n, prefix, 0.0)              # as fast as the broker takes them
    paced_n = int(rate * 10)
    _, paced_lat = phase(paced_n, prefix + "p", rate)        # an offered load below capacity, for latency
    consumer.stop(forget_session=True)
    th.join(30)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(alert_events)).scalar_one()
        made = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
    engine.dispose()
    total = n + paced_n
    return {"events": n, "stored": stored, "lost": total - stored, "orders_created": made,
            "orders_updated_events": stored - made,
            "events_per_s": round(n / elapsed, 1) if elapsed > 0 else 0,
            "burst_p50_ms": round(pct(burst_lat, 50) * 1000, 1), "burst_p99_ms": round(pct(burst_lat, 99) * 1000, 1),
            "paced_rate": rate, "paced_events": paced_n,
            "p50_ms": round(pct(paced_lat, 50) * 1000, 1), "p99_ms": round(pct(paced_lat, 99) * 1000, 1),
            "max_ms": round(max(paced_lat) * 1000, 1) if paced_lat else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--db", default="sqlite", help="sqlite,postgres")
    ap.add_argument("--broker", default="private", help="private | HOST:PORT")
    ap.add_argument("--rate", type=float, default=GOAL, help="offered events/s of the latency phase (10 s)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out: dict = {"goal_events_per_s": GOAL, "devices": DEVICES}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.broker == "private":
            exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
            port = free_port()
            (tmp / "m.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
                                        "max_inflight_messages 200\n")
            proc = subprocess.Popen([exe, "-c", str(tmp / "m.conf")], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            stack.callback(lambda: (proc.terminate(), proc.wait(10)))
            time.sleep(0.5)
            host = "127.0.0.1"
        else:
            host, port = args.broker.rsplit(":", 1)[0], int(args.broker.rsplit(":", 1)[1])
        out["broker"] = "private mosquitto (max_queued_messages 0, max_inflight_messages 200)" \
            if args.broker == "private" else args.broker
        out["baseline_raw_broker"] = base = baseline(host, port, args.events)
        print(f"baseline (broker round trip, no DB): {base['events_per_s']:>8} ev/s  p50 {base['p50_ms']} ms  "
              f"p99 {base['p99_ms']} ms")
        for db in args.db.split(","):
            if db == "sqlite":
                r = p6(f"sqlite:///{tmp / 'p6.db'}", host, port, args.events, args.rate)
            else:
                with private_schema("bench_p6") as (_, url):
                    r = p6(url, host, port, args.events, args.rate)
            out[f"p6_{db}"] = r
            print(f"P6 {db:<8}: burst {r['events_per_s']:>8} ev/s (p99 {r['burst_p99_ms']} ms, queueing included); "
                  f"at {r['paced_rate']:g} ev/s offered: p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms;  "
                  f"lost {r['lost']}  orders {r['orders_created']}  "
                  f"({r['events_per_s'] / base['events_per_s']:.0%} of the broker baseline)")
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
