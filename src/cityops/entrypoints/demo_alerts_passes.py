"""Demo data for 物联感知 (alerts) and 通行码 (passes): an additive hook run after ``seed_demo``.

Alerts: the isolation hotel's door sensors (新港街道), cameras at the hotel and at the shops of the
老街 sealed area (东湖镇), body cameras (单兵) at testing sites and on patrol, seven nucleic-acid
sampling sites with their terminals, each owned by its street office; three rules (a door opened at
night at an isolation room; a queue over 200 for 10 minutes at a sampling site, with the standby
proposal; a shop open in a sealed area); and the last three hours of reports fed through the real
ingest use case — two sites are over the threshold now (orders proposing standby staff and
supplies), one was this morning and has its outcomes recorded, one is short of swabs.

Passes: the 老街 sealed area (issued at once), the 娄湾村 sealed area (the street office approves),
the 湖滨 controlled area, their checkpoints, the signing keys (``setup.list_keys``, as
``cityops pass keys``), test results through the importer, 36 applications through the phone
code and ``submit`` (issued, refused for lacking a 48-hour negative test, pending), the street
office's decisions, a later positive result (the pass is revoked, a critical order opens) and the
checkpoints' scans, denials included.

Everything goes through the application use cases with explicit times before ``box.now()``;
nothing is written with SQL. Idempotent: each part checks what is already there; a second run
adds nothing and says so.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..app import identity
from ..app.alerts import devices as dev_uc
from ..app.alerts import ingest as ing
from ..app.alerts import rules as rule_uc
from ..app.alerts import sites as site_uc
from ..app.passes import apply as apply_uc
from ..app.passes import results as results_uc
from ..app.passes import scan as scan_uc
from ..app.passes import setup as setup_uc
from ..bootstrap import Container
from ..domain.people import id_check_digit

# ------------------------------------------------------------------------------------ alerts: registry

HOTEL = "新港海员之家酒店（集中隔离点）"
HOTEL_ADDRESS = "滨江示范区码头路88号"
HOTEL_UNIT = "BJ-S05"
ROOMS = [f"{floor}{n:02d}" for floor in (3, 5) for n in range(1, 7)]   # 301–306, 501–506

# code, name, street unit, address (sampling staff come from the hospitals; the street runs the site)
SITES: list[tuple[str, str, str, str]] = [
    ("BJ-SITE-01", "望潮路社区卫生服务中心采样点", "BJ-S01", "滨江示范区望潮路120号"),
    ("BJ-SITE-02", "潮音路口采样点", "BJ-S01", "滨江示范区潮音路45号"),
    ("BJ-SITE-03", "东湖镇文化中心采样点", "BJ-S02", "滨江示范区东湖路300号"),
    ("BJ-SITE-04", "书院路小学采样点", "BJ-S03", "滨江示范区书院路66号"),
    ("BJ-SITE-05", "银杏路体育馆采样点", "BJ-S04", "滨江示范区银杏路218号"),
    ("BJ-SITE-06", "港城广场采样点", "BJ-S05", "滨江示范区码头路150号"),
    ("BJ-SITE-07", "白鹭路菜场门口采样点", "BJ-S08", "滨江示范区白鹭路77号"),
]
# code, name, unit, place, place kind, tags
CAMERAS: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
    ("BJ-CAM-LJ-01", "老街128号沿街天眼", "BJ-S02", "老街128号便利店", "shop", ("sealed",)),
    ("BJ-CAM-LJ-02", "老街176号沿街天眼", "BJ-S02", "老街176号五金店", "shop", ("sealed",)),
    ("BJ-CAM-HB-01", "东湖路湖滨段天眼", "BJ-S02", "东湖路湖滨段", "street", ()),
    ("BJ-CAM-GL-01", "隔离点大门监控", HOTEL_UNIT, f"{HOTEL}大门", "isolation_site", ()),
]
BODY_CAMERAS: list[tuple[str, str, str, str, str]] = [  # code, name, unit, place, place kind
    ("BJ-BC-01", "望潮路采样点单兵", "BJ-S01", "望潮路社区卫生服务中心采样点", "testing_site"),
    ("BJ-BC-02", "东湖镇文化中心采样点单兵", "BJ-S02", "东湖镇文化中心采样点", "testing_site"),
    ("BJ-BC-03", "新港街道巡查单兵", "BJ-S05-AQ", "新港街道辖区", "street"),
]

RULES: list[dict[str, Any]] = [
    {"name": "隔离房间夜间开门", "event_type": "door_open", "place": {"place_kinds": ["isolation_room"]},
     "conditions": [{"type": "time_window", "start": "22:00", "end": "06:00"}],
     "category": "epi.isolation_site", "urgency": "critical", "assignee": {"to": "owner"},
     "template": "{place}门磁夜间被打开（{device_name}，{time}），请隔离点专班立即核查人员情况",
     "dedup_minutes": 30, "resolve_on_clear": False, "flap": {"changes": 6, "window_minutes": 10}},
    {"name": "采样点排队超200人持续10分钟", "event_type": "site_status", "place": {"place_kinds": ["testing_site"]},
     "conditions": [{"type": "threshold", "field": "queue_length", "op": ">", "value": 200, "for_minutes": 10}],
     "category": "epi.testing", "urgency": "urgent", "assignee": {"to": "owner"},
     "template": "{device_name}（{place}）排队 {data[queue_length]} 人已超过10分钟（在岗采样 {data[staff_on_site]} 人，"
                 "每小时 {data[samples_per_hour]} 管）",
     "dedup_minutes": 60, "resolve_on_clear": False, "standby": True},
    {"name": "封控区商铺开门", "event_type": "shop_open", "place": {"place_kinds": ["shop"], "tags": ["sealed"]},
     "category": "epi.violation", "urgency": "urgent", "assignee": {"to": "owner"},
     "template": "{place}封控期间开门营业（{device_name}识别，{time}），请到场劝导关门",
     "dedup_minutes": 120, "resolve_on_clear": False},
]

SITE_HOURS = 3                  # history fed: the last three hours
SITE_EVERY = timedelta(minutes=5)
STREET_USER = {"BJ-S01": "wangchao", "BJ-S02": "donghu"}


@dataclass(frozen=True)
class _Curve:
    """How a site's figures move over the history (minutes before now → figures). Each sample takes
    a swab; ten swabs share a tube (10:1 pooled). The hospital restocks a site running low, except
    where ``restock`` is off."""
    staff: Callable[[float], int]
    queue: Callable[[float], float]
    pda: tuple[int, int]
    swabs0: int
    tubes0: int
    restock: bool = True


def _ramp(m: float, start: float, end: float, a: float, b: float) -> float:
    """a before ``start`` minutes ago, b after ``end`` minutes ago, linear in between."""
    if m >= start:
        return a
    if m <= end:
        return b
    return a + (b - a) * (start - m) / (start - end)


CURVES: dict[str, _Curve] = {
    # over the threshold for the last ~25 minutes with three samplers: the alert is live
    "BJ-SITE-01": _Curve(lambda m: 3, lambda m: _ramp(m, 60, 20, 90, 265), (4, 4), 900, 90),
    # over the threshold this morning; standby arrived (3 → 6 samplers) and the queue went down
    "BJ-SITE-02": _Curve(lambda m: 3 if m > 120 else 6,
                         lambda m: _ramp(m, 175, 150, 120, 245) if m > 120 else _ramp(m, 120, 90, 245, 45),
                         (4, 4), 900, 90),
    # two samplers and half the scanners down: the queue built up over the last half hour
    "BJ-SITE-03": _Curve(lambda m: 2, lambda m: _ramp(m, 55, 25, 70, 238), (2, 4), 700, 70),
    "BJ-SITE-04": _Curve(lambda m: 4, lambda m: 60 + 25 * ((int(m) // 20) % 3), (4, 4), 900, 90),
    # nobody restocked it: swabs below 200 by now (watch, a supplies proposal)
    "BJ-SITE-05": _Curve(lambda m: 4, lambda m: 75, (5, 5), 880, 110, restock=False),
    "BJ-SITE-06": _Curve(lambda m: 5, lambda m: 110 - m / 6, (5, 5), 1000, 100),
    "BJ-SITE-07": _Curve(lambda m: 3, lambda m: 40 + (m % 30), (3, 3), 700, 70),
}


def _register(box: Container, now: datetime) -> tuple[int, int]:
    """Devices and rules not yet there; returns (devices added, rules added)."""
    specs: list[dict[str, Any]] = []
    for room in ROOMS:
        specs.append(dict(code=f"BJ-GL1-D{room}", kind="door_sensor", name=f"{room}室门磁", unit=HOTEL_UNIT,
                          place=f"{HOTEL}{room}室", place_kind="isolation_room", tags=("night_watch",)))
    for code, name, unit, place, kind, tags in CAMERAS:
        specs.append(dict(code=code, kind="camera", name=name, unit=unit, place=place, place_kind=kind, tags=tags))
    for code, name, unit, place, kind in BODY_CAMERAS:
        specs.append(dict(code=code, kind="body_camera", name=name, unit=unit, place=place, place_kind=kind))
    for code, name, unit, address in SITES:
        specs.append(dict(code=code, kind="site_terminal", name=name, unit=unit, place=address,
                          place_kind="testing_site"))
    with box.uow() as uow:
        have = {s["code"] for s in specs if uow.alerts.device(s["code"]) is not None}
        rule_names = {r.name for r in uow.alerts.all_rules()}
    added = 0
    for s in specs:
        if s["code"] not in have:
            dev_uc.register_device(box.uow(), None, now=now, **s)
            added += 1
    new_rules = [r for r in RULES if r["name"] not in rule_names]
    for r in new_rules:
        rule_uc.create_rule(box.uow(), None, r, now)
    return added, len(new_rules)


# ------------------------------------------------------------------------------------ alerts: history


def _last_local(now: datetime, tz: ZoneInfo, at: time, before: timedelta) -> datetime:
    """The latest local ``at`` no later than ``now - before``."""
    limit = (now - before).astimezone(tz)
    day = limit.date()
    cand = datetime.combine(day, at, tz)
    if cand > limit:
        cand = datetime.combine(day - timedelta(days=1), at, tz)
    return cand.astimezone(now.tzinfo)


def _site_events(now: datetime, rng: random.Random) -> list[tuple[datetime, str, str, dict]]:
    """(at, device, kind, event) — every site reports every 5 minutes over the last three hours."""
    out = []
    first = now - timedelta(hours=SITE_HOURS)
    for code, *_ in SITES:
        c = CURVES[code]
        swabs, tubes = c.swabs0, c.tubes0
        offset = timedelta(seconds=rng.randint(5, 110))
        t = first
        while t + offset <= now:
            at = t + offset
            m = (now - at).total_seconds() / 60
            staff = c.staff(m)
            queue = max(0, round(c.queue(m) + rng.randint(-6, 6)))
            rate = max(0, staff * 60 + rng.randint(-8, 8)) if staff else 0
            swabs = max(0, swabs - rate // 12)
            tubes = max(0, tubes - rate // 120)
            if c.restock and (swabs < 250 or tubes < 30):
                swabs, tubes = swabs + 1000, tubes + 100
            data = {"queue_length": queue, "samples_per_hour": rate, "staff_on_site": staff,
                    "pda_working": c.pda[0], "pda_total": c.pda[1],
                    "supplies": {"swabs": swabs, "tubes": tubes, "ppe": 10 + staff * 2}}
            out.append((at, code, "site_terminal",
                        {"id": f"{code}-{at:%Y%m%d%H%M%S}", "type": "site_status", "at": at.isoformat(), "data": data}))
            t += SITE_EVERY
    return out


def _other_events(now: datetime, tz: ZoneInfo) -> list[tuple[datetime, str, str, dict]]:
    """Door sensors at the hotel, shop cameras in the sealed area, body cameras at two sites."""
    out: list[tuple[datetime, str, str, dict]] = []

    def ev(at: datetime, device: str, kind: str, type_: str, data: dict | None = None) -> None:
        if now - timedelta(hours=23) <= at <= now:
            out.append((at, device, kind, {"id": f"{device}-{type_}-{at:%Y%m%d%H%M%S}", "type": type_,
                                           "at": at.isoformat(), "data": data or {}}))

    # at night: the most recent 02:10 or 23:20 at least 15 minutes ago (both inside 22:00–06:00)
    night = max(_last_local(now, tz, time(2, 10), timedelta(minutes=15)),
                _last_local(now, tz, time(23, 20), timedelta(minutes=15)))
    for at, room, minutes in ((night, "306", 3), (night - timedelta(minutes=47), "502", 2)):
        ev(at, f"BJ-GL1-D{room}", "door_sensor", "door_open", {"room": room})
        ev(at + timedelta(minutes=minutes), f"BJ-GL1-D{room}", "door_sensor", "door_closed", {"room": room})
    # meals delivered to the rooms by day: outside the rule's window, recorded without an order
    for meal in (time(7, 30), time(11, 45), time(17, 30)):
        start = _last_local(now, tz, meal, timedelta(minutes=20))
        for i, room in enumerate(ROOMS):
            at = start + timedelta(seconds=40 * i)
            ev(at, f"BJ-GL1-D{room}", "door_sensor", "door_open", {"room": room})
            ev(at + timedelta(seconds=25), f"BJ-GL1-D{room}", "door_sensor", "door_closed", {"room": room})
    # a shop in the sealed area opened its shutter, then closed it after the street's call
    shop_at = now - timedelta(hours=2, minutes=10)
    ev(shop_at, "BJ-CAM-LJ-01", "camera", "shop_open", {"confidence": 0.93, "shop": "老街128号便利店"})
    ev(shop_at + timedelta(minutes=22), "BJ-CAM-LJ-01", "camera", "shop_closed", {"shop": "老街128号便利店"})
    # the body cameras at the two busy sites see the queue growing
    for device, start in (("BJ-BC-01", 50), ("BJ-BC-02", 45)):
        for k, m in enumerate(range(start, 0, -10)):
            ev(now - timedelta(minutes=m), device, "body_camera", "queue", {"length": 120 + 30 * k})
    return out


def _feed(box: Container, now: datetime) -> dict[str, int]:
    """Ingest the history in time order, batch by batch (five minutes each), each batch processed at
    its own time; the street offices record the standby outcomes on the site that recovered."""
    tz_name = box.settings.timezone
    tz = ZoneInfo(tz_name)
    events = sorted(_site_events(now, random.Random(2022)) + _other_events(now, tz), key=lambda e: e[0])
    # outcomes on BJ-SITE-02's order (minutes before now), recorded by 望潮路街道
    outcomes = [(now - timedelta(minutes=m), o, note) for m, o, note in (
        (132, "standby_sent", "已联系区中心医院派出备勤采样人员3名，携带拭子和采样管"),
        (118, "standby_arrived", "备勤采样人员3名已到岗，开设第二采样通道"),
        (88, "queue_normal", "排队已降至50人以内，备勤人员留守至采样结束"))]
    with box.uow() as uow:
        handler = identity.actor_of(uow.users.by_username(STREET_USER["BJ-S01"]))
    accepted = recorded = 0

    def flush(batch: list[tuple[datetime, str, str, dict]]) -> None:
        nonlocal accepted
        if not batch:
            return
        items = [ing.Incoming(json.dumps(e, ensure_ascii=False), "mqtt", at, device_code=dev, device_kind=kind)
                 for at, dev, kind, e in batch]
        res = ing.ingest(box.uow(), items, batch[-1][0], tz=tz_name)
        accepted += sum(r.status == "accepted" for r in res)
        batch.clear()

    batch: list[tuple[datetime, str, str, dict]] = []
    for e in events:
        while outcomes and outcomes[0][0] <= e[0]:
            flush(batch)
            at, outcome, note = outcomes.pop(0)
            site = next((s for s in site_uc.monitor(box.uow(), None, at)["items"] if s["device"] == "BJ-SITE-02"), None)
            number = site and site["open_order"]
            if number:
                site_uc.record_outcome(box.uow(), handler, number, outcome, at, note)
                recorded += 1
        if batch and e[0] - batch[0][0] >= SITE_EVERY:
            flush(batch)
        batch.append(e)
    flush(batch)
    return {"events": len(events), "accepted": accepted, "outcomes": recorded}


def seed_alerts(box: Container) -> str:
    now = box.now()
    devices, rules = _register(box, now)
    codes = {code for code, *_ in SITES}
    reported = any(s["device"] in codes for s in site_uc.monitor(box.uow(), None, now)["items"])
    if not devices and not rules and reported:
        return "物联感知 alerts: demo devices, rules and history already present; nothing added"
    fed = None if reported else _feed(box, now)
    m = site_uc.monitor(box.uow(), None, box.now())["summary"]
    parts = [f"物联感知 alerts: {devices} devices, {rules} rules added"]
    if fed:
        parts.append(f"{fed['accepted']}/{fed['events']} events ingested over the last {SITE_HOURS} h, "
                     f"{fed['outcomes']} standby outcomes recorded")
    parts.append(f"sites {m['sites']} ({m['alert']} over threshold, {m['watch']} watch, {m['ok']} ok)")
    return "; ".join(parts)


# ------------------------------------------------------------------------------------ passes

STREET = "BJ-S02"   # 东湖镇: the sealed area around 老街 and 娄湾村 (as in places.LOCKDOWN)
STREET_HANDLER = "donghu"
GATE_STAFF = ("ld03", "ld04", "ld05", "ld06")
AREAS = [  # code, name, kind, manual approval
    ("BJ-LJ", "老街封控区", "sealed", False),
    ("BJ-LW", "娄湾村封控区", "sealed", True),
    ("BJ-HB", "湖滨管控区", "controlled", False),
]
CHECKPOINTS = [  # code, name, area
    ("BJ-LJ-G1", "老街东口卡口", "BJ-LJ"),
    ("BJ-LJ-G2", "老街荷塘路卡口", "BJ-LJ"),
    ("BJ-LW-G1", "娄湾公路村口卡口", "BJ-LW"),
    ("BJ-HB-G1", "湖滨小区南门卡口", "BJ-HB"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波宁晨浩宇凯鹏飞雪婷玲"
EMPLOYERS = {
    "supplies": ("盒马鲜生东湖店", "叮咚买菜滨江站", "东湖镇保供超市", "顺丰速运滨江营业部"),
    "medical": ("滨江示范区中心医院", "东湖镇社区卫生服务中心"),
    "utilities": ("国网滨江供电公司", "滨江水务集团", "滨江燃气公司"),
    "public_service": ("东湖镇城运中心", "老街居委志愿者服务队", "滨江环卫所"),
    "other": ("东湖装饰工程有限公司", "湖滨房产中介"),
}


@dataclass
class _Applicant:
    seq: int
    name: str
    number: str
    phone: str
    area: str
    reason: str
    employer: str
    directions: tuple[str, ...]
    hours: int
    test: str          # fresh | stale | none


def _applicants() -> list[_Applicant]:
    """36 people: 18 for 老街 (4 refused), 8 for 娄湾村 (2 refused, 6 to the street's queue), 10 for 湖滨 (2 refused)."""
    rng = random.Random(2022)
    plan = ([("BJ-LJ", "fresh")] * 14 + [("BJ-LJ", "stale")] * 2 + [("BJ-LJ", "none"), ("BJ-LJ", "other")]
            + [("BJ-LW", "fresh")] * 6 + [("BJ-LW", "stale")] * 2
            + [("BJ-HB", "fresh")] * 8 + [("BJ-HB", "stale")] * 2)
    reasons = ("supplies", "supplies", "supplies", "medical", "utilities", "public_service")
    people = []
    for i, (area, test) in enumerate(plan, start=1):
        reason = "other" if test == "other" else ("other" if area == "BJ-HB" and i % 4 == 0 else reasons[i % 6])
        born = datetime(1962, 1, 1) + timedelta(days=rng.randint(0, 36 * 365))
        first = f"310120{born:%Y%m%d}{i:03d}"
        people.append(_Applicant(
            seq=i, name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            number=first + id_check_digit(first), phone=f"1360000{i:04d}", area=area, reason=reason,
            employer=rng.choice(EMPLOYERS[reason]), directions=("in",) if i % 7 == 3 else ("in", "out"),
            hours=rng.choice((12, 24, 24, 72, 168)), test="fresh" if test == "other" else test))
    return people


def _csv(rows: list[tuple[str, str, datetime, str, str, str]], tz: ZoneInfo) -> bytes:
    head = "身份证号,姓名,采样时间,检测结果,检测类型,采样点,试管编码\n"
    return (head + "".join(f"{n},{name},{at.astimezone(tz):%Y-%m-%d %H:%M},{res},{kind},{site},{tube}\n"
                           for n, name, at, res, kind, site, tube in rows)).encode("utf-8")


class _Phone:
    """The demo applicants' phones: the use case's unit of work, with the SMS it queues also handed
    to the applicant (the message stays in the outbox, as every demo SMS does)."""

    def __init__(self, uow: Any):
        self._uow, self.sms = uow, []

    def __enter__(self) -> "_Phone":
        self._uow.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._uow.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._uow, name)
        return _Tee(value, self.sms) if name == "notices" else value


