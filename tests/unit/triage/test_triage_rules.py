from __future__ import annotations

import pytest

from cityops.domain.triage.rules import RuleError, RuleSet
from .fixtures import rules  # noqa: F401  (pytest fixtures)


def rule(**kw):
    base = {"id": "r1", "kind": "urgency", "target": "critical", "patterns": ["透析"], "reason": "透析"}
    base.update(kw)
    return base


# ---- the shipped rules -------------------------------------------------------------------

CRITICAL_PHRASES = [
    ("我老公尿毒症，每周三次透析，小区封了出不去", "透析"),
    ("我爸的降压药只剩两天的量了，社区医院关门", "药只够三天以内"),
    ("胰岛素昨天就打完了，今天还没打", "药已断/将断"),
    ("老婆预产期就这两天，刚才肚子一阵阵疼", "孕妇临产"),
    ("楼下电瓶车着火了，烟都冒到楼上了", "火情/燃气泄漏"),
    ("家里米和菜都吃完了，一点吃的都没有了", "断粮/没有吃的"),
    ("我们楼有阳性，到现在还没有拉警戒线", "警戒线/封控设置"),
    ("邻居说不想活了，要从阳台跳下去", "轻生风险"),
    ("我妈乳腺癌，下周二要去化疗", "化疗/放疗"),
    # the dev set's conventions (issue #3): medicine for three days or less, an arrival from
    # another province held at the gate or not reported, a fire lane blocked solid
    ("老伴的降糖药只剩三天了，药店都关着，我们两个都出不去", "药只够三天以内"),
    ("胰岛素还剩三针，社区医院说要等下周", "药只够三天以内"),
    ("女儿今天从江西坐高铁回来，到了小区门口保安不让进，说要居委同意", "外省来沪人员管控"),
    ("五楼那户前天从外地回来的，一直没去报备，天天下楼遛狗", "外省来沪人员管控"),
    ("我是开大货车的司机，在高速口下不了高速，已经在车上睡了两晚", "外省来沪人员管控"),
    ("南门被铁皮围死了，消防通道也被封死，里面六栋楼就这一条路", "消防通道堵死"),
    ("万一着火怎么办，东边的消防车道让铁马全挡住了", "消防通道堵死"),
]
URGENT_PHRASES = [  # matters for the day
    ("自己测的抗原出了两道杠，第二道很淡，要报给谁", "自测阳性/结果异常"),
    ("小程序上核酸结果显示异常，居委还没打电话来", "自测阳性/结果异常"),
    ("单位明天一早就要交复工证明，居委今天能开吗", "当天截止"),
]


@pytest.mark.parametrize("text, level, reason", [(t, "critical", r) for t, r in CRITICAL_PHRASES]
                         + [(t, "urgent", r) for t, r in URGENT_PHRASES])
def test_phrases_get_their_class_with_their_reason(rules, text, level, reason):
    outcome = rules.apply(text)
    assert outcome.urgency == level
    assert reason in outcome.urgency_reasons


@pytest.mark.parametrize(
    "text, reason",
    [
        # generic life-or-safety vocabulary (written from domain knowledge, issue #3)
        ("我爸坐在沙发上突然没有意识了，怎么叫都不行", "危及生命/急症"),
        ("老人一阵一阵透不过气来，嘴唇发白", "危及生命/急症"),
        ("我妈喘得连一句话都说不出来", "危及生命/急症"),
        ("手被玻璃划破了，血一直往外冒，按都按不住", "危及生命/急症"),
        ("我哥打电话说他活够了，现在电话关机", "轻生风险"),
        ("我妈一直哭，我担心她会做傻事", "轻生风险"),
        ("楼道里闻到很重的液化气，不知道哪家的", "火情/燃气泄漏"),
        ("家里的氧气瓶快空了，老人离不开氧", "吸氧/生命支持设备中断"),
        ("停电以后我爸的呼吸机停了", "吸氧/生命支持设备中断"),
        ("我们两口子都被拉去隔离了，家里只剩一个六岁的孩子", "儿童无人看护"),
        ("宝宝才两个月，今天发烧到三十八度", "小婴儿发烧"),
        ("独居的老太太在家门口跌倒了，两个人都扶不起来", "老人摔倒受伤"),
        ("孩子把一整瓶维生素都吃了", "受伤/中毒"),
        ("我老公癫痫，刚才全身抽了好几分钟", "抽搐/惊厥"),
        ("救护车到了小区门口，保安不开门", "需要救护车/病危"),
        # situations without stock words (batches written later by other hands)
        ("燃气公司上午来换过表，走了以后厨房一直有股怪味，我们连电灯开关都不敢碰", "火情/燃气泄漏"),
        ("刚进单元门就是一股臭鸡蛋味，越往楼上越浓", "火情/燃气泄漏"),
        ("爷爷在家靠呼吸机，整栋楼刚刚断电，备用电源只剩四十分钟", "吸氧/生命支持设备中断"),
        ("厂里冲床把他两根手指压断了，血一直止不住", "受伤/中毒"),
        ("他妈妈被转运去方舱了，瘫在床上的儿子家里就剩他一个，一天没人管了", "失能者无人照护"),
        ("江苏来沪求医的肿瘤病人在火车站等了七个钟头", "跨省特殊人群"),
        ("外婆有认知障碍，在超市一转身人就没了，附近都找遍了", "人员走失"),
    ],
)
def test_generic_emergency_vocabulary_is_critical(rules, text, reason):
    outcome = rules.apply(text)
    assert outcome.urgency == "critical", outcome
    assert reason in outcome.urgency_reasons


