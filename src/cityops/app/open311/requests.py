"""Open311 requests: filing (POST), finding and reading back (GET), tokens."""
from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from ...domain.errors import DomainError
from ...domain.orders.model import State
from ...domain.roles import Actor, Role
from ..orders.usecases import NewOrder, create_order
from ..triage.usecases import suggest

from .common import (
    _EMAIL, _Errors, _float, _tz, _URL, DEFAULT_NOTES, first, MAX_DESCRIPTION, MAX_RAW_DESCRIPTION,
    MAX_RESULTS, MAX_WINDOW, NOTE_KINDS, Open311Error, Params, parse_datetime, plain_text,
    PUBLIC_CHANNELS, STATUS_OF_STATE, STATUSES, UPDATE_KINDS, w3c,
)
from .services import _service


# ------------------------------------------------------------------ POST requests


def _attributes_from(params: Params) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 → {code: [values]}."""
    out: dict[str, list[str]] = {}
    for name, values in params.items():
        m = re.fullmatch(r"attribute\[([^\[\]]{1,64})\](\[\])?", name)
        if m:
            vals = [v.strip() for v in values if v and v.strip()]
            if vals:
                out.setdefault(m.group(1), []).extend(vals)
    return out


def _check_attributes(defs: list[dict[str, Any]], given: dict[str, list[str]], tz: str,
                      errs: _Errors) -> dict[str, Any]:
    """Validate the service's declared attributes; undeclared ones (FixMyStreet sends several,
    e.g. fixmystreet_id, title, report_url) are kept as plain text."""
    out: dict[str, Any] = {}
    declared = {d["code"]: d for d in defs}
    for d in defs:
        code, vals = d["code"], given.get(d["code"], [])
        if not vals:
            if d["required"] and d["variable"]:
                errs.add(f"attribute[{code}] is required")
            continue
        keys = [str(v["key"]) for v in d["values"] or []]
        dt = d["datatype"]
        if dt == "multivaluelist":
            bad = [v for v in vals if v not in keys]
            if bad:
                errs.add(f"attribute[{code}] has values not in its list: {', '.join(bad[:5])[:200]}")
            out[code] = list(dict.fromkeys(vals))
            continue
        if len(vals) > 1:
            errs.add(f"attribute[{code}] takes one value")
            continue
        v = vals[0]
        if dt == "singlevaluelist" and v not in keys:
            errs.add(f"attribute[{code}] must be one of its list's keys")
        elif dt == "number":
            try:
                f = float(v)
                if math.isnan(f) or math.isinf(f):
                    raise ValueError
            except ValueError:
                errs.add(f"attribute[{code}] must be a number")
        elif dt == "datetime":
            try:
                v = parse_datetime(v, tz).isoformat()
            except ValueError:
                errs.add(f"attribute[{code}] must be a W3C date-time")
        elif len(v) > (4000 if dt == "text" else 1000):
            errs.add(f"attribute[{code}] is too long")
        out[code] = plain_text(v) if dt in ("string", "text") else v
    for code, vals in given.items():
        if code not in declared and len(out) < 50:
            out[code] = plain_text(" ".join(vals))[:1000]
    return out


def submit_request(uow, engines, key: dict[str, Any], params: Params, now: datetime) -> list[dict[str, Any]]:
    """POST requests: a new work order on the key's channel; triage sets urgency and special groups."""
    errs = _Errors()
    with uow:
        tz = _tz(uow)
        center = uow.units.center()
    code = first(params, "service_code")
    service = None
    if code is None:
        errs.add("service_code is required")
    else:
        with uow:
            service = next((s for s in uow.open311.services() if s["code"] == code), None)
            defs = uow.open311.attributes(code) if service else []
        if service is None:
            errs.add(f"service_code {code[:64]!r} not found")
    lat_s, lng_s = first(params, "lat"), first(params, "long")
    address = first(params, "address_string")
    address_id = first(params, "address_id")
    lat = _float(lat_s, -90, 90, "lat", errs)
    lng = _float(lng_s, -180, 180, "long", errs)
    if (lat_s is None) != (lng_s is None):
        errs.add("lat and long must be given together")
    if lat_s is None and lng_s is None and address is None and address_id is None:
        errs.add("a location is required: lat and long, address_string or address_id")
    if address is not None:
        address = plain_text(address)
        if len(address) > 300:
            errs.add("address_string is longer than 300 characters")
    if address_id is not None and len(address_id) > 100:
        errs.add("address_id is longer than 100 characters")
    raw = first(params, "description") or ""
    if len(raw) > MAX_RAW_DESCRIPTION:
        errs.add(f"description is longer than {MAX_DESCRIPTION} characters")
        text = ""
    else:
        text = plain_text(raw)
        if len(text) > MAX_DESCRIPTION:
            errs.add(f"description is longer than {MAX_DESCRIPTION} characters")
    email = first(params, "email")
    if email is not None and (len(email) > 200 or not _EMAIL.match(email)):
        errs.add("email is not a valid e-mail address")
    phone = first(params, "phone")
    if phone is not None and (len(phone) > 40 or not re.fullmatch(r"[0-9+()\-. /x]{3,40}", phone)):
        errs.add("phone is not a valid phone number")
    name = " ".join(plain_text(n) for n in (first(params, "first_name"), first(params, "last_name")) if n)
    if len(name) > 100:
        errs.add("first_name and last_name are longer than 100 characters")
    media = [m for m in params.get("media_url", []) if m and m.strip()]
    for m in media:
        if len(m) > 1000 or not _URL.match(m.strip()):
            errs.add("media_url must be an http(s) URL")
            break
    extras = {}
    for f in ("device_id", "account_id"):
        v = first(params, f)
        if v is not None:
            if len(v) > 100:
                errs.add(f"{f} is longer than 100 characters")
            extras[f] = v[:100]
    attributes = _check_attributes(defs, _attributes_from(params), tz, errs) if service else {}
    errs.raise_if_any()
    assert service is not None and center is not None
    if not text:
        text = attributes.get("title") or _service(service)["service_name"]
        text = str(text)[:MAX_DESCRIPTION]
    hint = suggest(uow, engines, text, now, address=address or "")
    details = {"api_key_id": key["id"], "api_key_name": key["name"], **extras}
    if email:
        details["email"] = email
    if media:
        details["media_url"] = media[0].strip()
        if len(media) > 1:
            details["media_urls"] = [m.strip() for m in media[:10]]
    if address_id:
        details["address_id"] = address_id
    if attributes:
        details["attributes"] = attributes
    ext = attributes.get("fixmystreet_id")
    actor = Actor(user_id=0, username=f"open311:{key['name']}"[:64], role=Role.OPERATOR, unit_id=center.id)
    cmd = NewOrder(text=text, channel=key["channel"], urgency=hint["urgency"], category=code,
                   caller_name=name, caller_phone=phone or "", address=address or "", lat=lat, lng=lng,
                   special_groups=tuple(g["code"] for g in hint["special_groups"]),
                   external_ref=str(ext)[:100] if ext else None, details=details)
    try:
        order = create_order(uow, actor, cmd, now)
    except DomainError as e:  # a rule of the core refused the request: the spec's 400
        raise Open311Error(400, e.message) from None
    notice = None
    if order.resolve_due_at is not None:
        notice = f"Expected to be resolved by {w3c(order.resolve_due_at, tz)}."
    return [{"service_request_id": order.number, "service_notice": notice,
             **({"account_id": extras["account_id"]} if "account_id" in extras else {})}]