class _Tee:
    def __init__(self, notices: Any, sms: list[dict]):
        self._notices, self._sms = notices, sms

    def outbox(self, items: Any) -> None:
        items = list(items)
        self._sms += [i for i in items if i.get("channel") == "sms"]
        self._notices.outbox(items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._notices, name)


def _apply(box: Container, p: _Applicant, at: datetime) -> dict:
    phone = _Phone(box.uow())
    otp = apply_uc.request_code(phone, p.phone, at - timedelta(seconds=45))
    code = re.search(r"\d{6}", phone.sms[-1]["body"]).group(0)
    return apply_uc.submit(box.uow(), box.pass_crypto, apply_uc.NewApplication(
        name=p.name, id_number=p.number, phone=p.phone, otp_id=otp["otp_id"], code=code, employer=p.employer,
        reason=p.reason, area=p.area, directions=list(p.directions), period_start=at,
        period_end=at + timedelta(hours=p.hours)), at)


def seed_passes(box: Container) -> str:
    now = box.now()
    tz = ZoneInfo(box.settings.timezone)
    with box.uow() as uow:
        have_areas = {a for a, *_ in AREAS if uow.passes.area(code=a)}
        have_cps = {c for c, *_ in CHECKPOINTS if uow.passes.checkpoint(c)}
        street = uow.units.by_code(STREET)
        applied = uow.passes.applications(status=None, unit_path=street.path, limit=1, offset=0)["total"]
        keys_before = len(uow.passes.keys())
    for code, name, kind, manual in AREAS:
        if code not in have_areas:
            setup_uc.add_area(box.uow(), None, code=code, name=name, kind=kind, unit=STREET, manual_approval=manual,
                              now=now - timedelta(hours=8))
    for code, name, area in CHECKPOINTS:
        if code not in have_cps:
            setup_uc.add_checkpoint(box.uow(), None, code=code, name=name, area=area, now=now - timedelta(hours=8))
    keys = setup_uc.list_keys(box.uow(), box.pass_crypto, None, now - timedelta(hours=8))  # as `cityops pass keys`
    added_setup = (len(AREAS) - len(have_areas), len(CHECKPOINTS) - len(have_cps), len(keys) - keys_before)
    if applied:
        if not any(added_setup):
            return "通行码 passes: demo areas, checkpoints, keys and applications already present; nothing added"
        return (f"通行码 passes: {added_setup[0]} areas, {added_setup[1]} checkpoints, {added_setup[2]} keys added; "
                "applications already present")
    return _passes_day(box, now, tz, added_setup)


