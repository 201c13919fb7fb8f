"""The demo district (滨江示范区): a fictional district shaped like the seed's, with two weeks of
work orders driven through the real use cases.

``seed_demo`` builds the org tree (center, 9 streets/towns, 71 residents' committees and
villages, 11 departments, 2 hospitals, 4 field teams), one or more users per role with a fixed
demo password, and ``orders`` work orders over the 14 days ending at ``box.now()``.

Every order is created and moved through its life by the same use cases the API calls, each
with an explicit ``now``: a small discrete-event simulation steps all orders forward in time
order, and runs the deadline sweeper (``sweep_once``) a couple of simulated minutes after each
deadline step falls due, so reminders, warnings, overdue alarms and escalations land in the
timelines about when the in-process worker would have fired them. Nothing is written with raw
SQL, and no time after ``box.now()`` is ever used. Seed while the server is stopped (the
script does): a live worker would otherwise fire the past deadlines at the present time.

All names, addresses and phone numbers are invented (phones look like 1380000xxxx / 13x0000xxxx).
"""
from __future__ import annotations

import heapq
import math
import random
import time as _time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from ..domain.errors import DomainError, InvalidInput
from ..domain.orders.clock import Clock
from ..domain.orders.model import Order, State
from ..domain.orders.schedule import next_due, schedule
from ..domain.roles import SYSTEM, Actor
from . import identity
from .orders import usecases as uc
from .orders.sweep import SweepResult, sweep_once, sweep_until_idle
from .reference import install_defaults

DEMO_PASSWORD = "cityops-demo"
DISTRICT_CODE = "BJ"
DISTRICT_NAME = "滨江示范区"
CENTER_CODE = "BJ-CC"
DAYS = 14
SWEEP_LAG = timedelta(minutes=2)

# ------------------------------------------------------------------------------------ the org tree

# (code, name, town?, roads, [(committee stem, village?)], hotline lead, supervising leader)
STREETS: list[tuple[str, str, list[str], list[tuple[str, bool]], str, str]] = [
    ("S01", "望潮路街道", ["望潮路", "潮音路", "海晏路", "渔港路"],
     [("望潮", False), ("潮音", False), ("观海", False), ("听涛", False), ("海棠", False), ("云帆", False),
      ("渔港", False), ("灯塔", False)], "周海燕", "陆建平"),
    ("S02", "东湖镇", ["东湖路", "娄湾公路", "荷塘路", "老街"],
     [("东湖", False), ("湖滨", False), ("老街", False), ("娄湾", True), ("荷塘", True), ("芦花", True),
      ("新桥", True), ("渔舟", True)], "沈卫东", "张振华"),
    ("S03", "观澜街道", ["观澜路", "书院路", "樱花路"],
     [("观澜", False), ("澜庭", False), ("翠竹", False), ("书院", False), ("樱花", False), ("明珠", False),
      ("锦绣", False)], "顾佳怡", "范志强"),
    ("S04", "银杏路街道", ["银杏路", "金叶路", "松柏路", "香樟路"],
     [("银杏", False), ("金叶", False), ("松柏", False), ("梧桐", False), ("香樟", False), ("紫藤", False),
      ("枫叶", False), ("桂花", False), ("玉兰", False)], "钱晓敏", "褚国良"),
    ("S05", "新港街道", ["新港路", "码头路", "船厂路", "航运路"],
     [("新港一", False), ("新港二", False), ("码头", False), ("船厂", False), ("港城", False), ("海员", False),
      ("航运", False), ("锚地", False)], "孙立群", "戴文斌"),
    ("S06", "柳岸街道", ["柳岸路", "春晓路", "长堤路"],
     [("柳岸", False), ("春晓", False), ("水榭", False), ("画舫", False), ("莲花", False), ("石桥", False),
      ("长堤", False)], "吴丽萍", "施永康"),
    ("S07", "青石镇", ["青石公路", "溪口路", "茶园路"],
     [("青石", False), ("青石新苑", False), ("石门", True), ("溪口", True), ("竹林", True), ("茶园", True),
      ("南岗", True), ("北岗", True)], "郑晓峰", "蒋海军"),
    ("S08", "鹭洲街道", ["鹭洲路", "白鹭路", "汀兰路", "沙洲路"],
     [("鹭洲", False), ("白鹭", False), ("沙洲", False), ("芦苇", False), ("渚清", False), ("汀兰", False),
      ("鸥鹭", False), ("湿地", False), ("鹭岛", False)], "冯雅琴", "韩志远"),
    ("S09", "云湾镇", ["云湾路", "星河路", "霞光路"],
     [("云湾", False), ("云栖", False), ("云溪", False), ("湾畔", True), ("星河", True), ("月湖", True),
      ("霞光", True)], "曹文杰", "许红梅"),
]
COMPOUND_SUFFIXES = ("苑", "新村", "花园", "小区", "公寓", "佳园")
# the sealed area inside 东湖镇 where the 15-person linkage team works (as in Jiading's 娄塘老镇)
LOCKDOWN = {"BJ-S02-C03", "BJ-S02-C04"}

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


@dataclass(frozen=True)
class _Committee:
    code: str
    name: str
    village: bool
    compounds: tuple[str, ...]
    road: str
    lane0: int
    street: "_Street"


@dataclass(frozen=True)
class _Street:
    code: str
    name: str
    roads: tuple[str, ...]


def _gazetteer() -> tuple[list[_Street], list[_Committee]]:
    """The fixed org spec (never random: ``force`` finds the same codes again)."""
    streets, committees = [], []
    for i, (code, name, roads, stems, _lead, _leader) in enumerate(STREETS):
        s = _Street(f"BJ-{code}", name, tuple(roads))
        streets.append(s)
        for j, (stem, village) in enumerate(stems, start=1):
            if village:
                cname, compounds = f"{stem}村", (f"{stem}村",)
            else:
                cname = f"{stem}居委"
                a, b = COMPOUND_SUFFIXES[(i + j) % 6], COMPOUND_SUFFIXES[(i + 2 * j + 1) % 6]
                compounds = (stem + a,) if a == b else (stem + a, stem + b)
            committees.append(_Committee(f"{s.code}-C{j:02d}", cname, village, compounds, roads[j % len(roads)],
                                         100 + 37 * j, s))
    return streets, committees


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

# ------------------------------------------------------------------------------------ texts

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("建国 秀英 桂英 志强 丽华 国强 美玲 文杰 海燕 伟 芳 敏 静 磊 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 "
         "秀兰 玉兰 德明 宝根 阿毛 金妹 小红 佳怡 子轩 欣怡 浩然 雨婷 俊杰 晓东 春华").split()
DRUGS = ["降压药", "胰岛素", "华法林", "治疗帕金森的多巴丝肼", "抗癫痫药", "心脏病的单硝酸异山梨酯", "抗排异药", "甲状腺素片"]
HOSPITALS = ["滨江示范区中心医院", "望潮医院", "市第十一人民医院", "市肿瘤防治中心", "市妇幼保健院"]
ISITES = ["滨江假日酒店隔离点", "望潮宾馆集中隔离点", "新港会展中心方舱医院", "云湾度假村隔离点"]
SHOPS = ["水果店", "烟杂店", "理发店", "小饭馆", "五金店", "棋牌室", "麻辣烫店"]
COMPANIES = ["滨江顺达物流有限公司", "望潮食品配送公司", "新港船舶配件厂", "鹭洲物业服务有限公司", "云湾建材商行"]
PACKS = ["政府保供物资包", "蔬菜包", "爱心物资包"]
DAYS_ZH = ["两", "三", "四", "五", "六", "七"]


@dataclass(frozen=True)
class _Tpl:
    text: str
    urgencies: str            # letters of the urgencies it fits: C critical, U urgent, N normal
    fb: tuple[str, ...]       # what the unit reports back (反馈), one picked at random
    group: str | None = None  # special group the text implies
    group_p: float = 1.0      # … with this probability
    consult: bool = False     # a consultation the center may answer itself (直接答复)
    route: tuple[tuple[str, float], ...] = ()  # overrides the category's routing
    channel: str | None = None  # device and patrol reports: sensor | video | patrol


def T(text: str, urgencies: str, *fb: str, **kw: Any) -> _Tpl:
    return _Tpl(text, urgencies, tuple(fb), **kw)


