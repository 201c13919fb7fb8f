"""The schema, as SQLAlchemy Core tables. Alembic migrations are the one way it changes."""
from __future__ import annotations

import sqlalchemy as sa

from .types import UTCDateTime

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

units = sa.Table(
    "units", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
    sa.Column("path", sa.String(400), nullable=False, index=True),  # "/1/4/23/": ancestors and self
    sa.Column("hotline_lead_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("hotline_lead_phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("leader_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("leader_phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("email", sa.String(200), nullable=False, server_default=""),
    sa.Column("webhook_url", sa.String(500), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("email", sa.String(200), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

categories = sa.Table(
    "categories", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("en", sa.String(200), nullable=False, server_default=""),
    sa.Column("about", sa.Text, nullable=False, server_default=""),
    sa.Column("parent_code", sa.String(64), sa.ForeignKey("categories.code"), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
)

special_groups = sa.Table(
    "special_groups", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("en", sa.String(200), nullable=False, server_default=""),
)

deadline_policies = sa.Table(
    "deadline_policies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("category", sa.String(64), nullable=False, server_default=""),  # "" = every category
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("mode", "urgency", "category", name="uq_deadline_policies_scope"),
)

district_settings = sa.Table(
    "district_settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

calendar_days = sa.Table(
    "calendar_days", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # holiday | workday
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
)

order_number_seq = sa.Table(
    "order_number_seq", metadata,
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("caller_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("caller_phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("address", sa.String(300), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("category", sa.String(64), sa.ForeignKey("categories.code"), nullable=True, index=True),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("special_groups", sa.String(200), nullable=False, server_default=""),  # "elderly,patient"
    sa.Column("state", sa.String(24), nullable=False, index=True),
    sa.Column("lead_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True, index=True),
    sa.Column("area_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("received_at", UTCDateTime, nullable=False, index=True),
    sa.Column("dispatched_at", UTCDateTime, nullable=True),
    sa.Column("accepted_at", UTCDateTime, nullable=True),
    sa.Column("feedback_at", UTCDateTime, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("window_start_at", UTCDateTime, nullable=True),
    sa.Column("accept_due_at", UTCDateTime, nullable=True),
    sa.Column("feedback_due_at", UTCDateTime, nullable=True),
    sa.Column("resolve_due_at", UTCDateTime, nullable=True),
    sa.Column("paused_at", UTCDateTime, nullable=True),
    sa.Column("resolved", sa.Boolean, nullable=True),
    sa.Column("satisfaction", sa.String(24), nullable=True),
    sa.Column("solved", sa.Boolean, nullable=True),
    sa.Column("supervised", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("urge_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("return_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("extension", sa.JSON, nullable=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=True, index=True),
    sa.Column("fired", sa.JSON, nullable=False),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("external_ref", sa.String(100), nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lng", sa.Float, nullable=True),
    sa.Column("details", sa.JSON, nullable=True),
    sa.Column("next_due_at", UTCDateTime, nullable=True, index=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

order_co_units = sa.Table(
    "order_co_units", metadata,
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), primary_key=True, index=True),
)

order_events = sa.Table(
    "order_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("actor_unit_id", sa.Integer, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)

notifications = sa.Table(  # the in-app inbox, per user or per unit
    "notifications", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True, index=True),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True, index=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=True, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.Column("dedup_key", sa.String(200), nullable=True, unique=True),
)

outbox = sa.Table(  # messages to send over external channels, delivered by the outbox worker
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("recipient", sa.String(500), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("dedup_key", sa.String(200), nullable=True, unique=True),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
)

attachments = sa.Table(
    "attachments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.Integer, nullable=True),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)


# --------------------------------------------------------------------------- triage (issue 3)

orders_triage = sa.Table(  # what triage suggested at intake, beside what the operator confirmed
    "order_triage", metadata,
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("model_version", sa.String(80), nullable=False),
    sa.Column("suggested_category", sa.String(64), nullable=True),
    sa.Column("suggested_urgency", sa.String(16), nullable=True),
    sa.Column("suggested_groups", sa.String(200), nullable=False, server_default=""),
    sa.Column("suggestion", sa.JSON, nullable=False),
    sa.Column("corrected", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

triage_models = sa.Table(
    "triage_models", metadata,
    sa.Column("version", sa.String(80), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("examples", sa.Integer, nullable=False),
    sa.Column("corrections", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("metrics", sa.JSON, nullable=False),
)

kb_entries = sa.Table(  # 口径库: every version is a row; the current one has current = true
    "kb_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("current", sa.Boolean, nullable=False),
    sa.Column("question", sa.String(500), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("keywords", sa.JSON, nullable=False),
    sa.Column("source", sa.String(300), nullable=False, server_default=""),
    sa.Column("valid_from", UTCDateTime, nullable=False),
    sa.Column("valid_to", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.UniqueConstraint("key", "version", name="uq_kb_entries_key_version"),
)

gazetteer_entries = sa.Table(  # roads by number range, compounds with aliases, boundaries
    "gazetteer_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # road | compound | polygon
    sa.Column("name", sa.String(200), nullable=False, index=True),
    sa.Column("committee_code", sa.String(64), nullable=False, index=True),
    sa.Column("body", sa.JSON, nullable=False),  # the whole entry: aliases, numbers, parity, polygon
)

routing_rules = sa.Table(
    "routing_rules", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


# --------------------------------------------------------------------------- Open311 (issue 5)

api_keys = sa.Table(  # keys for third-party channels (Open311 clients); only a hash is stored
    "api_keys", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(12), nullable=False),  # the first characters, to tell keys apart
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
)

service_attributes = sa.Table(  # extra fields a category asks for when filed as an Open311 service
    "service_attributes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("category", sa.String(64), sa.ForeignKey("categories.code"), nullable=False, index=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("datatype", sa.String(24), nullable=False),  # string number datetime text singlevaluelist multivaluelist
    sa.Column("required", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("variable", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("values", sa.JSON, nullable=False),  # [{"key": ..., "name": ...}] in order
    sa.UniqueConstraint("category", "code", name="uq_service_attributes_category_code"),
)

intake_keys = sa.Table(  # one order per submitted intake form: a double click or a resend finds the first order
    "intake_keys", metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
