"""A team's duty settings and its members, as values."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from ..errors import InvalidInput
from .area import Area

_SKILL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_SKILLS = 20
MAX_DEVICES = 10


@dataclass(frozen=True)
class Team:
    unit_id: int
    area: Area = Area()
    skills: tuple[str, ...] = ()
    min_on_duty: int = 1
    accept_minutes: int = 15

    def __post_init__(self) -> None:
        if not 0 <= self.min_on_duty <= 500:
            raise InvalidInput("最少在岗人数须在 0-500 之间 (min_on_duty must be 0-500)", field="min_on_duty")
        if not 1 <= self.accept_minutes <= 24 * 60:
            raise InvalidInput("接单时限须为 1-1440 分钟 (accept_minutes must be 1-1440)", field="accept_minutes")


@dataclass(frozen=True)
class Member:
    user_id: int
    team_unit_id: int
    is_leader: bool = False
    skills: tuple[str, ...] = ()
    devices: tuple[dict[str, str], ...] = ()
    area: Area = Area()            # empty: the team's area
    lat: float | None = None
    lng: float | None = None
    position_at: datetime | None = None
    position_warning: str | None = None
    active: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def area_or(self, team: Team | None) -> Area:
        return self.area if not self.area.empty or team is None else team.area

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lng, self.lat) if self.lat is not None and self.lng is not None else None


def checked_skills(values: Iterable[str] | None) -> tuple[str, ...]:
    out = []
    for v in values or ():
        v = str(v).strip().lower()
        if not _SKILL.match(v):
            raise InvalidInput(f"技能编码无效 {v!r} (skill codes: lower-case letters, digits, _; e.g. medical_escort, "
                               f"delivery, patrol)", field="skills")
        if v not in out:
            out.append(v)
    if len(out) > MAX_SKILLS:
        raise InvalidInput(f"技能最多 {MAX_SKILLS} 项 (at most {MAX_SKILLS} skills)", field="skills")
    return tuple(out)


def checked_devices(values: Iterable[Any] | None) -> tuple[dict[str, str], ...]:
    out = []
    for v in values or ():
        if not isinstance(v, dict) or not str(v.get("code") or "").strip():
            raise InvalidInput("设备须为 {kind, code} (a device is {kind, code}, e.g. video_terminal + serial)",
                               field="devices")
        kind = str(v.get("kind") or "phone").strip()[:32]
        code = str(v["code"]).strip()[:64]
        out.append({"kind": kind, "code": code})
    if len(out) > MAX_DEVICES:
        raise InvalidInput(f"设备最多 {MAX_DEVICES} 台 (at most {MAX_DEVICES} devices)", field="devices")
    return tuple(out)