TEMPLATES: dict[str, list[_Tpl]] = {
    "epi.medical": [
        T("我母亲是尿毒症病人，每周一三五要去{hospital}做血透，明天就要透析了，{compound}封控出不去，居委说要等通知，请帮忙协调闭环就医。", "CU",
          "已联系{committee}核实，由居委安排专车闭环转运至{hospital}完成血透，后续透析按闭环流程固定接送。", group="patient"),
        T("我爱人是肿瘤病人，去年手术后一直在化疗，{hospital}通知{day2}去做靶向治疗，要带48小时核酸证明，但小区被封无法出入，希望帮助她出小区治疗。", "CU",
          "已联系属地居委核实并协调多部门，安排上门采样出具核酸证明，按期闭环转运至{hospital}治疗，已向城运中心反馈。", group="patient"),
        T("家里{age}岁老人每天要服用{drug}，剩下的药只够吃{left}天了，小区封闭管理没法去医院配药，只能打12345求助。", "CU",
          "居民区书记穿防护服上门取走医保卡，居委干部前往{hospital}配到{drug}及有稳定供应的替代药物，已送药上门。",
          "已协调社区卫生服务中心家庭医生代配{drug}，当日送药上门。", group="elderly"),
        T("我怀孕{months}个月，{hospital}产检要求48小时内核酸证明，{compound}在封控，请问怎么去产检？", "UN",
          "已安排上门采样，居委协调车辆于产检当日闭环接送至{hospital}，孕妇已纳入重点关爱名单。", group="pregnant"),
        T("孩子{kid_age}，昨晚开始发烧到39度，封控在家，想去{hospital}儿科就诊，怎么才能出去？", "CU",
          "居委已联系发热门诊，安排专车闭环送孩子至{hospital}就诊，已退烧回家。", group="child"),
        T("我有慢性病要长期服用{drug}，封控{days}天了，社区卫生服务中心能不能代配药？", "UN",
          "社区卫生服务中心已开通代配药服务，家庭医生为市民代配{drug}，已送达。", group="patient"),
        T("家里{age}岁老人在家摔倒，腿疼站不起来，打120说要排队等，封控小区怎么安排就医？", "C",
          "已联系120急救中心优先派车，居委干部到场协助，老人已送{hospital}急诊，诊断为骨裂，已住院治疗。", group="elderly"),
        T("想咨询封控期间去医院看病需要什么手续，医院要求48小时核酸证明，哪里做核酸排队时间比较短？", "N",
          "已告知市民就医凭证办理流程和区级医院便民采样点位置，市民表示清楚。", consult=True),
        T("我父亲肢体残疾坐轮椅，需要每月去{hospital}复查，{compound}封控后能否安排车辆接送？", "UN",
          "居委已登记需求，复查当日由街道保障车辆闭环接送，志愿者陪同。", group="disabled"),
    ],
    "epi.supplies": [
        T("{compound}封闭{days}天了，盒马叮咚都约不上，辗转很多平台都买不到菜，老年人更是一筹莫展，希望有关部门协调解决买菜难问题。", "UN",
          "街道慈善超市已开通线上预订和线下配送，根据居民需求提供组合套餐；独居老人、纯老户可通过社区食堂订餐热线订餐。",
          "已协调保供企业在{compound}设置临时配送点，每日定时配送蔬菜包。", group="elderly", group_p=0.4),
        T("我家独居老人{age}岁住在{compound}{bld}号，家里已经没有米和菜了，居委电话一直打不通，请尽快帮忙。", "CU",
          "居委志愿者当日将{pack}送至老人家中，老人已登记为重点关爱对象，每日电话问候。", group="elderly"),
        T("宝宝{baby_age}，家里奶粉只剩一天的量了，小区封控买不到，请帮忙协调。", "CU",
          "居委已联系保供母婴店，当日将两罐奶粉配送上门，后续按需登记配送。", group="child"),
        T("小区发放的{pack}我们{bld}号楼没有收到，楼里好几户都没领到，请核实。", "UN",
          "经核实物资发放遗漏，已为{bld}号楼补发，并安排楼组长送上楼。"),
        T("{compound}团购的物资到了小区门口没人送上楼，{bld}号楼是纯老户，提不动，希望安排志愿者帮忙。", "UN",
          "居委已组织楼组志愿者每日分拣团购物资，纯老户由志愿者送货上门。", group="elderly"),
        T("我是残疾人，一个人住在{compound}，行动不便无法下楼领物资，希望能送上门。", "CU",
          "居委已将市民列入重点关爱名单，物资由志愿者送上门，并留下居委值班电话。", group="disabled"),
        T("封控第{dayn}天，家里的米和油都快吃完了，{compound}附近的超市都关了，请问哪里能买到生活物资？", "UN",
          "已告知市民保供超市线上下单渠道，街道协调{pack}当日送达。", route=(("street", 0.6), ("BJ-SWW", 0.4))),
    ],
    "epi.testing": [
        T("{site}排队排了{hours}个小时，队伍很长采样很慢，老人小孩都在排，希望加派人手。", "UN",
          "已协调增派采样人员和PDA扫码设备，志愿者分组引导预约登记，排队时间明显缩短。",
          route=(("street", 0.7), ("BJ-WJW", 0.3))),
        T("我{ago}做的核酸，已经过去{hours2}小时了还查不到结果，单位要求出示48小时核酸报告。", "N",
          "已与检测机构核实，因样本量大延迟上传，结果已上传，市民可通过健康云查询。",
          route=(("BJ-WJW", 0.6), ("BJ-CDC", 0.4))),
        T("家中{age}岁老人卧床，没办法下楼做核酸，能否安排上门采样？", "UN",
          "已安排医务人员上门采样，样本已送检，老人已纳入上门采样名单。", group="elderly"),
        T("请问今天{compound}的核酸检测几点开始，在哪个点位，需要带什么？", "N",
          "已告知市民采样时间和点位，提醒提前准备好核酸检测登记码。", consult=True),
        T("健康云上的核酸检测登记码显示异常扫不出来，{site}的工作人员让我打12345问。", "N",
          "已联系采样点为市民手工登记，并指导重新生成登记码。", consult=True),
    ],
    "epi.isolation": [
        T("我从外地回来在家健康监测，已经{days}天了，请问什么时候可以解除？居委说要等通知。", "N",
          "已向市民解释居家健康监测期限，期满核酸阴性后由居委通知解除。", consult=True),
        T("我家门口被贴了封条，说是密接的次密接，但我们核酸都是阴性，想了解要隔离多久。", "UN",
          "经疾控流调核实，市民为次密接，已告知居家隔离期限和解除条件，居委每日上门采样。"),
        T("{bld}号楼有居家隔离人员经常开门出来扔垃圾，担心传染，希望居委加强管理。", "UN",
          "居委已上门提醒隔离人员不得出门，安排志愿者每日上门收取垃圾并安装门磁。"),
        T("居家隔离期间说好每天上门做核酸，今天到现在还没人来采样，请问怎么回事？", "N",
          "经核实当日采样人员调度延误，已补做上门采样并向市民致歉。"),
        T("我怀孕{months}个月，被判定为密接要去集中隔离，身体情况特殊能否改为居家隔离？", "U",
          "经疾控评估，同意孕妇居家隔离，居委落实健康监测和产检保障。", group="pregnant"),
    ],
    "epi.isolation_site": [
        T("我在{isite}隔离，房间{room}，已经{days}天了，还没有人通知什么时候解除，盒饭也经常是冷的。", "UN",
          "已与{isite}沟通，改善送餐保温，并告知市民解除隔离时间。"),
        T("我家人被转运到{isite}隔离，他有高血压要每天吃{drug}，药没带，请帮忙送药。", "CU",
          "已协调隔离点医务人员为市民送药，并每日监测血压。", group="patient"),
        T("{isite}同一楼层有人在走廊走动，担心交叉感染，希望加强管理。", "UN",
          "已要求隔离点加强楼层巡查和门磁监控，落实不出房间要求。"),
        T("我父亲{age}岁从{isite}解除隔离回家，社区要求再居家监测7天，需要开什么证明？", "N",
          "已告知解除隔离证明由隔离点出具，居委凭证明落实居家健康监测。", group="elderly", consult=True),
    ],
    "epi.access": [
        T("我是{company}的员工，保供单位需要每天进出{compound}，门卫不让出，我有单位证明和48小时核酸阴性证明，怎么办通行证？", "UN",
          "已核实保供人员身份，为市民办理通行证，凭证和48小时核酸阴性证明出入。"),
        T("{compound}大门封了，快递外卖都堆在门口没人管，很多东西被拿错，希望安排志愿者分拣。", "N",
          "居委已组织志愿者在门口设置分拣点，快递按楼号分拣送达。"),
        T("{compound}{bld}号楼有阳性病例，楼下警戒线还没拉起来，有人进进出出，请尽快处理。", "CU",
          "已拉设警戒线并安排人员24小时值守，{bld}号楼封控管理措施已落实。"),
        T("我住{compound}，封控区和防范区划分不清楚，门卫说我们楼不能出，居委说可以，请明确。", "N",
          "已向市民明确封控区和防范区范围，门岗已统一口径。"),
        T("我下夜班回家，到{compound}门口被拦住不让进，说不是本小区居民，我有租房合同。", "UN",
          "居委已核实市民租住信息，通知门岗放行并登记。"),
    ],
    "epi.policy": [
        T("想问一下{compound}要封控到什么时候？网上说明天全区解封，是真的吗？", "N",
          "已按最新发布会口径向市民解释，解封以属地通知为准，网传信息不实。", consult=True),
        T("请问从外省回沪需要隔离几天？随申码变黄了怎么恢复绿码？", "N",
          "已向市民解释来沪人员健康管理要求和赋码规则。", consult=True),
        T("听说明天开始超市都要关门，是不是真的？家里要不要囤菜？", "N",
          "已向市民辟谣，说明保供超市正常营业，请以官方发布为准。", consult=True),
        T("封控期间快递还能不能收？外卖能不能送到小区门口？", "N",
          "已告知封控期间快递外卖在门口指定点位无接触交付，由志愿者转运。", consult=True),
        T("我的随申码变成了黄码，我一直在家没有出去过，请问为什么？影响明天上班。", "UN",
          "经疾控核实，市民因时空交集被赋黄码，按要求完成两次核酸阴性后已转为绿码。", consult=True,
          route=(("BJ-CDC", 0.6), ("BJ-WJW", 0.4))),
    ],
    "epi.certificate": [
        T("我的小区被封了，不能去上班，误工证明怎么开？单位要求盖章。", "N",
          "居委已为市民开具封控期间误工证明（加盖公章），可线上领取电子版。", consult=True),
        T("我已经解除隔离，需要开具解除隔离证明交给单位，请问到哪里开？", "N",
          "已告知市民解除隔离证明开具流程，街道已出具证明。", consult=True),
        T("孩子学校要求提供封控期间的居住证明，居委说开不了，请问谁能开？", "N",
          "经街道协调，居委已为市民出具封控期间居住证明。", group="child"),
        T("我在{isite}集中隔离了14天，出来后单位要隔离证明，隔离点让我找街道。", "N",
          "已协调隔离点补开集中隔离证明，由街道转交市民。"),
    ],
    "epi.violation": [
        T("{road}{no}号一家{shop}在封控期间还在偷偷营业，有人进出，请查处。", "UN",
          "执法人员已到场核查，责令该{shop}立即关停，后续加强巡查。", route=(("BJ-CGZF", 0.5), ("street", 0.5))),
        T("{compound}{bld}号楼有人在楼道里聚集打牌，不戴口罩，人很多。", "UN",
          "已到场劝散聚集人员，并加强楼组防疫宣传。", route=(("street", 0.6), ("BJ-GA", 0.4))),
        T("有人从外省中高风险地区回到{compound}，没有向居委报备，还天天出门。", "U",
          "经核实该人员已补报备并落实居家健康监测，已纳入居委管理。",
          route=(("street", 0.5), ("BJ-CDC", 0.2), ("BJ-GA", 0.3))),
        T("小区附近{shop}鸡蛋卖到30元一斤，哄抬物价，请市场监管部门查处。", "UN",
          "市场监管所已到场检查，对涉嫌哄抬价格行为立案调查，督促商户明码标价。", route=(("BJ-SCJG", 1.0),)),
        T("{compound}门口有人私自组织团购，价格很高，食品来源不明，怀疑不合规。", "N",
          "已核查团购供货渠道，督促团长选择保供企业并公示价格。", route=(("BJ-SCJG", 0.7), ("street", 0.3))),
    ],
    "city.environment": [
        T("{compound}{bld}号楼下的垃圾已经{days}天没人清运了，气味很大，封控期间更需要及时清理。", "UN",
          "已安排环卫作业单位清运并消杀，调整封控期间清运频次为每日一次。"),
        T("{road}上有人乱倒建筑垃圾，堆了很多，影响通行。", "N", "已安排清运，执法人员对倾倒行为立案调查。"),
        T("{site}的医疗废物袋堆在路边没有及时收走，担心有风险。", "CU", "已通知医废处置单位收运，现场已消毒。"),
        T("{road}{no}号附近餐馆油烟很大，熏得窗户都不敢开。", "N", "已约谈餐馆负责人，督促其清洗油烟净化设备。"),
    ],
    "city.noise": [
        T("{road}{no}号工地晚上十点以后还在施工，噪音很大，影响休息。", "N",
          "执法人员到场核查，责令工地夜间停止施工。", route=(("BJ-CGZF", 1.0),)),
        T("{compound}楼下有人每天晚上用大喇叭放广场舞音乐到很晚。", "N",
          "已到场劝导相关人员控制音量，晚上九点后停止活动。", route=(("BJ-GA", 0.5), ("street", 0.5))),
        T("隔壁商铺装修电钻声从早到晚不停，家里孩子{kid_age}，根本睡不好。", "UN",
          "已要求商铺在规定时段内装修，午休和夜间停止施工。", group="child", group_p=0.5),
    ],
    "city.traffic": [
        T("{road}与{road2}路口红绿灯坏了，车辆乱行很危险。", "CU",
          "交警已到场指挥交通，信号灯已修复。", route=(("BJ-GA", 0.6), ("BJ-JGW", 0.4))),
        T("{road}{no}号门口路面塌陷一个大坑，晚上看不清，已经有电瓶车摔倒。", "CU",
          "已设置警示围挡，养护单位连夜修复路面。"),
        T("{compound}门口人行道被车辆长期占用，老人推轮椅过不去。", "N",
          "已清理占道车辆，施划禁停标线并加强巡查。", route=(("BJ-GA", 0.5), ("BJ-CGZF", 0.5))),
        T("公交线路停运了，封控期间{compound}的居民去医院有没有其他出行方式？", "N",
          "已告知市民就医可联系居委申请保障车辆，急症拨打120。", consult=True),
    ],
    "city.utilities": [
        T("{compound}{bld}号楼从早上开始停水，到现在还没来水，封控在家没法做饭。", "CU",
          "供水公司已抢修爆裂管道，{bld}号楼已恢复供水，期间送水车到小区供水。"),
        T("{compound}停电了，家里{age}岁老人在用制氧机，请尽快抢修！", "C",
          "电力抢修人员已到场，已恢复供电，居委上门确认制氧机正常使用。", group="patient"),
        T("自来水发黄有异味，{compound}好几户都是这样，不敢喝。", "UN",
          "已安排水质检测，结果合格，已冲洗二次供水管道。"),
        T("燃气表显示异常，最近燃气费比平时高很多，想请燃气公司上门检查。", "N",
          "燃气公司已上门检测，表具正常，已向市民解释计费周期。"),
    ],
    "city.housing": [
        T("{compound}{bld}号楼电梯坏了{days}天，物业说封控配件进不来，楼里很多老人上下楼困难。", "UN",
          "已督促物业协调配件运输通行证，电梯已修复运行。", group="elderly", group_p=0.5),
        T("楼上卫生间漏水，渗到我家天花板，{compound}物业一直不处理。", "N",
          "已约谈物业公司，上门查明漏水原因并维修，双方达成赔偿意见。"),
        T("{compound}物业在封控期间还上门催缴物业费，态度很差，说不交就停水。", "N",
          "已责令物业规范服务，不得以停水停电方式催缴，物业已向业主道歉。"),
        T("{compound}地下车库积水严重，物业不抽水，车都泡了。", "UN", "已督促物业抽排积水并检修排水泵。"),
    ],
    "city.labour": [
        T("我在{company}工作，公司拖欠我{wage_months}个月工资共{amount}元，老板电话不接。", "N",
          "劳动监察大队已约谈企业负责人，企业承诺限期支付工资。"),
        T("公司因为疫情让我们停工，说这个月不发工资了，这合法吗？", "N",
          "已向市民解释停工停产期间工资支付相关规定，并告知维权渠道。", consult=True),
        T("单位封控期间没有给我们交社保，想投诉{company}。", "N", "已受理投诉，责令企业限期补缴社会保险费。"),
    ],
    "city.market": [
        T("在{road}{no}号超市买的牛奶过期了，商家拒绝退换。", "N", "市场监管所已调解，商家为市民退换并依法赔偿。"),
        T("网上订的蔬菜包收到后发现烂了一半，商家不给退款。", "N", "已联系商家，为市民办理部分退款。"),
        T("{road}{no}号药店的退烧药价格比平时高了一倍，请查处。", "UN", "已对药店价格进行检查，责令整改并立案调查。"),
    ],
    "city.welfare": [
        T("我家{age}岁老人独居在{compound}，子女在外地回不来，希望社区能安排人每天去看看。", "UN",
          "居委已将老人纳入重点关爱对象，安排志愿者每日上门探望。", group="elderly"),
        T("我是低保户，封控期间没有收入，能否申请临时救助？", "N", "已指导市民申请临时救助，街道已受理。"),
        T("社区食堂订餐热线打不通，{compound}{age}岁的纯老户想订餐。", "UN",
          "已协调社区食堂为老人订餐，每日送餐上门。", group="elderly"),
        T("我是残疾人，残疾人补贴这个月没有到账，想问一下原因。", "N",
          "经核实因银行账户变更导致未到账，已补发。", group="disabled"),
    ],
    "city.safety": [
        T("{compound}{bld}号楼道里闻到很重的煤气味，怀疑泄漏！", "C", "燃气公司已到场检查并关闭阀门，更换老化软管，排除泄漏隐患。"),
        T("{road}{no}号老房子外墙有砖块松动，随时可能掉下来，下面是人行道。", "CU", "已拉设警戒并对外墙松动部位进行排险。"),
        T("{compound}楼道里堆满纸箱杂物，还有电瓶车在楼道充电，消防隐患很大。", "UN", "已清理楼道堆物并劝导居民规范充电。"),
        T("家里{age}岁老人早上出门后一直没回来，有阿尔茨海默病，请帮忙寻找。", "C",
          "民警调取监控，已在{road}附近找到老人并护送回家。", group="elderly", route=(("BJ-GA", 1.0),)),
        T("楼上邻居夫妻吵架打起来了，声音很大，怕出事。", "CU", "民警已到场处置，当事人情绪稳定，已调解。", route=(("BJ-GA", 1.0),)),
    ],
    "city.other": [
        T("感谢{street}和{committee}的志愿者，封控期间每天给我们送菜送药，特此表扬！", "N", "已将市民表扬转达街道和居委。", consult=True),
        T("建议封控期间在{compound}设置临时快递驿站，方便居民取件。", "N", "已采纳建议，居委在小区门口设置临时快递驿站。"),
        T("小区里的流浪猫封控后没人喂，希望志愿者帮忙。", "N", "居委已联系爱心志愿者定时投喂。"),
    ],
}

