"""Possible duplicates: how alike two requests are, from their text, place and matter."""
from __future__ import annotations

from dataclasses import dataclass

from .text import normalize


def bigrams(text: str) -> frozenset[str]:
    t = "".join(ch for ch in normalize(text) if not ch.isspace() and ch not in "，。！？,.!?、：:；;（）()\"'“”")
    return frozenset(t[i:i + 2] for i in range(len(t) - 1)) if len(t) > 1 else frozenset({t} if t else ())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (0–1): robust to word order and to the
    way different callers phrase the same problem."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


@dataclass(frozen=True)
class Candidate:
    number: str
    text: str
    address: str
    category: str | None
    area_unit_id: int | None


@dataclass(frozen=True)
class DuplicateHint:
    number: str
    score: float
    same_place: bool
    same_category: bool


def rank_duplicates(text: str, address: str, category: str | None, area_unit_id: int | None,
                    candidates: list[Candidate], limit: int = 5, threshold: float = 0.35) -> list[DuplicateHint]:
    """Candidates scored by text likeness, raised for the same place and the same matter."""
    out = []
    for c in candidates:
        same_place = (area_unit_id is not None and c.area_unit_id == area_unit_id) or (
            bool(address) and bool(c.address) and (address in c.address or c.address in address))
        same_category = category is not None and c.category == category
        score = similarity(text, c.text) + (0.25 if same_place else 0.0) + (0.15 if same_category else 0.0)
        if score >= threshold:
            out.append(DuplicateHint(c.number, round(min(score, 1.0), 3), same_place, same_category))
    out.sort(key=lambda h: -h.score)
    return out[:limit]
