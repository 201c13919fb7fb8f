"""Background workers: the deadline sweeper and the outbox sender.

``serve`` runs them in threads of the web process (the one-machine default); ``cityops worker``
runs them as a separate process. Any number of them may run against one database: they
coordinate through row locks and leases, never through memory.
"""
from __future__ import annotations

import logging
import threading

from ..app.notify.outbox import deliver_due
from ..app.orders.sweep import sweep_once
from ..bootstrap import Container

log = logging.getLogger("cityops.workers")


def run_sweeper(box: Container, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            r = sweep_once(box.uow(), box.now(), box.settings.sweep_batch)
            if r.orders:
                log.info("deadline sweep: %d orders, %d steps, %d notices", r.orders, r.steps, r.notices)
            if r.orders >= box.settings.sweep_batch:
                continue  # more due rows waiting: no sleep
        except Exception:  # keep sweeping: one bad row or a database blip must not stop the clock
            log.exception("deadline sweep failed; retrying")
        stop.wait(box.settings.sweep_interval_seconds)


def run_outbox(box: Container, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            r = deliver_due(box.uow, box.transports, box.now(), max_attempts=box.settings.outbox_max_attempts,
                            backoff_seconds=box.settings.outbox_backoff_seconds)
            if r.sent or r.failed or r.retried:
                log.info("outbox: %d sent, %d retried, %d failed", r.sent, r.retried, r.failed)
        except Exception:
            log.exception("outbox delivery failed; retrying")
        stop.wait(box.settings.outbox_interval_seconds)


class WorkerThreads:
    def __init__(self, box: Container, kinds: tuple[str, ...] = ("deadlines", "outbox")):
        self.box = box
        self.kinds = kinds
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        targets = {"deadlines": run_sweeper, "outbox": run_outbox}
        for kind in self.kinds:
            t = threading.Thread(target=targets[kind], args=(self.box, self.stop_event), name=f"cityops-{kind}",
                                 daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=10)