# device and patrol reports (no caller: closed after the unit's feedback, without a callback)
DEVICE_TPLS: list[tuple[str, _Tpl]] = [
    ("epi.isolation_site", T("物联感知告警：{isite}{floor}层{room2}房门磁开启超过3分钟，监控显示有人员走出房间。", "U",
                             "隔离点值守人员已到场劝返，重新告知隔离要求。", channel="sensor", route=(("BJ-WJW", 1.0),))),
    ("epi.testing", T("核酸采样点监测：{site}排队{queue}人，超过阈值；每小时采样{rate}人，PDA扫码机不足，建议增派备勤医务人员。", "C",
                      "医院已增派备勤医务人员携带PDA设备支援，10多分钟后排队明显缩短。", channel="sensor",
                      route=(("BJ-H2", 0.6), ("BJ-H1", 0.4)))),
    ("city.safety", T("烟感告警：{compound}{bld}号楼道烟感报警，请立即核实。", "C",
                      "现场核实为居民楼道内焚烧杂物，已扑灭并进行安全教育。", channel="sensor",
                      route=(("BJ-CC-JD", 0.5), ("street", 0.5)))),
    ("epi.violation", T("视频AI识别：封控区{road}{no}号沿街商铺卷帘门开启，有人员进出，疑似违规营业。", "U",
                        "队员到场核实，已劝导商铺关停并登记。", channel="video", route=(("street", 0.6), ("BJ-CGZF", 0.4)))),
    ("epi.testing", T("单兵视频：{site}出现居民聚集排队，间距不足1米，现场秩序需疏导。", "U",
                      "已调派街道备勤人员支援，利用隔离墩加固警戒线，志愿者分AB两组疏导，秩序已恢复。",
                      channel="video", route=(("street", 1.0),))),
    ("city.environment", T("视频AI识别：{road}沿线垃圾桶满溢，有暴露垃圾。", "N", "已安排环卫清运。", channel="video",
                           route=(("BJ-LHSR", 1.0),))),
    ("epi.violation", T("巡查发现{road}{no}号{shop}封控期间未关停，已现场劝导，需执法跟进。", "U",
                        "执法人员已到场，责令商铺关停。", channel="patrol", route=(("BJ-CGZF", 0.5), ("street", 0.5)))),
    ("city.safety", T("安全检查发现{compound}{bld}号楼道电瓶车违规充电，存在消防隐患。", "N",
                      "已清理楼道电瓶车并张贴安全提示。", channel="patrol", route=(("street", 1.0),))),
    ("epi.access", T("巡查发现{compound}东侧围墙有缺口，有人员翻越，需加固封控设施。", "U",
                     "已用硬隔离封堵围墙缺口并安排巡逻。", channel="patrol", route=(("street", 1.0),))),
    ("city.traffic", T("巡查发现{road}{no}号门口窨井盖缺失，已设临时围挡。", "C", "养护单位已补装窨井盖。", channel="patrol",
                       route=(("BJ-JGW", 1.0),))),
]
PATROL_TEAMS = {"BJ-S01-WG": "BJ-S01", "BJ-S05-AQ": "BJ-S05", "BJ-S02-LD": "BJ-S02"}

