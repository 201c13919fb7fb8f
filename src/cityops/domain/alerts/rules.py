"""Alert rules as data: event type + place + conditions → category, urgency, assignee, text.

A rule, as stored and as the admin edits it (JSON)::

    {"name": "隔离房间夜间开门", "event_type": "door_open",
     "place": {"place_kinds": ["isolation_room"], "tags": [], "device_kinds": [], "devices": []},
     "conditions": [{"type": "time_window", "start": "22:00", "end": "06:00"}],
     "category": "epi.isolation_site", "urgency": "critical",
     "assignee": {"to": "owner"},             # owner | unit (+ "unit": code) | center (not dispatched)
     "template": "{place}门磁夜间被打开（{device_name}，{time}）",
     "dedup_minutes": 30, "resolve_on_clear": false,
     "flap": {"changes": 6, "window_minutes": 10}, "standby": false}

Conditions: ``time_window`` (local time, may cross midnight) and ``threshold`` (a numeric
field of the event compared with a value, optionally sustained ``for_minutes``: every reading
of that device over that span breached it). Place filters are all optional; each one given
must hold. ``standby`` (testing sites) attaches the standby-staff and supplies suggestion.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..errors import InvalidInput
from ..orders.policy import Urgency
from .devices import Device, DeviceKind, PlaceKind, checked_tags
from .events import EVENT_TYPES, AlertEvent, clear_type_of

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}
ASSIGNEES = ("owner", "unit", "center")
DEFAULT_TEMPLATE = "【{type_zh}】{place}（{device_name}，{time}）"
TEMPLATE_FIELDS = {"place", "device", "device_name", "type", "type_zh", "time", "date", "data", "count"}


@dataclass(frozen=True)
class TimeWindow:
    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # crosses midnight: 22:00–06:00

    def to_dict(self) -> dict:
        return {"type": "time_window", "start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


@dataclass(frozen=True)
class Threshold:
    field: str
    op: str
    value: float
    for_minutes: int = 0

    def breached(self, data: dict) -> bool:
        v = data.get(self.field)
        return v is not None and OPS[self.op](v, self.value)

    def to_dict(self) -> dict:
        return {"type": "threshold", "field": self.field, "op": self.op, "value": self.value,
                "for_minutes": self.for_minutes}


@dataclass(frozen=True)
class Place:
    place_kinds: tuple[str, ...] = ()
    device_kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()       # the device must carry every one (e.g. "sealed": 封控区)
    devices: tuple[str, ...] = ()    # device codes

    def holds(self, device: Device) -> bool:
        return ((not self.place_kinds or str(device.place_kind) in self.place_kinds)
                and (not self.device_kinds or str(device.kind) in self.device_kinds)
                and all(t in device.tags for t in self.tags)
                and (not self.devices or device.code in self.devices))

    def to_dict(self) -> dict:
        return {"place_kinds": list(self.place_kinds), "device_kinds": list(self.device_kinds),
                "tags": list(self.tags), "devices": list(self.devices)}


@dataclass(frozen=True)
class Judgement:
    fire: bool = False                 # the rule's alert condition holds now
    clear: bool = False                # the condition is over (door closed, queue back to normal)
    breach_since: datetime | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    event_type: str
    category: str | None
    urgency: Urgency
    place: Place = Place()
    windows: tuple[TimeWindow, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    assignee: str = "owner"
    assignee_unit: str | None = None
    template: str = DEFAULT_TEMPLATE
    dedup_minutes: int = 30
    resolve_on_clear: bool = False
    flap_changes: int = 6
    flap_window_minutes: int = 10
    standby: bool = False
    active: bool = True
    id: int | None = None
    version: int = 1

    @property
    def clear_type(self) -> str | None:
        return clear_type_of(self.event_type)

    @property
    def sustain(self) -> timedelta:
        return timedelta(minutes=max((t.for_minutes for t in self.thresholds), default=0))

    def concerns(self, event_type: str) -> bool:
        return event_type == self.event_type or event_type == self.clear_type

    def judge(self, event: AlertEvent, device: Device, tz: str, breach_since: datetime | None) -> Judgement:
        """Does this event raise the rule's alert, clear it, or neither? ``breach_since``: when the
        device's readings started to breach the thresholds (kept per rule and device)."""
        if not self.place.holds(device):
            return Judgement(breach_since=breach_since)
        if event.type != self.event_type:
            return Judgement(clear=event.type == self.clear_type, breach_since=breach_since)
        if self.thresholds:
            if not all(t.breached(event.data) for t in self.thresholds):
                return Judgement(clear=True, breach_since=None)   # a normal reading
            since = breach_since if breach_since is not None and breach_since <= event.at else event.at
            if event.at - since < self.sustain:
                return Judgement(breach_since=since)
        else:
            since = None
        if self.windows:
            local = event.at.astimezone(ZoneInfo(tz)).time()
            if not any(w.contains(local) for w in self.windows):
                return Judgement(breach_since=since)
        return Judgement(fire=True, breach_since=since)

    def render(self, event: AlertEvent, device: Device, tz: str, count: int = 1) -> str:
        local = event.at.astimezone(ZoneInfo(tz))
        values = {"place": device.place or device.name, "device": device.code, "device_name": device.name,
                  "type": event.type, "type_zh": EVENT_TYPES[event.type].name_zh, "time": local.strftime("%H:%M"),
                  "date": local.strftime("%Y-%m-%d"), "data": _Missing(event.data), "count": count}
        return string.Formatter().vformat(self.template, (), _Missing(values)).strip()[:4000]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "name": self.name, "event_type": self.event_type,
                "place": self.place.to_dict(),
                "conditions": [w.to_dict() for w in self.windows] + [t.to_dict() for t in self.thresholds],
                "category": self.category, "urgency": str(self.urgency),
                "assignee": {"to": self.assignee, **({"unit": self.assignee_unit} if self.assignee_unit else {})},
                "template": self.template, "dedup_minutes": self.dedup_minutes,
                "resolve_on_clear": self.resolve_on_clear,
                "flap": {"changes": self.flap_changes, "window_minutes": self.flap_window_minutes},
                "standby": self.standby, "active": self.active}

    @staticmethod
    def from_dict(d: Any, *, id: int | None = None, version: int = 1) -> "Rule":
        """A rule from its JSON form; anything wrong is refused naming the field."""
        if not isinstance(d, dict):
            raise InvalidInput("规则必须是 JSON 对象 (a rule must be a JSON object)")
        name = d.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise InvalidInput("name 必须是 1-100 字 (name is required, at most 100 characters)", field="name")
        etype = d.get("event_type")
        if etype not in EVENT_TYPES:
            raise InvalidInput(f"未知事件类型 {etype!r} (unknown event_type; one of {sorted(EVENT_TYPES)})",
                               field="event_type")
        if EVENT_TYPES[etype].clears is not None:
            raise InvalidInput(f"{etype} 是解除事件，不能作为告警规则的触发事件 "
                               f"({etype} clears an alert; a rule is raised by another type)", field="event_type")
        try:
            urgency = Urgency(d.get("urgency", "urgent"))
        except ValueError:
            raise InvalidInput("urgency 必须是 critical / urgent / normal", field="urgency") from None
        category = d.get("category")
        if category is not None and (not isinstance(category, str) or len(category) > 64):
            raise InvalidInput("category 必须是类别编码 (category must be a category code)", field="category")
        windows, thresholds = _conditions(d.get("conditions") or [], etype)
        assignee = d.get("assignee") or {"to": "owner"}
        if not isinstance(assignee, dict) or assignee.get("to") not in ASSIGNEES:
            raise InvalidInput(f"assignee.to 必须是 {ASSIGNEES} 之一 (assignee.to must be one of {ASSIGNEES})",
                               field="assignee")
        unit = assignee.get("unit")
        if assignee["to"] == "unit" and (not isinstance(unit, str) or not unit):
            raise InvalidInput("assignee.to 为 unit 时需要 assignee.unit 单位编码 (assignee.unit is required)",
                               field="assignee.unit")
        template = d.get("template") or DEFAULT_TEMPLATE
        _check_template(template)
        flap = d.get("flap") or {}
        if not isinstance(flap, dict):
            raise InvalidInput("flap 必须是对象 (flap must be an object)", field="flap")
        return Rule(
            name=name.strip(), event_type=etype, category=category, urgency=urgency, place=_place(d.get("place") or {}),
            windows=windows, thresholds=thresholds, assignee=assignee["to"],
            assignee_unit=unit if assignee["to"] == "unit" else None, template=template,
            dedup_minutes=_int(d.get("dedup_minutes", 30), "dedup_minutes", 0, 24 * 60),
            resolve_on_clear=_bool(d.get("resolve_on_clear", False), "resolve_on_clear"),
            flap_changes=_int(flap.get("changes", 6), "flap.changes", 2, 1000),
            flap_window_minutes=_int(flap.get("window_minutes", 10), "flap.window_minutes", 1, 24 * 60),
            standby=_bool(d.get("standby", False), "standby"), active=_bool(d.get("active", True), "active"),
            id=id, version=version,
        )


