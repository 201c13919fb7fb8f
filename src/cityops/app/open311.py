"""Open311 GeoReport v2 use cases (and the FixMyStreet ``servicerequestupdates`` extension).

Pure of HTTP: each function takes parsed parameters (a mapping of name → list of values, as a
query string or a form gives them) and returns plain dicts/lists in the spec's shape; the HTTP
layer renders them as XML or JSON. Errors are ``Open311Error`` with the HTTP status the spec
asks for and one or more (code, description) pairs.

Requests filed here become ordinary work orders on the API key's channel (open311 or web):
triage sets urgency and special groups, the deadline policy runs as for any other order.
Only orders on those public channels can be read back, and never the caller's contact data.
"""
from __future__ import annotations

import hashlib
import html
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from ..domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from ..domain.orders.model import Channel, State
from ..domain.roles import Actor, Role
from .orders.usecases import NewOrder, create_order
from .triage.usecases import suggest

Params = Mapping[str, list[str]]

PUBLIC_CHANNELS = (Channel.OPEN311.value, Channel.WEB.value)   # what Open311 may file and read back
KEY_CHANNELS = PUBLIC_CHANNELS
MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000
MAX_RAW_DESCRIPTION = 16000
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"

# Our states → (public status, extended FixMyStreet status)
STATUS_OF_STATE: dict[State, tuple[str, str]] = {
    State.RECEIVED: ("open", "open"),
    State.DISPATCHED: ("open", "investigating"),
    # The unit handed it back; the center routes it again. Still the district's matter, so not
    # "not_councils_responsibility" (a closed state in FixMyStreet) — see docs/open311.md.
    State.RETURNED: ("open", "investigating"),
    State.ACCEPTED: ("open", "in_progress"),
    State.IN_PROGRESS: ("open", "in_progress"),
    State.FEEDBACK_SUBMITTED: ("open", "fixed"),   # "no_further_action" when the unit could not resolve it
    State.CALLBACK_DONE: ("open", "fixed"),
    State.CLOSED: ("closed", "closed"),
    State.TRANSFERRED: ("closed", "internal_referral"),
    State.MERGED: ("closed", "duplicate"),
}
STATUSES = ("open", "closed", "fixed", "investigating", "action_scheduled", "in_progress", "planned",
            "no_further_action", "not_councils_responsibility", "duplicate", "internal_referral", "cancelled",
            "for_triage")
UPDATE_STATUSES = tuple(s.upper() for s in STATUSES) + ("REOPEN",)

# Timeline kinds shown to the public as updates, with the status each one leaves the request in.
UPDATE_KINDS = {
    "dispatched": "INVESTIGATING", "redispatched": "INVESTIGATING", "direct_replied": "CLOSED", "accepted": "IN_PROGRESS", "progress_noted": "IN_PROGRESS",
    "feedback_submitted": "FIXED", "closed": "CLOSED", "returned": "INVESTIGATING", "reopened": "OPEN",
    "transferred": "INTERNAL_REFERRAL", "merged": "DUPLICATE", "citizen_update": None,
}
NOTE_KINDS = tuple(k for k in UPDATE_KINDS if k != "citizen_update")
DEFAULT_NOTES = {
    "dispatched": "Sent to the responsible unit.", "redispatched": "Sent to another unit.",
    "direct_replied": "Answered.", "accepted": "The responsible unit has taken this on.",
    "progress_noted": "Work in progress.", "feedback_submitted": "The responsible unit reported its result.",
    "closed": "Closed.", "returned": "Being routed to another unit.", "reopened": "Reopened.",
    "transferred": "Referred to the city.", "merged": "Merged with another report of the same problem.",
}


