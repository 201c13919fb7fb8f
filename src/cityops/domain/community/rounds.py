"""Testing rounds (全员核酸筛查轮次) and what counts as tested, exempted or untested.

A round has an area (a committee, a street or the district), a window (start, end) and who
must test: everyone present, or only the residents of some buildings. Per resident:

* not counted at all: moved out (已搬离);
* **tested**: a result (any, pending included: the sample was taken) with a sample time in
  the window;
* **exempted**: not tested and away (外出), bedridden (卧床: sampled at home by a home-visit
  team, counted when their result arrives), or exempted by the committee with a reason;
* **untested**: everyone else — the list a committee acts on (call, door-knock), with notes.

The cross-match engine (an analytical database over 25 M rows) and the per-building list
(SQL on one building) both implement exactly :func:`classify`; the tests check they agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..errors import InvalidInput
from .ledger import AWAY, BEDRIDDEN, MOVED_OUT

EVERYONE, BUILDINGS = "everyone", "buildings"
SCOPES = (EVERYONE, BUILDINGS)
TESTED, EXEMPTED, UNTESTED, NOT_COUNTED = "tested", "exempted", "untested", "not_counted"

EXCLUDED_STATUSES = (MOVED_OUT,)
EXEMPT_STATUSES = (AWAY,)
EXEMPT_TAGS = (BEDRIDDEN,)

# Why a resident is not tested yet: the note a committee keeps. Some reasons exempt them.
NOTE_REASONS: dict[str, tuple[str, bool]] = {
    "no_answer": ("电话未接通", False),
    "will_go": ("已通知，答应去采样", False),
    "refused": ("拒绝检测", False),
    "not_home": ("上门无人", False),
    "home_sampling": ("已安排上门采样", True),
    "away": ("不在本地（外出）", True),
    "hospital": ("住院中", True),
    "tested_elsewhere": ("已在外区检测", True),
    "other": ("其他", False),
}
MAX_ROUND_DAYS = 14


def exempting_reasons() -> tuple[str, ...]:
    return tuple(k for k, (_, exempt) in NOTE_REASONS.items() if exempt)


def classify(status: str, tags: tuple[str, ...] | list[str], tested: bool, noted_exempt: bool = False) -> str:
    if status in EXCLUDED_STATUSES:
        return NOT_COUNTED
    if tested:
        return TESTED
    if status in EXEMPT_STATUSES or any(t in EXEMPT_TAGS for t in tags) or noted_exempt:
        return EXEMPTED
    return UNTESTED


@dataclass(frozen=True)
class RoundSpec:
    name: str
    area_unit_id: int
    starts_at: datetime
    ends_at: datetime
    scope: str = EVERYONE
    building_ids: tuple[int, ...] = ()


def check_round(spec: RoundSpec) -> RoundSpec:
    if not spec.name.strip():
        raise InvalidInput("请填写轮次名称 (the round needs a name)", field="name")
    if len(spec.name) > 100:
        raise InvalidInput("轮次名称过长 (the name is too long)", field="name")
    if spec.ends_at <= spec.starts_at:
        raise InvalidInput("结束时间须晚于开始时间 (the round must end after it starts)", field="ends_at")
    if (spec.ends_at - spec.starts_at).days > MAX_ROUND_DAYS:
        raise InvalidInput(f"一轮最长 {MAX_ROUND_DAYS} 天 (a round lasts at most {MAX_ROUND_DAYS} days)", field="ends_at")
    if spec.scope not in SCOPES:
        raise InvalidInput(f"检测范围须为 {SCOPES} (scope must be everyone or buildings)", field="scope")
    if spec.scope == BUILDINGS and not spec.building_ids:
        raise InvalidInput("按楼栋检测时须选择楼栋 (choose the buildings that must test)", field="building_ids")
    return spec


@dataclass
class Tally:
    """Counts for one building, committee, street or the district."""

    must: int = 0       # residents counted in the round (moved-out residents are not)
    tested: int = 0
    exempted: int = 0
    untested: int = 0
    positive: int = 0
    children: list = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.must += other.must
        self.tested += other.tested
        self.exempted += other.exempted
        self.untested += other.untested
        self.positive += other.positive

    @property
    def rate(self) -> float:
        """Share done (tested or exempted) of those who must test; 1.0 when nobody must."""
        return round((self.tested + self.exempted) / self.must, 4) if self.must else 1.0

    def to_dict(self) -> dict:
        return {"must": self.must, "tested": self.tested, "exempted": self.exempted, "untested": self.untested,
                "positive": self.positive, "rate": self.rate}