class _Missing(dict):
    """Template values: an unknown name renders as ``?`` instead of failing the alert."""

    def __missing__(self, key: str) -> str:
        return "?"


def _check_template(template: Any) -> None:
    if not isinstance(template, str) or not template.strip() or len(template) > 1000:
        raise InvalidInput("template 必须是 1-1000 字 (template is required, at most 1000 characters)",
                           field="template")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        raise InvalidInput(f"template 格式错误：{e} (template is not a valid format string)", field="template") from None
    for _, name, spec, conv in parts:
        if name is None:
            continue
        base = name.split("[", 1)[0]
        if base not in TEMPLATE_FIELDS or "." in name or "__" in name or conv or (spec and not spec.replace(".", "").isalnum()):
            raise InvalidInput(f"template 中的 {{{name}}} 不可用；可用：{sorted(TEMPLATE_FIELDS)} 和 data[字段] "
                               f"(unknown placeholder; use {sorted(TEMPLATE_FIELDS)} or data[field])", field="template")


def _place(p: Any) -> Place:
    if not isinstance(p, dict):
        raise InvalidInput("place 必须是对象 (place must be an object)", field="place")
    kinds = _strs(p.get("place_kinds"), "place.place_kinds")
    bad = [k for k in kinds if k not in {k.value for k in PlaceKind}]
    if bad:
        raise InvalidInput(f"未知场所类型 {bad} (unknown place kinds)", field="place.place_kinds")
    dkinds = _strs(p.get("device_kinds"), "place.device_kinds")
    bad = [k for k in dkinds if k not in {k.value for k in DeviceKind}]
    if bad:
        raise InvalidInput(f"未知设备类型 {bad} (unknown device kinds)", field="place.device_kinds")
    return Place(place_kinds=kinds, device_kinds=dkinds, tags=checked_tags(p.get("tags")),
                 devices=_strs(p.get("devices"), "place.devices"))


