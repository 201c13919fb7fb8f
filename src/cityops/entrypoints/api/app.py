"""The FastAPI application: routers, error handlers, OpenAPI."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...bootstrap import Container
from ...domain.errors import (Conflict, DomainError, IllegalTransition, InvalidInput, NotAllowed, NotFound,
                              Unauthenticated)
from .. import web
from . import admin, alerts, knowledge, open311, orders, passes, triage
from . import screen as screen_api
from . import duty as duty_api
from . import community as community_api

STATUS = {IllegalTransition: 409, Conflict: 409, NotAllowed: 403, NotFound: 404, InvalidInput: 422,
          Unauthenticated: 401}


def _status(exc: DomainError) -> int:
    for cls, code in STATUS.items():
        if isinstance(exc, cls):
            return code
    return 400


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errs = exc.errors()
    if not errs:
        return "请求无效 (invalid request)", None
    first = errs[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return "请求体不是有效的 UTF-8 JSON (body is not valid UTF-8 JSON)", None
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('body', 'query', 'path')) or 'body'}: {e.get('msg')}"
             for e in errs[:5]]
    return "字段无效 (invalid fields): " + "; ".join(parts), field


def _warm_triage(container: Container) -> None:
    try:
        with container.read_uow() as uow:
            version, rules = uow.triage.active_version(), uow.triage.rules()
        container.triage.engine(version, rules)
    except Exception:  # noqa: BLE001 — a failed warm-up only means the first request loads it
        logging.getLogger(__name__).exception("triage warm-up failed")


def create_app(container: Container, *, workers=None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load (or train, the first time) the active triage model in the background, so the
        # first operator's first keystroke does not wait for it.
        threading.Thread(target=_warm_triage, args=(container,), name="triage-warmup", daemon=True).start()
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                workers.stop()

    app = FastAPI(
        title="cityops API", version="0.1.0", lifespan=lifespan,
        description="城运中心 work orders: intake, dispatch, deadlines, callbacks, statistics. "
                    "Errors are JSON {error, message, field}; messages are Chinese first, English second.",
    )
    app.state.container = container

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if web.is_web_request(request):
            return web.web_error(request, exc, _status(exc))
        return JSONResponse({"error": exc.code, "message": exc.message, "field": exc.field}, status_code=_status(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        message, field = _validation_message(exc)
        return JSONResponse({"error": "invalid", "message": message, "field": field}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            message = "请求体无法解析：需要 UTF-8 编码的 JSON (body could not be parsed: send UTF-8 encoded JSON)"
        return JSONResponse({"error": "http_" + str(exc.status_code), "message": message, "field": None},
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.get("/healthz", tags=["ops"], summary="Liveness and database check")
    def healthz():
        with container.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"ok": True}

    @app.get("/api/v1/ping", tags=["ops"], summary="Empty endpoint (benchmark baseline)")
    def ping():
        return {"ok": True}

    for r in (admin.auth, admin.admin, admin.me, admin.stats, orders.router, triage.router, knowledge.router,
              alerts.router, alerts.hook, screen_api.router, passes.public, passes.router,
              duty_api.router, community_api.router):
        app.include_router(r)
    open311.include_router(app)
    web.mount(app)
    return app
