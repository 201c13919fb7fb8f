"""The SQL unit of work: one connection, one transaction, the repositories bound to it."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ...domain.orders.clock import WorkCalendar
from ...domain.orders.policy import DeadlinePolicy, Mode
from ...domain.org import Unit, UnitKind
from .open311_repo import SqlOpen311Repository
from .orders_repo import SqlOrderRepository
from .passes_repo import SqlPassRepository
from .alerts_repo import SqlAlertRepository
from .community_repo import SqlCommunityRepository
from .duty_repo import SqlDutyRepository
from .knowledge_repo import SqlGazetteerRepository, SqlKbRepository, SqlRoutingRepository
from .refcache import ReferenceCache, read_setting, write_setting
from .triage_repo import SqlTriageRepository
from .tables import (api_tokens, attachments, audit_log, calendar_days, categories, deadline_policies, notifications,
                     orders, outbox, special_groups, units, users)


def unit_from_row(r: Any) -> Unit:
    m = dict(r._mapping)
    m["kind"] = UnitKind(m["kind"])
    return Unit(**m)


class SqlUnitRepository:
    """Units, read from the reference cache (the org tree changes rarely; every change bumps it)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def _all(self) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            rows = [unit_from_row(r) for r in self.conn.execute(sa.select(units).order_by(units.c.id))]
            return {"by_id": {u.id: u for u in rows}, "by_code": {u.code: u for u in rows},
                    "center": next((u for u in rows if u.kind == UnitKind.CENTER), None)}
        return ReferenceCache.get(self.conn, "units", load)

    def get(self, unit_id: int) -> Unit | None:
        return self._all()["by_id"].get(unit_id)

    def by_code(self, code: str) -> Unit | None:
        return self._all()["by_code"].get(code)

    def center(self) -> Unit | None:
        return self._all()["center"]

    def all(self) -> list[Unit]:
        return list(self._all()["by_id"].values())

    def add(self, *, code: str, name: str, kind: str, parent: Unit | None, now: datetime | None = None,
            **contacts: str) -> Unit:
        uid = self.conn.execute(
            sa.insert(units).values(code=code, name=name, kind=kind, parent_id=parent.id if parent else None, path="",
                                    **{k: v for k, v in contacts.items() if v is not None}).returning(units.c.id)
        ).scalar_one()
        path = f"{parent.path if parent else '/'}{uid}/"
        self.conn.execute(sa.update(units).where(units.c.id == uid).values(path=path))
        ReferenceCache.bump(self.conn, None, now or datetime.now(timezone.utc))
        return self.get(uid)

    def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        if unit_id == ancestor_id:
            return True
        u, a = self.get(unit_id), self.get(ancestor_id)
        return bool(u and a and u.path.startswith(a.path))


class SqlCatalogRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def category_exists(self, code: str) -> bool:
        return code in ReferenceCache.get(self.conn, "categories", lambda: frozenset(
            self.conn.execute(sa.select(categories.c.code).where(categories.c.active)).scalars()))

    def special_group_codes(self) -> set[str]:
        return set(ReferenceCache.get(self.conn, "special_groups", lambda: frozenset(
            self.conn.execute(sa.select(special_groups.c.code)).scalars())))


class SqlPolicyRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def all(self) -> list[DeadlinePolicy]:
        return list(ReferenceCache.get(self.conn, "policies", self._load_all))

    def _load_all(self) -> tuple[DeadlinePolicy, ...]:
        out = []
        for r in self.conn.execute(sa.select(deadline_policies).order_by(deadline_policies.c.id)):
            out.append(DeadlinePolicy.from_dict({**r.body, "id": r.id, "version": r.version}))
        return tuple(out)

    def upsert(self, policy: DeadlinePolicy, actor_id: int | None, now: datetime) -> DeadlinePolicy:
        t = deadline_policies
        cat = policy.category or ""
        row = self.conn.execute(
            sa.select(t.c.id, t.c.version).where(t.c.mode == str(policy.mode), t.c.urgency == str(policy.urgency),
                                                 t.c.category == cat)
        ).first()
        ReferenceCache.bump(self.conn, actor_id, now)
        body = policy.to_dict()
        body.pop("id", None)
        if row is None:
            pid = self.conn.execute(
                sa.insert(t).values(mode=str(policy.mode), urgency=str(policy.urgency), category=cat, body=body,
                                    version=1, updated_by=actor_id, updated_at=now).returning(t.c.id)
            ).scalar_one()
            version = 1
        else:
            pid, version = row.id, row.version + 1
            body["version"] = version
            self.conn.execute(sa.update(t).where(t.c.id == pid).values(body=body, version=version,
                                                                       updated_by=actor_id, updated_at=now))
        return DeadlinePolicy.from_dict({**body, "id": pid, "version": version})

    def mode(self) -> Mode:
        return ReferenceCache.get(self.conn, "mode", lambda: Mode(read_setting(self.conn, "mode", "epidemic")))

    def set_mode(self, mode: Mode, actor_id: int | None, now: datetime) -> None:
        write_setting(self.conn, "mode", str(mode), actor_id, now)

    def set_calendar(self, hours: dict, days: list, actor_id: int | None, now: datetime) -> None:
        write_setting(self.conn, "work_hours", hours, actor_id, now)
        self.conn.execute(sa.delete(calendar_days))
        if days:
            self.conn.execute(sa.insert(calendar_days), [{"day": d, "kind": k, "name": n} for d, k, n in days])

    def calendar(self) -> WorkCalendar:
        return ReferenceCache.get(self.conn, "calendar", self._load_calendar)

    def _load_calendar(self) -> WorkCalendar:
        hours = read_setting(self.conn, "work_hours", {})
        holidays, workdays = set(), set()
        for r in self.conn.execute(sa.select(calendar_days)):
            (holidays if r.kind == "holiday" else workdays).add(r.day if isinstance(r.day, date) else date.fromisoformat(r.day))
        return WorkCalendar(
            tz=hours.get("tz", "Asia/Shanghai"),
            day_start=time.fromisoformat(hours.get("day_start", "09:00")),
            day_end=time.fromisoformat(hours.get("day_end", "17:30")),
            weekend=frozenset(hours.get("weekend", (5, 6))),
            holidays=frozenset(holidays), workdays=frozenset(workdays),
        )


class SqlNoticeRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _insert_once(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert; a row whose dedup key is already there is skipped (a notice goes out once)."""
        if not rows:
            return
        ins = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(table)
        self.conn.execute(ins.on_conflict_do_nothing(index_elements=["dedup_key"]), rows)

    def inapp(self, items: Iterable[dict[str, Any]]) -> None:
        self._insert_once(notifications, [{"user_id": None, "unit_id": None, "dedup_key": None, **i} for i in items])

    def outbox(self, items: Iterable[dict[str, Any]]) -> None:
        self._insert_once(outbox, [{"status": "pending", "attempts": 0, "next_attempt_at": i["created_at"],
                                    "dedup_key": None, **i} for i in items])


class SqlAuditRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, at: datetime, actor_id: int | None, action: str, target_type: str, target_id: str,
            detail: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(audit_log).values(at=at, actor_id=actor_id, action=action,
                                                      target_type=target_type, target_id=target_id, detail=detail))


def _kb_tokenizer():
    """The triage tokenizer (jieba with the domain dictionary), shared by the KB index."""
    from ..triage.model import default_tokenizer

    return default_tokenizer()


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls back."""

    def __init__(self, engine: Engine, readonly: bool = False):
        self.engine = engine
        self.readonly = readonly
        self.conn: Connection | None = None

    def __enter__(self) -> "SqlUnitOfWork":
        self.conn = self.engine.connect()
        if self.readonly:  # SQLite: a plain BEGIN, so reads do not queue for the write lock
            self.conn.execution_options(readonly=True)
        self._tx = self.conn.begin()
        self.conn.info.pop("cityops_ref_version", None)  # reference data version: read afresh per unit of work
        c = self.conn
        self.orders = SqlOrderRepository(c)
        self.units = SqlUnitRepository(c)
        self.catalog = SqlCatalogRepository(c)
        self.policies = SqlPolicyRepository(c)
        self.notices = SqlNoticeRepository(c)
        self.audit = SqlAuditRepository(c)
        self.users = SqlUserRepository(c)
        self.reference = SqlReferenceRepository(c)
        self.outbox = SqlOutboxRepository(c)
        self.attachments = SqlAttachmentRepository(c)
        self.triage = SqlTriageRepository(c)
        self.gazetteer = SqlGazetteerRepository(c, lambda: self.units.all())
        self.routing = SqlRoutingRepository(c)
        self.kb = SqlKbRepository(c, _kb_tokenizer)
        self.open311 = SqlOpen311Repository(c)
        self.alerts = SqlAlertRepository(c)
        self.passes = SqlPassRepository(c)
        self.duty = SqlDutyRepository(c)
        self.community = SqlCommunityRepository(c)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            assert self.conn is not None
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        self._tx.commit()

    def rollback(self) -> None:
        self._tx.rollback()


class SqlUserRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def by_username(self, username: str) -> dict | None:
        row = self.conn.execute(sa.select(users).where(users.c.username == username)).first()
        return dict(row._mapping) if row else None

    def add(self, values: dict) -> int:
        return self.conn.execute(sa.insert(users).values(**values).returning(users.c.id)).scalar_one()

    def add_token(self, token_hash: str, user_id: int, now: datetime, expires: datetime) -> None:
        self.conn.execute(sa.insert(api_tokens).values(token_hash=token_hash, user_id=user_id, created_at=now,
                                                       expires_at=expires))

    def by_token(self, token_hash: str, now: datetime) -> dict | None:
        row = self.conn.execute(
            sa.select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == token_hash, api_tokens.c.expires_at > now)
        ).first()
        return dict(row._mapping) if row else None

    def delete_token(self, token_hash: str) -> None:
        self.conn.execute(sa.delete(api_tokens).where(api_tokens.c.token_hash == token_hash))



