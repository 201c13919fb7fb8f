"""ingest: device events → orders. MQTT and the webhook call the same function.

One batch is one transaction: events are validated (refusals counted per reason), deduplicated
by (device, event id) — the idempotency key, so a redelivered event changes nothing — judged by
the rules, and the dedup tracks updated. An alert that needs a *new* order leaves a ``pending``
note on its track in that same transaction; after the commit the order is created through the
work-order use case ``create_order`` with ``external_ref`` = the pending reference, and the track
is linked to it. If the process dies in between, ``resume_pending`` finds the note and either
finds the order by its reference or creates it: each alert opens exactly one order.

The caller acknowledges the messages (MQTT PUBACK) only after ``ingest`` returns.
"""
from __future__ import annotations

import copy
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field as dc_field
from datetime import datetime, timedelta
from typing import Any, Callable

from ...domain.alerts import dedup, sites
from ...domain.alerts.devices import Device, order_channel
from ...domain.alerts.events import REASON_NAMES_ZH, REASONS, AlertEvent, Rejected, check_for, parse_event
from ...domain.alerts.rules import Rule
from ...domain.errors import DomainError, IllegalTransition
from ...domain.orders.model import Event
from ..orders.usecases import NewOrder, create_order, direct_reply
from .common import ALERT_ACTOR
from .ports import AlertsUnitOfWork, TrackRec

log = logging.getLogger("cityops.alerts")

MAX_PAYLOAD = 64 * 1024
PENDING_GRACE = timedelta(seconds=60)   # a pending note older than this was left by a process that died


@dataclass(frozen=True)
class Incoming:
    payload: Any                      # bytes / str (JSON text) or an already decoded object
    transport: str                    # mqtt | webhook
    received_at: datetime
    device_code: str | None = None    # from the MQTT topic
    device_kind: str | None = None    # from the MQTT topic
    source_id: int | None = None      # the webhook source: its devices only


@dataclass
class Result:
    status: str                       # accepted | duplicate | rejected
    event_id: str | None = None
    device: str | None = None
    reason: str | None = None
    message: str | None = None
    field: str | None = None
    orders: list[int] = dc_field(default_factory=list)  # orders it updated (known at commit)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


def decode(payload: Any) -> Any:
    if isinstance(payload, (bytes, bytearray, str)):
        if len(payload) > MAX_PAYLOAD:
            raise Rejected("malformed", f"事件超过 {MAX_PAYLOAD // 1024} KB (event larger than {MAX_PAYLOAD // 1024} KB)")
        try:
            return json.loads(payload)
        except (UnicodeDecodeError, ValueError):
            raise Rejected("malformed", "事件不是 UTF-8 JSON (event is not UTF-8 JSON)") from None
    return payload


def ingest(uow: AlertsUnitOfWork, items: list[Incoming], now: datetime, *, tz: str = "Asia/Shanghai",
           transient: Callable[[Exception], bool] = lambda e: False) -> list[Result]:
    """Take in a batch of events; returns one result per item, in order. An exception escapes only
    when ``transient(exc)`` says so (database unreachable): the caller retries the whole batch,
    which is safe (idempotency by event id). Any other failure is counted as ``error`` for that
    one event, and the rest of the batch goes on."""
    if not items:
        return []
    try:
        results, pending = _batch(uow, items, now, tz)
    except Exception as e:
        if transient(e):
            raise
        results, pending = [], []
        for item in items:  # find the one event that breaks the batch; the others go through
            try:
                r, p = _batch(uow, [item], now, tz)
            except Exception as e1:
                if transient(e1):
                    raise
                log.exception("alert event failed; counted as error")
                _count(uow, {"error": 1}, {"error": f"{type(e1).__name__}: {e1}"[:300]}, now)
                r, p = [Result("rejected", reason="error", message="处理出错，已记录 (processing failed; logged)")], []
            results += r
            pending += p
    try:
        complete_pendings(uow, pending, now, tz=tz, transient=transient)
    except Exception as e:
        if transient(e):
            raise
        log.exception("alert orders for tracks %s failed; left for resume_pending", pending)
    return results


