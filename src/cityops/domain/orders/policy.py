"""Deadline policies (时限规则): data that an admin edits, validated here."""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from enum import StrEnum
from typing import Any

from ..errors import InvalidInput


class Urgency(StrEnum):
    CRITICAL = "critical"  # 特急: life/safety, resolve within 2 hours
    URGENT = "urgent"      # 紧急: resolve within 24 hours
    NORMAL = "normal"      # 一般: 一日清、两日结


class Mode(StrEnum):
    EPIDEMIC = "epidemic"  # 7×24 clock, the seed's rules
    NORMAL = "normal"      # working hours and holiday calendar for ordinary matters


class EscalationLevel(StrEnum):
    UNIT_LEAD = "unit_lead"                    # the unit's hotline lead 热线负责人
    SUPERVISING_LEADER = "supervising_leader"  # the unit's supervising leader 分管领导
    CENTER_SUPERVISOR = "center_supervisor"    # the center's supervisors 中心督办


@dataclass(frozen=True)
class EscalationStep:
    after_minutes: int  # minutes past the resolve deadline
    level: EscalationLevel


@dataclass(frozen=True)
class DeadlinePolicy:
    mode: Mode
    urgency: Urgency
    category: str | None = None          # None: applies to every category of this urgency
    clock: str = "24x7"                  # "24x7" or "business"
    accept_minutes: int = 30             # accept-by, from dispatch
    feedback_minutes: int | None = None  # first report-back, from dispatch (None: no separate deadline)
    resolve_minutes: int = 120           # resolve-by, from intake (or reopening)
    remind_unaccepted_minutes: int | None = 30  # remind unit lead + supervising leader if not accepted
    warn_fractions: tuple[float, ...] = (0.5, 0.8)
    escalation: tuple[EscalationStep, ...] = field(default_factory=tuple)
    id: int | None = None
    version: int = 1

    def problems(self) -> list[tuple[str, str]]:
        """Every way in which this policy makes no sense, as (field, message)."""
        out: list[tuple[str, str]] = []
        if self.clock not in ("24x7", "business"):
            out.append(("clock", "clock must be 24x7 or business"))
        for name in ("accept_minutes", "resolve_minutes"):
            if getattr(self, name) <= 0:
                out.append((name, f"{name} must be a positive number of minutes"))
        if self.feedback_minutes is not None and self.feedback_minutes <= 0:
            out.append(("feedback_minutes", "feedback_minutes must be positive"))
        if self.remind_unaccepted_minutes is not None and self.remind_unaccepted_minutes <= 0:
            out.append(("remind_unaccepted_minutes", "remind_unaccepted_minutes must be positive"))
        if self.resolve_minutes < self.accept_minutes:
            out.append(("resolve_minutes", "resolve deadline is before the accept deadline"))
        if self.feedback_minutes is not None and self.feedback_minutes > self.resolve_minutes:
            out.append(("feedback_minutes", "feedback deadline is after the resolve deadline"))
        if self.feedback_minutes is not None and self.feedback_minutes < self.accept_minutes:
            out.append(("feedback_minutes", "feedback deadline is before the accept deadline"))
        if any(not (0 < f < 1) for f in self.warn_fractions):
            out.append(("warn_fractions", "warning fractions must lie strictly between 0 and 1"))
        if list(self.warn_fractions) != sorted(set(self.warn_fractions)):
            out.append(("warn_fractions", "warning fractions must be increasing, without repeats"))
        afters = [s.after_minutes for s in self.escalation]
        if any(a < 0 for a in afters):
            out.append(("escalation", "escalation steps must not come before the resolve deadline"))
        if afters != sorted(set(afters)):
            out.append(("escalation", "escalation steps must be in increasing order of time"))
        return out

    def validated(self) -> "DeadlinePolicy":
        problems = self.problems()
        if problems:
            field_, message = problems[0]
            raise InvalidInput("; ".join(m for _, m in problems), field=field_)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mode"] = str(self.mode)
        d["urgency"] = str(self.urgency)
        d["warn_fractions"] = list(self.warn_fractions)
        d["escalation"] = [{"after_minutes": s.after_minutes, "level": str(s.level)} for s in self.escalation]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DeadlinePolicy":
        """Build from plain data (an import file, an API body, a stored snapshot)."""
        try:
            return cls(
                mode=Mode(d["mode"]),
                urgency=Urgency(d["urgency"]),
                category=d.get("category") or None,
                clock=d.get("clock", "24x7"),
                accept_minutes=int(d["accept_minutes"]),
                feedback_minutes=None if d.get("feedback_minutes") is None else int(d["feedback_minutes"]),
                resolve_minutes=int(d["resolve_minutes"]),
                remind_unaccepted_minutes=None
                if d.get("remind_unaccepted_minutes") is None
                else int(d["remind_unaccepted_minutes"]),
                warn_fractions=tuple(float(f) for f in d.get("warn_fractions", (0.5, 0.8))),
                escalation=tuple(
                    EscalationStep(int(s["after_minutes"]), EscalationLevel(s["level"]))
                    for s in d.get("escalation", ())
                ),
                id=d.get("id"),
                version=int(d.get("version", 1)),
            )
        except KeyError as e:
            raise InvalidInput(f"deadline policy is missing {e.args[0]}", field=str(e.args[0])) from e
        except (ValueError, TypeError) as e:
            raise InvalidInput(f"deadline policy has a bad value: {e}") from e


