from __future__ import annotations


import pytest

from cityops.domain.triage.engine import MODEL_REASON, SAFETY_NET_REASON, TriageEngine
from cityops.domain.triage.rules import RuleSet
from cityops.domain.triage.tokenize import CharTokenizer, parse_userdict
from .fixtures import rules, tokenizer, trained_model, triager  # noqa: F401  (pytest fixtures)


class FixedModel:
    def __init__(self, probs):
        self.probs = probs
        self.calls = []

    def predict_proba(self, text, tokens):
        self.calls.append((text, list(tokens)))
        return self.probs


class BrokenModel:
    def predict_proba(self, text, tokens):
        raise RuntimeError("model exploded")


RULES = RuleSet.from_data(
    {
        "pattern_sets": {"calm": ["不急"]},
        "rules": [
            {"id": "dialysis", "kind": "urgency", "target": "critical", "patterns": ["透析"], "reason": "透析"},
            {"id": "calm", "kind": "urgency", "target": "normal", "effect": "cap", "patterns": ["@calm"], "reason": "不急"},
            {"id": "old", "kind": "special_group", "target": "elderly", "patterns": ["老人"], "reason": "老人"},
        ],
    }
)
CATEGORIES = FixedModel({"epi.medical": 0.6, "epi.access": 0.25, "city.other": 0.1, "city.noise": 0.05})


def engine(urgency=None, groups=None, category=CATEGORIES, **kw):
    return TriageEngine(RULES, category, CharTokenizer(), urgency_model=urgency, group_model=groups, model_version="test", **kw)


def test_rules_say_critical_so_it_is_critical_whatever_the_model_says():
    t = engine(FixedModel({"critical": 0.01, "urgent": 0.04, "normal": 0.95})).triage("我爸要透析，出不去")
    assert t.urgency == "critical"
    assert t.urgency_reasons == ("透析",)
    assert t.urgency_score >= 0.9


def test_the_model_may_raise_urgency_above_the_rules_and_says_so():
    t = engine(FixedModel({"critical": 0.7, "urgent": 0.2, "normal": 0.1})).triage("家里出事了快来人")
    assert t.urgency == "critical"
    assert t.urgency_reasons[0] == MODEL_REASON
    assert t.urgency_score == pytest.approx(0.7)


def test_below_the_threshold_critical_and_urgent_mass_gives_urgent():
    t = engine(FixedModel({"critical": 0.3, "urgent": 0.3, "normal": 0.4}), critical_threshold=0.5).triage("有点麻烦")
    assert t.urgency == "urgent"


def test_a_caller_who_says_it_is_not_urgent_caps_the_model_but_not_the_rules():
    middling = FixedModel({"critical": 0.1, "urgent": 0.6, "normal": 0.3})
    assert engine(middling).triage("不急，想问问配药").urgency == "normal"
    high = FixedModel({"critical": 0.9, "urgent": 0.05, "normal": 0.05})
    assert engine(high).triage("不急，就是透析的事").urgency == "critical"


# ---- safety net: a possible life-or-safety call never lands in the normal queue ---------

def test_safety_net_a_model_critical_call_that_a_cap_would_make_normal_stays_urgent():
    # no rule fires on this text; the caller's "不急" caps the model at normal
    t = engine(FixedModel({"critical": 0.9, "urgent": 0.05, "normal": 0.05})).triage("不急，想问问配药")
    assert t.urgency == "urgent"
    assert t.urgency_reasons[0] == SAFETY_NET_REASON
    assert "不急" in t.urgency_reasons          # the cap is shown too, for the operator
    assert "safety_net" in t.notes
    assert t.urgency_score >= 0.5


def test_safety_net_fires_exactly_at_the_critical_threshold_and_not_below():
    at = FixedModel({"critical": 0.35, "urgent": 0.0, "normal": 0.65})
    below = FixedModel({"critical": 0.34, "urgent": 0.0, "normal": 0.66})
    assert engine(at, critical_threshold=0.35).triage("不急，想问问配药").urgency == "urgent"
    t = engine(below, critical_threshold=0.35).triage("不急，想问问配药")
    assert t.urgency == "normal" and "safety_net" not in t.notes and SAFETY_NET_REASON not in t.urgency_reasons


