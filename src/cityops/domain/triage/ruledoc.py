"""An admin's saved copy of the triage rules next to the rules shipped with cityops.

Once an admin saves the rules, the copy stays in force when a release ships new or better rules
(u.fire_lane; u.medicine_1_2_days reading three days…). :func:`shipped_changes` says where the
shipped rules differ from the copy; :func:`take_shipped` brings the chosen shipped rules (and
marker lists) into the copy and keeps every other edit. There is no common ancestor to merge
from, so nothing is taken unless asked for: a rule the admin deleted on purpose shows as "new",
and the admin leaves it unticked.

Pure: documents in, documents out. Both documents are compared in their validated form
(:meth:`RuleSet.to_data`: pattern sets expanded, defaults dropped), so a rule written two ways
that means the same is not reported as changed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cityops.domain.errors import InvalidInput
from cityops.domain.triage.rules import RuleSet

LISTS = ("negators", "hypothetical", "past")
LOCAL_SUFFIX = "+local"


@dataclass(frozen=True)
class ShippedChanges:
    new: tuple[str, ...]       # shipped rule ids the copy does not have
    changed: tuple[str, ...]   # ids in both whose shipped rule differs
    own: tuple[str, ...]       # ids only in the copy (an admin's own, or dropped from the shipped rules)
    lists: tuple[str, ...]     # negators / hypothetical / past lists that differ

    @property
    def any(self) -> bool:
        return bool(self.new or self.changed or self.lists)

    def to_dict(self) -> dict[str, list[str]]:
        return {"new": list(self.new), "changed": list(self.changed), "own": list(self.own), "lists": list(self.lists)}


def _clean(doc: Any) -> dict[str, Any]:
    return RuleSet.from_data(doc).to_data()  # raises RuleError naming a bad rule


def _by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in doc["rules"]}


def shipped_changes(saved: Any, shipped: Any) -> ShippedChanges:
    """Where the shipped rules differ from ``saved``, rule by rule (in the shipped order)."""
    s_doc, t_doc = _clean(saved), _clean(shipped)
    mine, theirs = _by_id(s_doc), _by_id(t_doc)
    return ShippedChanges(
        new=tuple(i for i in theirs if i not in mine),
        changed=tuple(i for i in theirs if i in mine and mine[i] != theirs[i]),
        own=tuple(i for i in mine if i not in theirs),
        lists=tuple(k for k in LISTS if s_doc[k] != t_doc[k]),
    )


def take_shipped(saved: Any, shipped: Any, ids: Iterable[str], lists: Iterable[str] = ()) -> dict[str, Any]:
    """``saved`` with the shipped version of each rule in ``ids`` (replaced in place, or inserted
    after the shipped rule it follows) and of each marker list in ``lists`` ("past"…).

    The result's version is the shipped version, with "+local" unless the result is now the
    shipped rules themselves."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    lists = list(dict.fromkeys(str(n) for n in lists))
    out, t_doc = _clean(saved), _clean(shipped)
    theirs = _by_id(t_doc)
    unknown = [i for i in ids if i not in theirs]
    if unknown:
        raise InvalidInput(f"出厂规则中没有这些规则 (not in the shipped rules): {', '.join(unknown)}")
    bad = [n for n in lists if n not in LISTS]
    if bad:
        raise InvalidInput(f"没有这些列表 (no such list; one of {', '.join(LISTS)}): {', '.join(bad)}")
    rules = out["rules"]
    order = list(theirs)
    for rid in ids:
        where = [i for i, r in enumerate(rules) if r["id"] == rid]
        if where:
            rules[where[0]] = theirs[rid]
            continue
        present = {r["id"]: i for i, r in enumerate(rules)}
        before = [p for p in order[: order.index(rid)] if p in present]
        rules.insert(present[before[-1]] + 1 if before else 0, theirs[rid])
    for name in lists:
        out[name] = list(t_doc[name])
    left = shipped_changes(out, t_doc)
    out["version"] = t_doc["version"] if not (left.any or left.own) else t_doc["version"] + LOCAL_SUFFIX
    return out
