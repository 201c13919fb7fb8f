"""Open311 GeoReport v2 over HTTP (XML and JSON), plus the admin API for its keys and attributes.

The GeoReport routes live under a base path (``DEFAULT_PREFIX`` unless create_app passes
another); they read parameters from the query string and, for POST, the form body, hand them
to ``cityops.app.open311`` and render the result. Errors are the spec's
``<errors><error><code/><description/></error></errors>`` (JSON: a list of {code, description}).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...app import open311 as uc
from ...domain.errors import DomainError, NotAllowed, NotFound
from ...domain.roles import Actor, Role
from .deps import Box, Now, require
from .schemas import STD

DEFAULT_PREFIX = "/open311/v2"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("xml", "json")

# list element name → name of each item in it
ITEM_NAMES = {"services": "service", "service_requests": "request", "service_request_updates": "request_update",
              "errors": "error", "attributes": "attribute", "values": "value", "endpoints": "endpoint",
              "formats": "format", "groups": "group"}
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


# ------------------------------------------------------------------ rendering


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return _XML_BAD.sub("", str(v))


def _fill(el: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(ET.SubElement(el, k), k, v)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(name, "item")
        for v in value:
            _fill(ET.SubElement(el, item), item, v)
    elif value is not None:
        el.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    el = ET.Element(root)
    _fill(el, root, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8", xml_declaration=False)


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(_no_nulls(value), status_code=status)
    return Response(to_xml(root, value), status_code=status, media_type=XML_TYPE)


def error_response(fmt: str, status: int, errors: list[tuple[int, str]]) -> Response:
    return render(fmt if fmt in FORMATS else "xml", "errors",
                  [{"code": c, "description": d} for c, d in errors], status)


# ------------------------------------------------------------------ plumbing


async def _params(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    if request.method == "POST":
        form = await request.form()
        for k, v in form.multi_items():
            if isinstance(v, str):
                out.setdefault(k, []).append(v)
    return out


async def _run(fmt: str, root: str, fn: Callable[[], Any]) -> Response:
    if fmt not in FORMATS:
        return error_response("xml", 400, [(400, "response format must be xml or json")])
    try:
        return render(fmt, root, await run_in_threadpool(fn))
    except uc.Open311Error as e:
        return error_response(fmt, e.status, e.errors)
    except DomainError as e:
        status = 404 if isinstance(e, NotFound) else 403 if isinstance(e, NotAllowed) else 400
        return error_response(fmt, status, [(status, e.message)])


def _box(request: Request):
    return request.app.state.container


def build_router(prefix: str = DEFAULT_PREFIX) -> APIRouter:
    r = APIRouter(prefix=prefix.rstrip("/"), tags=["open311"], include_in_schema=False)

    @r.get("/discovery.{fmt}")
    async def discovery(request: Request, fmt: str):
        base = str(request.base_url).rstrip("/") + prefix.rstrip("/") + "/"
        return await _run(fmt, "discovery", lambda: uc.discovery(base))

    @r.get("/services.{fmt}")
    async def services(request: Request, fmt: str):
        box = _box(request)
        return await _run(fmt, "services", lambda: uc.list_services(box.read_uow()))

    @r.get("/services/{code}.{fmt}")
    async def service(request: Request, code: str, fmt: str):
        box = _box(request)
        return await _run(fmt, "service_definition", lambda: uc.service_definition(box.read_uow(), code))

    @r.api_route("/requests.{fmt}", methods=["GET", "POST"])
    async def requests(request: Request, fmt: str):
        box = _box(request)
        try:
            params = await _params(request)
        except Exception:  # a body that is not a form
            return error_response(fmt, 400, [(400, "the body must be application/x-www-form-urlencoded")])
        if request.method == "GET":
            return await _run(fmt, "service_requests", lambda: uc.find_requests(box.read_uow(), params, box.now()))

        def go():
            now = box.now()
            key = uc.authenticate_key(box.uow(), uc.first(params, "api_key"), now)
            return uc.submit_request(box.uow(), box.triage, key, params, now)
        return await _run(fmt, "service_requests", go)

    @r.get("/requests/{number}.{fmt}")
    async def get_request(request: Request, number: str, fmt: str):
        box = _box(request)
        return await _run(fmt, "service_requests", lambda: uc.get_request(box.read_uow(), number))

    @r.get("/tokens/{token_id}.{fmt}")
    async def token(request: Request, token_id: str, fmt: str):
        box = _box(request)
        return await _run(fmt, "service_requests", lambda: uc.token(box.read_uow(), token_id))

    @r.get("/update_tokens/{token_id}.{fmt}")
    async def update_token(request: Request, token_id: str, fmt: str):
        box = _box(request)
        return await _run(fmt, "service_request_updates", lambda: uc.update_token(box.read_uow(), token_id))

    @r.api_route("/servicerequestupdates.{fmt}", methods=["GET", "POST"])
    async def updates(request: Request, fmt: str):
        box = _box(request)
        try:
            params = await _params(request)
        except Exception:
            return error_response(fmt, 400, [(400, "the body must be application/x-www-form-urlencoded")])
        if request.method == "GET":
            return await _run(fmt, "service_request_updates",
                              lambda: uc.find_updates(box.read_uow(), params, box.now()))

        def go():
            now = box.now()
            key = uc.authenticate_key(box.uow(), uc.first(params, "api_key"), now)
            return uc.post_update(box.uow(), key, params, now)
        return await _run(fmt, "service_request_updates", go)

    @r.get("/{rest:path}")
    async def not_found(rest: str):
        fmt = rest.rsplit(".", 1)[-1] if "." in rest else "xml"
        return error_response(fmt, 404, [(404, "no such Open311 resource")])

    return r


# ------------------------------------------------------------------ admin API (keys, attributes)

admin = APIRouter(prefix="/api/v1", tags=["open311"], responses=STD)
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    channel: str = Field("open311", description="open311 | web: the channel its requests are filed on")


class AttributeValue(BaseModel):
    key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)


class AttributeIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    datatype: str = Field(description="string | number | datetime | text | singlevaluelist | multivaluelist")
    required: bool = False
    variable: bool = True
    description: str = Field("", max_length=500)
    values: list[AttributeValue] = Field(default_factory=list, description="in order; list types only")


@admin.post("/open311/keys", status_code=201, summary="Issue an Open311 API key (admin); the key is shown once")
def create_key(body: KeyIn, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return uc.create_key(box.uow(), actor, body.name, body.channel, now)


@admin.get("/open311/keys", summary="Open311 API keys (admin): prefix, name, channel, active, last use")
def list_keys(actor: Admin, box: Box) -> list[dict[str, Any]]:
    return uc.list_keys(box.uow(), actor)


@admin.delete("/open311/keys/{key_id}", summary="Revoke an Open311 API key (admin)")
def revoke_key(key_id: int, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return uc.revoke_key(box.uow(), actor, key_id, now)


@admin.get("/categories/{code}/attributes", summary="A category's Open311 service attributes")
def get_attributes(code: str, actor: Admin, box: Box) -> list[dict[str, Any]]:
    return uc.get_attributes(box.uow(), code)


@admin.put("/categories/{code}/attributes", summary="Replace a category's Open311 service attributes (admin)")
def put_attributes(code: str, body: list[AttributeIn], actor: Admin, box: Box, now: Now) -> list[dict[str, Any]]:
    return uc.put_attributes(box.uow(), actor, code, [a.model_dump() for a in body], now)


def include_router(app: FastAPI, prefix: str = DEFAULT_PREFIX) -> None:
    """Mount the GeoReport v2 routes under ``prefix`` and the admin routes under /api/v1."""
    app.include_router(build_router(prefix))
    app.include_router(admin)