def _count(uow: AlertsUnitOfWork, counts: dict[str, int], messages: dict[str, str], now: datetime) -> None:
    with uow:
        uow.alerts.count(counts, messages, now)
        uow.commit()


def _batch(uow: AlertsUnitOfWork, items: list[Incoming], now: datetime, tz: str) -> tuple[list[Result], list[int]]:
    results: list[Result | None] = [None] * len(items)
    counts: Counter[str] = Counter()
    messages: dict[str, str] = {}

    def reject(i: int, r: Rejected, event_id: str | None = None, device: str | None = None) -> None:
        results[i] = Result("rejected", event_id=event_id, device=device, reason=r.reason, message=r.message,
                            field=r.field)
        counts[r.reason] += 1
        messages[r.reason] = r.message[:300]

    parsed: list[tuple[int, AlertEvent]] = []
    for i, it in enumerate(items):
        try:
            parsed.append((i, parse_event(decode(it.payload), now=it.received_at, device_code=it.device_code)))
        except Rejected as r:
            reject(i, r, device=it.device_code)
    with uow:
        repo = uow.alerts
        devices = repo.devices_by_code({ev.device_code for _, ev in parsed}) if parsed else {}
        checked: list[tuple[int, AlertEvent, Device]] = []
        for i, ev in parsed:
            d, it = devices.get(ev.device_code), items[i]
            try:
                if d is None or not d.active:
                    raise Rejected("unknown_device", f"未登记或已停用的设备 {ev.device_code[:64]!r} "
                                                     "(unknown or inactive device)", field="device")
                if it.device_kind is not None and it.device_kind != d.kind:
                    raise Rejected("unknown_device", f"主题中的设备类型 {it.device_kind!r} 与登记的 {d.kind} 不符 "
                                                     "(the topic's device kind differs from the registered one)")
                if it.source_id is not None and d.source_id != it.source_id:
                    raise Rejected("unknown_device", f"设备 {d.code} 不属于该来源 (device not registered to this source)",
                                   field="device")
                checked.append((i, check_for(ev, d.kind), d))
            except Rejected as r:
                reject(i, r, ev.event_id, ev.device_code)
        fresh: list[tuple[int, AlertEvent, Device]] = []
        in_batch: set[tuple[int, str]] = set()
        for i, ev, d in checked:  # the same event twice in one batch: the second is a duplicate
            key = (d.id, ev.event_id)
            if key in in_batch:
                results[i] = Result("duplicate", event_id=ev.event_id, device=d.code)
                counts["duplicate"] += 1
                continue
            in_batch.add(key)
            fresh.append((i, ev, d))
        rules_by_type: dict[str, list[Rule]] = defaultdict(list)
        for rule in repo.rules():
            rules_by_type[rule.event_type].append(rule)
            if rule.clear_type and rule.clear_type != rule.event_type:
                rules_by_type[rule.clear_type].append(rule)
        pairs = {(r.id, d.id) for _, ev, d in fresh for r in rules_by_type.get(ev.type, ()) if r.place.holds(d)}
        tracks = repo.tracks(pairs, now) if pairs else {}
        before = {k: (rec.track, rec.order_id, rec.order_state, copy.deepcopy(rec.pending))
                  for k, rec in tracks.items()}
        # Judge, then insert the events: the unique (device, event id) says which are new. Events
        # already stored (a redelivery) come back as not inserted; then the tracks are put back
        # and judged again without them, so a duplicate changes nothing.
        j = _judge(fresh, items, rules_by_type, tracks, tz, now)
        inserted = repo.add_events(j.rows) if j.rows else set()
        if len(inserted) < len(j.rows):
            for k, (track, order_id, order_state, pending) in before.items():
                rec = tracks[k]
                rec.track, rec.order_id, rec.order_state, rec.pending = track, order_id, order_state, pending
            first = {(r["device_id"], r["event_id"]): r["order_id"] for r in j.rows}
            dups = [(i, ev, d) for i, ev, d in fresh if (d.id, ev.event_id) not in inserted]
            for i, ev, d in dups:
                results[i] = Result("duplicate", event_id=ev.event_id, device=d.code)
                counts["duplicate"] += 1
            j = _judge([x for x in fresh if (x[2].id, x[1].event_id) in inserted], items, rules_by_type, tracks, tz, now)
            repo.link_events([(r["device_id"], r["event_id"], r["order_id"]) for r in j.rows
                              if r["order_id"] != first[(r["device_id"], r["event_id"])]])
        for i, r in j.results.items():
            results[i] = r
        counts["accepted"] += len(j.results)
        touched, notes, site_latest = j.touched, j.notes, j.site_latest
        for rec, action, ev in notes:
            _note(uow, rec, action, ev, now)
        if touched:
            repo.save_tracks(touched.values(), now)
        for device_id, ev in site_latest.items():
            a = sites.assess(ev.data)
            repo.save_site(device_id, ev.data, a.to_dict(), a.level, ev.at, now)
        if counts:
            repo.count(counts, messages, now)
        uow.commit()
    pending = [rec.id for rec in touched.values() if rec.pending]
    return [r for r in results if r is not None], pending