# ------------------------------------------------------------------ GET requests


def _status_of(row: dict[str, Any]) -> tuple[str, str]:
    basic, ext = STATUS_OF_STATE[State(row["state"])]
    if row["state"] in (State.FEEDBACK_SUBMITTED, State.CALLBACK_DONE):
        ok = row["solved"] if row["solved"] is not None else row["resolved"]
        ext = "fixed" if ok is not False else "no_further_action"
    return basic, ext


def _request_view(row: dict[str, Any], notes: dict[int, dict], parents: dict[int, str], center_name: str,
                  tz: str) -> dict[str, Any]:
    basic, ext = _status_of(row)
    ev = notes.get(row["id"])
    note = None
    if ev is not None:
        note = ev["reason"] or DEFAULT_NOTES.get(ev["kind"])
    if row["state"] == State.MERGED and row["parent_id"] in parents:
        note = f"Duplicate of request {parents[row['parent_id']]}." + (f" {note}" if note and ev["reason"] else "")
    details = row["details"] or {}
    closed = basic == "closed"
    return {
        "service_request_id": row["number"],
        "status": basic,
        "extended_status": ext,
        "status_notes": note,
        "service_name": row["category_en"] or row["category_name"] or row["category"],
        "service_code": row["category"],
        "description": row["text"],
        "agency_responsible": row["lead_unit_name"] or center_name,
        "service_notice": None,
        "requested_datetime": w3c(row["received_at"], tz),
        "updated_datetime": w3c(row["updated_at"], tz),
        "expected_datetime": None if closed else w3c(row["resolve_due_at"], tz),
        "address": row["address"] or None,
        "address_id": details.get("address_id"),
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lng"],
        "media_url": details.get("media_url"),
    }


