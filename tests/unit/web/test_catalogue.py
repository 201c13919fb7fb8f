"""Every string of the console goes through one catalogue, and zh-CN has all of them."""
import pytest

from cityops.domain.orders.lifecycle import RULES
from cityops.domain.orders.model import Channel, Satisfaction, State, Urgency
from cityops.domain.roles import Role
from cityops.entrypoints.web import i18n


@pytest.fixture(scope="module")
def zh():
    return i18n.read_catalogue("zh_CN")


def test_every_message_the_pages_use_has_a_chinese_translation(zh):
    missing = {m: where[0] for m, where in i18n.extracted_msgids().items()
               if zh.get(m) is None or not zh.get(m).string}
    assert missing == {}


@pytest.mark.parametrize("prefix, codes", [
    ("state", [s.value for s in State]), ("urgency", [u.value for u in Urgency]),
    ("channel", [c.value for c in Channel]), ("satisfaction", [s.value for s in Satisfaction]),
    ("role", [r.value for r in Role]), ("action", list(RULES)),
])
def test_every_code_shown_on_a_page_has_a_chinese_name(zh, prefix, codes):
    assert [c for c in codes if zh.get(f"{prefix}:{c}") is None] == []


def test_a_msgid_in_two_catalogue_files_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "zh_CN").mkdir()
    for name in ("a.po", "b.po"):
        (tmp_path / "zh_CN" / name).write_text('msgid "Queue"\nmsgstr "队列"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(ValueError, match="Queue"):
        i18n.read_catalogue("zh_CN")


def test_the_locale_comes_from_the_cookie_then_the_browser_then_defaults_to_chinese():
    assert i18n.pick_locale("en", "zh-CN") == "en"
    assert i18n.pick_locale(None, "en-US,en;q=0.9") == "en"
    assert i18n.pick_locale("fr", None) == "zh_CN"
    assert i18n.pick_locale(None, None) == "zh_CN"


def test_a_missing_code_label_falls_back_to_the_code_not_the_key():
    token = i18n.current_locale.set("zh_CN")
    try:
        assert i18n.label("state", "received") == "已受理"
        assert i18n.label("event", "no_such_kind") == "no_such_kind"
    finally:
        i18n.current_locale.reset(token)


@pytest.mark.parametrize("prefix, codes", [
    ("state", [s.value for s in State]), ("urgency", [u.value for u in Urgency]),
    ("channel", [c.value for c in Channel]), ("role", [r.value for r in Role]), ("action", list(RULES)),
])
def test_in_english_codes_have_names_not_raw_codes(prefix, codes):
    token = i18n.current_locale.set("en")
    try:
        assert [c for c in codes if i18n.label(prefix, c) == c] == []
    finally:
        i18n.current_locale.reset(token)
