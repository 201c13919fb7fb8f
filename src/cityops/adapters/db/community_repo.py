"""The community registry in SQL: building registers, the resident ledger, test results,
rounds and their progress, notes, notice templates, notices and deliveries."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ...domain.community.ledger import BuildingRef, ResidentRecord
from ...domain.community.results import ResultRecord
from ...domain.org import mask_name, mask_phone
from . import tables as T

CHUNK = 2000


def _insert(conn: Connection, table: sa.Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _tags(value: str) -> list[str]:
    return [t for t in (value or "").split(",") if t]


def resident_out(r: Any, reveal: bool = False) -> dict[str, Any]:
    """A resident as lists show it: name and phone masked unless revealed (audited by the caller)."""
    m = r._mapping if hasattr(r, "_mapping") else r
    return {
        "id": m["id"], "committee_id": m["committee_id"], "building_id": m["building_id"],
        "compound": m.get("compound", ""), "building": m.get("number", ""), "unit": m["unit"], "room": m["room"],
        "household": m["household"], "name": m["name"] if reveal else mask_name(m["name"]),
        "phone": m["phone"] if reveal else mask_phone(m["phone"]) if m["phone"] else "",
        "id_masked": m["id_masked"], "tags": _tags(m["tags"]), "status": m["status"],
        "moved_in": m["moved_in"].isoformat() if m.get("moved_in") else None, "note": m["note"],
    }


class SqlCommunityRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    # ------------------------------------------------------------------ scope

    def committee_ids(self, path: str | None) -> list[int]:
        """Committees (and villages) at or below a unit path; None: all of them."""
        u = T.units
        q = sa.select(u.c.id).where(u.c.kind.in_(("committee", "village")))
        if path is not None:
            q = q.where(u.c.path.like(path + "%"))
        return list(self.conn.execute(q.order_by(u.c.id)).scalars())

    def committee_codes(self) -> dict[str, int]:
        u = T.units
        return dict(self.conn.execute(sa.select(u.c.code, u.c.id).where(u.c.kind.in_(("committee", "village")))).all())

    # ------------------------------------------------------------------ buildings

    def buildings(self, committee_ids: Sequence[int] | None = None) -> list[BuildingRef]:
        b = T.community_buildings
        q = sa.select(b.c.id, b.c.committee_id, b.c.compound, b.c.number).where(b.c.active)
        if committee_ids is not None:
            q = q.where(b.c.committee_id.in_(list(committee_ids)))
        return [BuildingRef(*row) for row in self.conn.execute(q.order_by(b.c.id))]

    def add_building(self, committee_id: int, compound: str, number: str, now: datetime) -> tuple[int, bool]:
        b = T.community_buildings
        row = self.conn.execute(sa.select(b.c.id, b.c.active).where(
            b.c.committee_id == committee_id, b.c.compound == compound, b.c.number == number)).first()
        if row is not None:
            if not row.active:
                self.conn.execute(sa.update(b).where(b.c.id == row.id).values(active=True))
            return row.id, False
        bid = self.conn.execute(sa.insert(b).values(committee_id=committee_id, compound=compound, number=number,
                                                    created_at=now).returning(b.c.id)).scalar_one()
        return bid, True

    def building(self, building_id: int) -> dict | None:
        b, u = T.community_buildings, T.units
        row = self.conn.execute(sa.select(b, u.c.name.label("committee_name"), u.c.path.label("committee_path"))
                                .join(u, u.c.id == b.c.committee_id).where(b.c.id == building_id)).first()
        return dict(row._mapping) if row else None

    # ------------------------------------------------------------------ residents

    def existing_by_hash(self, hashes: Sequence[str]) -> dict[str, dict]:
        r = T.community_residents
        out: dict[str, dict] = {}
        for part in _chunks(list(hashes)):
            for row in self.conn.execute(sa.select(r).where(r.c.id_hash.in_(part))):
                out[row.id_hash] = dict(row._mapping)
        return out

    _FIELDS = ("committee_id", "building_id", "unit", "room", "household", "name", "phone", "id_masked", "tags",
               "status", "moved_in", "note")

    def upsert_residents(self, records: Sequence[ResidentRecord], existing: dict[str, dict], source: str,
                         now: datetime) -> tuple[int, int, int]:
        """Insert new residents, update changed ones (matched by ID hash): (added, updated, unchanged)."""
        r = T.community_residents
        new, changed, same = [], [], 0
        for rec in records:
            values = {"committee_id": rec.committee_id, "building_id": rec.building_id, "unit": rec.unit,
                      "room": rec.room, "household": rec.household, "name": rec.name, "phone": rec.phone,
                      "id_masked": rec.id_masked, "tags": ",".join(rec.tags), "status": rec.status,
                      "moved_in": rec.moved_in, "note": rec.note}
            old = existing.get(rec.id_hash)
            if old is None:
                new.append({**values, "id_hash": rec.id_hash, "source": source[:200], "created_at": now,
                            "updated_at": now})
            elif any(old[k] != values[k] for k in self._FIELDS):
                changed.append({**values, "_id": old["id"], "source": source[:200], "updated_at": now})
            else:
                same += 1
        for part in _chunks(new, 2000):
            self.conn.execute(sa.insert(r), list(part))
        if changed:
            stmt = sa.update(r).where(r.c.id == sa.bindparam("_id")).values(
                **{k: sa.bindparam(k) for k in (*self._FIELDS, "source", "updated_at")})
            self.conn.execute(stmt, changed)
        return len(new), len(changed), same

    def residents(self, committee_ids: Sequence[int], building_id: int | None = None, status: str | None = None,
                  tag: str | None = None, q: str | None = None, limit: int = 100, offset: int = 0) -> dict:
        r, b = T.community_residents, T.community_buildings
        where = [r.c.committee_id.in_(list(committee_ids))]
        if building_id is not None:
            where.append(r.c.building_id == building_id)
        if status:
            where.append(r.c.status == status)
        if tag:
            where.append(sa.or_(r.c.tags == tag, r.c.tags.like(f"{tag},%"), r.c.tags.like(f"%,{tag}"),
                                r.c.tags.like(f"%,{tag},%")))
        if q:
            where.append(sa.or_(r.c.room == q, r.c.household == q, r.c.name.like(f"{q[:1]}%")))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(r).where(*where)).scalar_one()
        rows = self.conn.execute(
            sa.select(r, b.c.compound, b.c.number).join(b, b.c.id == r.c.building_id).where(*where)
            .order_by(b.c.compound, b.c.number, r.c.unit, r.c.room, r.c.id).limit(limit).offset(offset)).all()
        return {"total": total, "items": [resident_out(x) for x in rows]}

    def resident(self, resident_id: int) -> dict | None:
        r, b, u = T.community_residents, T.community_buildings, T.units
        row = self.conn.execute(sa.select(r, b.c.compound, b.c.number, u.c.path.label("committee_path"),
                                          u.c.name.label("committee_name"), u.c.code.label("committee_code"))
                                .join(b, b.c.id == r.c.building_id).join(u, u.c.id == r.c.committee_id)
                                .where(r.c.id == resident_id)).first()
        return dict(row._mapping) if row else None

    def resident_by_hash(self, id_hash: str) -> dict | None:
        r = T.community_residents
        row = self.conn.execute(sa.select(r.c.id).where(r.c.id_hash == id_hash)).first()
        return self.resident(row.id) if row else None

    def audience(self, committee_id: int, building_ids: Sequence[int] | None) -> list[dict]:
        """Residents a notice goes to: the committee's (or some buildings'), moved-out residents left out."""
        r, b, u = T.community_residents, T.community_buildings, T.units
        q = (sa.select(r.c.id, r.c.name, r.c.phone, r.c.room, r.c.id_hash, r.c.status, r.c.tags, r.c.building_id,
                       b.c.number, b.c.compound, u.c.name.label("committee_name"))
             .join(b, b.c.id == r.c.building_id).join(u, u.c.id == r.c.committee_id)
             .where(r.c.committee_id == committee_id, r.c.status != "moved_out"))
        if building_ids:
            q = q.where(r.c.building_id.in_(list(building_ids)))
        return [dict(x._mapping) for x in self.conn.execute(q.order_by(r.c.id))]

    # ------------------------------------------------------------------ test results

    def insert_results(self, records: Sequence[ResultRecord], source: str, now: datetime) -> list[ResultRecord]:
        """Store results not stored before (same person, sample time and tube): the new ones."""
        t = T.test_results
        fresh: list[ResultRecord] = []
        for part in _chunks(list(records), 2000):
            hashes = list({rec.id_hash for rec in part})
            have: set[tuple] = set()
            for sub in _chunks(hashes):
                for row in self.conn.execute(sa.select(t.c.id_hash, t.c.sample_time, t.c.tube_id)
                                             .where(t.c.id_hash.in_(sub))):
                    have.add((row.id_hash, row.sample_time, row.tube_id or ""))
            rows = []
            for rec in part:
                if (rec.id_hash, rec.sample_time, rec.tube_id) in have:
                    continue
                have.add((rec.id_hash, rec.sample_time, rec.tube_id))
                fresh.append(rec)
                rows.append({"id_hash": rec.id_hash, "name_masked": rec.name_masked, "sample_time": rec.sample_time,
                             "result": rec.result, "test_type": rec.test_type, "site": rec.site,
                             "tube_id": rec.tube_id, "source": source[:64], "imported_at": now})
            if rows:  # a concurrent import of the same rows meets the unique key and skips them
                self.conn.execute(_insert(self.conn, t).on_conflict_do_nothing(
                    index_elements=["id_hash", "sample_time", "tube_id"]), rows)
        return fresh

    def known_hashes(self, hashes: Sequence[str]) -> set[str]:
        r = T.community_residents
        out: set[str] = set()
        for part in _chunks(list(set(hashes))):
            out.update(self.conn.execute(sa.select(r.c.id_hash).where(r.c.id_hash.in_(part))).scalars())
        return out

    def unmatched_results(self, since: datetime | None = None, until: datetime | None = None) -> int:
        """Results whose person is in no ledger (kept, counted)."""
        t, r = T.test_results, T.community_residents
        q = sa.select(sa.func.count()).select_from(t).where(~sa.exists().where(r.c.id_hash == t.c.id_hash))
        if since is not None:
            q = q.where(t.c.sample_time >= since)
        if until is not None:
            q = q.where(t.c.sample_time < until)
        return self.conn.execute(q).scalar_one()

    def positives(self, since: datetime, until: datetime) -> list[ResultRecord]:
        """Positive results sampled in a window (few: each becomes an order)."""
        t = T.test_results
        rows = self.conn.execute(sa.select(t).where(t.c.result == "positive", t.c.sample_time >= since,
                                                    t.c.sample_time < until).order_by(t.c.sample_time)).all()
        return [ResultRecord(line=0, id_hash=x.id_hash, name_masked=x.name_masked or "", sample_time=x.sample_time,
                             result=x.result, test_type=x.test_type or "", site=x.site or "", tube_id=x.tube_id or "")
                for x in rows]

    def order_by_ref(self, ref: str) -> str | None:
        o = T.orders
        return self.conn.execute(sa.select(o.c.number).where(o.c.external_ref == ref).limit(1)).scalar()

    # ------------------------------------------------------------------ imports log

    def log_import(self, kind: str, filename: str, sha256: str, committee_id: int | None, counts: dict,
                   errors: list[dict], actor_id: int | None, now: datetime) -> int:
        i = T.community_imports
        return self.conn.execute(sa.insert(i).values(kind=kind, filename=filename[:200], sha256=sha256,
                                                     committee_id=committee_id, counts=counts, errors=errors[:1000],
                                                     created_by=actor_id, created_at=now).returning(i.c.id)).scalar_one()

    def earlier_import(self, kind: str, sha256: str) -> dict | None:
        i = T.community_imports
        row = self.conn.execute(sa.select(i.c.id, i.c.created_at, i.c.filename).where(
            i.c.kind == kind, i.c.sha256 == sha256).order_by(i.c.id).limit(1)).first()
        return dict(row._mapping) if row else None

    def imports(self, kind: str | None, committee_ids: Sequence[int] | None, limit: int = 50) -> list[dict]:
        i = T.community_imports
        q = sa.select(i.c.id, i.c.kind, i.c.filename, i.c.committee_id, i.c.counts, i.c.created_at)
        if kind:
            q = q.where(i.c.kind == kind)
        if committee_ids is not None:
            q = q.where(i.c.committee_id.in_(list(committee_ids)))
        return [dict(x._mapping) for x in self.conn.execute(q.order_by(i.c.id.desc()).limit(limit))]

    def import_report(self, import_id: int) -> dict | None:
        i = T.community_imports
        row = self.conn.execute(sa.select(i).where(i.c.id == import_id)).first()
        return dict(row._mapping) if row else None

    # ------------------------------------------------------------------ rounds

    def add_round(self, values: dict) -> int:
        rd = T.community_rounds
        return self.conn.execute(sa.insert(rd).values(**values).returning(rd.c.id)).scalar_one()

    def round(self, round_id: int) -> dict | None:
        rd, u = T.community_rounds, T.units
        row = self.conn.execute(sa.select(rd, u.c.path.label("area_path"), u.c.name.label("area_name"),
                                          u.c.code.label("area_code"))
                                .join(u, u.c.id == rd.c.area_unit_id).where(rd.c.id == round_id)).first()
        return dict(row._mapping) if row else None

    def rounds(self, limit: int = 50) -> list[dict]:
        rd, u = T.community_rounds, T.units
        rows = self.conn.execute(sa.select(rd, u.c.path.label("area_path"), u.c.name.label("area_name"),
                                           u.c.code.label("area_code"))
                                 .join(u, u.c.id == rd.c.area_unit_id).order_by(rd.c.starts_at.desc(), rd.c.id.desc())
                                 .limit(limit)).all()
        return [dict(x._mapping) for x in rows]

    def save_progress(self, round_id: int, rows: Sequence[dict], summary: dict, now: datetime) -> None:
        p, rd = T.community_progress, T.community_rounds
        self.conn.execute(sa.delete(p).where(p.c.round_id == round_id))
        for part in _chunks(list(rows), 5000):
            self.conn.execute(sa.insert(p), [{**x, "round_id": round_id, "computed_at": now} for x in part])
        self.conn.execute(sa.update(rd).where(rd.c.id == round_id).values(matched_at=now, summary=summary))

    def progress(self, round_id: int, committee_ids: Sequence[int] | None, by: str) -> list[dict]:
        """Sums per building (by="building"), committee, street or the whole area ("district")."""
        p, b, u = T.community_progress, T.community_buildings, T.units
        street = u.alias("street")
        sums = [sa.func.sum(p.c.must).label("must"), sa.func.sum(p.c.tested).label("tested"),
                sa.func.sum(p.c.exempted).label("exempted"), sa.func.sum(p.c.untested).label("untested"),
                sa.func.sum(p.c.positive).label("positive")]
        where = [p.c.round_id == round_id]
        if committee_ids is not None:
            where.append(p.c.committee_id.in_(list(committee_ids)))
        if by == "building":
            q = (sa.select(b.c.id, b.c.compound, b.c.number, p.c.committee_id, u.c.name.label("committee_name"), *sums)
                 .select_from(p.join(b, b.c.id == p.c.building_id).join(u, u.c.id == p.c.committee_id))
                 .where(*where).group_by(b.c.id, b.c.compound, b.c.number, p.c.committee_id, u.c.name)
                 .order_by(u.c.name, b.c.compound, b.c.number))
        elif by == "unit":
            q = (sa.select(b.c.id, b.c.compound, b.c.number, p.c.unit, p.c.committee_id, *sums)
                 .select_from(p.join(b, b.c.id == p.c.building_id)).where(*where)
                 .group_by(b.c.id, b.c.compound, b.c.number, p.c.unit, p.c.committee_id)
                 .order_by(b.c.compound, b.c.number, p.c.unit))
        elif by == "committee":
            q = (sa.select(u.c.id, u.c.code, u.c.name, u.c.parent_id, *sums)
                 .select_from(p.join(u, u.c.id == p.c.committee_id)).where(*where)
                 .group_by(u.c.id, u.c.code, u.c.name, u.c.parent_id).order_by(u.c.code))
        elif by == "street":
            q = (sa.select(street.c.id, street.c.code, street.c.name, *sums)
                 .select_from(p.join(u, u.c.id == p.c.committee_id).join(street, street.c.id == u.c.parent_id))
                 .where(*where).group_by(street.c.id, street.c.code, street.c.name).order_by(street.c.code))
        else:
            q = sa.select(*sums).select_from(p).where(*where)
        return [{k: (int(v or 0) if k in ("must", "tested", "exempted", "untested", "positive") else v)
                 for k, v in x._mapping.items()} for x in self.conn.execute(q)]

    def building_residents(self, building_id: int | None, starts_at: datetime, ends_at: datetime,
                           round_id: int, committee_id: int | None = None) -> list[dict]:
        """Every resident of one building (or one committee) with: tested in the window?, positive?,
        the latest note."""
        r, t = T.community_residents, T.test_results
        in_window = sa.and_(t.c.id_hash == r.c.id_hash, t.c.sample_time >= starts_at, t.c.sample_time < ends_at)
        tested = sa.exists().where(in_window)
        positive = sa.exists().where(in_window, t.c.result == "positive")
        rows = self.conn.execute(
            sa.select(r, tested.label("tested"), positive.label("positive"))
            .where(r.c.building_id == building_id if building_id is not None else r.c.committee_id == committee_id)
            .order_by(r.c.building_id, r.c.unit, r.c.room, r.c.id)).all()
        notes = self.latest_notes(round_id, [x.id for x in rows])
        return [{**dict(x._mapping), "note_latest": notes.get(x.id)} for x in rows]

    # ------------------------------------------------------------------ notes

    def add_note(self, values: dict) -> int:
        n = T.community_notes
        return self.conn.execute(sa.insert(n).values(**values).returning(n.c.id)).scalar_one()

    def latest_notes(self, round_id: int, resident_ids: Sequence[int]) -> dict[int, dict]:
        n = T.community_notes
        out: dict[int, dict] = {}
        for part in _chunks(list(resident_ids)):
            for row in self.conn.execute(sa.select(n).where(n.c.round_id == round_id, n.c.resident_id.in_(part))
                                         .order_by(n.c.id)):
                out[row.resident_id] = dict(row._mapping)
        return out

    def exempt_notes(self, round_id: int) -> list[int]:
        """Residents the committee exempted in this round (their latest note exempts)."""
        n = T.community_notes
        latest = sa.select(n.c.resident_id, sa.func.max(n.c.id).label("id")).where(n.c.round_id == round_id) \
            .group_by(n.c.resident_id).subquery()
        return list(self.conn.execute(sa.select(n.c.resident_id).join(latest, latest.c.id == n.c.id)
                                      .where(n.c.exempt)).scalars())

    def notes_of(self, round_id: int, resident_id: int) -> list[dict]:
        n, us = T.community_notes, T.users
        rows = self.conn.execute(sa.select(n, us.c.display_name, us.c.username).outerjoin(us, us.c.id == n.c.created_by)
                                 .where(n.c.round_id == round_id, n.c.resident_id == resident_id).order_by(n.c.id))
        return [dict(x._mapping) for x in rows]

    # ------------------------------------------------------------------ templates and notices

    def templates(self, active_only: bool = True) -> list[dict]:
        t = T.community_templates
        q = sa.select(t).order_by(t.c.code)
        if active_only:
            q = q.where(t.c.active)
        return [dict(x._mapping) for x in self.conn.execute(q)]

    def template(self, code: str) -> dict | None:
        t = T.community_templates
        row = self.conn.execute(sa.select(t).where(t.c.code == code)).first()
        return dict(row._mapping) if row else None

    def put_template(self, values: dict) -> None:
        t = T.community_templates
        if self.template(values["code"]) is None:
            self.conn.execute(sa.insert(t).values(**values))
        else:
            self.conn.execute(sa.update(t).where(t.c.code == values["code"]).values(**values))

    def add_notice(self, values: dict) -> int:
        cn = T.community_notices
        return self.conn.execute(sa.insert(cn).values(**values).returning(cn.c.id)).scalar_one()

    def add_deliveries(self, rows: Sequence[dict]) -> None:
        for part in _chunks(list(rows), 2000):
            self.conn.execute(_insert(self.conn, T.community_deliveries).on_conflict_do_nothing(), list(part))

    def notices(self, committee_ids: Sequence[int] | None, limit: int = 50) -> list[dict]:
        cn, u = T.community_notices, T.units
        q = sa.select(cn, u.c.name.label("committee_name")).join(u, u.c.id == cn.c.committee_id)
        if committee_ids is not None:
            q = q.where(cn.c.committee_id.in_(list(committee_ids)))
        return [dict(x._mapping) for x in self.conn.execute(q.order_by(cn.c.id.desc()).limit(limit))]

    def notice(self, notice_id: int) -> dict | None:
        cn = T.community_notices
        row = self.conn.execute(sa.select(cn).where(cn.c.id == notice_id)).first()
        return dict(row._mapping) if row else None

    def deliveries(self, notice_id: int) -> list[dict]:
        """Per resident and channel: SMS status is the outbox row's (pending → sent / failed)."""
        d, r, b, o = T.community_deliveries, T.community_residents, T.community_buildings, T.outbox
        rows = self.conn.execute(
            sa.select(d.c.resident_id, d.c.channel, d.c.status.label("delivery_status"), o.c.status.label("outbox_status"),
                      o.c.attempts, o.c.last_error, o.c.sent_at, r.c.name, r.c.phone, r.c.room, r.c.unit, r.c.id_masked,
                      r.c.id.label("id"), r.c.committee_id, r.c.building_id, r.c.household, r.c.tags, r.c.status,
                      r.c.moved_in, r.c.note, b.c.compound, b.c.number)
            .join(r, r.c.id == d.c.resident_id).join(b, b.c.id == r.c.building_id)
            .outerjoin(o, o.c.dedup_key == d.c.dedup_key)
            .where(d.c.notice_id == notice_id).order_by(b.c.number, r.c.unit, r.c.room, d.c.channel)).all()
        out = []
        for x in rows:
            m = dict(x._mapping)
            status = m["delivery_status"] if m["channel"] != "sms" or m["delivery_status"] == "no_phone" else \
                {"pending": "queued", "sent": "sent", "failed": "failed"}.get(m["outbox_status"] or "", "queued")
            out.append({**resident_out(m), "channel": m["channel"], "delivery": status, "attempts": m["attempts"] or 0,
                        "error": m["last_error"], "sent_at": m["sent_at"]})
        return out
