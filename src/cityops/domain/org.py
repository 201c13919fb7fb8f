"""The org tree: city → district → street/town → residents' committee, plus departments and teams."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnitKind(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    CENTER = "center"          # the district's operations center 城运中心
    STREET = "street"          # 街道 / 镇
    COMMITTEE = "committee"    # 居委
    VILLAGE = "village"        # 村委
    DEPARTMENT = "department"  # 卫健委, 市场监管, 公安 …
    HOSPITAL = "hospital"
    FIELD_TEAM = "field_team"


# Which kinds may sit under which: keeps the tree shaped like the seed's.
ALLOWED_PARENTS: dict[UnitKind, frozenset[UnitKind | None]] = {
    UnitKind.CITY: frozenset({None}),
    UnitKind.DISTRICT: frozenset({UnitKind.CITY, None}),
    UnitKind.CENTER: frozenset({UnitKind.DISTRICT, UnitKind.CITY}),
    UnitKind.STREET: frozenset({UnitKind.DISTRICT}),
    UnitKind.COMMITTEE: frozenset({UnitKind.STREET}),
    UnitKind.VILLAGE: frozenset({UnitKind.STREET}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.DISTRICT, UnitKind.CITY, UnitKind.DEPARTMENT}),
    UnitKind.HOSPITAL: frozenset({UnitKind.DISTRICT, UnitKind.DEPARTMENT}),
    UnitKind.FIELD_TEAM: frozenset({UnitKind.DISTRICT, UnitKind.STREET, UnitKind.CENTER}),
}


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    path: str  # "/1/4/23/": ids from the root down to this unit
    hotline_lead_name: str = ""
    hotline_lead_phone: str = ""
    leader_name: str = ""
    leader_phone: str = ""
    email: str = ""
    webhook_url: str = ""
    active: bool = True

    def contains(self, other: "Unit") -> bool:
        """Is ``other`` this unit or below it?"""
        return other.path.startswith(self.path)


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits."""
    p = phone.strip()
    if len(p) >= 7:
        return p[:3] + "*" * (len(p) - 7) + p[-4:]
    return "*" * len(p)


def mask_name(name: str) -> str:
    """张*明 / 王*: keep the first character (the surname) and the last of longer names."""
    n = name.strip()
    if len(n) <= 1:
        return n
    if len(n) == 2:
        return n[0] + "*"
    return n[0] + "*" * (len(n) - 2) + n[-1]
