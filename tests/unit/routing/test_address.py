from __future__ import annotations

import pytest

from cityops.domain.routing.address import chinese_to_int, house_number_at, normalize_address, road_stem


@pytest.mark.parametrize("raw, folded", [
    ("望潮路88弄3号502室", "望潮路88弄3号502室"),
    ("望潮路８８弄３号５０２室", "望潮路88弄3号502室"),          # full-width digits
    ("望潮路八十八弄三号", "望潮路88弄3号"),                    # Chinese numerals before 弄/号
    ("滨江花园二期十二号楼", "滨江花园2期12号楼"),
    ("幸福村第五组", "幸福村第5组"),
    ("望潮路一百零五号", "望潮路105号"),
    ("  望潮路 88 弄（滨江花园） ", "望潮路88弄滨江花园"),        # spaces and brackets
    ("望潮路88弄3#", "望潮路88弄3号"),
    ("望潮路88號", "望潮路88号"),
    ("ABC公寓", "abc公寓"),
])
def test_addresses_fold_to_one_form(raw, folded):
    assert normalize_address(raw) == folded


def test_a_numeral_inside_a_name_is_left_alone():
    assert normalize_address("新港一苑") == "新港一苑"
    assert normalize_address("新港二小区") == "新港二小区"


@pytest.mark.parametrize("text, value", [("八十八", 88), ("十二", 12), ("十", 10), ("一百零五", 105),
                                         ("五零二", 502), ("两", 2), ("三千二百", 3200), ("abc", None), ("", None)])
def test_chinese_numerals(text, value):
    assert chinese_to_int(text) == value


@pytest.mark.parametrize("text, number", [("88弄3号", 88), ("88号", 88), ("88支弄", 88), ("88-3", 88),
                                          ("近88号", 88), ("第88号", 88), ("88", 88), ("2期", None), ("街道", None)])
def test_the_house_number_after_a_road(text, number):
    assert house_number_at("望潮路" + text, 3) == number


def test_road_stems_drop_the_suffix_but_keep_two_characters():
    assert road_stem("望潮路") == "望潮"
    assert road_stem("娄湾公路") == "娄湾"
    assert road_stem("老街") is None
    assert road_stem("滨江花园") is None


def test_odd_input_does_not_raise():
    assert normalize_address("") == ""
    assert normalize_address("\x00\x07🙂") == "🙂"
    assert len(normalize_address("路" * 10_000)) <= 400