def _passes_day(box: Container, now: datetime, tz: ZoneInfo, added_setup: tuple[int, int, int]) -> str:
    """Today's activity, in time order: results, applications, the street's decisions, a positive
    result, scans. Everything falls inside today (local), which the big screen counts."""
    day_start = datetime.combine(now.astimezone(tz).date(), time(0), tz).astimezone(now.tzinfo)
    ws = min(max(day_start + timedelta(minutes=2), now - timedelta(hours=6)), now - timedelta(minutes=1))
    span = now - ws

    def at(frac: float) -> datetime:
        return ws + span * frac

    people = _applicants()
    rows = []
    for p in people:
        if p.test == "none":
            continue
        sample = (ws - timedelta(hours=3 + (p.seq * 7) % 24) if p.test == "fresh"
                  else ws - timedelta(hours=52 + p.seq % 12))
        site = SITES[p.seq % len(SITES)][1]
        rows.append((p.number, p.name, sample, "阴性", "混管", site, f"BJ{sample.astimezone(tz):%m%d}{p.seq:05d}"))
    imported = results_uc.import_results(box.uow(), box.pass_crypto, None, _csv(rows, tz), "区疾控中心-核酸结果-早报.csv",
                                         ws - timedelta(minutes=1))
    with box.uow() as uow:
        actors = {u: identity.actor_of(uow.users.by_username(u)) for u in (STREET_HANDLER, *GATE_STAFF)}
    out: dict[int, dict] = {}
    n = len(people)
    for k, p in enumerate(people):
        out[p.seq] = _apply(box, p, at(0.05 + 0.5 * k / n))
    statuses = [o["status"] for o in out.values()]
    # the street office works its queue: approves two, rejects one, leaves the rest pending
    queue = [p for p in people if out[p.seq]["status"] == "pending"]
    for k, p in enumerate(queue[:3]):
        approve = k < 2
        res = apply_uc.decide(box.uow(), box.pass_crypto, actors[STREET_HANDLER], out[p.seq]["id"], approve,
                              "保供人员，同意" if approve else "非必要进入，请由村内志愿者代为配送", at(0.58 + 0.02 * k))
        # the applicant's own page (the link's token) shows the pass the approval issued
        out[p.seq] = apply_uc.status(box.uow(), res["id"], out[p.seq]["token"])
    issued = [p for p in people if out[p.seq].get("pass")]
    # scans: entries and exits at the area's gates, then a few denials
    gates = {a: [c for c, _, area in CHECKPOINTS if area == a] for a, *_ in AREAS}
    scans: list[tuple[datetime, _Applicant, str, str, str]] = []   # at, holder, gate, direction, text
    for k, p in enumerate(issued):
        qr, gate = out[p.seq]["pass"]["qr_text"], gates[p.area][k % len(gates[p.area])]
        t0 = max(at(0.62 + 0.3 * k / len(issued)), out[p.seq]["pass"]["valid_from"] + timedelta(minutes=1))
        scans.append((t0, p, gate, "in", qr))
        if "out" in p.directions:
            scans.append((t0 + timedelta(minutes=20 + 7 * (k % 5)), p, gate, "out", qr))
        else:  # a one-way pass shown on the way out
            scans.append((t0 + timedelta(minutes=25), p, gate, "out", qr))
    lj = next(p for p in issued if p.area == "BJ-LJ")
    scans.append((at(0.9), lj, "BJ-HB-G1", "in", out[lj.seq]["pass"]["qr_text"]))  # the wrong area's gate
    scans.append((at(0.91), lj, "BJ-LJ-G1", "in", "https://u.wechat.com/MGcx3Hd"))  # a different QR code
    positive = next(p for p in reversed(issued) if p.area == "BJ-LJ" and p is not lj)
    scans.append((at(0.97), positive, "BJ-LJ-G2", "in", out[positive.seq]["pass"]["qr_text"]))  # after revocation
    scans = [s for s in scans if s[0] <= now]
    scans.sort(key=lambda s: s[0])
    revoked_at = at(0.95)
    revoked = None
    done = 0
    for t, p, gate, direction, text in scans:
        if revoked is None and t >= revoked_at:
            revoked = _positive(box, positive, revoked_at, tz)
        scan_uc.scan(box.uow(), box.pass_crypto, actors[GATE_STAFF[done % len(GATE_STAFF)]], text, gate, direction, t,
                     scan_id=f"demo-{gate}-{t:%H%M%S}-{done:03d}")
        done += 1
    if revoked is None:
        revoked = _positive(box, positive, revoked_at, tz)
    final = {}
    for o in out.values():
        final[o["status"]] = final.get(o["status"], 0) + 1
    return (f"通行码 passes: {added_setup[0]} areas, {added_setup[1]} checkpoints, {added_setup[2]} signing keys; "
            f"{imported['added']} test results imported; {n} applications — submitted: {statuses.count('issued')} "
            f"issued, {statuses.count('refused')} refused, {statuses.count('pending')} pending; after the street's "
            f"queue: {final.get('issued', 0)} issued, {final.get('pending', 0)} pending, {final.get('rejected', 0)} "
            f"rejected; {done} checkpoint scans; a positive result revoked {len(revoked['passes_revoked'])} pass "
            f"and opened order {', '.join(revoked['orders']) or '—'}")


def _positive(box: Container, p: _Applicant, at: datetime, tz: ZoneInfo) -> dict:
    """The afternoon batch: one pass holder's re-test is positive (revokes the pass, opens an order)."""
    sample = at - timedelta(hours=2)
    data = _csv([(p.number, p.name, sample, "阳性", "单管", "东湖镇文化中心采样点", f"BJ{sample.astimezone(tz):%m%d}9{p.seq:04d}")],
                tz)
    return results_uc.import_results(box.uow(), box.pass_crypto, None, data, "区疾控中心-核酸结果-复核.csv", at)


def seed_demo_alerts_passes(box: Container) -> str:
    """Both parts; the report has one line each. Needs the demo org (``seed_demo``) first."""
    with box.uow() as uow:
        missing = [c for c in (HOTEL_UNIT, STREET, *(u for _, _, u, _ in SITES)) if uow.units.by_code(c) is None]
        missing += [u for u in (*STREET_USER.values(), STREET_HANDLER, *GATE_STAFF) if uow.users.by_username(u) is None]
    if missing:
        return f"物联感知/通行码: the demo org is missing {sorted(set(missing))}; run seed_demo first — nothing added"
    return seed_alerts(box) + "\n" + seed_passes(box)
