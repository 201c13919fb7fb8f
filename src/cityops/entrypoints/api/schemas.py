"""Request and response bodies of the REST API."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Error(BaseModel):
    error: str = Field(description="machine-readable code: invalid, not_found, forbidden, illegal_transition, …")
    message: str = Field(description="readable message, Chinese first then English")
    field: str | None = Field(None, description="the request field the error is about, if any")


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Bad request", 401: "Not logged in or token expired", 403: "Role or unit may not do this",
            404: "Not found or outside the caller's scope", 409: "Illegal transition or conflicting change",
            413: "Too large", 422: "Invalid input (names the field)"}
    return {c: {"model": Error, "description": text[c]} for c in codes}


STD = errors(401, 403, 404, 409, 422)


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    token: str
    user_id: int
    username: str
    role: str
    unit_id: int
    display_name: str


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000, description="the request as told by the caller")
    channel: str = "hotline_12345"
    urgency: str = "normal"
    category: str | None = None
    caller_name: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=40)
    address: str = Field("", max_length=300)
    special_groups: list[str] = Field(default_factory=list, max_length=10)
    area_unit: str | None = Field(None, description="unit code of the committee/street where it happened")
    dispatch_to: str | None = Field(None, description="unit code: dispatch in the same step")
    co_units: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=1000)
    suggestion: dict[str, Any] | None = Field(
        None, description="the triage suggestion the operator saw ({category, urgency, special_groups, model_version}); "
                          "stored with the order so corrections can train the next model")


class OrderOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    number: str
    channel: str
    caller_name: str = Field(description="masked")
    caller_phone: str = Field(description="masked")
    address: str
    text: str
    category: str | None
    urgency: str
    special_groups: list[str]
    state: str
    lead_unit_id: int | None
    lead_unit_code: str | None = None
    lead_unit_name: str | None = None
    received_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    feedback_at: datetime | None
    closed_at: datetime | None
    accept_due_at: datetime | None
    feedback_due_at: datetime | None
    resolve_due_at: datetime | None
    next_due_at: datetime | None
    paused_at: datetime | None
    overdue: bool
    seconds_left: int | None
    supervised: bool
    urge_count: int
    return_count: int
    reopen_count: int
    satisfaction: str | None
    solved: bool | None
    resolved: bool | None
    extension_pending: bool
    version: int


class OrderPage(BaseModel):
    total: int | None
    items: list[OrderOut]


class TimelineEntry(BaseModel):
    id: int
    kind: str
    at: datetime
    actor_id: int | None
    actor_name: str | None = None
    actor_unit_id: int | None
    actor_unit_name: str | None = None
    reason: str | None
    data: dict[str, Any]


class OrderDetail(OrderOut):
    co_units: list[dict[str, Any]]
    children: list[str]
    parent: str | None
    extension: dict[str, Any] | None
    timeline: list[TimelineEntry]
    allowed_actions: list[str] = Field(default_factory=list)


class DispatchIn(BaseModel):
    lead_unit: str = Field(description="unit code")
    co_units: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=1000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class NoteIn(BaseModel):
    note: str | None = Field(None, max_length=4000)


class RequiredNoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=4000)
    attachment_ids: list[int] = Field(default_factory=list)


class PreContactIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000)
    contacted: str = Field("caller", pattern="^(caller|unit)$")


class DirectReplyIn(BaseModel):
    answer: str = Field(min_length=1, max_length=4000)
    kb_entry: str | None = Field(None, max_length=64, description="id of the knowledge-base answer used")


class FeedbackIn(BaseModel):
    result: str = Field(min_length=1, max_length=4000)
    resolved: bool
    attachment_ids: list[int] = Field(default_factory=list, max_length=20)


class CallbackIn(BaseModel):
    satisfaction: str = Field(pattern="^(satisfied|basically_satisfied|unsatisfied)$")
    solved: bool
    note: str | None = Field(None, max_length=1000)


class ExtensionIn(BaseModel):
    until: datetime
    reason: str = Field(min_length=1, max_length=1000)


class ExtensionDecisionIn(BaseModel):
    approve: bool
    reason: str | None = Field(None, max_length=1000)
    until: datetime | None = None


class TransferIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    city_ref: str | None = Field(None, max_length=100)


class MergeIn(BaseModel):
    parent: str = Field(description="number of the order to merge into")
    reason: str | None = Field(None, max_length=1000)


class MergeManyIn(BaseModel):
    parent: str
    children: list[str] = Field(min_length=1, max_length=500)
    reason: str | None = Field(None, max_length=1000)


class SuperviseIn(BaseModel):
    on: bool = True
    note: str | None = Field(None, max_length=1000)


class RevealIn(BaseModel):
    purpose: str = Field("", max_length=200, description="why (recorded in the audit log)")


class RevealOut(BaseModel):
    caller_name: str
    caller_phone: str


class UnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: str
    parent: str | None = None
    hotline_lead_name: str = ""
    hotline_lead_phone: str = ""
    leader_name: str = ""
    leader_phone: str = ""
    email: str = ""
    webhook_url: str = ""


class UserIn(BaseModel):
    username: str
    password: str
    role: str
    unit: str
    display_name: str = ""
    phone: str = ""
    email: str = ""


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str
    urgency: str
    category: str | None = None
    clock: str = "24x7"
    accept_minutes: int
    feedback_minutes: int | None = None
    resolve_minutes: int
    remind_unaccepted_minutes: int | None = 30
    warn_fractions: list[float] = Field(default_factory=lambda: [0.5, 0.8])
    escalation: list[dict[str, Any]] = Field(default_factory=list)


class ModeIn(BaseModel):
    mode: str = Field(description="epidemic | normal")


class CategoryIn(BaseModel):
    code: str = Field(description="stable code: 'epi.masks' (under 'epi') or a new top-level 'xyz'")
    name: str
    en: str = ""
    about: str = ""


class TriageIn(BaseModel):
    text: str = Field("", max_length=20000, description="the request text as typed so far")
    address: str = Field("", max_length=300)


class TakeShippedIn(BaseModel):
    ids: list[str] = Field(default_factory=list, max_length=500, description="shipped rule ids to take into the saved copy")
    lists: list[str] = Field(default_factory=list, max_length=3, description="marker lists to take: negators, hypothetical, past")


class TriageOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    category: list[dict[str, Any]] = Field(description="top-3 categories with scores")
    urgency: str
    urgency_score: float
    urgency_reasons: list[str]
    special_groups: list[dict[str, Any]]
    low_confidence: bool
    model_version: str
    area: dict[str, Any] | None = Field(description="committee and street the address resolves to, and how")
    unit: dict[str, Any] | None = Field(description="suggested lead unit and the routing rule that produced it")
    duplicates: list[dict[str, Any]]
    knowledge: list[dict[str, Any]] = Field(description="knowledge-base answers valid now, best first")
