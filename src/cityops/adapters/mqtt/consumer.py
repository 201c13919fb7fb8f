"""The MQTT consumer: QoS 1, a persistent session, acknowledgement after the database commit.

* ``clean_session=False`` with a fixed client id: the broker keeps the subscription and queues
  QoS 1 messages while the consumer is down or reconnecting.
* ``manual_ack=True``: a message is acknowledged (PUBACK) only after the handler has returned,
  i.e. after its batch committed. A consumer that dies before that gets the message again —
  harmless, because the handler is idempotent by event id.
* Messages are handled in batches (up to ``batch_max``, waiting at most ``batch_wait`` s for
  more), one transaction per batch.
* A lost connection (broker restart, network) is re-established by paho's loop with backoff.
  Messages received on a connection that has since dropped are not acknowledged on the new one
  (their packet ids belong to the old connection); the broker redelivers them.
* The handler raises only for transient failures (database down): the batch is retried with
  backoff, the messages are held meanwhile. Any other problem with one message is the
  handler's to count; the consumer never dies on a message.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger("cityops.mqtt")


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    received_at: datetime
    mid: int
    qos: int
    generation: int            # which connection it came on
    dup: bool = False


def topic_filter(district: str, prefix: str = "cityops") -> str:
    """``cityops/{district}/events/{kind}/{device}``"""
    return f"{prefix}/{district}/events/+/+"


def parse_topic(topic: str) -> tuple[str | None, str | None]:
    """(device kind, device code) from ``…/events/{kind}/{device}``."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[-3] == "events" and parts[-2] and parts[-1]:
        return parts[-2], parts[-1]
    return None, None


class MqttConsumer:
    def __init__(self, handle: Callable[[list[Message]], None], *, host: str = "127.0.0.1", port: int = 1883,
                 client_id: str = "cityops-alerts", topics: list[str], username: str | None = None,
                 password: str | None = None, batch_max: int = 200, batch_wait: float = 0.01, keepalive: int = 30,
                 idle: Callable[[], None] | None = None, idle_every: float = 10.0):
        self.handle = handle
        self.topics = topics
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.idle = idle
        self.idle_every = idle_every
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        self.generation = 0
        self.handled = 0
        self._q: queue.Queue[Message] = queue.Queue()
        self._lock = threading.Lock()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                        protocol=mqtt.MQTTv311, manual_ack=True)
        if username:
            c.username_pw_set(username, password)
        c.reconnect_delay_set(min_delay=1, max_delay=10)
        c.max_inflight_messages_set(100)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        self.client = c
        self._host, self._port, self._keepalive = host, port, keepalive

    # ---------------------------------------------------------------- paho callbacks (network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            return
        with self._lock:
            self.generation += 1
        client.subscribe([(t, 1) for t in self.topics])
        log.info("MQTT connected to %s:%s (session present: %s)", self._host, self._port, flags.session_present)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self.stop_event.is_set():
            log.warning("MQTT connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg) -> None:
        self._q.put(Message(msg.topic, msg.payload, datetime.now(timezone.utc), msg.mid, msg.qos, self.generation,
                            bool(msg.dup)))

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        """Connect (retrying until the broker is there) and start the network thread."""
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive)
        self.client.loop_start()

    def run(self) -> None:
        """Handle batches until ``stop()``; call from the thread that owns the consumer."""
        last_idle = 0.0
        while not self.stop_event.is_set():
            batch = self._next_batch()
            if batch:
                self._handle(batch)
            if self.idle is not None and time.monotonic() - last_idle >= self.idle_every:
                last_idle = time.monotonic()
                try:
                    self.idle()
                except Exception:
                    log.exception("alerts housekeeping failed; will try again")

    def _next_batch(self) -> list[Message]:
        try:
            first = self._q.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_max:
            left = deadline - time.monotonic()
            try:
                batch.append(self._q.get(timeout=left) if left > 0 else self._q.get_nowait())
            except queue.Empty:
                break
        return batch

    def _handle(self, batch: list[Message]) -> None:
        delay = 0.5
        while True:
            try:
                self.handle(batch)
                break
            except Exception:
                if self.stop_event.is_set():
                    return  # not acknowledged: the broker redelivers to the next consumer
                log.exception("alert batch failed (transient); retrying in %.1f s", delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 30.0)
        self.handled += len(batch)
        gen = self.generation
        for m in batch:
            if m.qos > 0 and m.generation == gen:
                self.client.ack(m.mid, m.qos)

    def stop(self, *, forget_session: bool = False) -> None:
        """Stop handling, disconnect. ``forget_session``: also drop the broker's stored session
        (tests and one-off runs; a real consumer keeps it so nothing is lost while it is down)."""
        self.stop_event.set()
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
        if forget_session:
            forget(self._host, self._port, self.client._client_id.decode())

    def drop_connection(self) -> None:
        """Cut the TCP connection without a DISCONNECT (as a broker restart or a network fault would)."""
        sock = self.client.socket()
        if sock is not None:
            try:
                import socket as _s
                sock.shutdown(_s.SHUT_RDWR)
            except OSError:
                pass


def forget(host: str, port: int, client_id: str) -> None:
    """Remove a persistent session from the broker (connect once with a clean session)."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311)
    try:
        c.connect(host, port, keepalive=10)
        c.loop_start()
        time.sleep(0.2)
        c.disconnect()
        c.loop_stop()
    except OSError:
        log.warning("could not forget MQTT session %s", client_id)
