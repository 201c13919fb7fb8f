"""Request dependencies: the container, the caller, the clock."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ...app import identity
from ...bootstrap import Container
from ...domain.errors import NotAllowed, Unauthenticated
from ...domain.roles import Actor, Role

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login")


def get_container(request: Request) -> Container:
    return request.app.state.container


Box = Annotated[Container, Depends(get_container)]


def get_now(box: Box) -> datetime:
    return box.now()


Now = Annotated[datetime, Depends(get_now)]


def current_actor(request: Request, box: Box,
                  cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    token = cred.credentials if cred else request.cookies.get("cityops_token")
    if not token:
        raise Unauthenticated("请先登录 (log in first: Authorization: Bearer <token>)")
    return identity.authenticate(box.read_uow(), token, box.now())


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role):
    def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise NotAllowed(f"角色「{actor.role}」无权访问 (this needs one of: {', '.join(roles)})")
        return actor
    return check
