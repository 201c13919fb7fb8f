"""/api/v1 gazetteer, routing rules and knowledge base (口径库)."""
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile

from ...adapters.kb_files import import_file
from ...app.triage import knowledge as kn
from ...domain.errors import InvalidInput, NotFound
from ...domain.roles import Actor, Role
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, errors

router = APIRouter(prefix="/api/v1", tags=["knowledge"], responses=errors(401, 422))
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
MAX_IMPORT = 20 * 1024 * 1024


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK, as committees' files come."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("文件既不是 UTF-8 也不是 GBK 编码 (file is neither UTF-8 nor GBK)", field="file")


async def _read(file: UploadFile) -> bytes:
    data = await file.read(MAX_IMPORT + 1)
    if len(data) > MAX_IMPORT:
        raise InvalidInput("文件超过 20 MB (file too large)", field="file")
    return data


@router.post("/gazetteer/import", responses=STD, summary="Replace the gazetteer from a CSV; bad rows reported")
async def gazetteer_import(actor: Admin, box: Box, now: Now, file: UploadFile = File(...)) -> dict[str, Any]:
    return kn.import_gazetteer(box.uow(), actor, decode_text(await _read(file)), now)


@router.get("/gazetteer/resolve", responses=STD, summary="Which committee and street an address belongs to")
def resolve(actor: CurrentActor, box: Box, address: str = Query(..., max_length=300)) -> dict[str, Any] | None:
    with box.uow() as uow:
        return kn.resolve_area(uow, address)


@router.get("/routing-rules", responses=STD, summary="Routing rules: category (+ area) → responsible unit")
def get_rules(actor: CurrentActor, box: Box) -> list[dict[str, Any]]:
    with box.uow() as uow:
        return uow.routing.rules()


@router.put("/routing-rules", responses=STD, summary="Replace the routing rules (admin; each bad rule named)")
def put_rules(body: list[dict[str, Any]], actor: Admin, box: Box, now: Now) -> list[dict[str, Any]]:
    return kn.put_routing_rules(box.uow(), actor, body, now)


@router.get("/kb", responses=STD, summary="Search the knowledge base (answers valid now), or list it")
def kb_list(actor: CurrentActor, box: Box, now: Now, q: str = Query("", max_length=500),
            category: str | None = None, limit: int = Query(10, ge=1, le=100)) -> list[dict[str, Any]]:
    with box.uow() as uow:
        if q.strip():
            return kn.kb_search(uow, q, now, category=category, limit=limit)
        entries = [e for e in uow.kb.all_versions() if uow.kb.latest(e.id) == e]
    return [kn.kb_view(e, now) for e in entries if not category or e.category == category][:limit]


@router.post("/kb", status_code=201, responses=STD, summary="Add an entry (admin)")
def kb_create(body: dict[str, Any], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return kn.kb_create(box.uow(), actor, body, now)


@router.put("/kb/{key}", responses=STD, summary="Revise an entry: a new version from now (admin)")
def kb_revise(key: str, body: dict[str, Any], actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return kn.kb_revise(box.uow(), actor, key, body, now)


@router.post("/kb/{key}/expire", responses=STD, summary="Withdraw an entry now (admin)")
def kb_expire(key: str, actor: Admin, box: Box, now: Now) -> dict[str, Any]:
    return kn.kb_expire(box.uow(), actor, key, now)


@router.get("/kb/{key}/versions", responses=STD, summary="Version history of an entry")
def kb_versions(key: str, actor: CurrentActor, box: Box, now: Now) -> list[dict[str, Any]]:
    with box.uow() as uow:
        versions = uow.kb.versions(key)
    if not versions:
        raise NotFound(f"口径 {key} 不存在 (unknown entry)", field="key")
    return [kn.kb_view(e, now) for e in versions]


@router.post("/kb/import", responses=STD, summary="Import entries from CSV or XLSX (admin); bad rows reported")
async def kb_import(actor: Admin, box: Box, now: Now, file: UploadFile = File(...)) -> dict[str, Any]:
    data = await _read(file)
    with box.uow() as uow:
        cats = uow.reference.category_names()
    return kn.kb_import(box.uow(), actor, import_file(data, file.filename or "", known_categories=cats,
                                                      default_valid_from=now), now)
