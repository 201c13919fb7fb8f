"""Where the demo district's orders happen: the district, its 9 streets/towns with their roads, the
71 residents' committees and villages with their compounds, and the postal addresses written on orders.

``_gazetteer()`` turns the fixed spec into ``_Street``/``_Committee`` records (the org tree and the
demo gazetteer CSV use the same codes); ``address`` writes an address inside a committee's patch.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

DISTRICT_CODE = "BJ"
DISTRICT_NAME = "滨江示范区"

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


def address(rng: random.Random, c: _Committee, s: dict) -> str:
    """An address in committee ``c`` (a village group, or a lane, building and room in one of its
    compounds), using the order's slots ``s``."""
    if c.village:
        return f"{DISTRICT_NAME}{c.street.name}{c.name}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    return (f"{DISTRICT_NAME}{c.street.name}{c.road}{c.lane0 + rng.randint(0, 30)}弄"
            f"{s['bld']}号{s['room']}室（{s['compound']}）")