def test_safety_net_leaves_a_quiet_normal_call_alone():
    t = engine(FixedModel({"critical": 0.02, "urgent": 0.08, "normal": 0.9})).triage("想问问配药的流程")
    assert t.urgency == "normal" and t.notes == ()


def test_a_hypothetical_critical_rule_is_still_at_least_urgent_under_a_cap():
    rules = RuleSet.from_data({"rules": [
        {"id": "fire", "kind": "urgency", "target": "critical", "patterns": ["着火"], "reason": "火情"},
        {"id": "calm", "kind": "urgency", "target": "normal", "effect": "cap", "patterns": ["不急"], "reason": "不急"},
    ]})
    low = FixedModel({"critical": 0.01, "urgent": 0.01, "normal": 0.98})
    t = TriageEngine(rules, CATEGORIES, CharTokenizer(), urgency_model=low, model_version="t").triage("不急，万一着火怎么办")
    assert t.urgency == "urgent" and "火情" in t.urgency_reasons
    past = TriageEngine(rules, CATEGORIES, CharTokenizer(), urgency_model=low, model_version="t").triage("不急，上个月着火烧了一户")
    assert past.urgency == "urgent" and "火情" in past.urgency_reasons


@pytest.mark.parametrize("text", [
    "不急，想问问配药",
    "不着急，我爸以前中风过，想问问康复",
    "先问问，透析的补贴已经办好了",
    "不急，楼道里堆满了纸箱万一着火怎么办",
])
def test_shipped_rules_with_a_model_that_says_critical_never_answer_normal(rules, text):  # noqa: F811
    high = FixedModel({"critical": 0.8, "urgent": 0.1, "normal": 0.1})
    t = TriageEngine(rules, CATEGORIES, CharTokenizer(), urgency_model=high, model_version="t").triage(text)
    assert t.urgency in ("urgent", "critical")


def test_category_is_the_top_three_best_first():
    t = engine().triage("想配药")
    assert t.category_codes == ("epi.medical", "epi.access", "city.other")
    assert t.top_category == "epi.medical"
    assert not t.low_confidence


def test_special_groups_come_from_rules_with_triggers_and_from_a_confident_model():
    groups = FixedModel({"child": 0.95, "pregnant": 0.3})
    t = engine(groups=groups).triage("家里有老人")
    flags = {g.code: g for g in t.special_groups}
    assert flags["elderly"].triggers == ("老人",) and flags["elderly"].source == "rule"
    assert flags["child"].source == "model" and "pregnant" not in flags


def test_one_text_is_tokenised_once_and_handed_to_the_models():
    cat, urg = FixedModel({"a": 1.0}), FixedModel({"normal": 1.0})
    engine(urg, category=cat).triage("我要配药")
    assert cat.calls == urg.calls and cat.calls[0][1] == ["我", "要", "配", "药"]


@pytest.mark.parametrize("text", ["", "   ", None, "😀😀🙏", "hello, my mother needs help", "12345", "\x00\x01"])
def test_odd_input_gives_a_low_confidence_answer_not_an_exception(text):
    t = engine().triage(text)
    assert t.low_confidence
    assert t.urgency in ("critical", "urgent", "normal")


def test_very_long_text_is_truncated_before_the_model_sees_it():
    text = "我家楼下每天晚上很吵。" * 1000  # 11,000 chars
    cat = FixedModel({"city.noise": 1.0})
    t = engine(category=cat, max_chars=500).triage(text)
    assert "truncated" in t.notes
    assert len(cat.calls[0][0]) == 500


def test_a_failing_model_is_noted_and_the_rules_still_answer():
    t = engine(urgency=BrokenModel(), category=BrokenModel()).triage("透析出不去")
    assert t.urgency == "critical"
    assert "category_model_failed" in t.notes and t.low_confidence