class Open311Error(Exception):
    """The spec's error: an HTTP status and one or more (code, description) pairs."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.errors = [(status, d) for d in descriptions]


@dataclass
class _Errors:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(text)

    def raise_if_any(self) -> None:
        if self.items:
            raise Open311Error(400, *self.items)


# ------------------------------------------------------------------ parsing helpers


def first(params: Params, name: str) -> str | None:
    """The first non-empty value of a parameter (an empty parameter is treated as missing)."""
    for v in params.get(name, ()):
        v = (v or "").strip()
        if v:
            return v
    return None


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def plain_text(value: str) -> str:
    """HTML tags stripped (script/style bodies dropped), entities decoded, control characters
    removed: what is stored and shown is plain text, never markup."""
    if "<" in value or "&" in value:
        p = _TextOnly()
        p.feed(value)
        p.close()
        value = html.unescape("".join(p.parts)) if p.parts else ""
    value = _CONTROL.sub("", value)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n\n", value)).strip()


def parse_datetime(value: str, tz: str) -> datetime:
    """W3C / ISO 8601: a date, or a date and time with or without a zone (local time of the district)."""
    v = value.strip()
    if v.endswith(("z", "Z")):
        v = v[:-1] + "+00:00"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:?\d{2})?)?", v):
        raise ValueError(value)
    d = datetime.fromisoformat(v)
    return d if d.tzinfo is not None else d.replace(tzinfo=ZoneInfo(tz))


def w3c(d: datetime | None, tz: str) -> str | None:
    return None if d is None else d.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def _float(value: str | None, lo: float, hi: float, name: str, errs: _Errors) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except ValueError:
        errs.add(f"{name} must be a number (WGS84 decimal degrees)")
        return None
    if math.isnan(f) or not lo <= f <= hi:
        errs.add(f"{name} must be between {lo:g} and {hi:g}")
        return None
    return f


_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']+$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.I)


def _tz(uow) -> str:
    return uow.policies.calendar().tz


# ------------------------------------------------------------------ discovery, services


def discovery(base_url: str, contact: str = "") -> dict[str, Any]:
    return {
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": contact or "City operations center",
        "key_service": "API keys are issued by the city operations center's administrators.",
        "endpoints": [{"specification": SPEC_URL, "url": base_url, "changeset": "2026-11-29T00:00:00+08:00",
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }


def _service(row: dict[str, Any]) -> dict[str, Any]:
    group = row.get("parent_en") or row.get("parent_name") or ""
    keywords = [w for w in (row["name"], row["en"], row.get("parent_name")) if w]
    return {
        "service_code": row["code"],
        "service_name": row["en"] or row["name"],
        "description": row["about"] or row["name"],
        "metadata": bool(row["attributes"]),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys(keywords)),
        "group": group,
    }


def list_services(uow) -> list[dict[str, Any]]:
    with uow:
        return [_service(r) for r in uow.open311.services()]


def _attribute(a: dict[str, Any], order: int) -> dict[str, Any]:
    return {
        "variable": bool(a["variable"]), "code": a["code"], "datatype": a["datatype"], "required": bool(a["required"]),
        "datatype_description": "", "order": order, "description": a["description"] or a["code"],
        "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in (a["values"] or [])],
    }


def service_definition(uow, code: str) -> dict[str, Any]:
    with uow:
        if not any(s["code"] == code for s in uow.open311.services()):
            raise Open311Error(404, f"service_code {code!r} not found")
        attrs = uow.open311.attributes(code)
    return {"service_code": code, "attributes": [_attribute(a, i) for i, a in enumerate(attrs, 1)]}


# ------------------------------------------------------------------ API keys (admin)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _admin(actor: Actor | None) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以管理 Open311 (only an admin may manage Open311 keys and attributes)")


def create_key(uow, actor: Actor | None, name: str, channel: str, now: datetime) -> dict[str, Any]:
    """A new API key for a third-party client; the key itself is returned once, only its hash is kept."""
    _admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("名称不能为空且不超过 100 字 (name is required, at most 100 characters)", field="name")
    if channel not in KEY_CHANNELS:
        raise InvalidInput(f"渠道须为 {', '.join(KEY_CHANNELS)} (channel must be one of {list(KEY_CHANNELS)})",
                           field="channel")
    key = "o311_" + secrets.token_urlsafe(30)
    actor_id = actor.user_id if actor else None
    with uow:
        kid = uow.open311.add_key(key_hash=_hash(key), prefix=key[:12], name=name, channel=channel,
                                  created_by=actor_id, now=now)
        uow.audit.add(now, actor_id, "api_key_created", "api_key", str(kid), {"name": name, "channel": channel})
        uow.commit()
    return {"id": kid, "key": key, "prefix": key[:12], "name": name, "channel": channel, "active": True,
            "created_at": now, "last_used_at": None}


def list_keys(uow, actor: Actor | None) -> list[dict[str, Any]]:
    _admin(actor)
    with uow:
        return uow.open311.keys()


def revoke_key(uow, actor: Actor | None, key_id: int, now: datetime) -> dict[str, Any]:
    _admin(actor)
    with uow:
        if not uow.open311.revoke_key(key_id):
            raise NotFound(f"API key {key_id} 不存在 (unknown API key)", field="id")
        uow.audit.add(now, actor.user_id if actor else None, "api_key_revoked", "api_key", str(key_id), {})
        uow.commit()
    return {"id": key_id, "active": False}


def authenticate_key(uow, api_key: str | None, now: datetime) -> dict[str, Any]:
    if not api_key:
        raise Open311Error(403, "api_key is required")
    with uow:
        key = uow.open311.key_by_hash(_hash(api_key))
        if key is None or not key["active"]:
            raise Open311Error(403, "Invalid api_key")
        uow.open311.touch_key(key["id"], now)
        uow.commit()
    return key


# ------------------------------------------------------------------ service attributes (admin)


def put_attributes(uow, actor: Actor | None, category: str, items: Any, now: datetime) -> list[dict[str, Any]]:
    """Replace a category's Open311 attributes (the extra fields its service asks for)."""
    _admin(actor)
    if not isinstance(items, list):
        raise InvalidInput("须为属性列表 (body must be a list of attributes)", field="attributes")
    rows, seen = [], set()
    for i, a in enumerate(items):
        where = f"attributes[{i}]"
        if not isinstance(a, dict):
            raise InvalidInput(f"{where} 须为对象 (must be an object)", field=where)
        code = str(a.get("code") or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", code):
            raise InvalidInput(f"{where}.code 须为 1–64 位字母数字 (code: 1–64 letters, digits, _ . -)", field=where)
        if code in seen:
            raise InvalidInput(f"{where}.code {code} 重复 (duplicate code)", field=where)
        seen.add(code)
        datatype = a.get("datatype")
        if datatype not in DATATYPES:
            raise InvalidInput(f"{where}.datatype 须为 {', '.join(DATATYPES)} (unknown datatype)", field=where)
        values = a.get("values") or []
        if not isinstance(values, list):
            raise InvalidInput(f"{where}.values 须为列表 (values must be a list)", field=where)
        clean_values, keys = [], set()
        for v in values:
            if not isinstance(v, dict) or not str(v.get("key", "")).strip() or not str(v.get("name", "")).strip():
                raise InvalidInput(f"{where}.values 每项须有 key 和 name (each value needs key and name)", field=where)
            k = str(v["key"]).strip()
            if k in keys:
                raise InvalidInput(f"{where}.values 的 key {k} 重复 (duplicate value key)", field=where)
            keys.add(k)
            clean_values.append({"key": k, "name": str(v["name"]).strip()[:200]})
        if datatype in LIST_TYPES and not clean_values:
            raise InvalidInput(f"{where}: {datatype} 须有有序的 values (list types need ordered values)", field=where)
        if datatype not in LIST_TYPES and clean_values:
            raise InvalidInput(f"{where}: 只有列表类型可以有 values (only list types take values)", field=where)
        description = str(a.get("description") or "").strip()
        if len(description) > 500:
            raise InvalidInput(f"{where}.description 超过 500 字 (description too long)", field=where)
        rows.append({"code": code, "datatype": datatype, "required": bool(a.get("required", False)),
                     "variable": bool(a.get("variable", True)), "description": description, "position": i + 1,
                     "values": clean_values})
    with uow:
        if uow.reference.category(category) is None:
            raise NotFound(f"类别 {category} 不存在 (unknown category)", field="category")
        uow.open311.replace_attributes(category, rows)
        uow.audit.add(now, actor.user_id if actor else None, "service_attributes_changed", "category", category,
                      {"attributes": [r["code"] for r in rows]})
        uow.commit()
        return uow_attributes(rows)


def uow_attributes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: r[k] for k in ("code", "datatype", "required", "variable", "description", "position", "values")}
            for r in rows]


def get_attributes(uow, category: str) -> list[dict[str, Any]]:
    with uow:
        if uow.reference.category(category) is None:
            raise NotFound(f"类别 {category} 不存在 (unknown category)", field="category")
        return uow_attributes(uow.open311.attributes(category))


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
