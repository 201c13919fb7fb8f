"""Testing rounds: create, cross-match (the engine), progress roll-ups, the untested list of a
building with notes, and the scoped summary the big screen shows."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.community import rounds as R
from ...domain.community.ledger import BEDRIDDEN
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.org import mask_name, mask_phone
from ...domain.roles import Actor, Role
from .common import ROUND_ROLES, committees_in_scope, scope_path
from .ports import CrossMatcher
from .results import raise_positive_orders

LEVELS = ("district", "street", "committee", "building", "unit")


def _round_out(r: dict) -> dict[str, Any]:
    return {"id": r["id"], "name": r["name"], "area": {"id": r["area_unit_id"], "code": r["area_code"],
                                                       "name": r["area_name"]},
            "starts_at": r["starts_at"].isoformat(), "ends_at": r["ends_at"].isoformat(), "scope": r["scope"],
            "building_ids": list(r["building_ids"] or []), "matched_at": r["matched_at"].isoformat() if r["matched_at"] else None,
            "summary": r["summary"]}


def create_round(uow, actor: Actor | None, *, name: str, area_code: str, starts_at: datetime, ends_at: datetime,
                 now: datetime, scope: str = R.EVERYONE, building_ids: list[int] | None = None) -> dict[str, Any]:
    """A round for an area the caller covers (a committee, a street, the district)."""
    if actor is not None and actor.role not in ROUND_ROLES:
        raise NotAllowed(f"角色「{actor.role}」不能发起检测轮次 (this role may not start a testing round)")
    with uow:
        area = uow.units.by_code(area_code)
        path = scope_path(uow, actor)
        if area is None or (path is not None and not area.path.startswith(path)):
            raise NotFound(f"区域 {area_code} 不存在或不在您的权限范围内 (unknown area)", field="area")
        spec = R.check_round(R.RoundSpec(name=name.strip(), area_unit_id=area.id, starts_at=starts_at, ends_at=ends_at,
                                         scope=scope, building_ids=tuple(sorted(set(building_ids or ())))))
        if spec.building_ids:
            inside = set(uow.community.committee_ids(area.path))
            known = {b.id for b in uow.community.buildings(list(inside))}
            unknown = sorted(set(spec.building_ids) - known)
            if unknown:
                raise NotFound(f"楼栋 {unknown} 不在该区域 (buildings not in the area)", field="building_ids")
        rid = uow.community.add_round({"name": spec.name, "area_unit_id": area.id, "starts_at": starts_at,
                                       "ends_at": ends_at, "scope": spec.scope, "building_ids": list(spec.building_ids),
                                       "created_by": actor.user_id if actor else None, "created_at": now})
        uow.audit.add(now, actor.user_id if actor else None, "community_round_created", "round", str(rid),
                      {"name": spec.name, "area": area_code, "scope": spec.scope})
        uow.commit()
        return _round_out(uow.community.round(rid))


def _sees_round(path: str | None, r: dict) -> bool:
    """A round is visible to the units inside its area and to the area's own ancestors (the street
    sees its committees' round); ``path`` None is the whole district."""
    return path is None or r["area_path"].startswith(path) or path.startswith(r["area_path"])


def _in_round(path: str | None, r: dict, row: dict | None) -> bool:
    """A building or resident row that exists, lies in the caller's scope and in the round's area."""
    return row is not None and (path is None or row["committee_path"].startswith(path)) \
        and row["committee_path"].startswith(r["area_path"])


def _visible_round(uow, actor: Actor | None, round_id: int) -> dict:
    r = uow.community.round(round_id)
    if r is None or not _sees_round(scope_path(uow, actor), r):
        raise NotFound(f"检测轮次 {round_id} 不存在 (round not found)", field="round_id")
    return r


def spec_of(r: dict) -> R.RoundSpec:
    return R.RoundSpec(name=r["name"], area_unit_id=r["area_unit_id"], starts_at=r["starts_at"], ends_at=r["ends_at"],
                       scope=r["scope"], building_ids=tuple(r["building_ids"] or ()))


def list_rounds(uow, actor: Actor | None) -> list[dict]:
    with uow:
        path = scope_path(uow, actor)
        return [_round_out(r) for r in uow.community.rounds() if _sees_round(path, r)]


def get_round(uow, actor: Actor | None, round_id: int) -> dict:
    with uow:
        return _round_out(_visible_round(uow, actor, round_id))


