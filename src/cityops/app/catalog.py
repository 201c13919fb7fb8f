"""The category tree (two levels) and special groups: names editable, categories addable by admin.

Codes are stable identifiers (labelled evaluation sets and policies refer to them): a code
never changes; a category that is no longer used is deactivated, not deleted."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from ..domain.roles import Actor, Role

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,30}(\.[a-z][a-z0-9_]{1,30})?$")


def _admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以维护类别 (only an admin may change categories)")


def add_category(uow, actor: Actor, *, code: str, name: str, en: str = "", about: str = "",
                 now: datetime) -> dict[str, Any]:
    """A new second-level category under an existing first-level one (code ``parent.child``),
    or a new first-level one (a code without a dot)."""
    _admin(actor)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput("类别编码须为小写字母、数字、下划线，最多两级，如 epi.masks (code like 'epi.masks')",
                           field="code")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("类别名称不能为空且不超过 100 字 (name is required, at most 100 characters)", field="name")
    parent = code.split(".")[0] if "." in code else None
    with uow:
        if uow.reference.category(code) is not None:
            raise Conflict(f"类别 {code} 已存在 (category exists)", field="code")
        if parent is not None:
            p = uow.reference.category(parent)
            if p is None:
                raise NotFound(f"上级类别 {parent} 不存在 (unknown parent category)", field="code")
            if p["parent_code"] is not None:
                raise InvalidInput("类别最多两级 (categories have two levels)", field="code")
        uow.reference.add_category(code, name, en, about, parent)
        uow.audit.add(now, actor.user_id, "category_added", "category", code, {"name": name, "parent": parent})
        added = uow.reference.category(code)
        uow.commit()
        return added


def update_category(uow, actor: Actor, code: str, changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Rename, describe or (de)activate a category; the code stays."""
    _admin(actor)
    allowed = {"name", "en", "about", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"不能修改 {sorted(unknown)}（编码不可变）(only name, en, about, active can change)",
                           field=sorted(unknown)[0])
    if "name" in changes and not (str(changes["name"]).strip() and len(str(changes["name"])) <= 100):
        raise InvalidInput("类别名称不能为空且不超过 100 字 (name is required)", field="name")
    with uow:
        before = uow.reference.category(code)
        if before is None:
            raise NotFound(f"类别 {code} 不存在 (unknown category)", field="code")
        uow.reference.update_category(code, changes, now)
        uow.audit.add(now, actor.user_id, "category_changed", "category", code,
                      {"before": {k: before[k] for k in changes}, "after": changes})
        after = uow.reference.category(code)
        uow.commit()
        return after
