"""Stable codes of the triage fields (from shared/data/taxonomy.json).

Category codes are *not* hard-wired here: the category tree is admin-editable data and
the model learns whichever codes its training examples carry.  Urgency classes and
special-group flags are closed sets that the rules and the engine reason about.
"""
from __future__ import annotations

CRITICAL = "critical"
URGENT = "urgent"
NORMAL = "normal"

#: Urgency classes from the least to the most urgent.  ``URGENCY_RANK[c]`` orders them.
URGENCY_LEVELS: tuple[str, ...] = (NORMAL, URGENT, CRITICAL)
URGENCY_RANK: dict[str, int] = {code: i for i, code in enumerate(URGENCY_LEVELS)}

SPECIAL_GROUPS: tuple[str, ...] = ("elderly", "pregnant", "child", "disabled", "patient")


def max_urgency(*codes: str) -> str:
    """The most urgent of ``codes`` (``normal`` when none given)."""
    best = NORMAL
    for code in codes:
        if URGENCY_RANK[code] > URGENCY_RANK[best]:
            best = code
    return best


def min_urgency(a: str, b: str) -> str:
    return a if URGENCY_RANK[a] <= URGENCY_RANK[b] else b
