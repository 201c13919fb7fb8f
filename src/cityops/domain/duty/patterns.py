"""Shift patterns (排班模式) as data.

A pattern names its shifts (a local start time and a length in hours; a shift may run past
midnight) and, for each group (班组), which shift it works on each day of the cycle (``None``
or ``""``: off). Three patterns from the seed are built in:

* ``two_shifts`` — Yangpu's hotline 中晚两班制 kept 7×24 by two groups: day 08:00–20:00 and
  night 20:00–08:00, the groups changing over every week (14-day cycle);
* ``seven_fourteen`` — Pudong's 7+14: three groups, each on site 7 days in a row
  (24 h a day), then 14 days at home;
* ``day_night`` — 白夜休休: four groups, day, night, two days off (4-day cycle).

Patterns are validated here; ``uncovered_hours`` says which hours of the cycle no group covers,
so a pattern that cannot give 7×24 is known before any roster is built from it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from ..errors import InvalidInput

_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_CYCLE_DAYS = 366
MAX_GROUPS = 26


@dataclass(frozen=True)
class Shift:
    code: str       # "D", "N", "ON"
    name: str       # 白班, 夜班, 驻点
    start: time     # local time
    hours: float    # length; start + hours may pass midnight (up to 24 h)

    @property
    def start_minutes(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def minutes(self) -> int:
        return int(round(self.hours * 60))


@dataclass(frozen=True)
class Pattern:
    code: str
    name: str
    shifts: tuple[Shift, ...]
    rotation: dict[str, tuple[str | None, ...]]   # group → shift code per cycle day (None: off)
    about: str = ""
    builtin: bool = False
    _by_code: dict[str, Shift] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _CODE.match(self.code or ""):
            raise InvalidInput(f"排班模式编码无效 {self.code!r} (pattern code: 1-32 letters, digits, _ . -)", field="code")
        if not (self.name or "").strip():
            raise InvalidInput("排班模式名称不能为空 (pattern name is required)", field="name")
        if not self.shifts:
            raise InvalidInput("排班模式至少需要一个班次 (a pattern needs at least one shift)", field="shifts")
        by_code: dict[str, Shift] = {}
        for s in self.shifts:
            if not _CODE.match(s.code or ""):
                raise InvalidInput(f"班次编码无效 {s.code!r} (shift code: 1-32 letters, digits, _ . -)", field="shifts")
            if s.code in by_code:
                raise InvalidInput(f"班次编码重复 {s.code} (shift code used twice)", field="shifts")
            if not (0 < s.hours <= 24):
                raise InvalidInput(f"班次 {s.code} 时长须在 0-24 小时之间 (a shift lasts more than 0 and at most 24 hours)",
                                   field="shifts")
            by_code[s.code] = s
        object.__setattr__(self, "_by_code", by_code)
        if not self.rotation:
            raise InvalidInput("排班模式至少需要一个班组 (a pattern needs at least one group)", field="rotation")
        if len(self.rotation) > MAX_GROUPS:
            raise InvalidInput(f"班组不能超过 {MAX_GROUPS} 个 (at most {MAX_GROUPS} groups)", field="rotation")
        lengths = {len(days) for days in self.rotation.values()}
        if len(lengths) != 1:
            raise InvalidInput("各班组的轮换天数必须相同 (every group's rotation must have the same number of days)",
                               field="rotation")
        n = lengths.pop()
        if not 1 <= n <= MAX_CYCLE_DAYS:
            raise InvalidInput(f"轮换周期须为 1-{MAX_CYCLE_DAYS} 天 (cycle of 1-{MAX_CYCLE_DAYS} days)", field="rotation")
        for group, days in self.rotation.items():
            if not _CODE.match(group or ""):
                raise InvalidInput(f"班组编码无效 {group!r} (group code: 1-32 letters, digits)", field="rotation")
            unknown = sorted({d for d in days if d and d not in by_code})
            if unknown:
                raise InvalidInput(f"班组 {group} 使用了未定义的班次 {unknown} (unknown shift codes)", field="rotation")

    @property
    def cycle_days(self) -> int:
        return len(next(iter(self.rotation.values())))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.rotation)

    def shift(self, code: str) -> Shift:
        return self._by_code[code]

    def uncovered_hours(self) -> list[tuple[int, int]]:
        """(cycle day, local hour) pairs with no group on shift, in a steady rotation (the cycle
        repeats, so a night shift of the last day covers the first morning)."""
        n = self.cycle_days
        minutes = n * 24 * 60
        covered = bytearray(minutes)
        for days in self.rotation.values():
            for d, code in enumerate(days):
                if not code:
                    continue
                s = self._by_code[code]
                start = d * 1440 + s.start_minutes
                for m in range(start, start + s.minutes):
                    covered[m % minutes] = 1
        out = []
        for h in range(n * 24):
            if not all(covered[h * 60:(h + 1) * 60]):
                out.append((h // 24, h % 24))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "about": self.about,
                "shifts": [{"code": s.code, "name": s.name, "start": s.start.strftime("%H:%M"), "hours": s.hours}
                           for s in self.shifts],
                "rotation": {g: [d or None for d in days] for g, days in self.rotation.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any], builtin: bool = False) -> "Pattern":
        if not isinstance(data, dict):
            raise InvalidInput("排班模式须为 JSON 对象 (a pattern is a JSON object)")
        try:
            shifts = tuple(Shift(code=str(s["code"]), name=str(s.get("name") or s["code"]),
                                 start=time.fromisoformat(str(s["start"])), hours=float(s["hours"]))
                           for s in data.get("shifts") or ())
            rotation = {str(g): tuple((str(d) if d else None) for d in days)
                        for g, days in (data.get("rotation") or {}).items()}
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInput(f"排班模式格式错误 (malformed pattern: shifts need code, start HH:MM, hours; "
                               f"rotation maps a group to a list of shift codes): {e}", field="shifts") from None
        return cls(code=str(data.get("code") or ""), name=str(data.get("name") or ""), shifts=shifts,
                   rotation=rotation, about=str(data.get("about") or ""), builtin=builtin)


def _week(code: str | None) -> tuple[str | None, ...]:
    return (code,) * 7


BUILTIN: tuple[Pattern, ...] = (
    Pattern(
        code="two_shifts", name="两班制（中晚两班，周轮换）", builtin=True,
        about="Yangpu hotline: day 08:00-20:00 and night 20:00-08:00, two groups changing over weekly",
        shifts=(Shift("D", "白班", time(8), 12), Shift("N", "夜班", time(20), 12)),
        rotation={"A": _week("D") + _week("N"), "B": _week("N") + _week("D")},
    ),
    Pattern(
        code="seven_fourteen", name="7+14 轮换（三组，在岗7天、居家14天）", builtin=True,
        about="Pudong duty office: three groups, each on site 7 days in a row, then 14 days at home",
        shifts=(Shift("ON", "驻点值守", time(8), 24),),
        rotation={"A": _week("ON") + _week(None) * 2, "B": _week(None) + _week("ON") + _week(None),
                  "C": _week(None) * 2 + _week("ON")},
    ),
    Pattern(
        code="day_night", name="白夜休休（四组）", builtin=True,
        about="four groups: day, night, two days off",
        shifts=(Shift("D", "白班", time(8), 12), Shift("N", "夜班", time(20), 12)),
        rotation={"A": ("D", "N", None, None), "B": (None, "D", "N", None), "C": (None, None, "D", "N"),
                  "D": ("N", None, None, "D")},
    ),
)
