"""Devices and the places they watch."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import InvalidInput


class DeviceKind(StrEnum):
    DOOR_SENSOR = "door_sensor"        # 门磁 (isolation rooms and sites)
    CAMERA = "camera"                  # 摄像头 / 天眼
    BODY_CAMERA = "body_camera"        # 单兵 (testing sites, patrols)
    SITE_TERMINAL = "site_terminal"    # 采样点终端 (queue, samples, staff, PDA, supplies)
    VIDEO_PLATFORM = "video_platform"  # 第三方视频平台 (AI detections for many cameras)


KIND_NAMES_ZH = {DeviceKind.DOOR_SENSOR: "门磁", DeviceKind.CAMERA: "摄像头", DeviceKind.BODY_CAMERA: "单兵",
                 DeviceKind.SITE_TERMINAL: "采样点终端", DeviceKind.VIDEO_PLATFORM: "视频平台"}


class PlaceKind(StrEnum):
    ISOLATION_ROOM = "isolation_room"  # 隔离房间
    ISOLATION_SITE = "isolation_site"  # 隔离点
    SHOP = "shop"                      # 沿街商铺
    TESTING_SITE = "testing_site"      # 核酸采样点
    COMPOUND = "compound"              # 小区
    STREET = "street"                  # 道路
    OTHER = "other"


CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TAG_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def checked_code(value: str, field_: str = "code") -> str:
    """Device and source codes are also MQTT topic levels: letters, digits, ``_ . -`` only."""
    v = (value or "").strip()
    if not CODE_RE.match(v):
        raise InvalidInput(f"{field_} 只能包含字母、数字和 _ . -，最长 64 位 "
                           f"({field_} must be 1-64 letters, digits, '_', '.' or '-')", field=field_)
    return v


def checked_kind(value: str) -> DeviceKind:
    try:
        return DeviceKind(value)
    except ValueError:
        raise InvalidInput(f"未知设备类型 {value!r} (unknown device kind; one of {[k.value for k in DeviceKind]})",
                           field="kind") from None


def checked_place_kind(value: str) -> PlaceKind:
    try:
        return PlaceKind(value)
    except ValueError:
        raise InvalidInput(f"未知场所类型 {value!r} (unknown place kind; one of {[k.value for k in PlaceKind]})",
                           field="place_kind") from None


def checked_tags(tags) -> tuple[str, ...]:
    out = []
    for t in tags or ():
        if not isinstance(t, str) or not TAG_RE.match(t):
            raise InvalidInput(f"标签 {t!r} 无效：小写字母、数字、下划线 (tag must be lowercase letters, digits, '_')",
                               field="tags")
        out.append(t)
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class Device:
    code: str
    kind: DeviceKind
    name: str
    unit_id: int                      # the owning unit: alerts go there unless a rule says otherwise
    place: str = ""                   # address or description of the place it watches
    place_kind: PlaceKind = PlaceKind.OTHER
    tags: tuple[str, ...] = ()        # e.g. "sealed" (封控区), "night_watch"
    lat: float | None = None
    lng: float | None = None
    source_id: int | None = None      # the webhook source (video platform) allowed to report for it
    active: bool = True
    id: int | None = None
    extra: dict = field(default_factory=dict)


def order_channel(kind: DeviceKind) -> str:
    """The work-order channel an alert from this kind of device arrives on."""
    return "video" if kind in (DeviceKind.CAMERA, DeviceKind.VIDEO_PLATFORM) else "sensor"
