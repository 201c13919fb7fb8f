"""Alerts in SQL: sources, devices, rules, events (the idempotency key), tracks, sites, counters."""
from __future__ import annotations

import json
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
        ReferenceCache.bump(self.conn, None, now)  # every process's device cache starts afresh
        return self.device_by_id(did)

    def save_device(self, device: Device, now: datetime) -> Device:
        self.conn.execute(sa.update(alert_devices).where(alert_devices.c.id == device.id)
                          .values(**_device_row(device), updated_at=now))
        ReferenceCache.bump(self.conn, None, now)
        return self.device_by_id(device.id)

    def device(self, code: str) -> Device | None:
        r = self.conn.execute(sa.select(alert_devices).where(alert_devices.c.code == code)).first()
        return _device(r) if r else None

    def device_by_id(self, device_id: int) -> Device | None:
        r = self.conn.execute(sa.select(alert_devices).where(alert_devices.c.id == device_id)).first()
        return _device(r) if r else None

    def _device_cache(self) -> dict[Any, Device]:
        """Devices read so far under the current reference version (keys: code, and ("id", id)).
        Registering or changing a device bumps the version, so every process reads it afresh at
        its next transaction; unknown codes are not remembered (a flood of them stays bounded)."""
        return ReferenceCache.get(self.conn, "alert_devices", dict)

    def _fill(self, cache: dict[Any, Device], where) -> None:
        cols = [alert_devices.c[k] for k in _DEVICE_COLS]  # not the timestamps
        for d in map(_device, self.conn.execute(sa.select(*cols).where(where))):
            cache[d.code] = cache[("id", d.id)] = d

    def devices_by_code(self, codes: Iterable[str]) -> dict[str, Device]:
        cache = self._device_cache()
        codes = set(codes)
        missing = [c for c in codes if c not in cache]
        if missing:
            self._fill(cache, alert_devices.c.code.in_(missing))
        return {c: cache[c] for c in codes if c in cache}

    def devices_by_id(self, ids: Iterable[int]) -> dict[int, Device]:
        cache = self._device_cache()
        ids = set(ids)
        missing = [i for i in ids if ("id", i) not in cache]
        if missing:
            self._fill(cache, alert_devices.c.id.in_(missing))
        return {i: cache[("id", i)] for i in ids if ("id", i) in cache}

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

    def rules_by_id(self, ids: Iterable[int]) -> dict[int, Rule]:
        """Rules by id: the active ones from the cache, any others (disabled since) read."""
        ids = set(ids)
        out = {r.id: r for r in self.rules() if r.id in ids}
        missing = ids - set(out)
        if missing:
            out |= {r.id: self._rule(r) for r in self.conn.execute(sa.select(alert_rules)
                                                                  .where(alert_rules.c.id.in_(missing)))}
        return out

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

    def add_events(self, rows: list[dict]) -> set[tuple[int, str]]:
        """Insert the events whose (device, event id) is new; returns the keys inserted. The unique
        key decides, so a duplicate changes nothing even when two consumers race on it (the second
        waits for the first's commit and skips the row). One statement per 500 rows."""
        if self.pg:
            return self._add_events_pg(rows)
        e = alert_events
        ins = sqlite.insert(e).on_conflict_do_nothing(
            index_elements=["device_id", "event_id"]).returning(e.c.device_id, e.c.event_id)
        out: set[tuple[int, str]] = set()
        for i in range(0, len(rows), 500):
            out |= {(r.device_id, r.event_id) for r in self.conn.execute(ins, rows[i:i + 500])}
        return out

    def _add_events_pg(self, rows: list[dict]) -> set[tuple[int, str]]:
        """PostgreSQL: the whole batch as one statement over arrays (unnest), so the per-row cost
        is the column values, not a statement or a bind parameter each."""
        cols = ("device_id", "event_id", "type", "at", "received_at", "processed_at", "transport", "order_id")
        params: dict[str, Any] = {c: [r[c] for r in rows] for c in cols}
        params["data"] = [json.dumps(r["data"], ensure_ascii=False) for r in rows]
        stmt = sa.text(
            "INSERT INTO alert_events (device_id, event_id, type, at, received_at, processed_at, transport, data, "
            "order_id) SELECT * FROM unnest(CAST(:device_id AS integer[]), CAST(:event_id AS text[]), "
            "CAST(:type AS text[]), CAST(:at AS timestamptz[]), CAST(:received_at AS timestamptz[]), "
            "CAST(:processed_at AS timestamptz[]), CAST(:transport AS text[]), CAST(CAST(:data AS text[]) AS json[]), "
            "CAST(:order_id AS integer[])) "
            "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING device_id, event_id")
        return {(r.device_id, r.event_id) for r in self.conn.execute(stmt, params)}

    def link_events(self, links: list[tuple[int, str, int | None]]) -> None:
        """Set the order of events already inserted: (device id, event id, order id)."""
        e = alert_events
        if links:
            self.conn.execute(sa.update(e).where(e.c.device_id == sa.bindparam("b_device"),
                                                 e.c.event_id == sa.bindparam("b_event"))
                              .values(order_id=sa.bindparam("b_order")),
                              [dict(b_device=d, b_event=ev, b_order=o) for d, ev, o in links])

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
        if rows and self.pg:
            self._save_tracks_pg(rows)
        elif rows:
            stmt = sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
                {k: sa.bindparam(k) for k in rows[0] if k != "b_id"})
            self.conn.execute(stmt, rows)

    def _save_tracks_pg(self, rows: list[dict]) -> None:
        """PostgreSQL: one UPDATE … FROM unnest(arrays) for the whole batch, in id order."""
        rows = sorted(rows, key=lambda r: r["b_id"])
        cols = {"b_id": "integer", "state": "text", "order_id": "integer", "count": "integer",
                "first_seen": "timestamptz", "last_seen": "timestamptz", "breach_since": "timestamptz",
                "changes": "json", "flapping": "boolean", "cleared_at": "timestamptz", "opened": "integer",
                "pending": "json", "updated_at": "timestamptz"}
        params: dict[str, Any] = {c: [r[c] for r in rows] for c in cols}
        params["changes"] = [json.dumps(v) for v in params["changes"]]
        params["pending"] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in params["pending"]]
        src = ", ".join(f"CAST(CAST(:{c} AS text[]) AS json[])" if t == "json" else f"CAST(:{c} AS {t}[])"
                        for c, t in cols.items())
        sets = ", ".join(f"{c} = v.{c}" for c in cols if c != "b_id")
        self.conn.execute(sa.text(f"UPDATE alert_tracks AS t SET {sets} FROM unnest({src}) AS v({', '.join(cols)}) "
                                  "WHERE t.id = v.b_id"), params)

    def track_by_id(self, track_id: int) -> TrackRec | None:
        q = self._select_tracks().where(alert_tracks.c.id == track_id)
        if self.pg:
            q = q.with_for_update(of=alert_tracks)
        r = self.conn.execute(q).first()
        return self._rec(r) if r else None

    def tracks_by_id(self, ids: Iterable[int]) -> dict[int, TrackRec]:
        """Tracks by id, locked for this transaction (in id order: two writers lock alike)."""
        q = self._select_tracks().where(alert_tracks.c.id.in_(sorted(set(ids)))).order_by(alert_tracks.c.id)
        if self.pg:
            q = q.with_for_update(of=alert_tracks)
        return {rec.id: rec for rec in map(self._rec, self.conn.execute(q))}

    def order_ids_by_ref(self, refs: Iterable[str]) -> dict[str, int]:
        refs = list(refs)
        if not refs:
            return {}
        return {r.external_ref: r.id for r in self.conn.execute(
            sa.select(orders.c.external_ref, orders.c.id).where(orders.c.external_ref.in_(refs)))}

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
        self.finish_pending_many([(rec, ref, order_id)] if rec else [], now)

    def finish_pending_many(self, done: list[tuple[TrackRec, str, int | None]], now: datetime) -> list[int]:
        """Clear the pending notes of (locked track, reference, order id) — only a note still
        carrying that reference (a newer note is left alone) — and link the opened orders.
        Returns the ids of the tracks whose note it cleared."""
        rows = []
        for rec, ref, order_id in done:
            if not rec.pending or rec.pending.get("ref") != ref:
                continue
            opened = rec.pending["action"] == "open"
            rows.append(dict(b_id=rec.id, order_id=order_id if opened else rec.order_id))
            if opened:
                rec.order_id = order_id
            rec.pending = None
        if rows:
            t = alert_tracks
            self.conn.execute(sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
                order_id=sa.bindparam("order_id"), pending=None, updated_at=now), rows)
        return [r["b_id"] for r in rows]

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
