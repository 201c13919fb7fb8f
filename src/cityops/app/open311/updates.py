"""The FixMyStreet ``servicerequestupdates`` extension: public timeline events and citizen updates."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .common import (
    _EMAIL, _Errors, _tz, _URL, DEFAULT_NOTES, first, MAX_DESCRIPTION, MAX_RAW_DESCRIPTION,
    MAX_RESULTS, Open311Error, Params, parse_datetime, plain_text, PUBLIC_CHANNELS, UPDATE_KINDS,
    UPDATE_STATUSES, w3c,
)
from .requests import _status_of, _window


# ------------------------------------------------------------------ servicerequestupdates (FixMyStreet)


def _update_view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    data = row["data"] or {}
    status = UPDATE_KINDS.get(row["kind"]) or str(data.get("status") or "OPEN").upper()
    if row["kind"] == "feedback_submitted" and data.get("resolved") is False:
        status = "NO_FURTHER_ACTION"
    return {
        "update_id": str(row["id"]),
        "service_request_id": row["number"],
        "status": status,
        "updated_datetime": w3c(row["at"], tz),
        "description": row["reason"] or DEFAULT_NOTES.get(row["kind"], ""),
        "media_url": data.get("media_url"),
    }


def find_updates(uow, params: Params, now: datetime) -> list[dict[str, Any]]:
    errs = _Errors()
    with uow:
        tz = _tz(uow)
        start, end = _window(params, tz, now, errs)
        rows = uow.open311.updates(channels=PUBLIC_CHANNELS, kinds=list(UPDATE_KINDS), start=start, end=end,
                                   limit=MAX_RESULTS)
        return [_update_view(r, tz) for r in rows]


def post_update(uow, key: dict[str, Any], params: Params, now: datetime) -> list[dict[str, Any]]:
    """A citizen's update on a request (FixMyStreet posts these): a ``citizen_update`` event on the
    order's timeline; its id is the update_id returned."""
    errs = _Errors()
    with uow:
        tz = _tz(uow)
    client_id = first(params, "update_id")
    number = first(params, "service_request_id")
    status = first(params, "status")
    when = first(params, "updated_datetime")
    if client_id is None:
        errs.add("update_id is required")
    elif len(client_id) > 100:
        errs.add("update_id is longer than 100 characters")
    if number is None:
        errs.add("service_request_id is required")
    if status is None:
        errs.add("status is required")
    elif status.upper() not in UPDATE_STATUSES:
        errs.add(f"status must be one of {', '.join(UPDATE_STATUSES)}")
    if when is None:
        errs.add("updated_datetime is required")
    else:
        try:
            parse_datetime(when, tz)
        except ValueError:
            errs.add("updated_datetime must be a W3C date-time")
    raw = first(params, "description") or ""
    text = plain_text(raw[:MAX_RAW_DESCRIPTION + 1])
    if len(raw) > MAX_RAW_DESCRIPTION or len(text) > MAX_DESCRIPTION:
        errs.add(f"description is longer than {MAX_DESCRIPTION} characters")
    email = first(params, "email")
    if email is not None and (len(email) > 200 or not _EMAIL.match(email)):
        errs.add("email is not a valid e-mail address")
    media = first(params, "media_url")
    if media is not None and (len(media) > 1000 or not _URL.match(media)):
        errs.add("media_url must be an http(s) URL")
    errs.raise_if_any()
    assert number is not None and status is not None
    with uow:
        order = uow.orders.get(number, lock=True)
        if order is None or str(order.channel) not in PUBLIC_CHANNELS:
            raise Open311Error(404, f"service_request_id {number[:40]!r} not found")
        _, current = _status_of({"state": order.state, "solved": order.solved, "resolved": order.resolved})
        data = {"status": current.upper(), "client_status": status.upper(), "client_update_id": client_id,
                "api_key_id": key["id"]}
        if media:
            data["media_url"] = media
        uid = uow.open311.add_event(order.id, "citizen_update", now, text or None, data)
        uow.open311.touch_order(order.id, now)
        uow.commit()
    return [{"update_id": str(uid)}]