class SqlReferenceRepository:
    """Categories, special groups and district settings, for install and admin."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def add_category(self, code: str, name: str, en: str, about: str, parent: str | None) -> int:
        if self.conn.execute(sa.select(categories.c.code).where(categories.c.code == code)).first():
            return 0
        ReferenceCache.bump(self.conn, None, datetime.now(timezone.utc))
        self.conn.execute(sa.insert(categories).values(code=code, name=name, en=en, about=about, parent_code=parent))
        return 1

    def category_names(self) -> dict[str, str]:
        return ReferenceCache.get(self.conn, "category_names", lambda: dict(
            self.conn.execute(sa.select(categories.c.code, categories.c.name)).all()))

    def category(self, code: str) -> dict | None:
        row = self.conn.execute(sa.select(categories).where(categories.c.code == code)).first()
        return dict(row._mapping) if row else None

    def update_category(self, code: str, changes: dict, now: datetime) -> None:
        self.conn.execute(sa.update(categories).where(categories.c.code == code).values(**changes))
        ReferenceCache.bump(self.conn, None, now)

    def add_special_group(self, code: str, name: str, en: str) -> int:
        if self.conn.execute(sa.select(special_groups.c.code).where(special_groups.c.code == code)).first():
            return 0
        ReferenceCache.bump(self.conn, None, datetime.now(timezone.utc))
        self.conn.execute(sa.insert(special_groups).values(code=code, name=name, en=en))
        return 1

    def setting(self, key: str) -> Any:
        return read_setting(self.conn, key)


class SqlOutboxRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def claim(self, now: datetime, channels: list[str], limit: int, lease_until: datetime) -> list[dict]:
        o = outbox
        free = sa.or_(o.c.claimed_until.is_(None), o.c.claimed_until < now)
        rows = self.conn.execute(
            sa.select(o, orders.c.number.label("order_number")).select_from(o.outerjoin(orders, orders.c.id == o.c.order_id))
            .where(o.c.status == "pending", o.c.next_attempt_at <= now, o.c.channel.in_(channels), free)
            .order_by(o.c.next_attempt_at, o.c.id).limit(limit)
        ).all()
        claimed = []
        for r in rows:
            res = self.conn.execute(sa.update(o).where(o.c.id == r.id, o.c.status == "pending", free)
                                    .values(claimed_until=lease_until))
            if res.rowcount == 1:
                claimed.append(dict(r._mapping))
        return claimed

    def mark_sent(self, msg_id: int, now: datetime, attempts: int) -> None:
        self.conn.execute(sa.update(outbox).where(outbox.c.id == msg_id).values(
            status="sent", sent_at=now, attempts=attempts, claimed_until=None, last_error=None))

    def mark_failed(self, msg_id: int, now: datetime, attempts: int, error: str) -> None:
        self.conn.execute(sa.update(outbox).where(outbox.c.id == msg_id).values(
            status="failed", attempts=attempts, claimed_until=None, last_error=error[:2000]))

    def retry_later(self, msg_id: int, at: datetime, attempts: int, error: str) -> None:
        self.conn.execute(sa.update(outbox).where(outbox.c.id == msg_id).values(
            next_attempt_at=at, attempts=attempts, claimed_until=None, last_error=error[:2000]))


class SqlAttachmentRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **values: Any) -> int:
        return self.conn.execute(sa.insert(attachments).values(**values).returning(attachments.c.id)).scalar_one()

    def ids_of(self, order_id: int) -> set[int]:
        return set(self.conn.execute(sa.select(attachments.c.id).where(attachments.c.order_id == order_id)).scalars())

    def get(self, att_id: int) -> dict | None:
        row = self.conn.execute(sa.select(attachments).where(attachments.c.id == att_id)).first()
        return dict(row._mapping) if row else None