@dataclass
class _Judged:
    rows: list[dict[str, Any]]
    results: dict[int, Result]
    touched: dict[int, TrackRec]
    notes: list[tuple[TrackRec, str, AlertEvent]]
    site_latest: dict[int, AlertEvent]


def _judge(fresh: list[tuple[int, AlertEvent, Device]], items: list[Incoming], rules_by_type: dict[str, list[Rule]],
           tracks: dict[tuple[int, int], TrackRec], tz: str, now: datetime) -> _Judged:
    """Run the events through the rules and their tracks (changed in place), in event time."""
    j = _Judged([], {}, {}, [], {})
    for i, ev, d in sorted(fresh, key=lambda x: x[1].at):  # stable: a device's events keep their order
        updated: list[int] = []
        for rule in rules_by_type.get(ev.type, ()):
            rec = tracks.get((rule.id, d.id))
            if rec is None:
                continue
            judgement = rule.judge(ev, d, tz, rec.track.breach_since)
            rec.track, actions = dedup.step(rec.track, rule, ev, judgement)
            j.touched[rec.id] = rec
            for action in actions:
                if action == dedup.OPEN_ORDER:
                    rec.pending = {"action": "open", "ref": f"ALERT-{rec.id}-{rec.track.opened}",
                                   "event": _event_json(ev), "after": []}
                    rec.order_id, rec.order_state = None, None
                elif action == dedup.UPDATE and rec.order_id:
                    updated.append(rec.order_id)
                elif action in (dedup.CLEAR, dedup.FLAPPING, dedup.RESOLVE):
                    if rec.pending and rec.pending["action"] == "open":
                        rec.pending["after"].append(action)
                    elif rec.order_id:
                        j.notes.append((rec, action, ev))
        if ev.type == "site_status" and (d.id not in j.site_latest or ev.at >= j.site_latest[d.id].at):
            j.site_latest[d.id] = ev
        j.rows.append(dict(device_id=d.id, event_id=ev.event_id, type=ev.type, at=ev.at,
                           received_at=items[i].received_at, processed_at=now, transport=items[i].transport,
                           data=ev.data, order_id=updated[0] if updated else None))
        j.results[i] = Result("accepted", event_id=ev.event_id, device=d.code, orders=updated)
    return j


def _event_json(ev: AlertEvent) -> dict[str, Any]:
    return {"id": ev.event_id, "type": ev.type, "at": ev.at.isoformat(), "device": ev.device_code, "data": ev.data}


def _event_from(j: dict[str, Any]) -> AlertEvent:
    return AlertEvent(j["id"], j["type"], datetime.fromisoformat(j["at"]), j["device"], j["data"])


