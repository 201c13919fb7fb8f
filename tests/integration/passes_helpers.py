"""Shared by the passes tests: valid ID numbers, a sealed area with a checkpoint, results, applying."""
from __future__ import annotations

from datetime import timedelta

from cityops.domain.people import id_check_digit


def id_number(seq: int, born: str = "19850312") -> str:
    first = f"310104{born}{seq % 1000:03d}"
    return first + id_check_digit(first)


def setup_area(api, code="A1", manual=False, kind="sealed", unit="S1", checkpoint="G1"):
    r = api.post("adm", "/api/v1/passes/areas", json={"code": code, "name": "龙华封控区" + code, "kind": kind,
                                                       "unit": unit, "manual_approval": manual})
    assert r.status_code == 201, r.text
    r = api.post("adm", "/api/v1/passes/checkpoints", json={"code": checkpoint, "name": "龙华路卡口", "area": code})
    assert r.status_code == 201, r.text


def results_csv(rows) -> bytes:
    head = "身份证号,姓名,采样时间,检测结果,检测类型,采样点,试管编码\n"
    return (head + "".join(",".join(r) + "\n" for r in rows)).encode()


def import_results(api, rows, user="adm"):
    r = api.post(user, "/api/v1/passes/results/import", files={"file": ("r.csv", results_csv(rows), "text/csv")})
    assert r.status_code == 200, r.text
    return r.json()


def local(dt) -> str:
    """A time as the Shanghai wall clock, as the CSV has it."""
    return (dt + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def sms_code(box, phone):
    import re

    import sqlalchemy as sa

    from cityops.adapters.db.tables import outbox
    with box.engine.connect() as c:
        body = c.execute(sa.select(outbox.c.body).where(outbox.c.recipient == phone, outbox.c.channel == "sms")
                         .order_by(outbox.c.id.desc())).scalar()
    return re.search(r"\d{6}", body).group(0)


def apply(api, box, clock, *, number, phone="13912345678", area="A1", directions=("in", "out"), hours=24,
          reason="supplies", start=None, name="张三丰", employer="盒马鲜生"):
    r = api.client.post("/api/v1/passes/code", json={"phone": phone})
    assert r.status_code == 201, r.text
    otp = r.json()["otp_id"]
    start = start or clock.now
    body = {"name": name, "id_number": number, "phone": phone, "otp_id": otp, "code": sms_code(box, phone),
            "employer": employer, "reason": reason, "area": area, "directions": list(directions),
            "period_start": start.isoformat(), "period_end": (start + timedelta(hours=hours)).isoformat()}
    r = api.client.post("/api/v1/passes/applications", json=body)
    assert r.status_code == 201, r.text
    clock.advance(seconds=61)  # the next code for this phone may be sent
    return r.json()
