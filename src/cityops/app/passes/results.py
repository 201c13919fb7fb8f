"""核酸结果导入: CSV files into the shared ``test_results`` table (the community registry reads and
writes the same table). A new positive result revokes the person's passes at once and raises a
critical order for the center."""
from __future__ import annotations

from datetime import datetime, timezone, timedelta

from ...domain.passes.model import revocation_hash
from ...domain.passes.results import parse_results_csv
from ...domain.errors import NotAllowed
from ...domain.roles import SYSTEM, Actor, Role
from ..orders.usecases import NewOrder, create_order
from .ports import PassCrypto, PassesUnitOfWork

CST = timezone(timedelta(hours=8))


def import_results(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor | None, data: bytes, filename: str,
                   now: datetime) -> dict:
    """Import a CSV of results; the report lists every refused row (line, field, reason). Importing
    the same file twice adds nothing the second time."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise NotAllowed("只有管理员或派单员可以导入核酸结果 (only an admin or a supervisor may import results)")
    parsed = parse_results_csv(data, hash_id=crypto.id_hash, now=now, source=filename or "upload")
    revoked: list[str] = []
    with uow:
        added = uow.passes.add_results([{**r, "imported_at": now} for r in parsed.records])
        positives = [r for r in added if r["result"] == "positive"]
        for r in positives:
            for p in uow.passes.active_passes_of(r["id_hash"], now):
                if uow.passes.revoke(p["id"], revocation_hash(p["id"]), None, "核酸检测结果阳性 (positive test result)",
                                     now):
                    revoked.append(p["id"])
                    uow.audit.add(now, None, "pass_revoked", "pass", p["id"], {"reason": "positive test result"})
        uow.audit.add(now, actor.user_id if actor else None, "test_results_imported", "test_results",
                      (filename or "upload")[:100], {"rows": parsed.rows, "added": len(added),
                                                      "problems": len(parsed.problems)})
        uow.commit()
    orders = []
    for r in positives:  # the center follows each new positive up (transfer, tracing) as a critical order
        order = create_order(uow, SYSTEM, NewOrder(
            text=(f"核酸检测结果阳性：{r['name_masked'] or '（未具名）'}，采样时间 "
                  f"{r['sample_time'].astimezone(CST):%Y-%m-%d %H:%M}，采样点 {r['site'] or '未知'}，"
                  f"试管 {r['tube_id'] or '—'}。请核实人员、安排转运和流调。"),
            channel="direct_line", urgency="critical", category="epi.isolation",
            external_ref=f"test-positive:{r['id']}", details={"test_result_id": r["id"], "id_hash": r["id_hash"]}),
            now)
        orders.append(order.number)
    return {"file": filename, "rows": parsed.rows, "added": len(added),
            "already_there": len(parsed.records) - len(added), "duplicates_in_file": parsed.duplicates_in_file,
            "positives": len(positives), "passes_revoked": revoked, "orders": orders,
            "problems": [{"line": p.line, "field": p.field, "message": p.message} for p in parsed.problems]}