def _note(uow: AlertsUnitOfWork, rec: TrackRec, action: str, ev: AlertEvent, now: datetime) -> None:
    """What a clear / flap / resolve leaves on the order's timeline (in the batch's transaction)."""
    order_id = rec.order_id
    if action == dedup.CLEAR:
        uow.orders.add_events([(order_id, Event("alert_cleared", now, None, None,
                                                "设备报告告警已解除 (the device reports the alert cleared)",
                                                {"event_id": ev.event_id, "type": ev.type, "at": ev.at.isoformat(),
                                                 "count": rec.track.count}))])
    elif action == dedup.FLAPPING:
        uow.orders.add_events([(order_id, Event("alert_flapping", now, None, None,
                                                "设备状态频繁变化，后续告警并入本工单 "
                                                "(the sensor is flapping; further alerts update this order)",
                                                {"changes": len(rec.track.changes)}))])
        center = uow.units.center()
        if center is not None:
            since = rec.track.changes[0].isoformat() if rec.track.changes else now.isoformat()
            uow.notices.inapp([dict(unit_id=center.id, order_id=order_id, kind="alert_flapping",
                                    title="设备告警抖动 (sensor flapping)",
                                    body=f"设备 {ev.device_code} 状态频繁变化 (flapping)", created_at=now,
                                    dedup_key=f"alert-flap:{rec.id}:{since}")])
    elif action == dedup.RESOLVE and rec.order_state == "received":
        rec.pending = {"action": "resolve", "ref": f"RESOLVE-{rec.id}-{rec.track.opened}", "order_id": order_id}


def _new_order(uow: AlertsUnitOfWork, rule: Rule, device: Device, ev: AlertEvent, ref: str, tz: str) -> NewOrder:
    unit = uow.units.get(device.unit_id)
    dispatch_to = {"owner": unit.code if unit else None, "unit": rule.assignee_unit, "center": None}[rule.assignee]
    text = rule.render(ev, device, tz)
    details: dict[str, Any] = {"alert": {"rule_id": rule.id, "rule": rule.name, "device": device.code,
                                         "device_kind": str(device.kind), "event_id": ev.event_id,
                                         "event_type": ev.type, "at": ev.at.isoformat(), "data": ev.data}}
    if ev.type == "site_status" or rule.standby:
        a = sites.assess(ev.data)
        proposal = sites.proposal_text(a)
        details["site"] = {"figures": ev.data, "assessment": a.to_dict(), "proposal": proposal}
        if rule.standby:
            text = f"{text}；{proposal}"[:4000]
    return NewOrder(text=text, channel=order_channel(device.kind), urgency=str(rule.urgency), category=rule.category,
                    address=device.place, dispatch_to=dispatch_to, external_ref=ref, lat=device.lat, lng=device.lng,
                    details=details, note=f"物联感知规则「{rule.name}」自动派单 (dispatched by alert rule)")


def complete_pending(uow: AlertsUnitOfWork, track_id: int, now: datetime, *, tz: str = "Asia/Shanghai",
                     transient: Callable[[Exception], bool] = lambda e: False) -> int | None:
    """Open (or resolve) the order a track's pending note asks for; exactly once. Returns the order id."""
    return complete_pendings(uow, [track_id], now, tz=tz, transient=transient).get(track_id)


