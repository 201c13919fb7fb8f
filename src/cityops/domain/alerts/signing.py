"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}." + body`` with the source's secret,
sent as ``X-Cityops-Signature: sha256=<hex>`` beside ``X-Cityops-Timestamp: <unix seconds>``.
A timestamp outside the window is refused (replay); a replay inside the window carries the
same event ids and changes nothing (idempotency by event id)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from .events import Rejected

WINDOW_SECONDS = 300


def sign(secret: bytes, timestamp: int | str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: datetime,
           window: int = WINDOW_SECONDS) -> None:
    """Raise ``Rejected`` (bad_signature or replayed) unless the body is signed and fresh."""
    if not timestamp or not signature:
        raise Rejected("bad_signature", "缺少签名头 X-Cityops-Timestamp / X-Cityops-Signature "
                                        "(signature headers are missing)")
    try:
        ts = int(timestamp)
    except ValueError:
        raise Rejected("bad_signature", "X-Cityops-Timestamp 必须是 Unix 秒数 (timestamp must be unix seconds)") from None
    if not hmac.compare_digest(sign(secret, ts, body), signature.strip()):
        raise Rejected("bad_signature", "签名不匹配 (signature does not match the body)")
    if abs(now.timestamp() - ts) > window:
        raise Rejected("replayed", f"时间戳超出 ±{window} 秒窗口，可能是重放 "
                                   f"(timestamp outside the ±{window} s window: replay or clock skew)")
