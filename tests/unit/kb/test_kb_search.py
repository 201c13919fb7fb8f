"""Searching the knowledge base: relevance on paraphrased calls, validity, versions, boost, robustness."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityops.domain.errors import InvalidInput
from cityops.domain.kb.search import KbIndex

from .conftest import NOW, at, entry

# How callers really put it (none of these is the wording of an entry) → the entry to suggest.
PARAPHRASES = [
    ("我家老人行动不便怎么做核酸", "KB-003"),
    ("我妈瘫痪在床下不了楼，核酸怎么办", "KB-003"),
    ("公司让我开封控期间的证明", "KB-020"),
    ("单位要我提供隔离期间的误工证明", "KB-020"),
    ("我爸是尿毒症要做血透，小区封了出不去", "KB-050"),
    ("抗原自测出现两道杠怎么办", "KB-007"),
    ("解除隔离的告知书丢了能补吗", "KB-021"),
    ("晚上楼上装修太吵了几点以后不能施工", "KB-080"),
    ("我们小区停水了什么时候来水", "KB-081"),
    ("政府发的物资包什么时候到", "KB-060"),
    ("我是超市员工要去上班，通行证怎么申请", "KB-030"),
    ("孩子发烧39度封控区怎么去医院", "KB-051"),
    ("高血压的药快吃完了怎么办", "KB-052"),
    ("有人在群里造谣在哪里举报", "KB-041"),
    ("核酸结果两天了还没出来", "KB-004"),
    ("家里老人不会用手机买菜", "KB-061"),
    ("宝宝奶粉快没了", "KB-062"),
    ("楼下超市偷偷开门营业", "KB-070"),
    ("小区垃圾三天没人收了", "KB-083"),
    ("封控期间公司扣我工资", "KB-084"),
]


@pytest.mark.parametrize("text,expected", PARAPHRASES)
def test_the_right_entry_comes_first_for_a_paraphrased_question(demo_index, text, expected):
    hits = demo_index.search(text, NOW)
    assert hits, text
    assert hits[0].entry.id == expected, [(h.entry.id, h.score) for h in hits]


def test_hits_are_sorted_and_say_which_words_matched(demo_index):
    hits = demo_index.search("我家老人行动不便怎么做核酸", NOW)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert {"老人", "行动不便", "核酸"} <= set(hits[0].matched_terms)
    assert "怎么" not in hits[0].matched_terms  # stop word


def test_an_unrelated_request_finds_nothing(demo_index):
    assert demo_index.search("我家楼下有人打麻将", NOW) == []


def test_an_expired_entry_is_found_while_valid_and_never_after(demo_index):
    text = "网上说全区要封城是不是真的"  # KB-040 was valid 18–27 March
    assert demo_index.search(text, at(2022, 3, 20))[0].entry.id == "KB-040"
    assert "KB-040" not in {h.entry.id for h in demo_index.search(text, NOW, limit=50, min_relative=0)}


def test_the_exact_question_of_an_expired_entry_does_not_bring_it_back(demo_index, demo_entries):
    expired = [e for e in demo_entries if e.valid_to is not None and e.valid_to <= NOW]
    assert len(expired) >= 4
    for e in expired:
        for hit in demo_index.search(e.question + e.answer[:40], NOW, limit=50):
            assert hit.entry.is_valid_at(NOW), (e.id, hit.entry.id)


@pytest.mark.parametrize("when", [at(2022, 2, 1), at(2022, 3, 19), at(2022, 3, 26), NOW, at(2022, 7, 1), at(2026, 1, 1)])
def test_no_hit_is_ever_outside_its_validity(demo_index, demo_entries, when):
    for e in demo_entries:
        hits = demo_index.search(e.question, when, limit=50)
        assert all(h.entry.is_valid_at(when) for h in hits)
        assert len({h.entry.id for h in hits}) == len(hits)  # one version per entry


def test_an_entry_not_yet_in_force_is_not_suggested(tokenizer):
    index = KbIndex.build([entry(valid_from=at(2022, 4, 1))], tokenizer=tokenizer)
    assert index.search("核酸采样点几点开放", at(2022, 3, 31)) == []
    assert len(index.search("核酸采样点几点开放", at(2022, 4, 1))) == 1


def test_only_the_current_version_is_suggested(demo_index):
    text = "核酸点几点开门"
    before = demo_index.search(text, at(2022, 3, 20))
    after = demo_index.search(text, NOW)
    assert (before[0].entry.id, before[0].entry.version) == ("KB-001", 1)
    assert (after[0].entry.id, after[0].entry.version) == ("KB-001", 2)  # v1 has no valid_to: superseded
    assert [h.entry.version for h in after if h.entry.id == "KB-001"] == [2]
    ninth = demo_index.search("密接要隔离几天", at(2022, 7, 1))
    assert (ninth[0].entry.id, ninth[0].entry.version) == ("KB-010", 2)
    assert "7天集中隔离" in ninth[0].entry.answer


def _twins(tokenizer) -> KbIndex:
    return KbIndex.build([
        entry("A", question="封控期间怎么开证明", answer="请联系居委会。", category="epi.certificate"),
        entry("B", question="封控期间怎么开证明", answer="请联系居委会。", category="epi.medical"),
        entry("C", question="噪音扰民几点以后不能施工", answer="夜间禁止施工。", category="city.noise"),
    ], tokenizer=tokenizer)


def test_a_category_boost_lifts_entries_of_that_category_without_filtering_others(tokenizer):
    index = _twins(tokenizer)
    plain = index.search("封控期间开证明", NOW)
    assert [h.entry.id for h in plain] == ["A", "B"] and plain[0].score == plain[1].score
    boosted = index.search("封控期间开证明", NOW, category="epi.medical")
    assert [h.entry.id for h in boosted] == ["B", "A"]
    assert boosted[0].score == pytest.approx(plain[0].score * 1.5, rel=1e-3)
    assert [h.entry.id for h in index.search("封控期间开证明", NOW, category="city.noise")] == ["A", "B"]


def test_the_category_boost_can_reorder_the_demo_answers(demo_index):
    text = "封控期间去医院需要什么证明"
    assert demo_index.search(text, NOW)[0].entry.category != "epi.certificate"
    assert demo_index.search(text, NOW, category="epi.certificate")[0].entry.id == "KB-020"


def test_a_word_inside_a_longer_indexed_word_is_found_through_bigrams(tokenizer):
    index = KbIndex.build(
        [entry("A", question="行动不便者如何申请上门采样", answer="请联系居委会登记。", category="epi.testing"),
         entry("B", question="噪音扰民怎么办", answer="请拨打12345。", category="city.noise")],
        tokenizer=tokenizer,
    )
    hits = index.search("采样点在哪里", NOW)  # 采样点 is not a word of the index; its bigram 采样 is
    assert [h.entry.id for h in hits] == ["A"] and "采样" in hits[0].matched_terms


def test_the_limit_is_respected(demo_index):
    assert len(demo_index.search("核酸", NOW, limit=2)) == 2
    assert demo_index.search("核酸", NOW, limit=0) == []
    assert len(demo_index.search("核酸", NOW, limit=100, min_relative=0)) > 5


def test_an_empty_index_finds_nothing():
    assert KbIndex.build([]).search("核酸", NOW) == []


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", None, 12345, b"\xe6\xa0\xb8", ["核酸"], "😀🎉🙏", "😷😷😷！！！", "hello, how do I get tested?",
     "１２３４５", "!!!???。。。", "\x00\x01\x02", "'; DROP TABLE kb; --", "ｈｅｌｌｏ", "ー・ー", "ᠮᠣᠩᠭᠣᠯ", "안녕하세요"],
)
def test_empty_emoji_or_non_chinese_text_gives_an_empty_list(demo_index, text):
    assert demo_index.search(text, NOW) == []


def test_very_long_or_odd_chinese_text_is_handled(demo_index):
    assert demo_index.search("核酸" * 20000, NOW)  # truncated, still found
    assert isinstance(demo_index.search("核\u0000酸\ud800检测", NOW), list)
    assert isinstance(demo_index.search("的了吗呢啊", NOW), list)  # stop words only
    assert demo_index.search("的了吗呢啊", NOW) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_gives_a_list_of_valid_hits(demo_index, text):
    hits = demo_index.search(text, NOW)
    assert all(h.entry.is_valid_at(NOW) and h.score > 0 for h in hits)


def test_searching_with_a_naive_now_is_refused(demo_index):
    with pytest.raises(InvalidInput) as err:
        demo_index.search("核酸", datetime(2022, 4, 12))
    assert err.value.field == "now"


def test_a_rebuild_reuses_the_tokens_of_unchanged_texts(demo_index, demo_entries):
    class Counting:
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def tokens(self, text):
            self.calls += 1
            return self.inner.tokens(text)

    tk = Counting(demo_index._tokenizer)
    first = KbIndex.build(demo_entries, tokenizer=tk)
    n = tk.calls
    changed = [replace(demo_entries[0], answer="新的答复口径：采样点暂停开放。")] + demo_entries[1:]
    second = KbIndex.build(changed, tokenizer=tk, reuse=first)
    assert tk.calls == n + 1
    assert second.search("采样点暂停开放", at(2022, 3, 5))[0].entry.answer.startswith("新的答复口径")


def test_two_thousand_entries_still_rank_the_right_answer_first(demo_entries, tokenizer):
    # speed is measured by bench/kb_search.py, not here; this checks the ranking holds at that size
    streets = ["望潮路街道", "东湖镇", "观澜街道", "银杏路街道", "新港街道", "柳岸街道", "青石镇", "鹭洲街道", "云湾镇"]
    many = []
    for k in range(2000 // len(demo_entries) + 1):
        s = streets[k % len(streets)]
        for e in demo_entries:
            many.append(replace(e, id=f"{e.id}-{k}", question=f"{s}{k}号：{e.question}", answer=f"{e.answer}（{s}第{k}批）"))
    many = many[:2000]
    index = KbIndex.build(many, tokenizer=tokenizer)
    for text, expected in PARAPHRASES:
        hits = index.search(text, NOW)
        assert hits and hits[0].entry.id.rsplit("-", 1)[0] == expected, (text, hits[0].entry.id if hits else None)


def test_an_index_refuses_entries_with_naive_dates(tokenizer):
    with pytest.raises(InvalidInput) as err:
        KbIndex.build([entry(valid_from=datetime(2022, 3, 1))], tokenizer=tokenizer)
    assert err.value.field == "valid_from"
