"""The outbox worker: deliver pending external messages, retry what may pass, report what cannot.

A message is claimed with a lease (a conditional UPDATE, committed) before it is sent, so two
workers never send the same one; a worker that dies mid-send leaves a lease that expires and
the message is tried again. A permanent failure is written on the order's timeline and the
message stops; a transient one is retried with exponential backoff until ``max_attempts``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ...domain.orders.model import Event
from .ports import OutgoingMessage, Transport, TransportError


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(uow_factory, transports: dict[str, Transport], now: datetime, *, batch: int = 100,
                max_attempts: int = 6, backoff_seconds: float = 30.0, lease_seconds: float = 120.0) -> DeliveryResult:
    result = DeliveryResult()
    if not transports:
        return result
    uow = uow_factory()
    with uow:
        claimed = uow.outbox.claim(now, sorted(transports), batch, now + timedelta(seconds=lease_seconds))
        uow.commit()
    for msg in claimed:
        transport = transports[msg["channel"]]
        error: TransportError | None = None
        try:
            transport.send(OutgoingMessage(channel=msg["channel"], recipient=msg["recipient"], subject=msg["subject"],
                                           body=msg["body"], order_number=msg.get("order_number")))
        except TransportError as e:
            error = e
        except Exception as e:  # a bug in a transport must not stop the worker: treat as transient
            error = TransportError(f"{type(e).__name__}: {e}", permanent=False)
        uow = uow_factory()
        with uow:
            attempts = msg["attempts"] + 1
            if error is None:
                uow.outbox.mark_sent(msg["id"], now, attempts)
                result.sent += 1
            elif error.permanent or attempts >= max_attempts:
                why = error.message if error.permanent else f"{attempts} 次尝试均失败，放弃: {error.message}"
                uow.outbox.mark_failed(msg["id"], now, attempts, why)
                if msg["order_id"]:
                    uow.orders.add_events([(msg["order_id"], Event(
                        kind="notification_failed", at=now, actor_id=None, actor_unit_id=None,
                        reason=why[:1000], data={"channel": msg["channel"], "recipient": _masked(msg["recipient"]),
                                                 "attempts": attempts}))])
                result.failed += 1
            else:
                delay = backoff_seconds * (2 ** (attempts - 1))
                uow.outbox.retry_later(msg["id"], now + timedelta(seconds=delay), attempts, error.message)
                result.retried += 1
            uow.commit()
    return result


def _masked(recipient: str) -> str:
    if "@" in recipient:
        name, _, host = recipient.partition("@")
        return name[:1] + "***@" + host
    if recipient.startswith("http"):
        return recipient.split("?")[0][:60]
    return recipient[:3] + "****" + recipient[-4:] if len(recipient) >= 7 else "****"
