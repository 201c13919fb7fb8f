"""The work order (工单) as a value, and the events its transitions produce."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .policy import DeadlinePolicy, Urgency


class State(StrEnum):
    RECEIVED = "received"                      # 已受理
    DISPATCHED = "dispatched"                  # 已派单
    RETURNED = "returned"                      # 已退单 (back with the dispatcher)
    ACCEPTED = "accepted"                      # 已签收
    IN_PROGRESS = "in_progress"                # 处置中
    FEEDBACK_SUBMITTED = "feedback_submitted"  # 已反馈
    CALLBACK_DONE = "callback_done"            # 已回访
    CLOSED = "closed"                          # 已结案
    TRANSFERRED = "transferred"                # 已流转市级
    MERGED = "merged"                          # 已合并 (follows its parent)


TERMINAL = frozenset({State.CLOSED, State.TRANSFERRED})
WITH_UNIT = frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS})
OPEN = frozenset(State) - TERMINAL


class Channel(StrEnum):
    HOTLINE = "hotline_12345"      # 12345 市民热线
    DIRECT_LINE = "direct_line"    # 区直通专线
    WEB = "web"                    # 网页 / 小程序
    OPEN311 = "open311"
    SENSOR = "sensor"              # 物联感知
    VIDEO = "video"                # 视频 AI
    PATROL = "patrol"              # 巡查上报
    CITY_PLATFORM = "city_platform"  # 市级平台转派


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"                  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"              # 不满意


@dataclass(frozen=True)
class ExtensionRequest:
    requested_until: datetime
    reason: str
    requested_by: int
    requested_at: datetime


@dataclass(frozen=True)
class Event:
    """A past-tense fact about one order, written to its timeline."""

    kind: str
    at: datetime
    actor_id: int | None
    actor_unit_id: int | None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Order:
    number: str
    channel: Channel
    text: str
    category: str | None
    urgency: Urgency
    received_at: datetime
    policy: DeadlinePolicy
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    special_groups: tuple[str, ...] = ()
    state: State = State.RECEIVED
    lead_unit_id: int | None = None
    co_unit_ids: tuple[int, ...] = ()
    area_unit_id: int | None = None
    created_by: int | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    feedback_at: datetime | None = None
    closed_at: datetime | None = None
    window_start_at: datetime | None = None  # start of the current resolve window
    accept_due_at: datetime | None = None
    feedback_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    paused_at: datetime | None = None
    resolved: bool | None = None           # the unit's own verdict in its feedback
    satisfaction: Satisfaction | None = None
    solved: bool | None = None             # the citizen's verdict at callback
    supervised: bool = False
    urge_count: int = 0
    return_count: int = 0
    reopen_count: int = 0
    extension: ExtensionRequest | None = None
    parent_id: int | None = None
    fired: frozenset[str] = frozenset()     # deadline steps already acted on
    id: int | None = None
    version: int = 0
    external_ref: str | None = None
    lat: float | None = None               # WGS-84 latitude of the place, when the channel gives one
    lng: float | None = None
    details: dict[str, Any] = field(default_factory=dict)  # channel extras: contact email, media URL, attributes

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def evolve(self, **changes: Any) -> "Order":
        return replace(self, **changes)

    def overdue_at(self, now: datetime) -> bool:
        """Past the resolve deadline and not yet resolved by the unit."""
        return (
            self.resolve_due_at is not None
            and self.state in (State.RECEIVED, State.DISPATCHED, State.RETURNED, State.ACCEPTED, State.IN_PROGRESS)
            and not self.is_paused
            and now > self.resolve_due_at
        )
