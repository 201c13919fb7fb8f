"""What the notification outbox needs from the outside world.

A transport delivers one message over one channel. It raises ``TransportError`` with
``permanent=True`` when trying again cannot help (bad address, 4xx from the gateway,
rejected recipient), and ``permanent=False`` for a failure that may pass (timeout, 5xx,
connection refused); the outbox worker retries the latter with backoff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str          # "email" | "webhook" | "sms"
    recipient: str        # email address, webhook URL, or phone number
    subject: str
    body: str
    order_number: str | None = None
    extra: dict = field(default_factory=dict)


class Transport(Protocol):
    channel: str

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the message or raise TransportError."""
        ...


class FakeTransport:
    """Records what it was asked to send; can be told to fail (for use-case tests)."""

    def __init__(self, channel: str, fail_with: TransportError | None = None):
        self.channel = channel
        self.sent: list[OutgoingMessage] = []
        self.fail_with = fail_with

    def send(self, message: OutgoingMessage) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
