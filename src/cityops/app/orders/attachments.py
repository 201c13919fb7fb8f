"""Attachments (photos, documents) on an order: stored by content hash, listed on the order."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from ...domain.errors import InvalidInput
from ...domain.roles import Actor
from ..ports import UnitOfWork
from .usecases import load_visible

ALLOWED_TYPES = {
    "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "audio/mpeg", "audio/wav", "video/mp4",
}


class FileStore(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...


def add_attachment(uow: UnitOfWork, store: FileStore, actor: Actor, number: str, filename: str, content_type: str,
                   data: bytes, now: datetime, max_bytes: int) -> dict:
    name = (filename or "").strip().replace("/", "_").replace("\\", "_")[:200]
    if not name:
        raise InvalidInput("文件名不能为空 (filename is required)", field="file")
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(f"不支持的文件类型 {content_type} (unsupported file type)", field="file")
    if not data:
        raise InvalidInput("文件为空 (the file is empty)", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(f"文件超过 {max_bytes // (1024 * 1024)} MB (file too large)", field="file")
    digest = hashlib.sha256(data).hexdigest()
    with uow:
        order = load_visible(uow, actor, number)
        store.put(digest, data)
        att_id = uow.attachments.add(order_id=order.id, filename=name, content_type=content_type, size=len(data),
                                     sha256=digest, uploaded_by=actor.user_id, uploaded_at=now)
        uow.commit()
    return {"id": att_id, "filename": name, "content_type": content_type, "size": len(data), "sha256": digest}

