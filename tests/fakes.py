"""In-memory implementations of the app ports: use-case tests run on these in milliseconds."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from cityops.domain.errors import Conflict
from cityops.domain.orders.clock import WorkCalendar
from cityops.domain.orders.policy import DeadlinePolicy, Mode, default_policies
from cityops.domain.org import Unit, UnitKind


class FakeOrders:
    def __init__(self):
        self.rows: dict[int, Any] = {}
        self.next_due: dict[int, datetime | None] = {}
        self.events: list[tuple[int, Any]] = []
        self.seq = 0
        self.intake_keys: dict[tuple[int, str], int] = {}

    def next_number(self, now, tz):
        self.seq += 1
        return f"{now:%y%m%d}{self.seq:04d}"

    def add(self, order, next_due_at, now):
        oid = len(self.rows) + 1
        saved = order.evolve(id=oid, version=1)
        self.rows[oid], self.next_due[oid] = saved, next_due_at
        return saved

    def get(self, number, lock=True):
        return next((o for o in self.rows.values() if o.number == number), None)

    def get_by_id(self, order_id):
        return self.rows.get(order_id)

    def save(self, order, next_due_at, now):
        if self.rows[order.id].version != order.version:
            raise Conflict("changed meanwhile")
        saved = order.evolve(version=order.version + 1)
        self.rows[order.id], self.next_due[order.id] = saved, next_due_at
        return saved

    def children(self, parent_id):
        return [o for o in self.rows.values() if o.parent_id == parent_id]

    def add_events(self, items):
        self.events.extend(items)

    def intake_key_order(self, user_id, key):
        return self.intake_keys.get((user_id, key))

    def claim_intake_key(self, user_id, key, order_id, now):
        if (user_id, key) in self.intake_keys:
            return False
        self.intake_keys[(user_id, key)] = order_id
        return True

    def claim_due(self, now, limit):
        due = sorted((d, i) for i, d in self.next_due.items() if d is not None and d <= now)
        return [self.rows[i] for _, i in due[:limit]]

    def save_deadline_state(self, items, now):
        for o, nxt in items:
            self.rows[o.id] = o.evolve(version=o.version + 1)
            self.next_due[o.id] = nxt


class FakeUnits:
    def __init__(self, units: Iterable[Unit]):
        self.by_id = {u.id: u for u in units}

    def get(self, unit_id):
        return self.by_id.get(unit_id)

    def by_code(self, code):
        return next((u for u in self.by_id.values() if u.code == code), None)

    def center(self):
        return next((u for u in self.by_id.values() if u.kind == UnitKind.CENTER), None)

    def is_within(self, unit_id, ancestor_id):
        u, a = self.get(unit_id), self.get(ancestor_id)
        return bool(u and a and u.path.startswith(a.path))


class FakeCatalog:
    def category_exists(self, code):
        return code.split(".")[0] in ("epi", "city")

    def special_group_codes(self):
        return {"elderly", "pregnant", "child", "disabled", "patient"}


class FakePolicies:
    def __init__(self):
        self.items = default_policies()
        self._mode = Mode.EPIDEMIC

    def all(self):
        return list(self.items)

    def upsert(self, policy: DeadlinePolicy, actor_id, now):
        self.items = [p for p in self.items if (p.mode, p.urgency, p.category) != (policy.mode, policy.urgency, policy.category)]
        self.items.append(policy)
        return policy

    def mode(self):
        return self._mode

    def set_mode(self, mode, actor_id, now):
        self._mode = mode

    def calendar(self):
        return WorkCalendar()


class FakeNotices:
    def __init__(self):
        self.inapp_items: list[dict] = []
        self.outbox_items: list[dict] = []

    def inapp(self, items):
        self.inapp_items.extend(items)

    def outbox(self, items):
        self.outbox_items.extend(items)


class FakeAudit:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, at, actor_id, action, target_type, target_id, detail):
        self.rows.append((at, actor_id, action, target_type, target_id, detail))


class FakeAttachments:
    def __init__(self):
        self.rows: dict[int, dict] = {}

    def add(self, **values):
        self.rows[len(self.rows) + 1] = values
        return len(self.rows)

    def ids_of(self, order_id):
        return {i for i, r in self.rows.items() if r["order_id"] == order_id}

    def get(self, att_id):
        return self.rows.get(att_id)


def demo_units() -> list[Unit]:
    return [
        Unit(1, "D", "示范区", UnitKind.DISTRICT, None, "/1/"),
        Unit(2, "CENTER", "城运中心", UnitKind.CENTER, 1, "/1/2/"),
        Unit(3, "S1", "龙华街道", UnitKind.STREET, 1, "/1/3/", hotline_lead_phone="13800000001",
             leader_phone="13800000002", webhook_url="http://127.0.0.1:9/robot"),
        Unit(4, "S1C1", "龙漕居委", UnitKind.COMMITTEE, 3, "/1/3/4/"),
        Unit(5, "S2", "四川北路街道", UnitKind.STREET, 1, "/1/5/"),
    ]


class FakeGazetteer:
    def __init__(self, entries=()):
        from cityops.domain.routing import Gazetteer

        self._g = Gazetteer(list(entries))

    def gazetteer(self):
        return self._g


class FakeUnitOfWork:
    """State lives in the object; commit() records that the use case committed."""

    def __init__(self):
        self.orders = FakeOrders()
        self.units = FakeUnits(demo_units())
        self.catalog = FakeCatalog()
        self.policies = FakePolicies()
        self.notices = FakeNotices()
        self.audit = FakeAudit()
        self.attachments = FakeAttachments()
        self.gazetteer = FakeGazetteer()
        self.commits = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def commit(self):
        self.commits += 1

    def rollback(self):
        pass
