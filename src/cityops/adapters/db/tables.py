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


# --------------------------------------------------------------------------- alerts (issue 8)

alert_sources = sa.Table(  # webhook senders (video platforms); the secret is derived from the server key + salt
    "alert_sources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

alert_devices = sa.Table(
    "alert_devices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("place", sa.String(300), nullable=False, server_default=""),
    sa.Column("place_kind", sa.String(24), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lng", sa.Float, nullable=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("alert_sources.id"), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

alert_rules = sa.Table(
    "alert_rules", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

alert_events = sa.Table(  # every accepted event, once: (device, event id) is the idempotency key
    "alert_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("device_id", sa.Integer, sa.ForeignKey("alert_devices.id"), nullable=False),
    sa.Column("event_id", sa.String(100), nullable=False),
    sa.Column("type", sa.String(24), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False, index=True),
    sa.Column("processed_at", UTCDateTime, nullable=False),
    sa.Column("transport", sa.String(16), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("order_id", sa.Integer, nullable=True),  # the order it opened or updated, when known at commit
    sa.UniqueConstraint("device_id", "event_id", name="uq_alert_events_device_event"),
)

alert_tracks = sa.Table(  # dedup / flap state per rule and device, and the order it feeds
    "alert_tracks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("alert_rules.id"), nullable=False),
    sa.Column("device_id", sa.Integer, sa.ForeignKey("alert_devices.id"), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=True, index=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_seen", UTCDateTime, nullable=True),
    sa.Column("last_seen", UTCDateTime, nullable=True),
    sa.Column("breach_since", UTCDateTime, nullable=True),
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("flapping", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("cleared_at", UTCDateTime, nullable=True),
    sa.Column("opened", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pending", sa.JSON(none_as_null=True), nullable=True),  # an order to open or resolve after the commit (crash-safe)
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("rule_id", "device_id", name="uq_alert_tracks_rule_device"),
)

alert_sites = sa.Table(  # the testing-site monitor: latest figures per site terminal
    "alert_sites", metadata,
    sa.Column("device_id", sa.Integer, sa.ForeignKey("alert_devices.id"), primary_key=True),
    sa.Column("status", sa.JSON, nullable=False),
    sa.Column("assessment", sa.JSON, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

alert_counters = sa.Table(  # events counted per outcome: accepted, duplicate, and each rejection reason
    "alert_counters", metadata,
    sa.Column("reason", sa.String(24), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
    sa.Column("last_message", sa.String(300), nullable=False, server_default=""),
)

sa.Index("ix_orders_external_ref", orders.c.external_ref)  # alert orders are found again by their reference
sa.Index("ix_orders_open_due", orders.c.resolve_due_at, orders.c.urgency, orders.c.state, orders.c.special_groups, orders.c.paused_at, orders.c.lead_unit_id, orders.c.id, postgresql_where=sa.text("state IN ('received', 'dispatched', 'returned', 'accepted', 'in_progress', 'feedback_submitted', 'callback_done')"), sqlite_where=sa.text("state IN ('received', 'dispatched', 'returned', 'accepted', 'in_progress', 'feedback_submitted', 'callback_done')"))  # open orders only, covering the big screen's snapshot (migration 0006)


# --------------------------------------------------------------------------- duty and field teams (issue 9)

duty_teams = sa.Table(  # a unit that keeps a roster (a field team, or the hotline at the center): its area and rules
    "duty_teams", metadata,
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), primary_key=True),
    sa.Column("area_unit_ids", sa.JSON, nullable=False),   # committees / streets covered
    sa.Column("polygons", sa.JSON, nullable=False),        # [[[lng, lat], ...], ...]
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("min_on_duty", sa.Integer, nullable=False, server_default="1"),
    sa.Column("accept_minutes", sa.Integer, nullable=False, server_default="15"),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

duty_members = sa.Table(  # a person on a team's roster: skills, devices, own area, last known position
    "duty_members", metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("team_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("is_leader", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("devices", sa.JSON, nullable=False),          # [{"kind": "video_terminal", "code": "..."}]
    sa.Column("area_unit_ids", sa.JSON, nullable=False),    # empty: the team's area
    sa.Column("polygons", sa.JSON, nullable=False),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lng", sa.Float, nullable=True),
    sa.Column("position_at", UTCDateTime, nullable=True),
    sa.Column("position_warning", sa.String(500), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

duty_patterns = sa.Table(  # shift patterns as data (two shifts, 7+14, day/night, and the district's own)
    "duty_patterns", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("builtin", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

duty_rosters = sa.Table(  # one generation of a team's roster: pattern, period, groups
    "duty_rosters", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("pattern_code", sa.String(32), nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("groups", sa.JSON, nullable=False),           # {"A": [user ids], ...}
    sa.Column("pattern", sa.JSON, nullable=False),          # the pattern as generated from (a snapshot)
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

duty_shifts = sa.Table(  # one person on duty (or on leave) from starts_at to ends_at
    "duty_shifts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),        # work | leave
    sa.Column("shift_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("group_code", sa.String(32), nullable=False, server_default=""),
    sa.Column("roster_id", sa.Integer, sa.ForeignKey("duty_rosters.id"), nullable=True),
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_duty_shifts_team_ends", "team_unit_id", "ends_at"),
    sa.Index("ix_duty_shifts_user_ends", "user_id", "ends_at"),
)

duty_assignments = sa.Table(  # an order given to one member of a team
    "duty_assignments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("team_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("assigned_by", sa.Integer, nullable=True),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("accept_due_at", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime, nullable=True),
    sa.Column("arrived_at", UTCDateTime, nullable=True),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("escalated_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("outside_area", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("note", sa.String(1000), nullable=False, server_default=""),
    sa.Column("warnings", sa.JSON, nullable=False),
    sa.Column("previous_id", sa.Integer, nullable=True),
    sa.Column("next_due_at", UTCDateTime, nullable=True, index=True),  # the accept deadline while it can fire
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

duty_inspections = sa.Table(  # an inspection sweep: a checklist over places, done by a team
    "duty_inspections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=True),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

duty_inspection_items = sa.Table(
    "duty_inspection_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("inspection_id", sa.Integer, sa.ForeignKey("duty_inspections.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("address", sa.String(300), nullable=False, server_default=""),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lng", sa.Float, nullable=True),
    sa.Column("result", sa.String(16), nullable=False),     # pending | ok | problem | unreachable
    sa.Column("note", sa.String(1000), nullable=False, server_default=""),
    sa.Column("checked_by", sa.Integer, nullable=True),
    sa.Column("checked_at", UTCDateTime, nullable=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=True),
    sa.UniqueConstraint("inspection_id", "seq", name="uq_duty_inspection_items_seq"),
)


# --------------------------------------------------------------------------- community (issue 7)

community_buildings = sa.Table(  # each committee's building register: a ledger row must name one of these
    "community_buildings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("committee_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("compound", sa.String(100), nullable=False, server_default=""),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("committee_id", "compound", "number", name="uq_community_buildings_place"),
)

community_residents = sa.Table(  # the resident ledger; the ID number only as a keyed hash (HMAC)
    "community_residents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("committee_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("building_id", sa.Integer, sa.ForeignKey("community_buildings.id"), nullable=False, index=True),
    sa.Column("unit", sa.String(16), nullable=False, server_default=""),
    sa.Column("room", sa.String(16), nullable=False, server_default=""),
    sa.Column("household", sa.String(32), nullable=False, server_default=""),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("id_masked", sa.String(24), nullable=False),
    sa.Column("tags", sa.String(100), nullable=False, server_default=""),  # "elderly_alone,bedridden"
    sa.Column("status", sa.String(16), nullable=False),  # present | away | moved_out
    sa.Column("moved_in", sa.Date, nullable=True),
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    sa.Column("source", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

community_rounds = sa.Table(  # a testing round: area, window, who must test; the last cross-match's totals
    "community_rounds", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("area_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),  # everyone | buildings
    sa.Column("building_ids", sa.JSON, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("matched_at", UTCDateTime, nullable=True),
    sa.Column("summary", sa.JSON, nullable=True),
)

community_progress = sa.Table(  # the cross-match's figures per round, building and unit (单元)
    "community_progress", metadata,
    sa.Column("round_id", sa.Integer, sa.ForeignKey("community_rounds.id"), primary_key=True),
    sa.Column("building_id", sa.Integer, sa.ForeignKey("community_buildings.id"), primary_key=True),
    sa.Column("unit", sa.String(16), primary_key=True),
    sa.Column("committee_id", sa.Integer, nullable=False, index=True),
    sa.Column("must", sa.Integer, nullable=False),
    sa.Column("tested", sa.Integer, nullable=False),
    sa.Column("exempted", sa.Integer, nullable=False),
    sa.Column("untested", sa.Integer, nullable=False),
    sa.Column("positive", sa.Integer, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)

community_notes = sa.Table(  # why a resident is not tested yet (call, door-knock); some reasons exempt
    "community_notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("community_rounds.id"), nullable=False),
    sa.Column("resident_id", sa.Integer, sa.ForeignKey("community_residents.id"), nullable=False, index=True),
    sa.Column("reason", sa.String(24), nullable=False),
    sa.Column("exempt", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("text", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_community_notes_round_resident", "round_id", "resident_id"),
)

community_templates = sa.Table(  # notice templates with {fields}
    "community_templates", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("body", sa.String(500), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

community_notices = sa.Table(  # a notice a committee sent: to whom, through which channels
    "community_notices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("committee_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("community_rounds.id"), nullable=True),
    sa.Column("template_code", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("audience", sa.String(16), nullable=False),  # all | buildings | untested
    sa.Column("building_ids", sa.JSON, nullable=False),
    sa.Column("channels", sa.String(32), nullable=False),  # "sms,inapp"
    sa.Column("recipients", sa.Integer, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

community_deliveries = sa.Table(  # one row per notice, resident and channel; SMS status is the outbox row's
    "community_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("community_notices.id"), nullable=False),
    sa.Column("resident_id", sa.Integer, sa.ForeignKey("community_residents.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued (sms, see outbox) | delivered (inapp) | no_phone
    sa.Column("dedup_key", sa.String(200), nullable=True, index=True),  # the outbox row of an SMS
    sa.UniqueConstraint("notice_id", "resident_id", "channel", name="uq_community_deliveries_once"),
)

community_imports = sa.Table(  # every ledger or results file imported: counts and the row report
    "community_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # ledger | results
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("committee_id", sa.Integer, nullable=True),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),  # the first 1,000 row errors
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- passes (通行码, migration 0007) and the test results they rest on -------------------------

test_results = sa.Table(  # nucleic-acid results, shared with the community registry; the ID only as an HMAC
    "test_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("id_hash", sa.String(64), nullable=False),
    sa.Column("name_masked", sa.String(100), nullable=False, server_default=""),
    sa.Column("sample_time", UTCDateTime, nullable=False),
    sa.Column("result", sa.String(16), nullable=False),       # negative | positive | pending
    sa.Column("test_type", sa.String(24), nullable=False),    # pooled | single | home | antigen | pcr …
    sa.Column("site", sa.String(200), nullable=False, server_default=""),
    sa.Column("tube_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("source", sa.String(64), nullable=False, server_default=""),  # file name, feed or module
    sa.Column("imported_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("id_hash", "sample_time", "tube_id", name="uq_test_results_person_sample_tube"),
    sa.Index("ix_test_results_id_hash_sample_time", "id_hash", "sample_time"),
)

pass_areas = sa.Table(  # sealed or controlled areas people apply to cross
    "pass_areas", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),               # sealed | controlled | precaution
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),  # the street office that approves
    sa.Column("manual_approval", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

pass_checkpoints = sa.Table(
    "pass_checkpoints", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("area_id", sa.Integer, sa.ForeignKey("pass_areas.id"), nullable=False, index=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

pass_rulesets = sa.Table(  # eligibility rules (CertLogic) by version; the newest is in force
    "pass_rulesets", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

pass_keys = sa.Table(  # signing keys: the private part only sealed (AES-GCM under a key from the settings)
    "pass_keys", metadata,
    sa.Column("kid", sa.String(16), primary_key=True),
    sa.Column("purpose", sa.String(8), nullable=False),             # pass | list
    sa.Column("status", sa.String(12), nullable=False),             # active | retired | withdrawn
    sa.Column("certificate", sa.Text, nullable=False),
    sa.Column("spki", sa.Text, nullable=False),
    sa.Column("private_enc", sa.Text, nullable=False),
    sa.Column("not_after", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("retired_at", UTCDateTime, nullable=True),
    sa.Column("withdrawn_at", UTCDateTime, nullable=True),
)

pass_otps = sa.Table(  # one-time codes confirming an applicant's phone (only the code's hash is kept)
    "pass_otps", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("phone", sa.String(40), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

pass_applications = sa.Table(
    "pass_applications", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("access_hash", sa.String(64), nullable=False),         # the applicant's link token, hashed
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("id_hash", sa.String(64), nullable=False, index=True),
    sa.Column("id_masked", sa.String(32), nullable=False),
    sa.Column("phone", sa.String(40), nullable=False),
    sa.Column("employer", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(24), nullable=False),
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    sa.Column("area_id", sa.Integer, sa.ForeignKey("pass_areas.id"), nullable=False, index=True),
    sa.Column("directions", sa.JSON, nullable=False),
    sa.Column("period_start", UTCDateTime, nullable=False),
    sa.Column("period_end", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, index=True),  # refused | pending | issued | rejected
    sa.Column("failures", sa.JSON, nullable=False),                  # the rules that refused it
    sa.Column("last_test_at", UTCDateTime, nullable=True),
    sa.Column("last_test_result", sa.String(16), nullable=True),
    sa.Column("ruleset_version", sa.Integer, nullable=False),
    sa.Column("decided_by", sa.Integer, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decision_note", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)

passes = sa.Table(
    "passes", metadata,
    sa.Column("id", sa.String(32), primary_key=True),                # the cti, hex
    sa.Column("application_id", sa.Integer, sa.ForeignKey("pass_applications.id"), nullable=False, unique=True),
    sa.Column("kid", sa.String(16), nullable=False),
    sa.Column("holder_name", sa.String(100), nullable=False),
    sa.Column("id_hash", sa.String(64), nullable=False, index=True),
    sa.Column("id_masked", sa.String(32), nullable=False),
    sa.Column("employer", sa.String(200), nullable=False, index=True),
    sa.Column("area_id", sa.Integer, sa.ForeignKey("pass_areas.id"), nullable=False),
    sa.Column("directions", sa.JSON, nullable=False),
    sa.Column("sample_time", UTCDateTime, nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False, index=True),
    sa.Column("valid_from", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("qr_text", sa.Text, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("revoked_by", sa.Integer, nullable=True),
    sa.Column("revoke_reason", sa.String(500), nullable=True),
)

pass_revocations = sa.Table(  # the revocation list in order: seq lets checkpoints fetch only what is new
    "pass_revocations", metadata,
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("pass_id", sa.String(32), sa.ForeignKey("passes.id"), nullable=False, unique=True),
    sa.Column("hash", sa.String(32), nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=False),
)

pass_scans = sa.Table(  # every scan at a gate, allowed or denied, online or uploaded later
    "pass_scans", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scan_id", sa.String(64), nullable=False, unique=True),  # made by the gate: uploads are idempotent
    sa.Column("pass_id", sa.String(32), nullable=True, index=True),
    sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("pass_checkpoints.id"), nullable=False),
    sa.Column("direction", sa.String(4), nullable=False),
    sa.Column("scanned_at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("result", sa.String(8), nullable=False),                # allow | deny
    sa.Column("reason", sa.String(24), nullable=False),
    sa.Column("server_reason", sa.String(24), nullable=True),         # the server's own verdict of an offline scan
    sa.Column("mode", sa.String(8), nullable=False),                  # online | offline
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Index("ix_pass_scans_checkpoint_scanned_at", "checkpoint_id", "scanned_at"),
)