@pytest.mark.parametrize(
    "text",
    [
        "我爸以前中风过，现在恢复得还可以，想问问康复医院",
        "我奶奶之前晕倒过一次，想问问有没有上门量血压的服务",
        "楼上装修电钻一直响，吵得我想死",
        "孩子读高中，我们被拉去隔离了，他一个人在家上网课",
        "我爸在家吸氧，制氧机用了五年了，想问问以旧换新",
        "救护车半夜鸣笛太吵了，能不能管一管",
        "孩子前两天发烧已经好了，想问问复课要什么证明",
        # thanks, a worry that has not happened, a medicine that must not stop, pets,
        # and everyday words the situation patterns must not take for an emergency
        "我们这些人夹在中间两头受气，物业和开发商互相推",
        "楼上空调水滴打在身上，说了好几次也不管",
        "物业拖了三个月都不动，楼道灯还是不亮",
        "公司除了底薪什么都没发，加班费也没有",
        "保安在门岗用打火机点了根烟",
        "药店到处都找遍了也买不到这个药，还够吃一个礼拜",
        "感谢派出所的民警，我八十多岁的老母亲走丢了，是他们半夜找到的",
        "上周我家厨房着火，消防员五分钟就到了，想表扬他们",
        "我爸七十八了有点糊涂，还没走丢过，想问防走失手环在哪里领",
        "恩替卡韦只剩五天的量，乙肝不能断药，互联网医院不配送",
        "猫粮还剩最后一顿，宠物店全关着",
        "网上说孕妇做核酸会引起宫缩，有没有这个说法",
        "老板昨天夜里把机器全搬空了，人不见了，工资一分没结",
        # mentions that are not an emergency now (2026-11-29)
        "我爸的阿司匹林还够吃四五天，能不能帮忙配一盒",
        "从外省回上海现在还要不要隔离，需要什么手续",
        "小区门口乱停车，把消防通道都占了",
        "单元门口地面的瓷砖断了两块，对面的减速带也断了半截",  # 地面 / 对面 are not noodles
        "米面还能撑三四天，就是蔬菜没了",
        "封控以后垃圾就没人来收了，垃圾房都满了",           # not an unguarded sealed building
        "工地晚上十点多还在打桩，现在还在打",               # building work, not a fight
        "我爸做血透，医院派车接送，现在一切正常，想问问报销",
        "我妈化疗已经全部做完了，想问复查要带什么证明",
        "狂犬疫苗第三针是下礼拜，社区医院还能打吗",
        "送快递被车撞了骨折，公司不肯出医药费",
        "楼下插线板以前冒过火花，想请物业来看看",
        "上礼拜楼道里有过一次煤气味，燃气公司已经查好了",
        "单位体检结果异常，想问去哪家医院复查",   # not a test for the virus
    ],
)
def test_look_alikes_of_the_emergency_vocabulary_are_not_critical(rules, text):
    assert rules.apply(text).urgency != "critical"


