"""Device events: the schema of each event type, and validation that says why an event is refused.

An event, as a device or platform sends it (JSON)::

    {"id": "evt-0001", "type": "door_open", "at": "2022-03-25T23:10:00+08:00",
     "device": "DOOR-101", "data": {}}

``id`` is the device's own event id (the idempotency key, unique per device); ``at`` is
optional (the time it was received is used) and must carry a timezone; ``device`` may be
omitted on MQTT (the topic names the device). Fields of ``data`` that the type does not
declare are dropped, never stored (a platform may send more than we need, personal data
included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import InvalidInput
from .devices import DeviceKind

# Why an event was refused. Each is counted; the consumer goes on.
REASONS = ("malformed", "schema", "unknown_kind", "unknown_device", "stale", "unknown_source", "bad_signature",
           "replayed", "error")
REASON_NAMES_ZH = {"malformed": "格式错误", "schema": "字段不符", "unknown_kind": "未知事件类型",
                   "unknown_device": "未知设备", "stale": "事件过旧或时间超前", "unknown_source": "未知来源",
                   "bad_signature": "签名错误", "replayed": "重放或时间戳超窗", "error": "处理出错"}

MAX_AGE = timedelta(hours=24)   # older events are refused (a device replaying its buffer from last week)
MAX_SKEW = timedelta(minutes=5)  # a device clock this far ahead is still believed
MAX_ID = 100
MAX_STR = 500


class Rejected(InvalidInput):
    """An event refused for a counted reason (one of REASONS)."""

    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field)
        self.reason = reason


@dataclass(frozen=True)
class FieldSpec:
    type: str               # int | number | str | counts (a mapping of names to counts)
    required: bool = False
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class EventType:
    name_zh: str
    kinds: frozenset[DeviceKind]
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    clears: str | None = None        # this event clears an alert raised by that type
    reading: bool = False            # a measurement: rules put thresholds on it; a normal reading clears


D, C, B, S, V = (DeviceKind.DOOR_SENSOR, DeviceKind.CAMERA, DeviceKind.BODY_CAMERA, DeviceKind.SITE_TERMINAL,
                 DeviceKind.VIDEO_PLATFORM)
_VIDEO = frozenset({C, V})
_SITE_FIELDS = {
    "queue_length": FieldSpec("int", True, 0, 100_000),      # 排队人数
    "samples_per_hour": FieldSpec("int", True, 0, 100_000),  # 每小时采样数
    "staff_on_site": FieldSpec("int", True, 0, 10_000),      # 在岗采样人员
    "pda_working": FieldSpec("int", False, 0, 10_000),       # 可用扫码 PDA
    "pda_total": FieldSpec("int", False, 0, 10_000),
    "supplies": FieldSpec("counts"),                          # {"swabs": 300, "tubes": 40, "ppe": 12}
}

EVENT_TYPES: dict[str, EventType] = {
    "door_open": EventType("门磁打开", frozenset({D}), {"room": FieldSpec("str")}),
    "door_closed": EventType("门磁关闭", frozenset({D}), {"room": FieldSpec("str")}, clears="door_open"),
    "tamper": EventType("设备被破坏或遮挡", frozenset({D, C, B})),
    "shop_open": EventType("封控期间商铺开门", _VIDEO, {"confidence": FieldSpec("number", False, 0, 1),
                                               "shop": FieldSpec("str"), "image_url": FieldSpec("str")}),
    "shop_closed": EventType("商铺已关门", _VIDEO, {"shop": FieldSpec("str")}, clears="shop_open"),
    "crowd": EventType("人员聚集", _VIDEO | {B}, {"count": FieldSpec("int", True, 0, 100_000)}, reading=True),
    "queue": EventType("排队过长", _VIDEO | {B}, {"length": FieldSpec("int", True, 0, 100_000)}, reading=True),
    "sos": EventType("单兵求助", frozenset({B}), {"note": FieldSpec("str")}),
    "site_status": EventType("采样点状态", frozenset({S}), _SITE_FIELDS, reading=True),
}


def clear_type_of(event_type: str) -> str | None:
    """The event type that clears alerts raised by ``event_type`` (a reading clears itself)."""
    for name, spec in EVENT_TYPES.items():
        if spec.clears == event_type:
            return name
    spec = EVENT_TYPES.get(event_type)
    return event_type if spec is not None and spec.reading else None


@dataclass(frozen=True)
class AlertEvent:
    event_id: str
    type: str
    at: datetime
    device_code: str
    data: dict[str, Any]


def parse_event(raw: Any, *, now: datetime, device_code: str | None = None) -> AlertEvent:
    """The envelope of one event, checked (not yet against the device's kind: see ``check_for``)."""
    if not isinstance(raw, dict):
        raise Rejected("malformed", "事件必须是 JSON 对象 (an event must be a JSON object)")
    eid = raw.get("id")
    if not isinstance(eid, str) or not eid.strip() or len(eid) > MAX_ID:
        raise Rejected("malformed", f"事件 id 必须是 1-{MAX_ID} 位字符串 (id must be a string of 1-{MAX_ID} characters)",
                       field="id")
    etype = raw.get("type")
    if not isinstance(etype, str):
        raise Rejected("malformed", "缺少事件类型 type (type is required)", field="type")
    if etype not in EVENT_TYPES:
        raise Rejected("unknown_kind", f"未知事件类型 {etype[:40]!r} (unknown event type; one of {sorted(EVENT_TYPES)})",
                       field="type")
    dev = raw.get("device")
    if dev is not None and not isinstance(dev, str):
        raise Rejected("malformed", "device 必须是字符串 (device must be a string)", field="device")
    if device_code is not None and dev is not None and dev != device_code:
        raise Rejected("malformed", f"事件中的设备 {dev[:64]!r} 与主题中的设备 {device_code!r} 不一致 "
                                    "(device in the body differs from the topic)", field="device")
    dev = device_code or dev
    if not dev:
        raise Rejected("malformed", "缺少设备编码 device (device is required)", field="device")
    at = _time(raw.get("at"), now)
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Rejected("malformed", "data 必须是 JSON 对象 (data must be an object)", field="data")
    return AlertEvent(event_id=eid.strip(), type=etype, at=at, device_code=dev, data=data)


def _time(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise Rejected("malformed", "at 必须是 ISO 8601 时间字符串 (at must be an ISO 8601 string)", field="at")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected("malformed", f"at 不是有效时间 {value[:40]!r} (at is not an ISO 8601 time)", field="at") from None
    if at.tzinfo is None:
        raise Rejected("malformed", "at 需要带时区，如 +08:00 (at needs a timezone, e.g. +08:00)", field="at")
    if at > now + MAX_SKEW:
        raise Rejected("stale", "事件时间晚于当前时间 (event time is in the future: check the device clock)", field="at")
    if at < now - MAX_AGE:
        raise Rejected("stale", "事件发生在 24 小时以前，不再处理 (event is older than 24 hours)", field="at")
    return at


def check_for(event: AlertEvent, kind: DeviceKind) -> AlertEvent:
    """The event checked against its type's schema and the device's kind; only declared fields kept."""
    spec = EVENT_TYPES[event.type]
    if kind not in spec.kinds:
        raise Rejected("unknown_kind", f"{kind} 类设备不会发出 {event.type} 事件 "
                                       f"(a {kind} does not send {event.type} events)", field="type")
    clean: dict[str, Any] = {}
    for name, fs in spec.fields.items():
        if name not in event.data or event.data[name] is None:
            if fs.required:
                raise Rejected("schema", f"{event.type} 事件缺少字段 data.{name} (data.{name} is required)",
                               field=f"data.{name}")
            continue
        clean[name] = _value(event.type, name, fs, event.data[name])
    return AlertEvent(event.event_id, event.type, event.at, event.device_code, clean)


def _value(etype: str, name: str, fs: FieldSpec, v: Any) -> Any:
    where = f"data.{name}"
    if fs.type in ("int", "number"):
        ok = isinstance(v, int) and not isinstance(v, bool) if fs.type == "int" else \
            isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
        if not ok:
            want = "整数 (an integer)" if fs.type == "int" else "数字 (a number)"
            raise Rejected("schema", f"{where} 必须是{want}", field=where)
        if fs.min is not None and v < fs.min or fs.max is not None and v > fs.max:
            raise Rejected("schema", f"{where} 超出范围 {fs.min:g}…{fs.max:g} ({where} out of range)", field=where)
        return v
    if fs.type == "str":
        if not isinstance(v, str) or len(v) > MAX_STR:
            raise Rejected("schema", f"{where} 必须是不超过 {MAX_STR} 字的字符串 ({where} must be a short string)",
                           field=where)
        return v
    if fs.type == "counts":
        if not isinstance(v, dict) or len(v) > 20 or not all(
                isinstance(k, str) and len(k) <= 32 and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                for k, n in v.items()):
            raise Rejected("schema", f"{where} 必须是 {{名称: 非负整数}} ({where} must map names to counts ≥ 0)",
                           field=where)
        return dict(v)
    raise AssertionError(fs.type)  # pragma: no cover
