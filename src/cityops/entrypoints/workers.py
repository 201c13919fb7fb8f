"""Background workers: the deadline sweeper and the outbox sender.

``serve`` runs them in threads of the web process (the one-machine default); ``cityops worker``
runs them as a separate process. Any number of them may run against one database: they
coordinate through row locks and leases, never through memory.
"""
from __future__ import annotations

import logging
import threading
import time

from ..app.duty.sweep import sweep_duty
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


DUTY_COVERAGE_EVERY = 300.0  # seconds between coverage checks (each gap is raised once: dedup keys)


def run_duty(box: Container, stop: threading.Event) -> None:
    """Member assignments not accepted in time escalate; coverage gaps are raised ahead of time."""
    last_coverage = 0.0
    while not stop.is_set():
        try:
            clock = time.monotonic()
            coverage = clock - last_coverage >= DUTY_COVERAGE_EVERY
            r = sweep_duty(box.uow, box.now(), coverage=coverage)
            if coverage:
                last_coverage = clock
            if r.escalated or r.cancelled or r.gaps:
                log.info("duty sweep: %d escalated, %d ended, %d gaps", r.escalated, r.cancelled, r.gaps)
        except Exception:
            log.exception("duty sweep failed; retrying")
        stop.wait(box.settings.sweep_interval_seconds)


class WorkerThreads:
    def __init__(self, box: Container, kinds: tuple[str, ...] = ("deadlines", "outbox", "duty")):
        self.box = box
        self.kinds = kinds
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        targets = {"deadlines": run_sweeper, "outbox": run_outbox, "duty": run_duty}
        for kind in self.kinds:
            t = threading.Thread(target=targets[kind], args=(self.box, self.stop_event), name=f"cityops-{kind}",
                                 daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=10)