def _conditions(items: Any, etype: str) -> tuple[tuple[TimeWindow, ...], tuple[Threshold, ...]]:
    if not isinstance(items, list):
        raise InvalidInput("conditions 必须是列表 (conditions must be a list)", field="conditions")
    windows, thresholds = [], []
    numeric = {n for n, f in EVENT_TYPES[etype].fields.items() if f.type in ("int", "number")}
    for i, c in enumerate(items):
        where = f"conditions[{i}]"
        if not isinstance(c, dict):
            raise InvalidInput(f"{where} 必须是对象 ({where} must be an object)", field=where)
        if c.get("type") == "time_window":
            windows.append(TimeWindow(_hhmm(c.get("start"), f"{where}.start"), _hhmm(c.get("end"), f"{where}.end")))
        elif c.get("type") == "threshold":
            if c.get("field") not in numeric:
                raise InvalidInput(f"{where}.field 必须是 {etype} 的数值字段 {sorted(numeric)} "
                                   f"(field must be a numeric field of {etype})", field=f"{where}.field")
            if c.get("op") not in OPS:
                raise InvalidInput(f"{where}.op 必须是 {list(OPS)} 之一", field=f"{where}.op")
            value = c.get("value")
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise InvalidInput(f"{where}.value 必须是数字 (value must be a number)", field=f"{where}.value")
            thresholds.append(Threshold(c["field"], c["op"], value,
                                        _int(c.get("for_minutes", 0), f"{where}.for_minutes", 0, 24 * 60)))
        else:
            raise InvalidInput(f"{where}.type 必须是 time_window 或 threshold (unknown condition type)",
                               field=f"{where}.type")
    return tuple(windows), tuple(thresholds)


def _hhmm(v: Any, where: str) -> time:
    try:
        t = time.fromisoformat(v) if isinstance(v, str) and len(v) == 5 else None
    except ValueError:
        t = None
    if t is None:
        raise InvalidInput(f"{where} 必须是 HH:MM 时间，如 22:00 ({where} must be HH:MM)", field=where)
    return t


def _int(v: Any, where: str, lo: int, hi: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise InvalidInput(f"{where} 必须是 {lo}…{hi} 的整数 ({where} must be an integer {lo}..{hi})", field=where)
    return v


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise InvalidInput(f"{where} 必须是 true 或 false ({where} must be a boolean)", field=where)
    return v


def _strs(v: Any, where: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) and 0 < len(x) <= 64 for x in v):
        raise InvalidInput(f"{where} 必须是字符串列表 ({where} must be a list of strings)", field=where)
    return tuple(v)