def complete_pendings(uow: AlertsUnitOfWork, track_ids: list[int], now: datetime, *, tz: str = "Asia/Shanghai",
                      transient: Callable[[Exception], bool] = lambda e: False) -> dict[int, int | None]:
    """Open (or resolve) the orders the pending notes of these tracks ask for, exactly once each:
    one transaction reads the notes (and finds orders a dead process already created, by their
    reference), each order goes through ``create_order`` / ``direct_reply``, one transaction
    clears the notes and links the orders. Returns {track id: order id}."""
    if not track_ids:
        return {}
    with uow:
        recs = uow.alerts.tracks_by_id(track_ids)
        todo = {tid: rec.pending for tid, rec in recs.items() if rec.pending}
        opens = {tid: p for tid, p in todo.items() if p["action"] == "open"}
        existing = uow.alerts.order_ids_by_ref([p["ref"] for p in opens.values()])
        rules = uow.alerts.rules_by_id({recs[tid].rule_id for tid in opens})
        devices = uow.alerts.devices_by_id({recs[tid].device_id for tid in opens})
        numbers: dict[int, str | None] = {}
        cmds: dict[int, NewOrder] = {}
        failed: dict[int, str] = {}
        for tid, p in todo.items():
            if p["action"] == "resolve":
                order = uow.orders.get_by_id(p["order_id"])
                numbers[tid] = order.number if order and order.state == "received" else None
            elif p["ref"] not in existing:
                if recs[tid].rule_id not in rules or recs[tid].device_id not in devices:
                    failed[tid] = "规则或设备已不存在 (the rule or device is gone)"
                    continue
                cmds[tid] = _new_order(uow, rules[recs[tid].rule_id], devices[recs[tid].device_id],
                                       _event_from(p["event"]), p["ref"], tz)
    made: dict[int, int | None] = {tid: None for tid in failed}
    for tid, p in todo.items():
        if tid in failed:
            continue
        try:
            if p["action"] == "resolve":
                made[tid] = p["order_id"]
                if numbers[tid]:
                    direct_reply(uow, ALERT_ACTOR, numbers[tid], "设备报告告警已解除，按规则自动办结 "
                                 "(cleared by the device; resolved automatically by the rule)", now)
            else:
                made[tid] = existing[p["ref"]] if tid not in cmds else create_order(uow, ALERT_ACTOR, cmds[tid], now).id
        except IllegalTransition:
            made[tid] = p.get("order_id")  # somebody acted on the order first: nothing left to resolve
        except DomainError as e:  # the rule names a category or unit that is gone: counted, not retried forever
            log.warning("alert order not created for track %s: %s", tid, e.message)
            failed[tid] = e.message[:300]
            made[tid] = None
        except Exception as e:
            if transient(e):
                raise  # what was made is found again by its reference on the retry
            log.exception("alert order for track %s failed; left for resume_pending", tid)
    again: list[int] = []
    with uow:
        recs = uow.alerts.tracks_by_id(made)
        finished = uow.alerts.finish_pending_many([(recs[tid], todo[tid]["ref"], made[tid]) for tid in made
                                                   if tid in recs], now)
        for tid in finished:
            rec, p = recs[tid], todo[tid]
            follow = p.get("after", []) if p["action"] == "open" and tid not in failed else []
            if follow and rec.order_id is not None:
                ev = _event_from(p["event"])
                order = uow.orders.get_by_id(rec.order_id)
                rec.order_state = str(order.state) if order else None
                for action in follow:
                    _note(uow, rec, action, ev, now)
                if rec.pending:
                    uow.alerts.save_tracks([rec], now)
                    again.append(tid)
        if failed:
            uow.alerts.count({"order_failed": len(failed)}, {"order_failed": next(iter(failed.values()))}, now)
        uow.commit()
    if again:
        complete_pendings(uow, again, now, tz=tz, transient=transient)
    return made


def resume_pending(uow: AlertsUnitOfWork, now: datetime, *, tz: str = "Asia/Shanghai", limit: int = 100,
                   transient: Callable[[Exception], bool] = lambda e: False) -> int:
    """Finish what a process that died after its commit left pending. Returns how many it finished."""
    with uow:
        stale = uow.alerts.stale_pending(now - PENDING_GRACE, limit)
        claimed = [rec.id for rec in stale if uow.alerts.claim(rec, now)]
        uow.commit()
    complete_pendings(uow, claimed, now, tz=tz, transient=transient)
    return len(claimed)


def counters(uow: AlertsUnitOfWork) -> dict[str, Any]:
    """Events counted per outcome and per rejection reason (every reason listed, zero or not)."""
    with uow:
        got = uow.alerts.counters()
    rejected = {r: {"count": 0, "name_zh": REASON_NAMES_ZH[r], "last_at": None, "last_message": ""} | got.get(r, {})
                for r in REASONS}
    return {"accepted": got.get("accepted", {}).get("count", 0), "duplicate": got.get("duplicate", {}).get("count", 0),
            "order_failed": got.get("order_failed", {}).get("count", 0), "rejected": rejected,
            "rejected_total": sum(v["count"] for v in rejected.values())}

