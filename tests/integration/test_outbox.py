"""The outbox worker: retries transient failures with backoff, reports permanent ones on the order."""
import sqlalchemy as sa

from cityops.adapters.db.tables import order_events, outbox
from cityops.app.notify.outbox import deliver_due
from cityops.app.notify.ports import FakeTransport, TransportError
from cityops.app.orders import usecases as uc


def _urge(box, district, clock):
    o = uc.create_order(box.uow(), district.actors["op"], uc.NewOrder(text="x", dispatch_to="S1"), clock())
    uc.urge_order(box.uow(), district.actors["op"], o.number, clock())  # → SMS to the hotline lead
    return o


def rows(box):
    with box.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(outbox))]


def test_message_is_sent_once_and_marked(box, district, clock):
    _urge(box, district, clock)
    sms = FakeTransport("sms")
    r = deliver_due(box.uow, {"sms": sms}, clock())
    assert r.sent == 1 and sms.sent[0].recipient == "13800000001" and "催办" in sms.sent[0].subject
    assert deliver_due(box.uow, {"sms": sms}, clock()).sent == 0
    assert rows(box)[0]["status"] == "sent"


def test_transient_failure_is_retried_with_backoff_then_given_up(box, district, clock):
    o = _urge(box, district, clock)
    bad = FakeTransport("sms", fail_with=TransportError("gateway 503", permanent=False))
    assert deliver_due(box.uow, {"sms": bad}, clock(), backoff_seconds=30, max_attempts=3).retried == 1
    assert deliver_due(box.uow, {"sms": bad}, clock.advance(seconds=10), backoff_seconds=30, max_attempts=3).retried == 0
    assert deliver_due(box.uow, {"sms": bad}, clock.advance(seconds=25), backoff_seconds=30, max_attempts=3).retried == 1
    r = deliver_due(box.uow, {"sms": bad}, clock.advance(seconds=61), backoff_seconds=30, max_attempts=3)
    assert r.failed == 1
    row = rows(box)[0]
    assert row["status"] == "failed" and row["attempts"] == 3
    with box.engine.connect() as conn:
        ev = conn.execute(sa.select(order_events).where(order_events.c.kind == "notification_failed")).one()
    assert ev.order_id == o.id and "503" in ev.reason and ev.data["recipient"] == "138****0001"


def test_permanent_failure_stops_at_once_and_is_on_the_timeline(box, district, clock):
    _urge(box, district, clock)
    bad = FakeTransport("sms", fail_with=TransportError("invalid phone number", permanent=True))
    assert deliver_due(box.uow, {"sms": bad}, clock()).failed == 1
    assert deliver_due(box.uow, {"sms": bad}, clock.advance(hours=1)).failed == 0
    assert rows(box)[0]["attempts"] == 1


def test_a_channel_without_transport_waits_in_the_outbox(box, district, clock):
    _urge(box, district, clock)
    assert deliver_due(box.uow, {"email": FakeTransport("email")}, clock()).sent == 0
    assert rows(box)[0]["status"] == "pending"


def test_a_crashing_transport_does_not_stop_the_worker(box, district, clock):
    _urge(box, district, clock)

    class Broken:
        channel = "sms"

        def send(self, message):
            raise RuntimeError("boom")

    r = deliver_due(box.uow, {"sms": Broken()}, clock())
    assert r.retried == 1 and "boom" in rows(box)[0]["last_error"]
