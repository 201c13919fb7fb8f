"""Open311: constants, errors, parameter parsing and text helpers shared by the use cases."""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Mapping
from zoneinfo import ZoneInfo

from ...domain.orders.model import Channel, State

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
