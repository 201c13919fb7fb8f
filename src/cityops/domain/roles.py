"""Roles of the people who use cityops."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"          # 受理员
    SUPERVISOR = "supervisor"      # 派单员 · 督办员
    UNIT_HANDLER = "unit_handler"  # 承办单位
    FIELD_MEMBER = "field_member"  # 队员
    COMMANDER = "commander"        # 指挥长
    ADMIN = "admin"


CENTER_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN})
HANDLING_ROLES = frozenset({Role.UNIT_HANDLER, Role.FIELD_MEMBER})
# Roles that may reveal a caller's full name and phone (each reveal is audited).
REVEAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.UNIT_HANDLER, Role.FIELD_MEMBER})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with one role in one unit."""

    user_id: int
    username: str
    role: Role
    unit_id: int
    display_name: str = ""

    @property
    def is_center(self) -> bool:
        return self.role in CENTER_ROLES


SYSTEM = Actor(user_id=0, username="system", role=Role.SUPERVISOR, unit_id=0, display_name="系统")
