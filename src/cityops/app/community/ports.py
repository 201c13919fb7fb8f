"""What the community use cases need from outside: the SQL repository (through the unit of
work) and the cross-match engine (an analytical database over the whole ledger)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from ...domain.community.rounds import RoundSpec


@dataclass
class MatchOutcome:
    """Figures per (building, unit) of one round, and what it took to get them."""

    rows: list[dict]                     # committee_id, building_id, unit, must, tested, exempted, untested, positive
    residents: int = 0                   # ledger rows read
    results: int = 0                     # result rows in the window
    untested_file: str | None = None     # Parquet file of the untested residents (ids), when asked for
    seconds: dict = field(default_factory=dict)


class CrossMatcher(Protocol):
    def match(self, spec: RoundSpec, committee_ids: Sequence[int], exempt_resident_ids: Sequence[int]) -> MatchOutcome:
        ...