def test_a_worry_about_what_may_already_have_happened_is_not_a_hypothetical(rules):
    now = rules.apply("独居的老人一天没接电话，我担心她是不是晕倒了")
    assert now.urgency == "critical"
    assert not any(m.hypothetical for m in now.matches if m.rule_id == "u.life_threat")
    future = rules.apply("老人腿脚不好，担心会摔倒起不来")
    assert future.urgency == "urgent"
    assert any(m.hypothetical for m in future.matches)


def test_medicine_that_lasts_a_month_is_not_critical(rules):
    outcome = rules.apply("帮我妈问一下，她的降压药还有一个多月，到时候怎么配药")
    assert outcome.urgency != "critical"


def test_medicine_lasting_a_few_days_is_urgent(rules):
    outcome = rules.apply("我爸的药还剩五天，想让居委帮忙代配")
    assert outcome.urgency == "urgent"


def test_a_hypothetical_fire_is_urgent_not_critical(rules):
    outcome = rules.apply("楼道里堆满了纸箱，万一着火连逃生的路都没有")
    assert outcome.urgency == "urgent"
    assert any(m.hypothetical for m in outcome.matches)


@pytest.mark.parametrize(
    "text",
    [
        "上个月我们楼有人从天台跳下去了，天台门到现在还敞着，能不能让物业锁上",
        "前天停电那次我妈的制氧机停了半个钟头，还好后来来电了，想问能不能装个应急电源",
        "去年楼下着火烧了一户，现在楼道里又堆满了纸箱",
    ],
)
def test_a_past_emergency_counts_one_class_lower(rules, text):
    outcome = rules.apply(text)
    assert outcome.urgency == "urgent"
    assert any(m.hypothetical for m in outcome.matches if m.kind == "urgency")


@pytest.mark.parametrize(
    "text",
    [
        "我们楼有人站在天台边上要跳下去",
        "我爸上个月开始透析，现在小区封了出不去",
        "上次说好的透析接送车今天又没来",
    ],
)
def test_the_same_emergency_now_or_still_going_on_stays_critical(rules, text):
    assert rules.apply(text).urgency == "critical"


def test_a_match_that_counts_in_full_wins_over_an_earlier_demoted_one():
    rs = RuleSet.from_data([rule()])
    outcome = rs.apply("如果不透析人就不行了，明天一早就要去透析，保安不让出")
    assert outcome.urgency == "critical"
    assert not outcome.matches[0].hypothetical
    only_hypothetical = rs.apply("如果以后要透析，去哪家医院")
    assert only_hypothetical.urgency == "urgent" and only_hypothetical.matches[0].hypothetical


def test_past_markers_are_data_and_round_trip():
    rs = RuleSet.from_data({"past": ["那回"], "rules": [rule()]})
    assert rs.apply("那回透析晚了半天").urgency == "urgent"
    assert rs.apply("上个月透析晚了半天").urgency == "critical"  # not in this document's list
    assert RuleSet.from_data(rs.to_data()).past == ("那回",)


def test_thanks_for_past_help_with_dialysis_is_no_dialysis_call(rules):
    assert rules.apply("谢谢你们上回帮我爸联系透析的车，这次想问问什么时候解封").urgency == "normal"


def test_a_thank_you_call_caps_the_model_at_urgent(rules):
    outcome = rules.apply("特地打个电话谢谢你们，上回我妈的药第二天就配到了")
    assert outcome.urgency_cap == "urgent"
    assert outcome.urgency != "critical"


def test_a_planned_outage_for_home_oxygen_is_urgent_not_critical(rules):
    assert rules.apply("我妈在家用制氧机，通知说后天要停电检修一天").urgency == "urgent"


def test_caller_saying_not_urgent_sets_a_cap(rules):
    outcome = rules.apply("不是急事，就是想问问以后配药的流程")
    assert outcome.urgency_cap == "normal"
    assert outcome.urgency == "normal"


def test_negated_special_groups_are_not_flagged(rules):
    outcome = rules.apply("家里没有老人小孩，就我们两个年轻人，想问团购的事")
    assert "elderly" not in outcome.special_groups
    assert "child" not in outcome.special_groups


def test_a_negator_further_away_does_not_cancel_the_flag(rules):
    outcome = rules.apply("楼里没人照顾的独居老人怎么办")
    assert outcome.special_groups["elderly"]


