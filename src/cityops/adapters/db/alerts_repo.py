"""Alerts in SQL: sources, devices, rules, events (the idempotency key), tracks, sites, counters."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ...app.alerts.ports import TrackRec
from ...domain.alerts.dedup import Track
from ...domain.alerts.devices import Device, DeviceKind, PlaceKind
from ...domain.alerts.events import AlertEvent
from ...domain.alerts.rules import Rule
from ...domain.orders.model import OPEN, State
from .refcache import ReferenceCache
from .tables import (alert_counters, alert_devices, alert_events, alert_rules, alert_sites, alert_sources,
                     alert_tracks, orders, units)

_OPEN_STATES = {str(s) for s in OPEN} - {str(State.MERGED)}
_DEVICE_COLS = ("id", "code", "kind", "name", "unit_id", "place", "place_kind", "tags", "lat", "lng", "source_id",
                "active")


def _device(r: Any) -> Device:
    m = r._mapping
    return Device(code=m["code"], kind=DeviceKind(m["kind"]), name=m["name"], unit_id=m["unit_id"], place=m["place"],
                  place_kind=PlaceKind(m["place_kind"]), tags=tuple(m["tags"] or ()), lat=m["lat"], lng=m["lng"],
                  source_id=m["source_id"], active=m["active"], id=m["id"])


def _device_row(d: Device) -> dict[str, Any]:
    return dict(code=d.code, kind=str(d.kind), name=d.name, unit_id=d.unit_id, place=d.place,
                place_kind=str(d.place_kind), tags=list(d.tags), lat=d.lat, lng=d.lng, source_id=d.source_id,
                active=d.active)


def _times(values) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(v) for v in values or ())


class SqlAlertRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    # ------------------------------------------------------------ sources

    def add_source(self, code: str, name: str, salt: str, now: datetime) -> dict:
        sid = self.conn.execute(sa.insert(alert_sources).values(code=code, name=name, salt=salt, created_at=now)
                                .returning(alert_sources.c.id)).scalar_one()
        return {"id": sid, "code": code, "name": name, "salt": salt, "active": True, "created_at": now}

    def source(self, code: str) -> dict | None:
        r = self.conn.execute(sa.select(alert_sources).where(alert_sources.c.code == code)).first()
        return dict(r._mapping) if r else None

    def sources(self) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(sa.select(alert_sources).order_by(alert_sources.c.code))]

    def update_source(self, source_id: int, **changes: Any) -> None:
        self.conn.execute(sa.update(alert_sources).where(alert_sources.c.id == source_id).values(**changes))

    # ------------------------------------------------------------ devices

    def add_device(self, device: Device, now: datetime) -> Device:
        did = self.conn.execute(sa.insert(alert_devices).values(**_device_row(device), created_at=now, updated_at=now)
                                .returning(alert_devices.c.id)).scalar_one()
        return self.device_by_id(did)

    def save_device(self, device: Device, now: datetime) -> Device:
        self.conn.execute(sa.update(alert_devices).where(alert_devices.c.id == device.id)
                          .values(**_device_row(device), updated_at=now))
        return self.device_by_id(device.id)

    def device(self, code: str) -> Device | None:
        r = self.conn.execute(sa.select(alert_devices).where(alert_devices.c.code == code)).first()
        return _device(r) if r else None

    def device_by_id(self, device_id: int) -> Device | None:
        r = self.conn.execute(sa.select(alert_devices).where(alert_devices.c.id == device_id)).first()
        return _device(r) if r else None

    def devices_by_code(self, codes: Iterable[str]) -> dict[str, Device]:
        codes = list(codes)
        if not codes:
            return {}
        cols = [alert_devices.c[k] for k in _DEVICE_COLS]  # not the timestamps: this runs for every batch
        return {d.code: d for d in map(_device, self.conn.execute(
            sa.select(*cols).where(alert_devices.c.code.in_(codes))))}

    def list_devices(self, unit_path: str | None, kind: str | None, limit: int, offset: int) -> dict:
        d = alert_devices
        open_alerts = (sa.select(sa.func.count()).select_from(alert_tracks)
                       .where(alert_tracks.c.device_id == d.c.id, alert_tracks.c.state == "open")
                       .scalar_subquery())
        flapping = (sa.select(sa.func.count()).select_from(alert_tracks)
                    .where(alert_tracks.c.device_id == d.c.id, alert_tracks.c.flapping).scalar_subquery())
        q = sa.select(d, units.c.code.label("unit_code"), units.c.name.label("unit_name"),
                      alert_sources.c.code.label("source_code"), open_alerts.label("open_alerts"),
                      flapping.label("flapping")) \
            .select_from(d.join(units, units.c.id == d.c.unit_id).outerjoin(alert_sources,
                                                                             alert_sources.c.id == d.c.source_id))
        if unit_path is not None:
            q = q.where(units.c.path.startswith(unit_path, autoescape=True))
        if kind:
            q = q.where(d.c.kind == kind)
        total = self.conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        items = []
        for r in self.conn.execute(q.order_by(d.c.code).limit(limit).offset(offset)):
            m = dict(r._mapping)
            items.append({k: m[k] for k in _DEVICE_COLS if k != "unit_id"} | {
                "unit": {"code": m["unit_code"], "name": m["unit_name"]}, "source": m["source_code"],
                "tags": list(m["tags"] or ()), "open_alerts": m["open_alerts"], "flapping": bool(m["flapping"]),
                "created_at": m["created_at"], "updated_at": m["updated_at"]})
        return {"total": total, "items": items}

    # ------------------------------------------------------------ rules

    def rules(self) -> list[Rule]:
        """Active rules, read once per change (every rule change bumps the reference version)."""
        return ReferenceCache.get(self.conn, "alert_rules", lambda: tuple(r for r in self.all_rules() if r.active))

    def all_rules(self) -> list[Rule]:
        return [self._rule(r) for r in self.conn.execute(sa.select(alert_rules).order_by(alert_rules.c.id))]

    @staticmethod
    def _rule(r: Any) -> Rule:
        return Rule.from_dict({**r.body, "active": r.active}, id=r.id, version=r.version)

    def rule(self, rule_id: int) -> Rule | None:
        r = self.conn.execute(sa.select(alert_rules).where(alert_rules.c.id == rule_id)).first()
        return self._rule(r) if r else None

    def add_rule(self, rule: Rule, actor_id: int | None, now: datetime) -> Rule:
        body = rule.to_dict()
        rid = self.conn.execute(sa.insert(alert_rules).values(body=body, active=rule.active, version=1,
                                                              updated_by=actor_id, updated_at=now)
                                .returning(alert_rules.c.id)).scalar_one()
        ReferenceCache.bump(self.conn, actor_id, now)
        return self.rule(rid)

    def save_rule(self, rule: Rule, actor_id: int | None, now: datetime) -> Rule:
        self.conn.execute(sa.update(alert_rules).where(alert_rules.c.id == rule.id).values(
            body=rule.to_dict(), active=rule.active, version=rule.version, updated_by=actor_id, updated_at=now))
        ReferenceCache.bump(self.conn, actor_id, now)
        return self.rule(rule.id)

    # ------------------------------------------------------------ events

    def seen(self, keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        keys = list(keys)
        e = alert_events
        out: set[tuple[int, str]] = set()
        for i in range(0, len(keys), 400):
            chunk = keys[i:i + 400]
            out |= {(r.device_id, r.event_id) for r in self.conn.execute(
                sa.select(e.c.device_id, e.c.event_id).where(sa.tuple_(e.c.device_id, e.c.event_id).in_(chunk)))}
        return out

    def add_events(self, rows: list[dict]) -> None:
        self.conn.execute(sa.insert(alert_events), rows)

    def recent_events(self, types: Iterable[str], since: datetime, limit: int) -> list[tuple[int, AlertEvent]]:
        e = alert_events
        q = (sa.select(e, alert_devices.c.code).join(alert_devices, alert_devices.c.id == e.c.device_id)
             .where(e.c.type.in_(list(types)), e.c.received_at >= since).order_by(e.c.received_at.desc()).limit(limit))
        return [(r.device_id, AlertEvent(r.event_id, r.type, r.at, r.code, dict(r.data))) for r in self.conn.execute(q)]

    # ------------------------------------------------------------ tracks

    def _select_tracks(self):
        t = alert_tracks
        return sa.select(t, orders.c.state.label("order_state")).select_from(
            t.outerjoin(orders, orders.c.id == t.c.order_id))

    @staticmethod
    def _rec(r: Any) -> TrackRec:
        m = r._mapping
        pending = m["pending"]
        order_open = bool(pending and pending.get("action") == "open") or m["order_state"] in _OPEN_STATES
        track = Track(state=m["state"], order_open=order_open, count=m["count"], first_seen=m["first_seen"],
                      last_seen=m["last_seen"], breach_since=m["breach_since"], changes=_times(m["changes"]),
                      flapping=m["flapping"], cleared_at=m["cleared_at"], opened=m["opened"])
        return TrackRec(id=m["id"], rule_id=m["rule_id"], device_id=m["device_id"], track=track,
                        order_id=m["order_id"], order_state=m["order_state"], pending=dict(pending) if pending else None,
                        updated_at=m["updated_at"])

    def tracks(self, pairs: Iterable[tuple[int, int]], now: datetime) -> dict[tuple[int, int], TrackRec]:
        """The tracks of these (rule, device) pairs, created when missing, locked for this transaction."""
        pairs = list(pairs)
        t = alert_tracks
        ins = (postgresql.insert if self.pg else sqlite.insert)(t).on_conflict_do_nothing(
            index_elements=["rule_id", "device_id"])
        out: dict[tuple[int, int], TrackRec] = {}
        for i in range(0, len(pairs), 400):
            chunk = pairs[i:i + 400]
            q = self._select_tracks().where(sa.tuple_(t.c.rule_id, t.c.device_id).in_(chunk))
            if self.pg:
                q = q.with_for_update(of=t)
            found = {(r.rule_id, r.device_id): self._rec(r) for r in self.conn.execute(q)}
            missing = [p for p in chunk if p not in found]
            if missing:
                self.conn.execute(ins, [dict(rule_id=r, device_id=d, state="idle", changes=[], updated_at=now)
                                        for r, d in missing])
                q = self._select_tracks().where(sa.tuple_(t.c.rule_id, t.c.device_id).in_(missing))
                if self.pg:
                    q = q.with_for_update(of=t)
                found |= {(r.rule_id, r.device_id): self._rec(r) for r in self.conn.execute(q)}
            out |= found
        return out

    def save_tracks(self, recs: Iterable[TrackRec], now: datetime) -> None:
        t = alert_tracks
        rows = [dict(b_id=r.id, state=r.track.state, order_id=r.order_id, count=r.track.count,
                     first_seen=r.track.first_seen, last_seen=r.track.last_seen, breach_since=r.track.breach_since,
                     changes=[c.isoformat() for c in r.track.changes], flapping=r.track.flapping,
                     cleared_at=r.track.cleared_at, opened=r.track.opened, pending=r.pending, updated_at=now)
                for r in recs]
        if rows:
            stmt = sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
                {k: sa.bindparam(k) for k in rows[0] if k != "b_id"})
            self.conn.execute(stmt, rows)

    def track_by_id(self, track_id: int) -> TrackRec | None:
        q = self._select_tracks().where(alert_tracks.c.id == track_id)
        if self.pg:
            q = q.with_for_update(of=alert_tracks)
        r = self.conn.execute(q).first()
        return self._rec(r) if r else None

    def stale_pending(self, before: datetime, limit: int) -> list[TrackRec]:
        t = alert_tracks
        q = self._select_tracks().where(t.c.pending.isnot(None), t.c.updated_at < before).order_by(t.c.id).limit(limit)
        return [rec for rec in map(self._rec, self.conn.execute(q)) if rec.pending]

    def claim(self, rec: TrackRec, now: datetime) -> bool:
        t = alert_tracks
        res = self.conn.execute(sa.update(t).where(t.c.id == rec.id, t.c.updated_at == rec.updated_at)
                                .values(updated_at=now))
        return res.rowcount == 1

    def finish_pending(self, track_id: int, ref: str, order_id: int | None, now: datetime) -> None:
        rec = self.track_by_id(track_id)
        if rec is None or not rec.pending or rec.pending.get("ref") != ref:
            return
        values: dict[str, Any] = dict(pending=None, updated_at=now)
        if rec.pending["action"] == "open":
            values["order_id"] = order_id
        self.conn.execute(sa.update(alert_tracks).where(alert_tracks.c.id == track_id).values(**values))

    def order_id_by_ref(self, ref: str) -> int | None:
        return self.conn.execute(sa.select(orders.c.id).where(orders.c.external_ref == ref)).scalar()

    def list_tracks(self, unit_path: str | None, open_only: bool, limit: int, offset: int) -> dict:
        t, d = alert_tracks, alert_devices
        q = (sa.select(t, d.c.code.label("device"), d.c.name.label("device_name"), d.c.kind.label("device_kind"),
                       orders.c.number.label("order_number"), orders.c.state.label("order_state"),
                       alert_rules.c.body.label("rule_body"))
             .select_from(t.join(d, d.c.id == t.c.device_id).join(units, units.c.id == d.c.unit_id)
                          .join(alert_rules, alert_rules.c.id == t.c.rule_id)
                          .outerjoin(orders, orders.c.id == t.c.order_id))
             .where(t.c.state != "idle"))
        if unit_path is not None:
            q = q.where(units.c.path.startswith(unit_path, autoescape=True))
        if open_only:
            q = q.where(t.c.state == "open")
        total = self.conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        items = []
        for r in self.conn.execute(q.order_by(t.c.last_seen.desc()).limit(limit).offset(offset)):
            items.append({"id": r.id, "rule_id": r.rule_id, "rule": (r.rule_body or {}).get("name"), "device": r.device,
                          "device_name": r.device_name, "device_kind": r.device_kind, "state": r.state,
                          "count": r.count, "first_seen": r.first_seen, "last_seen": r.last_seen,
                          "cleared_at": r.cleared_at, "flapping": r.flapping, "order_number": r.order_number,
                          "order_state": r.order_state, "pending": bool(r.pending)})
        return {"total": total, "items": items}

    # ------------------------------------------------------------ sites

    def save_site(self, device_id: int, status: dict, assessment: dict, level: str, reported_at: datetime,
                  now: datetime) -> None:
        s = alert_sites
        values = dict(status=status, assessment=assessment, level=level, reported_at=reported_at, updated_at=now)
        res = self.conn.execute(sa.update(s).where(s.c.device_id == device_id, s.c.reported_at <= reported_at)
                                .values(**values))
        if res.rowcount == 0 and self.conn.execute(sa.select(s.c.device_id).where(s.c.device_id == device_id)).first() is None:
            self.conn.execute(sa.insert(s).values(device_id=device_id, **values))

    def list_sites(self, unit_path: str | None) -> list[dict]:
        s, d = alert_sites, alert_devices
        open_order = (sa.select(orders.c.number).select_from(alert_tracks.join(orders, orders.c.id == alert_tracks.c.order_id))
                      .where(alert_tracks.c.device_id == d.c.id, orders.c.state.in_(_OPEN_STATES))
                      .order_by(orders.c.id.desc()).limit(1).scalar_subquery())
        q = (sa.select(s, d.c.code, d.c.name, d.c.place, d.c.lat, d.c.lng, units.c.code.label("unit_code"),
                       units.c.name.label("unit_name"), open_order.label("open_order"))
             .select_from(s.join(d, d.c.id == s.c.device_id).join(units, units.c.id == d.c.unit_id)))
        if unit_path is not None:
            q = q.where(units.c.path.startswith(unit_path, autoescape=True))
        return [{"device": r.code, "name": r.name, "place": r.place, "lat": r.lat, "lng": r.lng,
                 "unit": {"code": r.unit_code, "name": r.unit_name}, "status": dict(r.status), "level": r.level,
                 "assessment": dict(r.assessment), "reported_at": r.reported_at, "open_order": r.open_order}
                for r in self.conn.execute(q.order_by(d.c.code))]

    def site_track_order(self, device_id: int) -> int | None:
        return self.conn.execute(sa.select(alert_tracks.c.order_id).where(alert_tracks.c.device_id == device_id,
                                                                          alert_tracks.c.state == "open")).scalar()

    # ------------------------------------------------------------ counters

    def count(self, counts: dict[str, int], messages: dict[str, str], now: datetime) -> None:
        c = alert_counters
        for reason, n in sorted(counts.items()):  # sorted: two writers lock rows in the same order
            if not n:
                continue
            values: dict[str, Any] = dict(count=c.c.count + n, last_at=now)
            if reason in messages:
                values["last_message"] = messages[reason]
            if self.conn.execute(sa.update(c).where(c.c.reason == reason).values(**values)).rowcount == 0:
                ins = (postgresql.insert if self.pg else sqlite.insert)(c).values(
                    reason=reason, count=n, last_at=now, last_message=messages.get(reason, ""))
                self.conn.execute(ins.on_conflict_do_update(index_elements=["reason"],
                                                            set_=dict(count=c.c.count + n, last_at=now)))

    def counters(self) -> dict[str, dict]:
        return {r.reason: {"count": r.count, "last_at": r.last_at, "last_message": r.last_message}
                for r in self.conn.execute(sa.select(alert_counters))}


def is_transient(exc: Exception) -> bool:
    """A database error worth retrying the whole batch for (connection lost, lock timeout,
    serialization failure) rather than counting the event as broken."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01", "55P03")  # serialization failure, deadlock, lock not available