# matters that leave the district (流转市级)
TRANSFER_TPLS = [
    ("epi.access", "我在外省工作，父母住在{compound}，想咨询跨省返沪照顾老人需要什么手续，能否办理通行证明？",
     "涉及跨省返沪政策，属市级事权，流转市级平台处理"),
    ("epi.medical", "我在市属医院{hospital}住院的家人需要转院，医院说要市里统一安排，请帮忙协调。",
     "涉及市属医院床位调配，流转市级平台处理"),
    ("epi.policy", "市里发布的防疫政策和区里说法不一致，希望市里统一口径，明确返岗人员核酸要求。",
     "涉及全市政策口径，流转市级平台答复"),
]

# the category's usual lead units: "street" means the address's street (or its committee)
ROUTES: dict[str, tuple[tuple[str, float], ...]] = {
    "epi.isolation": (("street", 0.8), ("BJ-CDC", 0.2)),
    "epi.testing": (("street", 0.6), ("BJ-WJW", 0.4)),
    "epi.isolation_site": (("BJ-WJW", 0.7), ("BJ-CDC", 0.3)),
    "epi.access": (("street", 0.85), ("BJ-GA", 0.15)),
    "epi.policy": (("street", 0.5), ("BJ-WJW", 0.3), ("BJ-CDC", 0.2)),
    "epi.certificate": (("street", 0.8), ("BJ-RSJ", 0.2)),
    "epi.medical": (("street", 0.75), ("BJ-WJW", 0.25)),
    "epi.supplies": (("street", 0.85), ("BJ-SWW", 0.15)),
    "epi.violation": (("BJ-SCJG", 0.35), ("BJ-CGZF", 0.25), ("BJ-GA", 0.2), ("street", 0.2)),
    "city.environment": (("BJ-LHSR", 0.8), ("street", 0.2)),
    "city.noise": (("BJ-CGZF", 0.6), ("BJ-GA", 0.25), ("street", 0.15)),
    "city.traffic": (("BJ-JGW", 0.8), ("BJ-GA", 0.2)),
    "city.utilities": (("BJ-JGW", 0.6), ("BJ-FGJ", 0.4)),
    "city.housing": (("BJ-FGJ", 0.7), ("street", 0.3)),
    "city.labour": (("BJ-RSJ", 1.0),),
    "city.market": (("BJ-SCJG", 1.0),),
    "city.welfare": (("BJ-MZJ", 0.6), ("street", 0.4)),
    "city.safety": (("street", 0.4), ("BJ-GA", 0.4), ("BJ-CGZF", 0.2)),
    "city.other": (("street", 1.0),),
}

EPI_WEIGHTS = {"epi.supplies": 22, "epi.medical": 16, "epi.testing": 15, "epi.isolation": 12, "epi.access": 12,
               "epi.policy": 10, "epi.certificate": 6, "epi.isolation_site": 4, "epi.violation": 3}
CITY_WEIGHTS = {"city.environment": 14, "city.housing": 14, "city.noise": 10, "city.utilities": 10,
                "city.traffic": 9, "city.labour": 10, "city.market": 9, "city.welfare": 9, "city.safety": 8,
                "city.other": 7}
# (critical, urgent) shares per category; the rest is normal
URGENCY_P = {
    "epi.supplies": (0.10, 0.35), "epi.medical": (0.35, 0.40), "epi.testing": (0.0, 0.22),
    "epi.isolation": (0.0, 0.22), "epi.access": (0.10, 0.30), "epi.policy": (0.0, 0.08),
    "epi.certificate": (0.0, 0.0), "epi.isolation_site": (0.08, 0.40), "epi.violation": (0.0, 0.35),
    "city.environment": (0.02, 0.15), "city.housing": (0.0, 0.20), "city.noise": (0.0, 0.08),
    "city.utilities": (0.12, 0.40), "city.traffic": (0.06, 0.25), "city.labour": (0.0, 0.0),
    "city.market": (0.0, 0.10), "city.welfare": (0.0, 0.30), "city.safety": (0.35, 0.40), "city.other": (0.0, 0.0),
}
URG = {"C": "critical", "U": "urgent", "N": "normal"}
# not every caller who mentions an old parent or a child is flagged as a special group at intake
GROUP_FLAGGED = 0.5

PROGRESS_FIELD = ["队员已到达现场，正在核实处置。", "已通知相关责任人到场，正在处置。"]
PROGRESS = ["已电话联系市民，了解具体情况，正在协调处理。", "已安排居委干部上门核实。", "已联系相关部门，正在落实。",
            "工作人员已到达现场，正在处置。"]
CO_PROGRESS = ["疾控中心已同意闭环转运方案，派专人对接。", "卫健委已协调医院开通绿色通道。", "医院已安排备勤医务人员携带PDA设备前往支援。"]
DIRECT = {
    "epi.policy": "根据最新市疫情防控新闻发布会口径答复：请以官方发布为准，不信谣不传谣；封控、解封安排由属地统一通知。",
    "epi.certificate": "误工证明、解除隔离证明可通过所在居委或街道线上申请，审核后在“随申办”领取电子证明。",
    "epi.testing": "采样点位和时间以居委当日通知为准；检测结果一般在24小时内可在“健康云”查询，登记码异常可现场手工登记。",
    "epi.isolation": "居家健康监测期满且核酸阴性，由居委通知解除；期间请勿外出，按时配合上门采样。",
    "epi.isolation_site": "解除集中隔离后按要求居家健康监测7天，解除隔离证明由隔离点出具，无需另开。",
    "epi.medical": "就医请持48小时核酸阴性证明，急危重症可直接拨打120；各区级医院均设有核酸便民采样点。",
    "city.labour": "停工期间的工资支付按本市相关规定执行，可向区劳动监察大队咨询或投诉。",
    "city.traffic": "封控期间就医出行可联系居委申请保障车辆，急症请拨打120。",
    "city.other": "感谢您的肯定，已将表扬转达街道和居委。",
}
RETURN_TO_DEPT = "经核实，该事项属{dept}职责，不属本单位职权范围，请改派。"
RETURN_TO_STREET = "该地址属{street}辖区，非本单位辖区，请改派。"
RETURN_LOCAL = "该事项应由属地街道落实，请改派属地。"
CALLBACK_NOTE = {"satisfied": "市民表示满意。", "basically_satisfied": "市民表示基本满意，希望后续继续关注。",
                 "unsatisfied": "市民表示不满意。"}
SATISFACTION_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


# ------------------------------------------------------------------------------------ the plan


@dataclass
class _Plan:
    at: datetime
    kind: str = "flow"              # flow | direct | transfer | dup
    channel: str = "hotline_12345"
    category: str = "city.other"
    urgency: str = "normal"
    text: str = ""
    tpl: _Tpl | None = None
    slots: dict = field(default_factory=dict)
    committee: _Committee | None = None
    groups: tuple[str, ...] = ()
    caller: tuple[str, str] = ("", "")
    creator: str = "op"             # op | system | a username
    lead: str = ""
    co: tuple[str, ...] = ()
    wrong: str | None = None        # first (wrong) lead unit: returned, then re-dispatched
    answer: str = ""
    transfer_reason: str = ""
    precontact: bool = False
    stuck: str | None = None        # unaccepted | unfinished: still open, overdue now
    late: bool = False
    ext: str | None = None          # approve | deny
    pause: bool = False
    urge: bool = False
    supervise: bool = False
    progress: bool = False
    co_progress: bool = False
    resolved: bool = True
    callback: str = "satisfied"     # satisfied | basically_satisfied | unsat_solved | unsat_reopen | none
    parent: "_Plan | None" = None
    external_ref: str | None = None
    # outcome
    cur: Order | None = None
    children: list = field(default_factory=list)
    ext_asked: bool = False
    ext_approved: bool = False
    merged: bool = False
    transferred: bool = False
    touch: int = 0                  # bumped on every write: stale deadline-tracker entries are ignored

    @property
    def epidemic(self) -> bool:
        return self.category.startswith("epi.")


