"""A labelled request: the unit of the training corpus, of evaluation sets and of operator corrections."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LabelledExample:
    text: str
    category: str
    urgency: str
    special_groups: tuple[str, ...] = field(default_factory=tuple)
    id: str = ""

    @classmethod
    def from_dict(cls, d: dict) -> "LabelledExample":
        return cls(
            text=str(d["text"]),
            category=str(d["category"]),
            urgency=str(d["urgency"]),
            special_groups=tuple(d.get("special_groups") or ()),
            id=str(d.get("id", "")),
        )
