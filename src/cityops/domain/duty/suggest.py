"""Who should take an order: the on-duty member who covers the place and is least loaded.

Every member of the team is ranked, with the reasons shown to the leader: on duty first (off
duty and on leave are never suggested), then covering the place, then the fewest open
assignments, then having the skill the order's category asks for, then the nearest last known
position, then not about to go off shift. One pass to build keys, one sort: O(n log n).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# skills a category asks for (a member with it is preferred, not required)
CATEGORY_SKILLS = {
    "epi.medical": "medical_escort",   # 就医配药 → 就医护送
    "epi.supplies": "delivery",        # 生活物资 → 物资配送
    "epi.access": "patrol",
    "epi.violation": "patrol",
    "city.safety": "patrol",
    "city.environment": "patrol",
}
SKILL_NAMES = {"medical_escort": "就医护送", "delivery": "物资配送", "patrol": "巡查", "video": "视频终端",
               "inspection": "检查"}
SHIFT_ENDING = timedelta(minutes=30)


def skill_for(category: str | None) -> str | None:
    if not category:
        return None
    return CATEGORY_SKILLS.get(category) or CATEGORY_SKILLS.get(category.split(".")[0])


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    on_duty: bool
    covers: bool
    load: int                               # open assignments (assigned, accepted, arrived)
    skills: frozenset[str] = frozenset()
    distance_km: float | None = None        # from the last known position to the place
    shift_ends_at: datetime | None = None
    on_leave: bool = False


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    eligible: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        c = self.candidate
        return {"user_id": c.user_id, "name": c.name, "eligible": self.eligible, "on_duty": c.on_duty,
                "covers": c.covers, "load": c.load, "skills": sorted(c.skills),
                "distance_km": None if c.distance_km is None else round(c.distance_km, 2),
                "shift_ends_at": c.shift_ends_at.isoformat() if c.shift_ends_at else None,
                "reasons": list(self.reasons), "warnings": list(self.warnings)}


def rank(candidates: list[Candidate], now: datetime, skill: str | None = None) -> list[Ranked]:
    keyed = []
    for c in candidates:
        ending = c.shift_ends_at is not None and c.shift_ends_at - now < SHIFT_ENDING
        key = (not c.on_duty, not c.covers, c.load, bool(skill) and skill not in c.skills,
               math.inf if c.distance_km is None else c.distance_km, ending, c.user_id)
        keyed.append((key, c, ending))
    keyed.sort(key=lambda t: t[0])
    out = []
    for _key, c, ending in keyed:
        reasons, warnings = [], []
        if c.on_leave:
            reasons.append("请假 (on leave)")
        elif not c.on_duty:
            reasons.append("不在班 (off duty)")
        else:
            reasons.append("在班 (on duty)")
        reasons.append("负责该地 (covers the place)" if c.covers else "不负责该地 (outside their area)")
        if skill:
            has = skill in c.skills
            reasons.append(f"{'具备' if has else '不具备'}{SKILL_NAMES.get(skill, skill)}技能 "
                           f"({'has' if has else 'lacks'} skill {skill})")
        reasons.append(f"在办 {c.load} 件 ({c.load} open)")
        if c.distance_km is not None:
            reasons.append(f"距离 {c.distance_km:.1f} 公里 ({c.distance_km:.1f} km away)")
        if c.on_duty and not c.covers:
            warnings.append("该队员不负责此地 (the member does not cover this place)")
        if c.on_duty and ending:
            warnings.append("即将下班 (shift ends within 30 minutes)")
        out.append(Ranked(c, c.on_duty, tuple(reasons), tuple(warnings)))
    return out


def best(candidates: list[Candidate], now: datetime, skill: str | None = None) -> Ranked | None:
    """The top suggestion, or None when nobody of the team is on duty."""
    ranked = rank(candidates, now, skill)
    return ranked[0] if ranked and ranked[0].eligible else None
