"""Wiring of the MQTT door: messages → ``app.alerts.ingest``; housekeeping (finishing orders a
dead process left pending). Used by ``cityops alerts consume``, the tests and the benchmark."""
from __future__ import annotations

import logging
from typing import Callable

from ..adapters.db.alerts_repo import is_transient
from ..adapters.mqtt.consumer import Message, MqttConsumer, parse_topic, topic_filter
from ..app.alerts.ingest import Incoming, Result, ingest, resume_pending
from ..bootstrap import Container

log = logging.getLogger("cityops.alerts")


def handler(box: Container, on_results: Callable[[list[Message], list[Result]], None] | None = None):
    tz = box.settings.timezone

    def handle(batch: list[Message]) -> None:
        items = []
        for m in batch:
            kind, device = parse_topic(m.topic)
            items.append(Incoming(m.payload, "mqtt", m.received_at, device_code=device or "", device_kind=kind))
        results = ingest(box.uow(), items, box.now(), tz=tz, transient=is_transient)
        for r in results:
            if r.status == "rejected":
                log.info("alert event rejected (%s): %s", r.reason, r.message)
        if on_results is not None:
            on_results(batch, results)
    return handle


def build_consumer(box: Container, *, host: str = "127.0.0.1", port: int = 1883, client_id: str = "cityops-alerts",
                   prefix: str = "cityops", district: str | None = None, batch_max: int = 200,
                   on_results: Callable[[list[Message], list[Result]], None] | None = None) -> MqttConsumer:
    """A consumer of ``{prefix}/{district}/events/{kind}/{device}`` (QoS 1, persistent session)."""
    topic = topic_filter(district or box.settings.district_code, prefix)

    def housekeeping() -> None:
        n = resume_pending(box.uow(), box.now(), tz=box.settings.timezone, transient=is_transient)
        if n:
            log.info("finished %d alert orders left pending by a stopped consumer", n)

    return MqttConsumer(handler(box, on_results), host=host, port=port, client_id=client_id, topics=[topic],
                        batch_max=batch_max, idle=housekeeping)