def test_an_unsure_category_is_flagged_low_confidence():
    flat = FixedModel({f"c{i}": 1 / 10 for i in range(10)})
    t = engine(category=flat).triage("这个事情怎么办")
    assert t.low_confidence and "uncertain_category" in t.notes


def test_to_dict_is_plain_json_data():
    import json

    d = engine().triage("家里老人要透析").to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False))["urgency"] == "critical"
    assert d["special_groups"][0]["triggers"] == ["老人"]


def test_user_dictionary_parsing_and_errors():
    words = parse_userdict("# comment\n核酸 2000 n\n封控\n居委 10\n")
    assert [(w.word, w.freq, w.tag) for w in words] == [("核酸", 2000, "n"), ("封控", None, None), ("居委", 10, None)]
    with pytest.raises(Exception, match="line 1"):
        parse_userdict("a 1 n extra")


def test_jieba_keeps_the_domain_words_whole(tokenizer):
    toks = tokenizer.tokens("居委通知明天做核酸，封控区不能出去，我爸要透析")
    for word in ("居委", "核酸", "封控区", "透析"):
        assert word in toks
    assert "，" not in toks and "," not in toks


# ---- with the real trained model -------------------------------------------------------------

def test_real_triager_handles_a_dialysis_call(triager):
    t = triager.triage("我老公尿毒症，每周一三五透析，今天小区封了门卫不让出去")
    assert t.urgency == "critical" and "透析" in t.urgency_reasons
    assert "epi.medical" in t.category_codes
    assert "patient" in t.special_group_codes
    assert t.model_version.startswith("tfidf")


def test_real_triager_recognises_an_ordinary_noise_complaint(triager):
    t = triager.triage("对面工地每天半夜还在打桩，吵得睡不着觉")
    assert t.top_category == "city.noise"
    assert t.urgency != "critical"


@pytest.mark.parametrize("text", ["", "😀" * 50, "The lift is broken again", "我家 lift 坏了 again 😡", "字" * 10_000])
def test_real_triager_survives_odd_input(triager, text):
    t = triager.triage(text)
    assert len(t.category) == 3
    if not text.startswith("字") and "我家" not in text:
        assert t.low_confidence


def test_model_save_and_load_round_trip(trained_model, rules, tokenizer, tmp_path):
    from cityops.adapters.triage.model import TriageModel, build_engine

    path = trained_model.save(tmp_path / "m.joblib")
    loaded = TriageModel.load(path)
    assert loaded.version == trained_model.version
    a = build_engine(trained_model, rules, tokenizer).triage("小区垃圾三天没人收了")
    b = build_engine(loaded, rules, tokenizer).triage("小区垃圾三天没人收了")
    assert a.category_codes == b.category_codes
    assert [s for _, s in a.category] == pytest.approx([s for _, s in b.category])


def test_loading_something_else_is_refused(tmp_path):
    import joblib

    from cityops.adapters.triage.model import TriageModel

    joblib.dump({"format": 999}, tmp_path / "x.joblib")
    with pytest.raises(ValueError):
        TriageModel.load(tmp_path / "x.joblib")


def test_extra_examples_change_the_version(tokenizer):
    from cityops.adapters.triage.data import LabelledExample, load_corpus
    from cityops.adapters.triage.model import model_version

    corpus = load_corpus()
    extra = LabelledExample("新的一条纠正过的工单", "city.other", "normal")
    assert model_version(corpus) != model_version(corpus + [extra])
    assert model_version(corpus) == model_version(list(reversed(corpus)))


def test_fast_probabilities_equal_sklearn(trained_model, tokenizer):
    import numpy as np

    from cityops.adapters.triage.model import FastProba

    feat = trained_model.featurizer
    texts = ["我老公尿毒症要透析", "楼上装修太吵", "小区门口不让进", "", "hello"]
    x = feat.transform(texts, [tokenizer.tokens(t) for t in texts])
    models = [trained_model.category.clf, trained_model.urgency.clf, *trained_model.groups.models.values()]
    for clf in models:
        fast = FastProba(clf)
        assert fast.ok
        np.testing.assert_allclose(fast.predict_proba(x), clf.predict_proba(x), rtol=1e-9, atol=1e-12)
