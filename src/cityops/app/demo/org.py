"""Who works in the demo district: the center, departments, hospitals and field teams, a user (or
several) per role with the shared demo password, building them through the identity use cases,
and the login table printed after seeding. The streets and committees come from ``places``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import DomainError
from ...domain.roles import Actor
from .. import identity
from .places import DISTRICT_CODE, DISTRICT_NAME, STREETS, _gazetteer

DEMO_PASSWORD = "cityops-demo"
CENTER_CODE = "BJ-CC"

# (code, name, kind, parent, hotline lead, supervising leader)
DEPARTMENTS: list[tuple[str, str, str, str, str, str]] = [
    ("BJ-WJW", "区卫健委", "department", DISTRICT_CODE, "杨慧", "李国华"),
    ("BJ-CDC", "区疾控中心", "department", "BJ-WJW", "何斌", "罗静"),
    ("BJ-SCJG", "区市场监管局", "department", DISTRICT_CODE, "郭宁", "马骏"),
    ("BJ-GA", "区公安分局", "department", DISTRICT_CODE, "林涛", "高建军"),
    ("BJ-SWW", "区商务委", "department", DISTRICT_CODE, "唐晓燕", "宋志刚"),
    ("BJ-FGJ", "区房管局", "department", DISTRICT_CODE, "谢敏", "邓立新"),
    ("BJ-RSJ", "区人社局", "department", DISTRICT_CODE, "徐丽", "袁明"),
    ("BJ-LHSR", "区绿化市容局", "department", DISTRICT_CODE, "潘伟", "彭建国"),
    ("BJ-JGW", "区建管委（交通委）", "department", DISTRICT_CODE, "吕强", "苏志明"),
    ("BJ-MZJ", "区民政局", "department", DISTRICT_CODE, "田芳", "董振宇"),
    ("BJ-CGZF", "区城管执法局", "department", DISTRICT_CODE, "姜海", "叶永平"),
    ("BJ-H1", "滨江示范区中心医院", "hospital", "BJ-WJW", "秦雪", "程立"),
    ("BJ-H2", "望潮医院", "hospital", "BJ-WJW", "魏东", "段红"),
]
TEAMS: list[tuple[str, str, str, str, str]] = [
    ("BJ-S02-LD", "东湖镇城运联动小分队（15人）", "BJ-S02", "邵卫国", "沈卫东"),
    ("BJ-S01-WG", "望潮路街道网格巡查队", "BJ-S01", "任佳", "陆建平"),
    ("BJ-S05-AQ", "新港街道安全检查队", "BJ-S05", "金波", "戴文斌"),
    ("BJ-CC-JD", "区城运中心应急机动队", CENTER_CODE, "钟磊", "黄振东"),
]


# ------------------------------------------------------------------------------------ people

# (username, role, unit code, display name); field members of the 15-person team are added below
PEOPLE: list[tuple[str, str, str, str]] = [
    ("admin", "admin", CENTER_CODE, "系统管理员"),
    ("operator1", "operator", CENTER_CODE, "受理员 陈静"),
    ("operator2", "operator", CENTER_CODE, "受理员 王磊"),
    ("operator3", "operator", CENTER_CODE, "受理员 刘婷"),
    ("supervisor1", "supervisor", CENTER_CODE, "热线督办组 赵敏"),
    ("supervisor2", "supervisor", CENTER_CODE, "热线督办组 孙浩"),
    ("commander1", "commander", CENTER_CODE, "指挥长 黄振东"),
    ("wangchao", "unit_handler", "BJ-S01", "望潮路街道 热线负责人"),
    ("donghu", "unit_handler", "BJ-S02", "东湖镇 热线负责人"),
    ("guanlan", "unit_handler", "BJ-S03", "观澜街道 热线负责人"),
    ("yinxing", "unit_handler", "BJ-S04", "银杏路街道 热线负责人"),
    ("xingang", "unit_handler", "BJ-S05", "新港街道 热线负责人"),
    ("liuan", "unit_handler", "BJ-S06", "柳岸街道 热线负责人"),
    ("qingshi", "unit_handler", "BJ-S07", "青石镇 热线负责人"),
    ("luzhou", "unit_handler", "BJ-S08", "鹭洲街道 热线负责人"),
    ("yunwan", "unit_handler", "BJ-S09", "云湾镇 热线负责人"),
    ("chaoyin", "unit_handler", "BJ-S01-C02", "潮音居委 书记"),
    ("laojie", "unit_handler", "BJ-S02-C03", "老街居委 书记"),
    ("weijianwei", "unit_handler", "BJ-WJW", "区卫健委 热线专员"),
    ("jikong", "unit_handler", "BJ-CDC", "区疾控中心 热线专员"),
    ("shichang", "unit_handler", "BJ-SCJG", "区市场监管局 热线专员"),
    ("gongan", "unit_handler", "BJ-GA", "区公安分局 热线专员"),
    ("shangwu", "unit_handler", "BJ-SWW", "区商务委 热线专员"),
    ("fangguan", "unit_handler", "BJ-FGJ", "区房管局 热线专员"),
    ("renshe", "unit_handler", "BJ-RSJ", "区人社局 热线专员"),
    ("lvhua", "unit_handler", "BJ-LHSR", "区绿化市容局 热线专员"),
    ("jianguan", "unit_handler", "BJ-JGW", "区建管委 热线专员"),
    ("minzheng", "unit_handler", "BJ-MZJ", "区民政局 热线专员"),
    ("chengguan", "unit_handler", "BJ-CGZF", "区城管执法局 热线专员"),
    ("zhongxin-yy", "unit_handler", "BJ-H1", "区中心医院 医务处"),
    ("wangchao-yy", "unit_handler", "BJ-H2", "望潮医院 医务处"),
    ("wg01", "field_member", "BJ-S01-WG", "网格巡查队 任佳"),
    ("wg02", "field_member", "BJ-S01-WG", "网格巡查队 蔡明"),
    ("aq01", "field_member", "BJ-S05-AQ", "安全检查队 金波"),
    ("jd01", "field_member", "BJ-CC-JD", "应急机动队 钟磊"),
]
TEAM_SIZE = 15
TEAM_NAMES = ["邵卫国", "陶杰", "姚伟", "汪洋", "毛振", "江涛", "史俊", "贺勇", "龚平", "尹强", "黎明", "易峰",
              "常青", "武斌", "乔飞"]
PEOPLE += [(f"ld{i:02d}", "field_member", "BJ-S02-LD", f"联动小分队 {TEAM_NAMES[i - 1]}") for i in range(1, TEAM_SIZE + 1)]

# ------------------------------------------------------------------------------------ org and users

COMMITTEE_SECRETARIES = ("寿冬梁 傅文磊 左碧 方晓 邱红 俞建 华丽 殷杰 柏林 滕飞 祁梅 詹勇 甘露 萧然 池波 廉洁 "
                         "卜一 鲍平 欧阳军 包容 司马青 费莉 岑江 薛宁").split()


class _Phones:
    def __init__(self, prefix: str):
        self.prefix, self.n = prefix, 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.n:04d}"


class _HashOnce:
    """Every demo user has the same public password: hash it once (Argon2 costs ~25 ms a time)."""

    def __init__(self, inner: Any):
        self.inner, self.cache = inner, {}

    def hash(self, password: str) -> str:
        if password not in self.cache:
            self.cache[password] = self.inner.hash(password)
        return self.cache[password]

    def verify(self, hashed: str, password: str) -> bool:
        return self.inner.verify(hashed, password)


def _build_org(box: Any, now: datetime) -> None:
    uow = box.uow
    phone = _Phones("1380000")
    hasher = _HashOnce(box.hasher)

    def unit(code: str, name: str, kind: str, parent: str | None, lead: str = "", leader: str = "") -> None:
        contacts = dict(hotline_lead_name=lead, hotline_lead_phone=phone() if lead else "",
                        leader_name=leader, leader_phone=phone() if leader else "")
        identity.create_unit(uow(), None, code=code, name=name, kind=kind, parent_code=parent, now=now, **contacts)

    unit(DISTRICT_CODE, DISTRICT_NAME, "district", None)
    unit(CENTER_CODE, f"{DISTRICT_NAME}城运中心", "center", DISTRICT_CODE, "赵敏", "黄振东")
    streets, committees = _gazetteer()
    for (code, name, _roads, _stems, lead, leader), s in zip(STREETS, streets):
        unit(s.code, name, "street", DISTRICT_CODE, lead, leader)
        for i, c in enumerate(x for x in committees if x.street.code == s.code):
            sec = COMMITTEE_SECRETARIES[(len(code) * 7 + i * 5 + int(code[1:])) % len(COMMITTEE_SECRETARIES)]
            unit(c.code, c.name, "village" if c.village else "committee", s.code, sec, "")
    for code, name, kind, parent, lead, leader in DEPARTMENTS:
        unit(code, name, kind, parent, lead, leader)
    for code, name, parent, lead, leader in TEAMS:
        unit(code, name, "field_team", parent, lead, leader)
    user_phone = _Phones("1370000")
    for username, role, unit_code, display in PEOPLE:
        identity.create_user(uow(), hasher, None, username=username, password=DEMO_PASSWORD, role=role,
                             unit_code=unit_code, now=now, display_name=display, phone=user_phone())


def _load_people(box: Any) -> tuple[dict[str, Actor], dict[str, list[str]]]:
    actors: dict[str, Actor] = {}
    with box.uow() as uow:
        for username, *_ in PEOPLE:
            user = uow.users.by_username(username)
            if user is None:
                raise DomainError(f"演示用户 {username} 不存在 (demo user missing; the demo org is incomplete)")
            actors[username] = identity.actor_of(user)
    unit_users: dict[str, list[str]] = {}
    for username, role, unit_code, _ in PEOPLE:
        if role in ("unit_handler", "field_member"):
            unit_users.setdefault(unit_code, []).append(username)
    return actors, unit_users


# ------------------------------------------------------------------------------------ login table


def _login_table() -> str:
    names = {CENTER_CODE: f"{DISTRICT_NAME}城运中心"}
    names.update({f"BJ-{c}": n for c, n, *_ in STREETS})
    names.update({c: n for c, n, *_ in DEPARTMENTS})
    names.update({c: n for c, n, *_ in TEAMS})
    names.update({c.code: f"{c.street.name}{c.name}" for c in _gazetteer()[1]})
    rows = [(u, r, names[unit]) for u, r, unit, _ in PEOPLE if not u.startswith("ld")]
    rows.append((f"ld01 … ld{TEAM_SIZE:02d}", "field_member", names["BJ-S02-LD"]))
    w = max(len(u) for u, *_ in rows)
    out = [f"登录 log in — password for every demo user: {DEMO_PASSWORD}",
           f"{'username'.ljust(w)}  {'role'.ljust(12)}  unit", f"{'-' * w}  {'-' * 12}  {'-' * 20}"]
    out += [f"{u.ljust(w)}  {r.ljust(12)}  {n}" for u, r, n in rows]
    return "\n".join(out)
