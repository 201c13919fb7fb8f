"""People and units: login, tokens, users, the org tree."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unauthenticated
from ..domain.org import ALLOWED_PARENTS, Unit, UnitKind
from ..domain.roles import Actor, Role


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, hashed: str, password: str) -> bool: ...


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(uow, hasher: PasswordHasher, username: str, password: str, now: datetime, ttl_hours: int) -> tuple[str, Actor]:
    with uow:
        user = uow.users.by_username(username.strip())
        # Verify even for unknown users, so timing does not tell which usernames exist.
        ok = hasher.verify(user["password_hash"] if user else _DUMMY_HASH.get(hasher), password)
        if not user or not ok or not user["active"]:
            raise Unauthenticated("用户名或密码错误 (wrong username or password)")
        token = secrets.token_urlsafe(32)
        uow.users.add_token(_token_hash(token), user["id"], now, now + timedelta(hours=ttl_hours))
        uow.commit()
        return token, actor_of(user)


class _DummyHash:
    """A hash of a random password per hasher, computed once."""

    def __init__(self) -> None:
        self._h: dict[int, str] = {}

    def get(self, hasher: PasswordHasher) -> str:
        key = id(hasher)
        if key not in self._h:
            self._h[key] = hasher.hash(secrets.token_hex(8))
        return self._h[key]


_DUMMY_HASH = _DummyHash()


def actor_of(user: dict[str, Any]) -> Actor:
    return Actor(user_id=user["id"], username=user["username"], role=Role(user["role"]), unit_id=user["unit_id"],
                 display_name=user.get("display_name", ""))


def authenticate(uow, token: str, now: datetime) -> Actor:
    with uow:
        user = uow.users.by_token(_token_hash(token), now)
    if user is None or not user["active"]:
        raise Unauthenticated("登录已失效，请重新登录 (token missing, invalid or expired)")
    return actor_of(user)


def logout(uow, token: str) -> None:
    with uow:
        uow.users.delete_token(_token_hash(token))
        uow.commit()


_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def create_user(uow, hasher: PasswordHasher, actor: Actor | None, *, username: str, password: str, role: str,
                unit_code: str, now: datetime, display_name: str = "", phone: str = "", email: str = "") -> dict:
    """Admin creates a user (``actor=None``: the CLI on the server itself)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以创建用户 (only an admin may create users)")
    if not _USERNAME.match(username or ""):
        raise InvalidInput("用户名须为 2–64 位字母、数字或 _ . - (username: 2-64 letters, digits, _ . -)", field="username")
    if len(password or "") < 8:
        raise InvalidInput("密码至少 8 位 (password must have at least 8 characters)", field="password")
    try:
        r = Role(role)
    except ValueError:
        raise InvalidInput(f"未知角色 {role!r} (role must be one of {[x.value for x in Role]})", field="role") from None
    with uow:
        unit = uow.units.by_code(unit_code)
        if unit is None:
            raise NotFound(f"单位 {unit_code} 不存在 (unknown unit)", field="unit")
        if uow.users.by_username(username):
            raise Conflict(f"用户名 {username} 已存在 (username taken)", field="username")
        uid = uow.users.add(dict(username=username, password_hash=hasher.hash(password), role=str(r), unit_id=unit.id,
                                 display_name=display_name, phone=phone, email=email, active=True, created_at=now))
        uow.audit.add(now, actor.user_id if actor else None, "user_created", "user", str(uid),
                      {"username": username, "role": str(r), "unit": unit_code})
        uow.commit()
    return {"id": uid, "username": username, "role": str(r), "unit_code": unit_code, "display_name": display_name}


def create_unit(uow, actor: Actor | None, *, code: str, name: str, kind: str, parent_code: str | None, now: datetime,
                **contacts: str) -> Unit:
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以维护组织架构 (only an admin may change the org tree)")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 64:
        raise InvalidInput("单位编码不能为空且不超过 64 字符 (code is required, at most 64 characters)", field="code")
    if not name or len(name) > 200:
        raise InvalidInput("单位名称不能为空 (name is required)", field="name")
    try:
        k = UnitKind(kind)
    except ValueError:
        raise InvalidInput(f"未知单位类型 {kind!r} (kind must be one of {[x.value for x in UnitKind]})",
                           field="kind") from None
    with uow:
        parent = None
        if parent_code:
            parent = uow.units.by_code(parent_code)
            if parent is None:
                raise NotFound(f"上级单位 {parent_code} 不存在 (unknown parent unit)", field="parent")
        if (parent.kind if parent else None) not in ALLOWED_PARENTS[k]:
            raise InvalidInput(f"「{k}」不能挂在「{parent.kind if parent else '顶层'}」之下 (this kind of unit cannot sit there)",
                               field="parent")
        if uow.units.by_code(code):
            raise Conflict(f"单位编码 {code} 已存在 (unit code taken)", field="code")
        unit = uow.units.add(code=code, name=name, kind=str(k), parent=parent, now=now, **contacts)
        uow.audit.add(now, actor.user_id if actor else None, "unit_created", "unit", code, {"name": name, "kind": str(k)})
        uow.commit()
        return unit
