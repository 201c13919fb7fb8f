"""Storage of the passes context: areas, checkpoints, rulesets, keys, codes, test results,
applications, passes, revocations and scans."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .tables import (pass_applications, pass_areas, pass_checkpoints, pass_keys, pass_otps, pass_revocations,
                     pass_rulesets, pass_scans, passes, test_results, units)


def _d(row: Any) -> dict | None:
    return dict(row._mapping) if row is not None else None


class SqlPassRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _insert(self, table: sa.Table):
        return (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(table)

    # areas and checkpoints
    def add_area(self, values: dict) -> int:
        return self.conn.execute(sa.insert(pass_areas).values(**values).returning(pass_areas.c.id)).scalar_one()

    def update_area(self, area_id: int, values: dict) -> None:
        self.conn.execute(sa.update(pass_areas).where(pass_areas.c.id == area_id).values(**values))

    def area(self, *, code: str | None = None, area_id: int | None = None) -> dict | None:
        q = sa.select(pass_areas, units.c.code.label("unit_code"), units.c.name.label("unit_name"),
                      units.c.path.label("unit_path")).join(units, units.c.id == pass_areas.c.unit_id)
        q = q.where(pass_areas.c.code == code) if code is not None else q.where(pass_areas.c.id == area_id)
        return _d(self.conn.execute(q).first())

    def areas(self, active_only: bool = True) -> list[dict]:
        q = sa.select(pass_areas, units.c.code.label("unit_code"), units.c.name.label("unit_name")) \
            .join(units, units.c.id == pass_areas.c.unit_id).order_by(pass_areas.c.code)
        if active_only:
            q = q.where(pass_areas.c.active)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def add_checkpoint(self, values: dict) -> int:
        return self.conn.execute(sa.insert(pass_checkpoints).values(**values)
                                 .returning(pass_checkpoints.c.id)).scalar_one()

    def _checkpoints(self):
        return sa.select(pass_checkpoints, pass_areas.c.code.label("area_code"),
                         pass_areas.c.name.label("area_name")).join(pass_areas,
                                                                    pass_areas.c.id == pass_checkpoints.c.area_id)

    def checkpoint(self, code: str) -> dict | None:
        return _d(self.conn.execute(self._checkpoints().where(pass_checkpoints.c.code == code)).first())

    def checkpoints(self) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(self._checkpoints().order_by(pass_checkpoints.c.code))]

    # rulesets
    def ruleset(self) -> tuple[int, dict] | None:
        row = self.conn.execute(sa.select(pass_rulesets).order_by(pass_rulesets.c.version.desc()).limit(1)).first()
        return (row.version, row.body) if row else None

    def add_ruleset(self, version: int, body: dict, actor_id: int | None, now: datetime) -> None:
        self.conn.execute(sa.insert(pass_rulesets).values(version=version, body=body, created_by=actor_id,
                                                          created_at=now))

    # keys
    def add_key(self, values: dict) -> None:
        self.conn.execute(sa.insert(pass_keys).values(**values))

    def keys(self, purpose: str | None = None) -> list[dict]:
        q = sa.select(pass_keys).order_by(pass_keys.c.created_at, pass_keys.c.kid)
        if purpose:
            q = q.where(pass_keys.c.purpose == purpose)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def set_key_status(self, kid: str, status: str, now: datetime) -> None:
        extra = {"retired_at": now} if status == "retired" else {"withdrawn_at": now} if status == "withdrawn" else {}
        self.conn.execute(sa.update(pass_keys).where(pass_keys.c.kid == kid).values(status=status, **extra))

    # one-time codes
    def add_otp(self, values: dict) -> None:
        self.conn.execute(sa.insert(pass_otps).values(**values))

    def otp(self, otp_id: str) -> dict | None:
        return _d(self.conn.execute(sa.select(pass_otps).where(pass_otps.c.id == otp_id)).first())

    def update_otp(self, otp_id: str, values: dict) -> None:
        self.conn.execute(sa.update(pass_otps).where(pass_otps.c.id == otp_id).values(**values))

    def otps_since(self, phone: str, since: datetime) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(pass_otps).where(
            pass_otps.c.phone == phone, pass_otps.c.created_at >= since)).scalar_one()

    # test results
    def add_results(self, rows: list[dict]) -> list[dict]:
        """Insert each row unless (person, sample time, tube) is already there; the rows inserted, with ids."""
        added = []
        for r in rows:
            stmt = self._insert(test_results).values(**r).on_conflict_do_nothing(
                index_elements=["id_hash", "sample_time", "tube_id"]).returning(test_results.c.id)
            rid = self.conn.execute(stmt).scalar()
            if rid is not None:
                added.append({**r, "id": rid})
        return added

    def latest_result(self, id_hash: str) -> dict | None:
        """The newest result with a verdict (pending results do not count)."""
        return _d(self.conn.execute(
            sa.select(test_results).where(test_results.c.id_hash == id_hash, test_results.c.result != "pending")
            .order_by(test_results.c.sample_time.desc(), test_results.c.id.desc()).limit(1)).first())

    # applications and passes
    def add_application(self, values: dict) -> int:
        return self.conn.execute(sa.insert(pass_applications).values(**values)
                                 .returning(pass_applications.c.id)).scalar_one()

    def _applications(self):
        a = pass_applications
        return sa.select(a, pass_areas.c.code.label("area_code"), pass_areas.c.name.label("area_name"),
                         pass_areas.c.kind.label("area_kind"), pass_areas.c.unit_id.label("area_unit_id"),
                         units.c.path.label("unit_path")) \
            .join(pass_areas, pass_areas.c.id == a.c.area_id).join(units, units.c.id == pass_areas.c.unit_id)

    def application(self, app_id: int) -> dict | None:
        return _d(self.conn.execute(self._applications().where(pass_applications.c.id == app_id)).first())

    def update_application(self, app_id: int, values: dict) -> None:
        self.conn.execute(sa.update(pass_applications).where(pass_applications.c.id == app_id).values(**values))

    def applications(self, *, status: str | None, unit_path: str | None, limit: int, offset: int) -> dict:
        q = self._applications()
        if status:
            q = q.where(pass_applications.c.status == status)
        if unit_path:
            q = q.where(units.c.path.startswith(unit_path))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()
        rows = self.conn.execute(q.order_by(pass_applications.c.created_at.desc(), pass_applications.c.id.desc())
                                 .limit(limit).offset(offset))
        return {"total": total, "items": [dict(r._mapping) for r in rows]}

    def add_pass(self, values: dict) -> None:
        self.conn.execute(sa.insert(passes).values(**values))

    def _passes(self):
        return sa.select(passes, pass_areas.c.code.label("area_code"), pass_areas.c.name.label("area_name")) \
            .join(pass_areas, pass_areas.c.id == passes.c.area_id)

    def get_pass(self, pass_id: str) -> dict | None:
        return _d(self.conn.execute(self._passes().where(passes.c.id == pass_id)).first())

    def pass_of_application(self, app_id: int) -> dict | None:
        return _d(self.conn.execute(self._passes().where(passes.c.application_id == app_id)).first())

    def active_passes_of(self, id_hash: str, now: datetime) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(self._passes().where(
            passes.c.id_hash == id_hash, passes.c.revoked_at.is_(None), passes.c.expires_at > now))]

    def revoke(self, pass_id: str, hash_: str, actor_id: int | None, reason: str, now: datetime) -> int:
        res = self.conn.execute(sa.update(passes).where(passes.c.id == pass_id, passes.c.revoked_at.is_(None))
                                .values(revoked_at=now, revoked_by=actor_id, revoke_reason=reason))
        if res.rowcount != 1:
            return 0
        return self.conn.execute(sa.insert(pass_revocations).values(pass_id=pass_id, hash=hash_, revoked_at=now)
                                 .returning(pass_revocations.c.seq)).scalar_one()

    def is_revoked(self, pass_id: str) -> bool:
        return self.conn.execute(sa.select(passes.c.revoked_at).where(passes.c.id == pass_id)).scalar() is not None

    def revocations(self, since: int) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(pass_revocations.c.seq, pass_revocations.c.hash, pass_revocations.c.revoked_at)
            .where(pass_revocations.c.seq > since).order_by(pass_revocations.c.seq))]

    # scans
    def add_scans(self, rows: list[dict]) -> int:
        """Insert scans; one whose scan_id is already there is skipped. Returns how many were new."""
        if not rows:
            return 0
        stmt = self._insert(pass_scans).on_conflict_do_nothing(index_elements=["scan_id"]).returning(pass_scans.c.id)
        new = 0
        for r in rows:
            if self.conn.execute(stmt.values(**r)).scalar() is not None:
                new += 1
        return new

    def _scans(self):
        s = pass_scans
        return sa.select(s.c.scan_id, s.c.pass_id, s.c.direction, s.c.scanned_at, s.c.received_at, s.c.result,
                         s.c.reason, s.c.server_reason, s.c.mode, pass_checkpoints.c.code.label("checkpoint"),
                         pass_checkpoints.c.name.label("checkpoint_name"), passes.c.holder_name, passes.c.id_masked,
                         passes.c.employer, pass_areas.c.code.label("area_code")) \
            .join(pass_checkpoints, pass_checkpoints.c.id == s.c.checkpoint_id) \
            .join(pass_areas, pass_areas.c.id == pass_checkpoints.c.area_id) \
            .outerjoin(passes, passes.c.id == s.c.pass_id)

    def passages(self, checkpoint_id: int, start: datetime, end: datetime, limit: int) -> list[dict]:
        q = self._scans().where(pass_scans.c.checkpoint_id == checkpoint_id, pass_scans.c.scanned_at >= start,
                                pass_scans.c.scanned_at < end).order_by(pass_scans.c.scanned_at, pass_scans.c.id)
        return [dict(r._mapping) for r in self.conn.execute(q.limit(limit))]

    def pass_scans(self, pass_id: str, limit: int) -> list[dict]:
        q = self._scans().where(pass_scans.c.pass_id == pass_id).order_by(pass_scans.c.scanned_at, pass_scans.c.id)
        return [dict(r._mapping) for r in self.conn.execute(q.limit(limit))]

    def employer_passes(self, employer: str, limit: int) -> list[dict]:
        q = self._passes().where(passes.c.employer == employer).order_by(passes.c.issued_at.desc())
        return [dict(r._mapping) for r in self.conn.execute(q.limit(limit))]

    def stats(self, start: datetime, end: datetime) -> dict:
        a, p, s = pass_applications, passes, pass_scans
        by_status = dict(self.conn.execute(sa.select(a.c.status, sa.func.count()).where(
            a.c.created_at >= start, a.c.created_at < end).group_by(a.c.status)).all())
        issued = self.conn.execute(sa.select(sa.func.count()).select_from(p).where(
            p.c.issued_at >= start, p.c.issued_at < end)).scalar_one()
        revoked = self.conn.execute(sa.select(sa.func.count()).select_from(p).where(
            p.c.revoked_at >= start, p.c.revoked_at < end)).scalar_one()
        refusals: dict[str, int] = {}
        for (failures,) in self.conn.execute(sa.select(a.c.failures).where(
                a.c.created_at >= start, a.c.created_at < end, a.c.status.in_(("refused", "rejected")))):
            for f in failures or []:
                refusals[f.get("id", "?")] = refusals.get(f.get("id", "?"), 0) + 1
        scans = dict(self.conn.execute(sa.select(s.c.result, sa.func.count()).where(
            s.c.scanned_at >= start, s.c.scanned_at < end).group_by(s.c.result)).all())
        denials = dict(self.conn.execute(sa.select(s.c.reason, sa.func.count()).where(
            s.c.scanned_at >= start, s.c.scanned_at < end, s.c.result == "deny").group_by(s.c.reason)).all())
        return {"applications": by_status, "issued": issued, "revoked": revoked, "refused_by_rule": refusals,
                "scans": {"total": sum(scans.values()), "allow": scans.get("allow", 0), "deny": scans.get("deny", 0)},
                "denials_by_reason": denials}