@pytest.mark.parametrize(
    "text, group, trigger",
    [
        ("我妈七十多了一个人住", "elderly", "七十多了"),
        ("我外公92了，住在老公房", "elderly", "92了"),
        ("老公尿毒症每周三次", "patient", "尿毒症"),
        ("预产期就这两天", "pregnant", "预产期"),
        ("宝宝才八个月，一直在哭", "child", "宝宝"),
        ("我儿子五岁，发烧了", "child", "五岁"),
        ("我哥是坐轮椅的", "disabled", "轮椅"),
    ],
)
def test_special_groups_are_flagged_with_their_trigger(rules, text, group, trigger):
    outcome = rules.apply(text)
    assert trigger in outcome.special_groups[group]


@pytest.mark.parametrize(
    "text, group",
    [
        ("我和孩子他爸都在上班，想问问误工证明", "child"),
        ("菜价八十多块一斤，太贵了", "elderly"),
        ("我备孕中，想问下叶酸哪里买", "pregnant"),
        ("我二十五岁，在上海打工", "child"),
    ],
)
def test_look_alike_words_do_not_flag(rules, text, group):
    assert group not in rules.apply(text).special_groups


def test_most_urgent_class_wins_and_its_reasons_come_first(rules):
    outcome = rules.apply("家里停电了，我爸要透析")
    assert outcome.urgency == "critical"
    assert outcome.urgency_reasons[0] == "透析"


def test_full_width_digits_are_normalised(rules):
    assert rules.apply("我外婆９０岁了").special_groups.get("elderly")


# ---- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "bad, message",
    [
        (rule(kind="category"), "'kind'"),
        (rule(target="soon"), "'target'"),
        (rule(kind="special_group", target="critical"), "'target'"),
        (rule(patterns=[]), "'patterns'"),
        (rule(patterns="("), "bad patterns pattern"),
        (rule(reason=""), "'reason'"),
        (rule(unless=["[a-"]), "bad unless pattern"),
        (rule(effect="cap", kind="special_group", target="elderly"), "cap"),
        (rule(patterns=["a?"]), "empty text"),
        (rule(patterns=["@missing"]), "unknown pattern set"),
        (rule(colour="red"), "unknown field"),
        (rule(negatable="yes"), "'negatable'"),
    ],
)
def test_invalid_rules_are_refused_with_the_rule_id(bad, message):
    with pytest.raises(RuleError) as err:
        RuleSet.from_data({"rules": [bad]})
    assert "r1" in str(err.value)
    assert message in str(err.value)
    assert err.value.rule_id == "r1"


def test_rule_without_id_is_refused_by_position():
    with pytest.raises(RuleError, match="rule #2"):
        RuleSet.from_data([rule(), {"kind": "urgency"}])


def test_duplicate_rule_ids_are_refused():
    with pytest.raises(RuleError, match="duplicate"):
        RuleSet.from_data([rule(), rule()])


@pytest.mark.parametrize(
    "doc",
    [42, {"rules": "x"}, {"rules": [], "pattern_sets": {"calm": []}}, {"rules": [], "negators": "没"}, {"rules": [], "past": "去年"}],
)
def test_malformed_documents_are_refused(doc):
    with pytest.raises(RuleError):
        RuleSet.from_data(doc)


def test_a_bare_list_and_pattern_sets_are_accepted_and_round_trip():
    doc = {"pattern_sets": {"calm": ["不急"]}, "rules": [rule(unless=["@calm"])]}
    rs = RuleSet.from_data(doc)
    assert rs.rules[0].unless == ("不急",)
    again = RuleSet.from_data(rs.to_data())
    assert again.rules == rs.rules
    assert RuleSet.from_data([rule()]).apply("透析").urgency == "critical"


def test_unless_skips_a_match_in_the_same_sentence_only():
    rs = RuleSet.from_data([rule(unless=["补贴"])])
    assert rs.apply("透析的交通有没有补贴").urgency == "normal"
    assert rs.apply("问过补贴了。今天透析出不去").urgency == "critical"


def test_requires_needs_another_pattern_somewhere_in_the_text():
    rs = RuleSet.from_data([rule(patterns=["只剩两天"], requires=["药"])])
    assert rs.apply("隔离只剩两天了").urgency == "normal"
    assert rs.apply("药只剩两天了").urgency == "critical"


def test_shipped_rules_cover_every_urgency_and_group_target(rules):
    targets = {(r.kind, r.target) for r in rules.rules}
    for g in ("elderly", "pregnant", "child", "disabled", "patient"):
        assert ("special_group", g) in targets
    assert ("urgency", "critical") in targets and ("urgency", "urgent") in targets