def _views(uow, rows: list[dict[str, Any]], tz: str) -> list[dict[str, Any]]:
    notes = uow.open311.latest_events([r["id"] for r in rows], NOTE_KINDS)
    parents = uow.open311.parent_numbers(r["parent_id"] for r in rows if r["parent_id"])
    center = uow.units.center()
    return [_request_view(r, notes, parents, center.name if center else "", tz) for r in rows]


def _window(params: Params, tz: str, now: datetime, errs: _Errors) -> tuple[datetime, datetime]:
    start = end = None
    for name in ("start_date", "end_date"):
        v = first(params, name)
        if v is not None:
            try:
                d = parse_datetime(v, tz)
            except ValueError:
                errs.add(f"{name} must be a W3C date-time, e.g. 2022-03-25T09:00:00+08:00")
                continue
            if name == "start_date":
                start = d
            else:
                end = d
    errs.raise_if_any()
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if end < start:
        errs.add("end_date is before start_date")
    elif end - start > MAX_WINDOW:
        errs.add("the window from start_date to end_date may not span more than 90 days")
    errs.raise_if_any()
    return start, end


def find_requests(uow, params: Params, now: datetime) -> list[dict[str, Any]]:
    errs = _Errors()
    with uow:
        tz = _tz(uow)
        ids = first(params, "service_request_id")
        if ids is not None:  # overrides every other filter
            numbers = [n.strip() for n in ids.split(",") if n.strip()][:MAX_RESULTS]
            rows = uow.open311.requests(channels=PUBLIC_CHANNELS, numbers=numbers)
            order = {n: i for i, n in enumerate(numbers)}
            return _views(uow, sorted(rows, key=lambda r: order.get(r["number"], 0)), tz)
        wanted: set[str] = set()
        for v in params.get("status", []):
            for s in (v or "").split(","):
                s = s.strip().lower()
                if not s:
                    continue
                if s not in STATUSES:
                    errs.add(f"status {s[:40]!r} is not one of {', '.join(STATUSES)}")
                wanted.add(s)
        code = first(params, "service_code")
        start, end = _window(params, tz, now, errs)
        errs.raise_if_any()
        states = None
        if wanted:
            states = {st.value for st, (b, e) in STATUS_OF_STATE.items() if b in wanted or e in wanted}
            if "no_further_action" in wanted:
                states |= {State.FEEDBACK_SUBMITTED.value, State.CALLBACK_DONE.value}
        rows = uow.open311.requests(channels=PUBLIC_CHANNELS, category=code, start=start, end=end, states=states,
                                    limit=MAX_RESULTS)
        if wanted:
            rows = [r for r in rows if set(_status_of(r)) & wanted]
        return _views(uow, rows, tz)


def get_request(uow, number: str) -> list[dict[str, Any]]:
    with uow:
        rows = uow.open311.requests(channels=PUBLIC_CHANNELS, numbers=[number])
        if not rows:
            raise Open311Error(404, f"service_request_id {number[:40]!r} not found")
        return _views(uow, rows, _tz(uow))


def token(uow, token_id: str) -> list[dict[str, Any]]:
    """Requests get their id at once, so a token is the id itself (kept for clients that ask)."""
    with uow:
        if not uow.open311.requests(channels=PUBLIC_CHANNELS, numbers=[token_id]):
            raise Open311Error(404, f"token {token_id[:40]!r} not found")
    return [{"service_request_id": token_id, "token": token_id}]


def update_token(uow, token_id: str) -> list[dict[str, Any]]:
    """Updates get their id at once too: an update token is the update_id."""
    with uow:
        if not token_id.isdigit() or len(token_id) > 18 or not uow.open311.public_event_exists(
                int(token_id), PUBLIC_CHANNELS, list(UPDATE_KINDS)):
            raise Open311Error(404, f"token {token_id[:40]!r} not found")
    return [{"update_id": token_id, "token": token_id}]
