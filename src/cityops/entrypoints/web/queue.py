"""队列 — my unit's orders: live countdowns coloured by risk, filters, sorting, paging, XLSX export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...adapters.db import views
from ...domain.errors import InvalidInput
from ...domain.roles import Actor
from . import i18n
from .common import Box, PageActor, is_htmx, local_tz, render
from .exports import xlsx_response
from .lookups import Labels, labels

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
SORT_KEYS = ("next_due", "resolve_due", "received", "received_asc", "urgency")


@dataclass
class QueueQuery:
    state: str = ""          # a state, or "open" (default), or "" for all
    urgency: str = ""
    category: str = ""
    unit: str = ""
    special_group: str = ""
    overdue: str = ""        # "", "1", "0"
    supervised: str = ""
    q: str = ""
    sort: str = "next_due"
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> "QueueQuery":
        p = request.query_params
        try:
            page = max(1, min(int(p.get("page", "1") or 1), 20_000))
        except ValueError:
            raise InvalidInput(i18n.gettext("The page number must be a whole number."), field="page") from None
        sort = p.get("sort", "next_due")
        if sort not in SORT_KEYS:
            sort = "next_due"
        return cls(state=p.get("state", "open"), urgency=p.get("urgency", ""), category=p.get("category", ""),
                   unit=p.get("unit", ""), special_group=p.get("special_group", ""), overdue=p.get("overdue", ""),
                   supervised=p.get("supervised", ""), q=(p.get("q", "") or "")[:100].strip(), sort=sort, page=page)

    def filter(self) -> views.OrderFilter:
        tri = {"1": True, "0": False}
        return views.OrderFilter(
            state=[self.state] if self.state not in ("", "open") else None, open_only=self.state == "open",
            urgency=[self.urgency] if self.urgency else None, category=self.category or None,
            unit=self.unit or None, special_group=self.special_group or None, overdue=tri.get(self.overdue),
            supervised=tri.get(self.supervised), q=self.q or None)

    def params(self, **changes: Any) -> str:
        values = {k: v for k, v in self.__dict__.items()}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})


def _rows(box, actor: Actor, qq: QueueQuery, limit: int, offset: int, now: datetime, with_total: bool = True):
    with box.engine.connect().execution_options(readonly=True) as conn:
        page = views.list_orders(conn, actor, qq.filter(), now, sort=qq.sort, limit=limit, offset=offset,
                                 with_total=with_total)
        lab = labels(conn, actor)
    return page, lab


@router.get("/queue")
def queue(request: Request, actor: PageActor, box: Box):
    now = box.now()
    qq = QueueQuery.from_request(request)
    page, lab = _rows(box, actor, qq, PAGE_SIZE, (qq.page - 1) * PAGE_SIZE, now)
    pages = max(1, -(-page["total"] // PAGE_SIZE))
    ctx = {"actor": actor, "items": page["items"], "total": page["total"], "qq": qq, "pages": pages, "lab": lab,
           "now_epoch": now.timestamp(), "done": request.query_params.get("done", ""),
           "done_number": request.query_params.get("number", "")[:20]}
    if is_htmx(request) and request.headers.get("HX-Target") == "queue-body":
        return render(request, "_queue_table.html", ctx)
    return render(request, "queue.html", ctx)


def order_rows(items: list[dict[str, Any]], lab: Labels, tz) -> list[list[Any]]:
    """One spreadsheet row per order: what the queue shows, masked as on the page."""
    out = []
    for o in items:
        out.append([
            o["number"], lab.state(o["state"]), lab.urgency(o["urgency"]), lab.category(o["category"]),
            ", ".join(lab.group(g) for g in o["special_groups"]), o.get("lead_unit_name") or "",
            o["address"], o["text"], o["caller_name"], o["caller_phone"], lab.channel(o["channel"]),
            _local(o["received_at"], tz), _local(o["resolve_due_at"], tz),
            i18n.gettext("yes") if o["overdue"] else "", o["urge_count"], o["return_count"],
        ])
    return out


ORDER_HEADERS = tuple(i18n.N_(h) for h in (
    "Number", "State", "Urgency", "Category", "Special groups", "Lead unit", "Address", "Request", "Caller", "Phone",
    "Channel", "Received", "Resolve by", "Overdue", "Urged", "Returned"))


def _local(value: datetime | None, tz) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None) if value else None


@router.get("/queue.xlsx")
def queue_export(request: Request, actor: PageActor, box: Box) -> Response:
    now = box.now()
    qq = QueueQuery.from_request(request)
    page, lab = _rows(box, actor, qq, EXPORT_LIMIT, 0, now, with_total=False)
    tz = local_tz(box)
    return xlsx_response(f"orders-{now.astimezone(tz):%Y%m%d-%H%M}.xlsx", i18n.gettext("Orders"),
                         [i18n.gettext(h) for h in ORDER_HEADERS], order_rows(page["items"], lab, tz))
