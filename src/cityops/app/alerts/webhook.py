"""The webhook door for video platforms: a signed body of one event or ``{"events": [...]}``."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from ...domain.alerts.events import Rejected
from ...domain.alerts.signing import verify
from ...domain.errors import InvalidInput, Unauthenticated
from .common import source_secret
from .ingest import Incoming, ingest
from .ports import AlertsUnitOfWork

MAX_EVENTS = 500


def receive_webhook(uow: AlertsUnitOfWork, source_code: str, timestamp: str | None, signature: str | None,
                    body: bytes, now: datetime, *, server_key: str, tz: str = "Asia/Shanghai",
                    transient: Callable[[Exception], bool] = lambda e: False) -> dict[str, Any]:
    """Check the source and its signature (401 and counted if wrong or stale), then ingest."""
    with uow:
        src = uow.alerts.source(source_code)
        try:
            if src is None or not src["active"]:
                raise Rejected("unknown_source", f"未知或已停用的来源 {source_code[:64]!r} (unknown or inactive source)")
            verify(source_secret(server_key, src["code"], src["salt"]).encode(), timestamp, signature, body, now)
        except Rejected as r:
            uow.alerts.count({r.reason: 1}, {r.reason: r.message}, now)
            uow.commit()
            raise Unauthenticated(r.message) from None
        try:
            doc = json.loads(body)
            if isinstance(doc, dict) and "events" in doc:
                events = doc["events"]
                if not isinstance(events, list) or not events:
                    raise Rejected("malformed", "events 必须是非空列表 (events must be a non-empty list)", field="events")
                if len(events) > MAX_EVENTS:
                    raise Rejected("malformed", f"一次最多 {MAX_EVENTS} 个事件 (at most {MAX_EVENTS} events per request)",
                                   field="events")
                single = False
            else:
                events, single = [doc], True
        except (UnicodeDecodeError, ValueError, Rejected) as e:
            r = e if isinstance(e, Rejected) else Rejected("malformed", "请求体不是 UTF-8 JSON (body is not UTF-8 JSON)")
            uow.alerts.count({r.reason: 1}, {r.reason: r.message}, now)
            uow.commit()
            raise r from None
    results = ingest(uow, [Incoming(e, "webhook", now, source_id=src["id"]) for e in events], now, tz=tz,
                     transient=transient)
    ok = [r for r in results if r.status != "rejected"]
    if not ok:
        first = results[0]
        if single:
            raise Rejected(first.reason or "schema", first.message or "事件被拒绝 (event rejected)", field=first.field)
        raise InvalidInput(f"全部 {len(results)} 个事件被拒绝；第一个：{first.message} (every event was rejected)",
                           field="events")
    return {"accepted": sum(r.status == "accepted" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
            "rejected": sum(r.status == "rejected" for r in results),
            "results": [r.to_dict() for r in results]}