def _pick(rng: random.Random, weighted) -> Any:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    total = sum(w for _, w in items)
    r = rng.random() * total
    for item, w in items:
        r -= w
        if r <= 0:
            return item
    return items[-1][0]


class _Planner:
    """Decides what each order is and what will happen to it; the simulator then makes it happen."""

    def __init__(self, rng: random.Random, end: datetime, tz: str, committees: list[_Committee]):
        self.rng, self.end, self.zone = rng, end, ZoneInfo(tz)
        self.start = end - timedelta(days=DAYS)
        self.committees = committees
        self.by_street: dict[str, list[_Committee]] = {}
        for c in committees:
            self.by_street.setdefault(c.street.code, []).append(c)

    # -- when
    def _ramp(self, t: datetime) -> float:
        """Daily volume: ~1× at the start, ~2.8× in the last days (the seed's surge)."""
        d = (t - self.start).total_seconds() / 86400
        return 1 + 1.8 / (1 + math.exp(-(d - 6) / 1.6))

    @staticmethod
    def _diurnal(hour: int) -> float:
        return [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.0, 1.0, 0.95, 0.85, 0.7, 0.8, 0.95, 0.95, 0.9, 0.85,
                0.8, 0.85, 0.9, 0.75, 0.5, 0.3][hour]

    def _when(self) -> datetime:
        span = (self.end - self.start).total_seconds() - 600
        while True:
            t = self.start + timedelta(seconds=self.rng.random() * span)
            f = self._ramp(t) * self._diurnal(t.astimezone(self.zone).hour)
            if self.rng.random() * 2.8 <= f:
                return t.replace(microsecond=0)

    def epi_share(self, t: datetime) -> float:
        """Share of epidemic orders: ~64% at the start of the window, ~88% at its end (Pudong 67.1% → 87%)."""
        return 0.64 + 0.24 * (t - self.start).total_seconds() / (DAYS * 86400)

    # -- what
    def _slots(self, c: _Committee) -> dict[str, Any]:
        r = self.rng
        roads = c.street.roads
        road = r.choice(roads)
        return dict(
            street=c.street.name, committee=c.name, compound=r.choice(c.compounds), road=road,
            road2=r.choice([x for x in roads if x != road] or [road]), no=r.randint(1, 999), bld=r.randint(1, 32),
            room=f"{r.randint(1, 18)}0{r.randint(1, 4)}", room2=f"{r.randint(2, 12)}{r.randint(1, 30):02d}",
            floor=r.randint(2, 12), days=r.choice(DAYS_ZH), age=r.randint(72, 93), months=r.randint(4, 9),
            kid_age=r.choice(["8个月", "1岁", "1岁半", "2岁", "3岁", "5岁"]), drug=r.choice(DRUGS),
            baby_age=r.choice(["6个月", "8个月", "10个月", "1岁", "1岁半"]), dayn=r.randint(2, 12),
            left=r.choice(["一", "两", "两", "三"]), hospital=r.choice(HOSPITALS), isite=r.choice(ISITES),
            shop=r.choice(SHOPS), company=r.choice(COMPANIES), pack=r.choice(PACKS), hours=r.choice(["两", "三", "四"]),
            hours2=r.choice([36, 40, 48, 60]), ago=r.choice(["前天", "大前天", "周一"]),
            day2=r.choice(["后天", "周一", "下周三"]), site=f"{r.choice(c.compounds)}{r.choice('东南西北')}门核酸采样点",
            queue=r.randint(180, 420), rate=r.randint(60, 140), wage_months=r.choice(["两", "三", "四"]),
            amount=r.choice([4800, 7600, 9200, 12500, 16800]),
        )

    def _address(self, c: _Committee, s: dict) -> str:
        if c.village:
            return f"{DISTRICT_NAME}{c.street.name}{c.name}{self.rng.randint(1, 12)}组{self.rng.randint(1, 80)}号"
        return (f"{DISTRICT_NAME}{c.street.name}{c.road}{c.lane0 + self.rng.randint(0, 30)}弄"
                f"{s['bld']}号{s['room']}室（{s['compound']}）")

    def _caller(self) -> tuple[str, str]:
        r = self.rng
        return r.choice(SURNAMES) + r.choice(GIVEN), f"13{r.choice('5679')}0000{r.randint(0, 9999):04d}"

    def _route(self, routes, p: _Plan) -> str:
        target = _pick(self.rng, routes)
        if target != "street":
            return target
        c = p.committee
        assert c is not None
        if c.code in LOCKDOWN and p.category in ("epi.supplies", "epi.medical", "epi.violation", "epi.access",
                                                 "epi.testing") and self.rng.random() < 0.6:
            return "BJ-S02-LD"  # inside the sealed area: straight to the linkage team's phones
        if c.code in ("BJ-S01-C02", "BJ-S02-C03") or self.rng.random() < 0.25:
            return c.code       # to the residents' committee itself
        return c.street.code

    def _wrong_for(self, p: _Plan) -> str:
        """A plausible first (wrong) lead unit: a neighbouring street, or a department for a local matter,
        or the street for a department's matter."""
        assert p.committee is not None
        if p.lead.endswith("-LD"):
            return self.rng.choice(["BJ-FGJ", "BJ-SWW"])
        if p.lead.startswith("BJ-S"):
            others = [s for s in self.by_street if s != p.committee.street.code]
            return self.rng.choice(["BJ-FGJ", "BJ-SWW", self.rng.choice(others), self.rng.choice(others)])
        return p.committee.street.code

    def _urgency(self, cat: str, tpls: list[_Tpl]) -> tuple[str, _Tpl]:
        pc, pu = URGENCY_P[cat]
        r = self.rng.random()
        letter = "C" if r < pc else "U" if r < pc + pu else "N"
        fits = [t for t in tpls if letter in t.urgencies]
        if not fits:
            t = self.rng.choice(tpls)
            return URG[t.urgencies[-1]], t
        return URG[letter], self.rng.choice(fits)

    def plan(self, n: int) -> list[_Plan]:
        r = self.rng
        plans = []
        for _ in range(n):
            p = _Plan(at=self._when())
            u = r.random()
            if u < 0.06:
                self._device(p)
            else:
                self._citizen(p)
            plans.append(p)
        plans.sort(key=lambda p: p.at)
        self._fates(plans)
        return plans

    def _citizen(self, p: _Plan) -> None:
        r = self.rng
        cat = _pick(r, EPI_WEIGHTS if r.random() < self.epi_share(p.at) else CITY_WEIGHTS)
        p.category = cat
        p.urgency, tpl = self._urgency(cat, TEMPLATES[cat])
        p.tpl = tpl
        p.committee = r.choice(self.committees)
        p.slots = self._slots(p.committee)
        p.text = tpl.text.format(**p.slots)
        if tpl.group and r.random() < tpl.group_p * GROUP_FLAGGED:
            p.groups = (tpl.group,)
        elif r.random() < 0.015:  # the caller mentions it in passing: 家里有老人 / 孩子
            p.groups = (r.choice(["elderly", "elderly", "child", "patient"]),)
        p.channel = _pick(r, {"hotline_12345": 62, "direct_line": 26, "web": 6, "open311": 3, "city_platform": 3})
        if p.channel == "city_platform":
            p.external_ref = f"SH12345-{p.at:%y%m%d}{r.randint(10000, 99999)}"
        p.caller = self._caller()
        p.slots["address"] = self._address(p.committee, p.slots)
        p.lead = self._route(tpl.route or ROUTES[cat], p)
        if tpl.consult and r.random() < (0.55 if cat in ("epi.policy", "city.other") else 0.3):
            p.kind = "direct"
            p.answer = DIRECT.get(cat, DIRECT["epi.policy"])

    def _device(self, p: _Plan) -> None:
        r = self.rng
        cat, tpl = r.choice(DEVICE_TPLS)
        channel, text, route = tpl.channel, tpl.text, tpl.route
        assert channel is not None
        p.channel, p.category, p.urgency, p.tpl = channel, cat, URG[tpl.urgencies[0]], tpl
        if channel == "patrol":
            team = r.choice(list(PATROL_TEAMS))
            p.creator = {"BJ-S01-WG": r.choice(["wg01", "wg02"]), "BJ-S05-AQ": "aq01"}.get(
                team, f"ld{r.randint(1, TEAM_SIZE):02d}")
            street = PATROL_TEAMS[team]
            pool = [c for c in self.by_street[street] if team != "BJ-S02-LD" or c.code in LOCKDOWN]
            p.committee = r.choice(pool)
        else:
            p.creator = "system"
            p.committee = r.choice(self.committees)
        p.slots = self._slots(p.committee)
        p.text = text.format(**p.slots)
        p.slots["address"] = self._address(p.committee, p.slots)
        p.lead = self._route(route, p)
        if channel == "sensor" and cat == "epi.testing":
            p.co = (p.committee.street.code,)

    # -- what will happen
    def _fates(self, plans: list[_Plan]) -> None:
        r, end = self.rng, self.end
        resolve = {"critical": timedelta(hours=2), "urgent": timedelta(hours=24), "normal": timedelta(hours=48)}
        for p in plans:
            if p.kind != "flow":
                continue
            crit = p.urgency == "critical"
            p.precontact = crit or (p.urgency == "urgent" and r.random() < 0.12)
            if p.category == "epi.medical" and p.urgency != "normal" and p.lead.startswith("BJ-S") and r.random() < 0.7:
                p.co = (r.choice(["BJ-CDC", "BJ-WJW", "BJ-H1"]),)
            p.co_progress = bool(p.co) and r.random() < 0.6
            p.late = r.random() < (0.10 if crit else 0.07)
            # optional progress notes; one before the report-back deadline is added anyway when the
            # feedback comes later than that deadline (see _Sim._work)
            p.progress = r.random() < {"critical": 0.4, "urgent": 0.3, "normal": 0.1}[p.urgency]
            p.supervise = (bool(p.groups) and p.urgency != "normal" and r.random() < 0.6) or r.random() < 0.02
            p.urge = r.random() < 0.04
            if not crit and p.creator != "system" and r.random() < 0.06:
                p.wrong = self._wrong_for(p)
            if not crit and r.random() < 0.045:
                p.ext = "approve" if r.random() < 0.8 else "deny"
            elif p.urgency == "normal" and r.random() < 0.012:
                p.pause = True
            p.resolved = r.random() > 0.05
            sat = 0.80 if p.groups else 0.70
            x = r.random()
            if x < 0.04:
                p.callback = "none"
            elif not p.resolved:
                p.callback = "unsat_reopen" if x < 0.6 else "basically_satisfied"
            elif x < 0.04 + sat:
                p.callback = "satisfied"
            elif x < 0.93:
                p.callback = "basically_satisfied"
            elif x < 0.975:
                p.callback = "unsat_solved"
            else:
                p.callback = "unsat_reopen"
        # duplicates of an open order, merged into it (合并)
        k = max(1, round(0.012 * len(plans)))
        flows = [p for p in plans if p.kind == "flow"]
        parents = [p for p in flows if p.urgency != "critical" and not p.stuck and p.committee and p.creator == "op"
                   and p.at < end - timedelta(hours=3)]
        r.shuffle(parents)
        made = 0
        for parent in parents:
            if made == k:
                break
            if parent.kind != "flow":
                continue
            pool = [q for q in flows if q.kind == "flow" and q is not parent and not q.stuck and not q.children
                    and q.category == parent.category and q.creator == "op"]
            if not pool:
                continue
            dup = r.choice(pool)
            made += 1
            dup.kind, dup.parent = "dup", parent
            parent.children.append(dup)
            dup.at = parent.at + timedelta(minutes=r.randint(10, 60))
            dup.committee, dup.slots = parent.committee, dict(parent.slots)
            dup.urgency = parent.urgency
            dup.tpl = parent.tpl
            assert parent.tpl is not None
            dup.text = r.choice(["我也要反映：", "邻居已经打过电话了，我再反映一次：", "", "第二次反映："]) + \
                parent.tpl.text.format(**dup.slots)
            dup.caller = self._caller()
            dup.groups = ()
        # a couple of matters leave the district (流转市级)
        candidates = [p for p in flows if p.kind == "flow" and not p.stuck and p.creator == "op" and not p.children
                      and p.at < end - timedelta(hours=2)]
        for p in r.sample(candidates, min(len(candidates), max(2, len(plans) // 400))):
            cat, text, reason = r.choice(TRANSFER_TPLS)
            p.kind, p.category, p.urgency, p.transfer_reason = "transfer", cat, "normal", reason
            p.text, p.groups = text.format(**p.slots), ()
        flows = [p for p in plans if p.kind == "flow"]
        mature = [p for p in flows if p.at < end - timedelta(days=4)]
        # still open and overdue now: the unit never accepted, or accepted and never finished
        eligible = [p for p in flows if end - timedelta(days=5) < p.at < end - resolve[p.urgency] - timedelta(hours=1)
                    and p.creator != "system"]
        for p in r.sample(eligible, min(len(eligible), max(2, round(0.035 * len(eligible))))):
            p.stuck = "unaccepted" if r.random() < 0.3 else "unfinished"
            p.supervise, p.wrong, p.ext, p.pause = True, None, None, False
        mature = [p for p in mature if not p.stuck]
        # a small demo still shows every path at least once
        called = [p for p in mature if p.creator == "op"]  # orders with a caller to call back
        if called and not any(p.callback == "unsat_reopen" for p in called):
            r.choice(called).callback = "unsat_reopen"
        if mature and not any(p.wrong for p in mature):
            q = r.choice([p for p in mature if p.urgency != "critical" and p.creator != "system"] or mature)
            q.wrong = self._wrong_for(q)
        if mature and not any(p.ext for p in mature):
            q = r.choice([p for p in mature if p.urgency != "critical"] or mature)
            q.ext, q.pause = "approve", False
        plans.sort(key=lambda p: p.at)


# ------------------------------------------------------------------------------------ the simulation

Step = tuple[datetime, Callable[[datetime], Any] | None]
_MIN = timedelta(minutes=1)


def _m(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(minutes=rng.uniform(lo, hi))


class _Sim:
    """Steps every order's life forward in time order; sweeps deadlines as the clock passes."""

    def __init__(self, box: Any, rng: random.Random, end: datetime, start: datetime, actors: dict[str, Actor],
                 unit_users: dict[str, list[str]]):
        self.box, self.rng, self.end = box, rng, end
        self.zone = ZoneInfo(box.settings.timezone)
        self.actors, self.unit_users = actors, unit_users
        self.heap: list = []
        self.seq = 0
        self.tick = start
        self.swept = SweepResult()
        self.errors: list[str] = []
        self.sweeps = 0
        # earliest deadline step of each order we wrote, so ticks with nothing due skip the sweep
        self.due: list = []
        with box.uow() as uow:
            self.calendar = uow.policies.calendar()

    # -- who
    def operator(self, t: datetime) -> Actor:
        h = t.astimezone(self.zone).hour
        return self.actors["operator1" if 8 <= h < 16 else "operator2" if h >= 16 else "operator3"]

    def supervisor(self, t: datetime) -> Actor:
        return self.actors["supervisor1" if 8 <= t.astimezone(self.zone).hour < 20 else "supervisor2"]

    def handler(self, unit_code: str) -> Actor:
        code = unit_code
        while code not in self.unit_users:  # a committee without its own account: its street acts
            code = code.rsplit("-", 1)[0]
        return self.actors[self.rng.choice(self.unit_users[code])]

    def daytime(self, t: datetime) -> datetime:
        """Ordinary work waits for the morning: 23:00–07:00 moves to 07:30–09:00."""
        local = t.astimezone(self.zone)
        if 7 <= local.hour < 23:
            return t
        day = local.date() if local.hour < 7 else local.date() + timedelta(days=1)
        morning = datetime(day.year, day.month, day.day, 7, 30, tzinfo=self.zone) + _m(self.rng, 0, 90)
        return morning.astimezone(t.tzinfo)

    # -- the engine
    def add(self, plan: _Plan, gen: Iterator[Step]) -> None:
        self._advance(plan, gen, None)

    def _advance(self, plan: _Plan, gen, value) -> None:
        try:
            t, fn = gen.send(value)
        except StopIteration:
            return
        if t > self.end:
            gen.close()  # the rest of this order's life lies in the future: it stays where it is
            return
        heapq.heappush(self.heap, (t, self.seq, plan, gen, fn))
        self.seq += 1

    def _clock(self, o: Order) -> Clock:
        return Clock(o.policy.clock, self.calendar if o.policy.clock == "business" else None)

    def _track(self, plan: _Plan, at: datetime | None) -> None:
        if at is not None:
            heapq.heappush(self.due, (at, self.seq, plan, plan.touch))
            self.seq += 1

    def _due_by(self, t: datetime) -> bool:
        while self.due and self.due[0][3] != self.due[0][2].touch:
            heapq.heappop(self.due)  # the order changed since: a newer entry stands for it
        return bool(self.due) and self.due[0][0] <= t

    def _sweep_to(self, t: datetime) -> None:
        """Run the deadline sweeper up to ``t``, a couple of minutes after each step falls due, as the
        in-process worker would have (it polls every few seconds; a minute or two of lag keeps this cheap)."""
        while self._due_by(t):
            self.tick = max(self.tick, min(self.due[0][0] + SWEEP_LAG, t))
            while True:
                r = sweep_once(self.box.uow(), self.tick, 500)
                self.sweeps += 1
                self.swept += r
                if r.orders < 500:
                    break
            # every step due by now has fired: each swept order waits for its next later step
            while self._due_by(self.tick):
                _, _, plan, _ = heapq.heappop(self.due)
                o = plan.cur
                later = [s.due_at for s in schedule(o, self._clock(o)) if s.key not in o.fired and s.due_at > self.tick]
                self._track(plan, min(later) if later else None)

    def run(self) -> None:
        while self.heap:
            t, _, plan, gen, fn = heapq.heappop(self.heap)
            self._sweep_to(t)
            try:
                value = fn(t) if fn is not None else None
            except DomainError as e:  # should not happen; keep going, and say so in the report
                self.errors.append(f"{plan.cur.number if plan.cur else plan.at.isoformat()}: {e.message}")
                gen.close()
                continue
            if isinstance(value, Order):
                plan.cur = value
                plan.touch += 1
                self._track(plan, next_due(value, self._clock(value)))
            self._advance(plan, gen, value)

    # -- lives
    def life(self, p: _Plan) -> Iterator[Step]:
        if p.kind == "direct":
            return self._direct(p)
        if p.kind == "transfer":
            return self._transfer(p)
        if p.kind == "dup":
            return self._dup(p)
        return self._flow(p)

    def _new(self, p: _Plan, dispatch_to: str | None = None, co: tuple[str, ...] = (), note: str | None = None):
        return uc.NewOrder(text=p.text, channel=p.channel, urgency=p.urgency, category=p.category,
                           caller_name=p.caller[0], caller_phone=p.caller[1], address=p.slots.get("address", ""),
                           special_groups=p.groups, area_unit_code=p.committee.code if p.committee else None,
                           dispatch_to=dispatch_to, co_units=co, external_ref=p.external_ref, note=note)

    def _create(self, actor: Actor, cmd) -> Callable[[datetime], Order]:
        return lambda now: uc.create_order(self.box.uow(), actor, cmd, now)

    def _direct(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        yield p.at + _m(self.rng, 2, 12), lambda now: uc.direct_reply(self.box.uow(), op, o.number, p.answer, now)

    def _transfer(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        ref = f"SH-{p.at:%y%m%d}-{self.rng.randint(100000, 999999)}"
        yield p.at + _m(self.rng, 5, 30), lambda now: uc.transfer_to_city(self.box.uow(), op, o.number,
                                                                           p.transfer_reason, now, ref)
        p.transferred = True

    def _dup(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        t = p.at + _m(self.rng, 3, 15)
        parent = p.parent
        yield t, None
        if parent is None or parent.cur is None or parent.cur.state in (State.CLOSED, State.TRANSFERRED, State.MERGED):
            yield t, lambda now: uc.direct_reply(self.box.uow(), op, o.number, "该问题已有工单办理，已告知市民处理结果。", now)
            return
        number = parent.cur.number
        yield t, lambda now: uc.merge_orders(self.box.uow(), op, o.number, number, now,
                                             f"与工单 {number} 反映同一地点同一事项，合并办理")
        p.merged = True

    def _flow(self, p: _Plan) -> Iterator[Step]:
        r, uow = self.rng, self.box.uow
        op = self.operator(p.at)
        note = {"critical": "特急：请立即处置，2小时内办结并反馈", "urgent": "紧急：请2小时内反馈处置进展"}.get(p.urgency)
        lead0, co0 = (p.wrong, ()) if p.wrong else (p.lead, p.co)
        t = p.at
        # intake and dispatch
        if p.creator == "system":
            o = yield t, self._create(SYSTEM, self._new(p, lead0, co0, "物联感知规则自动派单"))
        elif p.creator != "op" or p.precontact or (p.urgency == "normal" and r.random() < 0.15):
            creator = self.actors[p.creator] if p.creator != "op" else op
            o = yield t, self._create(creator, self._new(p))
            if p.precontact and p.creator == "op":
                t += _m(r, 1, 4)
                o = yield t, lambda now: uc.pre_contact(uow(), op, o.number, r.choice(
                    ["已先行联系市民核实情况，市民情况属实。", "已跨前联系市民，安抚情绪并告知即刻派单。",
                     "已先行电话联系属地热线负责人，告知紧急情况。"]), now,
                    contacted="caller")
                t += _m(r, 1, 5)
            else:
                t += _m(r, 3, 40)
            op2 = self.operator(t)
            o = yield t, lambda now: uc.dispatch_order(uow(), op2, o.number, lead0, co0, now, note)
        else:
            o = yield t, self._create(op, self._new(p, lead0, co0, note))
        due = o.resolve_due_at
        assert due is not None
        if p.supervise:
            t += _m(r, 1, 10)
            sup = self.supervisor(t)
            o = yield t, lambda now: uc.supervise_order(uow(), sup, o.number, now, True, r.choice(
                ["特殊群体诉求，督办组持续跟进直至办结。", "紧急诉求，纳入督办。", "重点关注，每日跟进。"]))
        if p.wrong:
            t += _m(r, 5, 25) if p.urgency == "urgent" else _m(r, 10, 120)
            wrong_actor = self.handler(p.wrong)
            reason = self._return_reason(p)
            o = yield t, lambda now: uc.return_order(uow(), wrong_actor, o.number, reason, now)
            t += _m(r, 5, 40)
            op3 = self.operator(t)
            o = yield t, lambda now: uc.dispatch_order(uow(), op3, o.number, p.lead, p.co, now,
                                                       f"原派单位退回：{reason[:30]}；改派。")
        if p.stuck == "unaccepted":
            yield from self._chase(p, o, max(t, o.accept_due_at or t) + _m(r, 10, 60), due)
            return
        o = yield from self._work(p, o, t, due, first=True)
        if o is None:
            return
        # callback and close
        yield from self._finish(p, o)

    def _accept_delay(self, p: _Plan) -> timedelta:
        r = self.rng
        if p.urgency == "critical":
            return _m(r, 2, 12)
        if p.urgency == "urgent":
            return _m(r, 5, 30) if r.random() < 0.88 else _m(r, 30, 90)
        return timedelta(minutes=min(600, 8 + r.lognormvariate(3.4, 0.9)))

    def _feedback_at(self, p: _Plan, ta: datetime, due: datetime, late: bool) -> datetime:
        r = self.rng
        if p.urgency == "critical":
            tf = due + _m(r, 15, 150) if late else min(p.at + _m(r, 40, 110), due - _m(r, 3, 10))
        elif p.urgency == "urgent":
            tf = due + _m(r, 30, 720) if late else min(ta + _m(r, 120, 1200), due - _m(r, 15, 60))
        else:
            tf = due + _m(r, 60, 1440) if late else min(self.daytime(ta + _m(r, 180, 1800)), due - _m(r, 30, 120))
        return max(tf, ta + _m(r, 10, 25))

    def _work(self, p: _Plan, o: Order, t: datetime, due: datetime, first: bool):
        """Accept, act, report back. Returns the order after feedback (None when it stays open)."""
        r, uow = self.rng, self.box.uow
        lead = self.handler(p.lead)
        ta = t + self._accept_delay(p)
        if p.urgency == "normal":
            ta = self.daytime(ta)
        o = yield ta, lambda now: uc.accept_order(uow(), lead, o.number, now)
        late = p.late and first
        tf = self._feedback_at(p, ta, due, late)
        steps: list[tuple[datetime, str]] = []
        report_by = o.feedback_due_at  # first report-back (Putuo: 2 hours on urgent orders; 1 day otherwise)
        if report_by is not None and (tf > report_by or p.stuck) and r.random() < 0.92:
            steps.append((ta + max(report_by - ta, _MIN * 10) * r.uniform(0.3, 0.95), "progress"))
        elif p.progress:
            steps.append((ta + (tf - ta) * r.uniform(0.2, 0.8), "progress"))
        if p.co_progress and first:
            steps.append((ta + (tf - ta) * r.uniform(0.3, 0.7), "co_progress"))
        if p.urge and first:
            steps.append((ta + (tf - ta) * r.uniform(0.5, 0.9), "urge"))
        if late and r.random() < 0.5:
            steps.append((due + _m(r, 10, 60), "urge_late"))
        if p.ext and first:
            t_req = ta + (min(tf, due) - ta) * r.uniform(0.3, 0.6)
            t_dec = t_req + _m(r, 20, 150)
            extra = timedelta(hours=24 if p.urgency == "normal" else 12)
            steps += [(t_req, "ext_request"), (t_dec, "ext_decide")]
            if p.ext == "approve":
                tf = max(due + extra * r.uniform(0.2, 0.8), t_dec + _m(r, 10, 60))
            else:
                tf = max(tf, t_dec + _m(r, 10, 60))
        elif p.pause and first:
            t_pause = ta + _m(r, 20, 120)
            t_resume = self.daytime(t_pause + _m(r, 120, 600))
            steps += [(t_pause, "pause"), (t_resume, "resume")]
            tf = max(tf, t_resume + _m(r, 30, 180))
        if p.stuck:
            steps = [s for s in steps if s[1] == "progress"][:1]
        steps.sort(key=lambda s: s[0])
        last = ta
        for when, what in steps:
            when = max(when, last + _MIN)
            last = when
            o = yield when, self._phase_b(p, o, what, lead, due)
        if p.stuck:
            yield from self._chase(p, o, due + _m(r, 10, 90), due)
            return None
        tf = max(tf, last + _m(r, 5, 30))
        if p.resolved or not first:
            assert p.tpl is not None
            result = r.choice(p.tpl.fb).format(**p.slots)
            resolved = True
        else:
            result, resolved = "因客观原因暂无法完全解决，已向市民做好解释，后续持续跟进。", False
        o = yield tf, lambda now: uc.submit_feedback(uow(), lead, o.number, result, resolved, now)
        return o

    def _phase_b(self, p: _Plan, o: Order, what: str, lead: Actor, due: datetime) -> Callable[[datetime], Order]:
        r, uow, n = self.rng, self.box.uow, o.number
        if what == "progress":
            note = r.choice(PROGRESS_FIELD if p.channel in ("sensor", "video", "patrol") else PROGRESS)
            return lambda now: uc.add_progress(uow(), lead, n, note, now)
        if what == "co_progress":
            co = self.handler(p.co[0])
            note = r.choice(CO_PROGRESS)
            return lambda now: uc.add_progress(uow(), co, n, note, now)
        if what in ("urge", "urge_late"):
            who = self.actors["commander1"] if r.random() < 0.15 else None
            text = "已超时，请立即办结并反馈。" if what == "urge_late" else "请加快办理，尽快回复市民。"
            return lambda now: uc.urge_order(uow(), who or self.operator(now), n, now, text)
        if what == "ext_request":
            extra = timedelta(hours=24 if p.urgency == "normal" else 12)
            reason = r.choice(["需协调多个部门联合处置，申请延期。", "配件封控期间无法进场，申请延期。",
                               "需等待检测结果后答复市民，申请延期。"])

            def ask(now: datetime) -> Order:
                o = uc.request_extension(uow(), lead, n, due + extra, reason, now)
                p.ext_asked = True
                return o
            return ask
        if what == "ext_decide":
            approve = p.ext == "approve"
            reason = None if approve else "紧急时期不予延期，请按原时限办结。"

            def decide(now: datetime) -> Order:
                o = uc.decide_extension(uow(), self.supervisor(now), n, approve, now, reason)
                p.ext_approved = approve
                return o
            return decide
        if what == "pause":
            return lambda now: uc.pause_clock(uow(), lead, n, "多次联系市民未果，等待市民回电确认情况。", now)
        if what == "resume":
            return lambda now: uc.resume_clock(uow(), lead, n, now, "已联系上市民，恢复办理。")
        raise ValueError(what)

    def _chase(self, p: _Plan, o: Order, t: datetime, due: datetime):
        """An order the unit let slip: urged after its deadline, again a few hours later."""
        r, uow, n = self.rng, self.box.uow, o.number
        for i in range(r.randint(1, 3)):
            who = self.actors["commander1"] if i == 2 else self.supervisor(t)
            text = ["已超时，请立即签收处置并反馈。", "再次催办：请说明未办结原因。", "指挥长督促：今日内必须办结。"][i]
            o = yield t, (lambda w, x: lambda now: uc.urge_order(uow(), w, n, now, x))(who, text)
            t += _m(r, 120, 480)

    def _finish(self, p: _Plan, o: Order) -> Iterator[Step]:
        r, uow = self.rng, self.box.uow
        t = o.feedback_at or p.at
        if p.channel in ("sensor", "video", "patrol"):  # no caller to call back
            n = o.number
            yield t + _m(r, 5, 40), lambda now: uc.close_order(uow(), self.operator(now), n, now,
                                                               "设备/巡查发现类工单，经现场核实已处置完毕，无需回访。")
            return
        for round_ in (1, 2):
            tc = self.daytime(t + (_m(r, 10, 60) if p.urgency == "critical" else _m(r, 20, 300)))
            op = self.operator(tc)
            outcome = p.callback if round_ == 1 else r.choice(["satisfied", "satisfied", "basically_satisfied",
                                                                "unsat_solved"])
            n = o.number
            if outcome == "none":
                yield tc, lambda now: uc.close_order(uow(), op, n, now, "三次回访市民电话均无人接听，按规定结案。")
                break
            sat = {"unsat_solved": "unsatisfied", "unsat_reopen": "unsatisfied"}.get(outcome, outcome)
            solved = outcome != "unsat_reopen"
            cb_note = CALLBACK_NOTE[sat] + ("问题已解决，但对办理时效不满意。" if outcome == "unsat_solved" else
                                            "问题未解决，要求重办。" if not solved else "")
            o = yield tc, lambda now: uc.record_callback(uow(), op, n, sat, solved, now, cb_note)
            if solved:
                yield tc + _m(r, 1, 20), lambda now: uc.close_order(uow(), self.operator(now), n, now)
                break
            # reopened (重办): same unit, a fresh resolve window
            due = o.resolve_due_at
            assert due is not None
            o = yield from self._work(p, o, tc, due, first=False)
            if o is None:
                return
            t = o.feedback_at or tc
        for child in p.children:  # merged children closed with their parent
            if child.cur is not None and child.cur.state == State.MERGED:
                child.cur = child.cur.evolve(state=State.CLOSED)

    def _return_reason(self, p: _Plan) -> str:
        names = dict((c, n) for c, n, *_ in DEPARTMENTS)
        if p.lead in names:
            return RETURN_TO_DEPT.format(dept=names[p.lead])
        assert p.committee is not None
        if p.wrong and p.wrong.startswith("BJ-S"):
            return RETURN_TO_STREET.format(street=p.committee.street.name)
        return RETURN_LOCAL


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


# ------------------------------------------------------------------------------------ entry point


def seed_demo(box: Any, *, orders: int = 2000, seed: int = 2022, force: bool = False) -> str:
    """Seed the demo district once; returns a report with the login table.

    ``box`` is the container (``.uow()``, ``.now()``, ``.hasher``, ``.settings``). Without
    ``force``, an existing demo district is left alone. With ``force``, another batch of
    ``orders`` is added over the last 14 days (the org and users are reused).
    """
    if orders < 0:
        raise InvalidInput("orders 不能为负数 (orders must not be negative)", field="orders")
    started = _time.perf_counter()
    end = box.now()
    with box.uow() as uow:
        exists = uow.units.by_code(DISTRICT_CODE) is not None
    if exists and not force:
        return (f"演示数据已存在，未做任何改动 (the demo district {DISTRICT_NAME} is already seeded; nothing added — "
                f"use --force to add another batch of orders).\n\n" + _login_table())
    install_defaults(box.uow(), end)
    if not exists:
        _build_org(box, end)
    actors, unit_users = _load_people(box)

    rng = random.Random(seed)
    _streets, committees = _gazetteer()
    planner = _Planner(rng, end, box.settings.timezone, committees)
    plans = planner.plan(orders)
    sim = _Sim(box, rng, end, planner.start, actors, unit_users)
    for p in plans:
        sim.add(p, sim.life(p))
    sim.run()
    sim._sweep_to(end)
    final = sweep_until_idle(box.uow, box.now, 500)
    elapsed = _time.perf_counter() - started
    return _report(plans, planner, sim, final, box.now(), elapsed, created_org=not exists)


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def _report(plans: list[_Plan], planner: _Planner, sim: _Sim, final: SweepResult, now: datetime, elapsed: float,
            created_org: bool) -> str:
    made = [p for p in plans if p.cur is not None]
    n = len(made)
    cur = [p.cur for p in made]
    urg = Counter(str(o.urgency) for o in cur)
    ch = Counter(str(o.channel) for o in cur)
    states = Counter(str(o.state) for o in cur)
    epi = sum(p.epidemic for p in made)
    first = [p for p in made if p.at < planner.start + timedelta(days=3)]
    last = [p for p in made if p.at >= now - timedelta(days=3)]
    open_ = [o for o in cur if o.is_open and o.state != State.MERGED]
    overdue = [o for o in cur if o.overdue_at(now)]
    cb = Counter(str(o.satisfaction) for o in cur if o.satisfaction is not None)
    groups = sum(bool(o.special_groups) for o in cur)
    hot = [o for o in cur if str(o.urgency) in ("critical", "urgent")]
    hot_closed = sum(o.state in (State.CLOSED, State.TRANSFERRED) for o in hot)
    lines = [
        f"{DISTRICT_NAME} demo {'seeded' if created_org else 'batch added'} in {elapsed:.1f} s: "
        f"{n} orders over {DAYS} days ({planner.start:%Y-%m-%d %H:%M} → {now:%Y-%m-%d %H:%M} UTC)",
    ]
    if created_org:
        lines.append(f"组织 org: 1 区 · 1 城运中心 · {len(STREETS)} 街镇 · {len(_gazetteer()[1])} 居村 · "
                     f"{sum(k == 'department' for _, _, k, *_ in DEPARTMENTS)} 部门 · "
                     f"{sum(k == 'hospital' for _, _, k, *_ in DEPARTMENTS)} 医院 · {len(TEAMS)} 联动队伍 "
                     f"(含 {TEAM_SIZE} 人联动小分队) · {len(PEOPLE)} 用户")
    lines += [
        f"疫情类 epidemic share: {_pct(epi, n)} (first 3 days {_pct(sum(p.epidemic for p in first), len(first))}, "
        f"last 3 days {_pct(sum(p.epidemic for p in last), len(last))})",
        "紧急程度 urgency: " + ", ".join(f"{k} {urg[k]} ({_pct(urg[k], n)})" for k in ("critical", "urgent", "normal")),
        "渠道 channels: " + ", ".join(f"{k} {v}" for k, v in ch.most_common()),
        f"特殊群体 special groups: {groups} ({_pct(groups, n)})",
        "状态 states: " + ", ".join(f"{k} {v}" for k, v in states.most_common()),
        f"在办 open: {len(open_)}, of which overdue now 超时: {len(overdue)}",
        f"紧急+特急 urgent orders accepted / closed / remaining: {len(hot)} / {hot_closed} / {len(hot) - hot_closed}",
        f"回访 callbacks: " + ", ".join(f"{SATISFACTION_ZH[k]} {cb[k]}" for k in ("satisfied", "basically_satisfied",
                                                                                "unsatisfied")),
        f"退单 returned {sum(o.return_count > 0 for o in cur)}, 重办 reopened {sum(o.reopen_count > 0 for o in cur)}, "
        f"延期 extensions {sum(p.ext_asked for p in made)} (approved {sum(p.ext_approved for p in made)}), "
        f"催办 urged {sum(o.urge_count > 0 for o in cur)}, 督办 supervised {sum(o.supervised for o in cur)}, "
        f"合并 merged {sum(p.merged for p in made)}, 直接答复 direct replies {sum(p.kind == 'direct' for p in made)}, "
        f"流转市级 transferred {sum(p.transferred for p in made)}",
        f"截止时限 deadline sweeps: {sim.sweeps + 1} runs, {sim.swept.steps + final.steps} steps fired "
        f"(reminders, warnings, overdue alarms, escalations), {sim.swept.notices + final.notices} notices",
    ]
    if sim.errors:
        lines.append(f"WARNING: {len(sim.errors)} steps refused, e.g. {sim.errors[0]}")
    return "\n".join(lines) + "\n\n" + _login_table()


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