_LADDER = (
    EscalationStep(0, EscalationLevel.UNIT_LEAD),
    EscalationStep(60, EscalationLevel.SUPERVISING_LEADER),
    EscalationStep(240, EscalationLevel.CENTER_SUPERVISOR),
)
_DAY = 24 * 60


def default_policies() -> list[DeadlinePolicy]:
    """The seed's rules (epidemic mode, 7×24) and ordinary-time rules (normal mode)."""
    epi = [
        # 特急: respond at once, resolve within 2 hours, report back within 2 hours (Putuo).
        DeadlinePolicy(Mode.EPIDEMIC, Urgency.CRITICAL, None, "24x7", 15, 120, 120, 30, (0.5, 0.8),
                       (EscalationStep(0, EscalationLevel.UNIT_LEAD),
                        EscalationStep(30, EscalationLevel.SUPERVISING_LEADER),
                        EscalationStep(60, EscalationLevel.CENTER_SUPERVISOR))),
        # 紧急: respond at once, resolve within 24 hours, first report back within 2 hours.
        DeadlinePolicy(Mode.EPIDEMIC, Urgency.URGENT, None, "24x7", 30, 120, _DAY, 30, (0.5, 0.8), _LADDER),
        # 一般/次紧急: 一日清、两日结 — respond in one day, close in two.
        DeadlinePolicy(Mode.EPIDEMIC, Urgency.NORMAL, None, "24x7", _DAY, _DAY, 2 * _DAY, 30, (0.5, 0.8), _LADDER),
    ]
    normal = [
        DeadlinePolicy(Mode.NORMAL, Urgency.CRITICAL, None, "24x7", 15, 120, 120, 30, (0.5, 0.8), _LADDER),
        DeadlinePolicy(Mode.NORMAL, Urgency.URGENT, None, "24x7", 60, 240, _DAY, 30, (0.5, 0.8), _LADDER),
        # Ordinary matters on working hours: accept within 1 working day, resolve within 5.
        DeadlinePolicy(Mode.NORMAL, Urgency.NORMAL, None, "business", 8 * 60, None, 5 * 8 * 60 + 150, 120,
                       (0.5, 0.8), _LADDER),
    ]
    return epi + normal


def choose_policy(policies: list[DeadlinePolicy], mode: Mode, urgency: Urgency, category: str | None) -> DeadlinePolicy:
    """The most specific policy: mode + urgency + category, else mode + urgency for all categories.

    A category policy also applies to the category's children (``epi`` covers ``epi.medical``).
    """
    best: DeadlinePolicy | None = None
    best_len = -1
    for p in policies:
        if p.mode != mode or p.urgency != urgency:
            continue
        if p.category is None:
            score = 0
        elif category and (category == p.category or category.startswith(p.category + ".")):
            score = len(p.category) + 1
        else:
            continue
        if score > best_len:
            best, best_len = p, score
    if best is None:
        raise InvalidInput(f"no deadline policy for mode {mode} and urgency {urgency}", field="urgency")
    return best
