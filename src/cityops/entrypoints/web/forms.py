"""Reading posted forms, shared by the page modules: a text field (trimmed, required or not,
bounded) and the uploaded files of a multipart form (photos, attachments)."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from starlette.datastructures import FormData, UploadFile

from ...app.orders.attachments import add_attachment
from ...domain.errors import InvalidInput
from ...domain.roles import Actor
from . import i18n


def text(form: FormData, name: str, required: bool = False, limit: int | None = None) -> str:
    """The field's trimmed text; InvalidInput (on the field) when required and empty, or longer than ``limit``."""
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise InvalidInput(i18n.gettext("Please fill in this field.") + f" ({name})", field=name)
    if limit is not None and len(value) > limit:
        raise InvalidInput(i18n.gettext("Too long: at most %(n)s characters.") % {"n": limit}, field=name)
    return value


class Upload(NamedTuple):
    filename: str
    content_type: str
    data: bytes


async def uploads(form: FormData, name: str, max_bytes: int) -> list[Upload]:
    """The files posted under ``name`` (empty file inputs skipped). At most ``max_bytes + 1`` bytes
    of each are read, so the use case can refuse one that is too large without reading it all."""
    out = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and item.filename:
            out.append(Upload(item.filename, item.content_type or "", await item.read(max_bytes + 1)))
    return out


async def attach_uploads(box, actor: Actor, number: str, form: FormData, name: str, now: datetime) -> list[int]:
    """Store the files posted under ``name`` on order ``number``; their attachment ids."""
    limit = box.settings.max_upload_bytes
    return [add_attachment(box.uow(), box.files, actor, number, u.filename, u.content_type, u.data, now, limit)["id"]
            for u in await uploads(form, name, limit)]
