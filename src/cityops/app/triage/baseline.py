"""A plain keyword baseline for triage, to measure the real engine against.

Category: the category whose hand-listed keywords occur most often (ties: list order;
none: ``city.other``).  Urgency: critical if one of a few obvious words occurs, else
normal.  Special groups: literal words only.  No model, no negation, no rules file.
"""
from __future__ import annotations

from cityops.domain.triage.engine import GroupFlag, Triage

BASELINE_VERSION = "keyword-baseline/v1"

CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "epi.isolation": ("居家隔离", "密接", "门磁", "封条", "健康监测"),
    "epi.testing": ("核酸", "抗原", "采样", "检测点", "混管"),
    "epi.isolation_site": ("方舱", "隔离点", "隔离酒店", "出舱"),
    "epi.access": ("出入", "门卫", "保安", "通行证", "不让出", "进不来"),
    "epi.policy": ("政策", "健康码", "谣言", "解封", "规定"),
    "epi.certificate": ("证明", "误工"),
    "epi.medical": ("配药", "医院", "透析", "化疗", "就医", "药"),
    "epi.supplies": ("买菜", "物资", "团购", "奶粉", "吃的"),
    "epi.violation": ("偷偷", "营业", "聚集", "涨价", "不戴口罩"),
    "city.environment": ("垃圾", "臭", "污水", "油烟"),
    "city.noise": ("噪音", "吵", "施工", "扰民"),
    "city.traffic": ("红绿灯", "道路", "停车", "公交", "路灯"),
    "city.utilities": ("停水", "停电", "燃气", "自来水", "电费"),
    "city.housing": ("物业", "漏水", "电梯", "房东"),
    "city.labour": ("工资", "辞退", "社保", "加班"),
    "city.market": ("退款", "商家", "质量", "过期", "假货"),
    "city.welfare": ("低保", "补贴", "养老", "救助"),
    "city.safety": ("着火", "煤气味", "打架", "走失", "消防"),
    "city.other": ("表扬", "感谢", "建议", "户口"),
}
CRITICAL_WORDS: tuple[str, ...] = ("救命", "急救", "120", "透析", "化疗", "没药", "断药", "断粮", "着火", "煤气味", "跳楼", "预产期", "晕倒")
GROUP_WORDS: dict[str, tuple[str, ...]] = {
    "elderly": ("老人",),
    "pregnant": ("孕妇",),
    "child": ("孩子",),
    "disabled": ("残疾",),
    "patient": ("透析",),
}


class KeywordBaseline:
    model_version = BASELINE_VERSION

    def triage(self, text: str) -> Triage:
        text = text if isinstance(text, str) else ""
        scores = {code: sum(text.count(w) for w in words) for code, words in CATEGORY_KEYWORDS.items()}
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])  # stable: ties keep list order
        total = sum(scores.values())
        if total == 0:
            ranked = [("city.other", 0)] + [kv for kv in ranked if kv[0] != "city.other"]
        category = tuple((code, (n / total) if total else 0.0) for code, n in ranked[:3])
        hits = tuple(w for w in CRITICAL_WORDS if w in text)
        groups = tuple(
            GroupFlag(code, tuple(w for w in words if w in text))
            for code, words in GROUP_WORDS.items()
            if any(w in text for w in words)
        )
        return Triage(
            category=category,
            urgency="critical" if hits else "normal",
            urgency_score=1.0 if hits else 0.5,
            urgency_reasons=hits,
            special_groups=groups,
            low_confidence=total == 0,
            model_version=BASELINE_VERSION,
        )