def refresh_progress(uow, actor: Actor | None, round_id: int, matcher: CrossMatcher, now: datetime,
                     tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Cross-match the round's whole area (the engine), store the figures, raise any positive's order
    that is still missing (a crash between a results import and its orders is healed here)."""
    with uow:
        r = _visible_round(uow, actor, round_id)
        committees = uow.community.committee_ids(r["area_path"])
        exempt = uow.community.exempt_notes(round_id)
    outcome = matcher.match(spec_of(r), committees, exempt)
    total = R.Tally()
    for row in outcome.rows:
        total.add(R.Tally(row["must"], row["tested"], row["exempted"], row["untested"], row["positive"]))
    summary = {**total.to_dict(), "residents_read": outcome.residents, "results_in_window": outcome.results,
               "seconds": outcome.seconds}
    with uow:
        # results in the window for people in no ledger at all (visitors, workers): kept and counted
        summary["unmatched_results"] = uow.community.unmatched_results(r["starts_at"], r["ends_at"])
        uow.community.save_progress(round_id, outcome.rows, summary, now)
        positives = uow.community.positives(r["starts_at"], r["ends_at"])
        uow.audit.add(now, actor.user_id if actor else None, "community_round_matched", "round", str(round_id),
                      {k: v for k, v in summary.items() if k != "seconds"})
        uow.commit()
    orders = raise_positive_orders(uow, positives, now, tz)
    return {"round_id": round_id, "matched_at": now.isoformat(), **summary, "orders_raised": orders}


def progress(uow, actor: Actor | None, round_id: int, by: str = "committee") -> dict[str, Any]:
    """Figures of the last cross-match per building / committee / street / the whole area, in scope."""
    if by not in LEVELS:
        raise InvalidInput(f"by 须为 {LEVELS} 之一 (by must be one of {LEVELS})", field="by")
    with uow:
        r = _visible_round(uow, actor, round_id)
        ids = committees_in_scope(uow, actor)
        rows = uow.community.progress(round_id, ids, by)
    items = []
    for x in rows:
        t = R.Tally(x["must"], x["tested"], x["exempted"], x["untested"], x["positive"])
        items.append({**{k: v for k, v in x.items() if k not in ("must", "tested", "exempted", "untested", "positive")},
                      **t.to_dict()})
    if by != "district":
        items.sort(key=lambda i: (i["rate"], -i["untested"]))
    return {"round": _round_out(r), "by": by, "items": items}


def building_view(uow, actor: Actor | None, round_id: int, building_id: int) -> dict[str, Any]:
    """Everyone in one building, classified now (live, not the last cross-match), with notes."""
    with uow:
        r = _visible_round(uow, actor, round_id)
        b = uow.community.building(building_id)
        if not _in_round(scope_path(uow, actor), r, b):
            raise NotFound(f"楼栋 {building_id} 不存在或不在本轮范围内 (building not in this round)", field="building_id")
        if r["scope"] == R.BUILDINGS and building_id not in (r["building_ids"] or []):
            raise NotFound("该楼栋不在本轮检测范围内 (this building is not in the round)", field="building_id")
        rows = uow.community.building_residents(building_id, r["starts_at"], r["ends_at"], round_id)
    tally = R.Tally()
    groups: dict[str, list] = {R.UNTESTED: [], R.EXEMPTED: [], R.TESTED: []}
    for x in rows:
        tags = [t for t in (x["tags"] or "").split(",") if t]
        note = x["note_latest"]
        status = R.classify(x["status"], tags, bool(x["tested"]), bool(note and note["exempt"]))
        if status == R.NOT_COUNTED:
            continue
        tally.add(R.Tally(1, status == R.TESTED, status == R.EXEMPTED, status == R.UNTESTED, bool(x["positive"])))
        groups[status].append({
            "id": x["id"], "unit": x["unit"], "room": x["room"], "household": x["household"],
            "name": mask_name(x["name"]), "phone": mask_phone(x["phone"]) if x["phone"] else "",
            "has_phone": bool(x["phone"]), "tags": tags, "status": x["status"], "round_status": status,
            "positive": bool(x["positive"]),
            "why_exempt": ("away" if x["status"] == "away" else "home_sampling" if BEDRIDDEN in tags
                           else note["reason"] if note and note["exempt"] else None) if status == R.EXEMPTED else None,
            "note": {"reason": note["reason"], "text": note["text"], "at": note["created_at"].isoformat()} if note else None,
        })
    return {"round": _round_out(r), "building": {"id": b["id"], "compound": b["compound"], "number": b["number"],
                                                 "committee_id": b["committee_id"], "committee_name": b["committee_name"]},
            **tally.to_dict(), "untested_list": groups[R.UNTESTED], "exempted_list": groups[R.EXEMPTED],
            "tested_list": groups[R.TESTED]}


def committee_view(uow, actor: Actor, round_id: int, committee_code: str | None = None) -> dict[str, Any]:
    """A committee's buildings in a round, counted now (live): the phone page's overview."""
    from .common import committee_for

    with uow:
        r = _visible_round(uow, actor, round_id)
        cid = committee_for(uow, actor, committee_code)
        unit = uow.units.get(cid)
        if not unit.path.startswith(r["area_path"]):
            raise NotFound("本居委不在该轮次范围内 (the committee is not in this round)", field="round_id")
        buildings = {b.id: b for b in uow.community.buildings([cid])}
        rows = uow.community.building_residents(None, r["starts_at"], r["ends_at"], round_id, committee_id=cid)
    in_scope = set(r["building_ids"] or []) if r["scope"] == R.BUILDINGS else None
    per: dict[int, R.Tally] = {}
    for x in rows:
        if in_scope is not None and x["building_id"] not in in_scope:
            continue
        tags = [t for t in (x["tags"] or "").split(",") if t]
        note = x["note_latest"]
        st = R.classify(x["status"], tags, bool(x["tested"]), bool(note and note["exempt"]))
        if st == R.NOT_COUNTED:
            continue
        per.setdefault(x["building_id"], R.Tally()).add(
            R.Tally(1, st == R.TESTED, st == R.EXEMPTED, st == R.UNTESTED, bool(x["positive"])))
    total = R.Tally()
    items = []
    for bid, b in buildings.items():
        if in_scope is not None and bid not in in_scope:
            continue
        t = per.get(bid, R.Tally())
        total.add(t)
        items.append({"id": bid, "compound": b.compound, "number": b.number, **t.to_dict()})
    items.sort(key=lambda i: (-i["untested"], i["compound"], _natural(i["number"])))
    return {"round": _round_out(r), "committee": {"id": cid, "code": unit.code, "name": unit.name},
            "total": total.to_dict(), "buildings": items}


def _natural(s: str) -> tuple:
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def current_round(uow, actor: Actor, at: datetime) -> int | None:
    """The round a committee works on now: the latest started round covering the caller."""
    with uow:
        path = scope_path(uow, actor)
        for r in uow.community.rounds(limit=50):
            if _sees_round(path, r) and r["starts_at"] <= at:
                return r["id"]
    return None


def add_note(uow, actor: Actor, round_id: int, resident_id: int, reason: str, text: str, now: datetime) -> dict:
    """A note on why a resident is not tested yet (called, not home, refused…); some reasons exempt."""
    if reason not in R.NOTE_REASONS:
        raise InvalidInput(f"原因须为 {list(R.NOTE_REASONS)} 之一 (unknown reason)", field="reason")
    text = (text or "").strip()
    if len(text) > 500:
        raise InvalidInput("备注最多 500 字 (a note has at most 500 characters)", field="text")
    if reason == "other" and not text:
        raise InvalidInput("选择“其他”时请写明原因 (say why when the reason is 'other')", field="text")
    if actor.role not in (Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed(f"角色「{actor.role}」不能记录 (this role may not add notes)")
    with uow:
        r = _visible_round(uow, actor, round_id)
        res = uow.community.resident(resident_id)
        if not _in_round(scope_path(uow, actor), r, res):
            raise NotFound(f"居民 {resident_id} 不存在或不在您的权限范围内 (resident not found)", field="resident_id")
        exempt = R.NOTE_REASONS[reason][1]
        nid = uow.community.add_note({"round_id": round_id, "resident_id": resident_id, "reason": reason,
                                      "exempt": exempt, "text": text, "created_by": actor.user_id, "created_at": now})
        uow.audit.add(now, actor.user_id, "community_note_added", "resident", str(resident_id),
                      {"round_id": round_id, "reason": reason, "exempt": exempt})
        uow.commit()
    return {"id": nid, "round_id": round_id, "resident_id": resident_id, "reason": reason, "exempt": exempt,
            "text": text, "at": now.isoformat()}


def notes(uow, actor: Actor, round_id: int, resident_id: int) -> list[dict]:
    with uow:
        _visible_round(uow, actor, round_id)
        res = uow.community.resident(resident_id)
        path = scope_path(uow, actor)
        if res is None or (path is not None and not res["committee_path"].startswith(path)):
            raise NotFound(f"居民 {resident_id} 不存在 (resident not found)", field="resident_id")
        return [{"reason": n["reason"], "exempt": n["exempt"], "text": n["text"], "at": n["created_at"].isoformat(),
                 "by": n["display_name"] or n["username"]} for n in uow.community.notes_of(round_id, resident_id)]


def screen_summary(uow, actor: Actor | None) -> dict[str, Any]:
    """For the big screen: the latest round the caller sees, with its figures per street (scoped)."""
    with uow:
        path = scope_path(uow, actor)
        rounds = [r for r in uow.community.rounds(limit=20)
                  if r["matched_at"] is not None and _sees_round(path, r)]
        if not rounds:
            return {"round": None, "total": R.Tally().to_dict(), "streets": [], "worst_committees": []}
        r = rounds[0]
        ids = committees_in_scope(uow, actor)
        total = uow.community.progress(r["id"], ids, "district")
        streets = uow.community.progress(r["id"], ids, "street")
        committees = uow.community.progress(r["id"], ids, "committee")

    def tally(x: dict) -> dict:
        return {**{k: v for k, v in x.items() if k not in ("must", "tested", "exempted", "untested", "positive")},
                **R.Tally(x["must"], x["tested"], x["exempted"], x["untested"], x["positive"]).to_dict()}

    worst = sorted((tally(c) for c in committees), key=lambda c: (c["rate"], -c["untested"]))[:10]
    return {"round": _round_out(r), "total": tally(total[0]) if total else R.Tally().to_dict(),
            "streets": [tally(s) for s in streets], "worst_committees": worst}
