"""Address text as operators type it: normalisation, Chinese numerals, house numbers. Pure.

The same :func:`normalize_address` is applied to the gazetteer's names and to the typed
address, so whatever it folds (full-width digits, 八十八弄 → 88弄, brackets, 號 → 号, case)
folds identically on both sides and substring matching stays exact.
"""
from __future__ import annotations

import re
import unicodedata

# Digits and magnitudes of Chinese numerals (小写; 大写 壹贰叁 are not used in addresses).
_CN_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
_CN_MAGNITUDE = {"十": 10, "百": 100, "千": 1000}
# Words that follow a number in an address: a Chinese numeral right before one of them is a
# number (八十八弄, 二期, 十二号楼, 第三组, 五零二室); elsewhere it is part of a name (新港一苑).
_NUMBERED = "支弄|弄|号|组|室|楼|幢|栋|座|期|单元|层|街坊|队|区"
_CN_NUMBER = re.compile(rf"([零〇○一二两三四五六七八九十百千]+)(?=(?:{_NUMBERED}))")
# Punctuation that never carries meaning in an address; hyphens and dashes become "-".
_DROP = dict.fromkeys(map(ord, " \t\r\n\u3000()[]{}<>（）【】〔〕《》「」『』〈〉\"'“”‘’`·•・,，。、;；:：!！?？"), None)
_FOLD = str.maketrans({"—": "-", "–": "-", "─": "-", "~": "-", "〜": "-", "_": "-", "#": "号",
                       "號": "号", "樓": "楼", "區": "区", "組": "组", "棟": "栋", "單": "单", "門": "门"})
# A house number right after a road name: 88弄 / 88号 / 88支弄 / 88-3 / 近88号 / 第88号 / 88 (at the end).
_HOUSE_NUMBER = re.compile(r"(?:近|靠近|第)?(\d{1,5})(?=支弄|弄|号|-|之|甲|乙|丙|附|旁|对面|门口|$)")
# Road suffixes, longest first: 望潮路 → 望潮 (operators drop the suffix: 望潮88弄).
ROAD_SUFFIXES: tuple[str, ...] = ("公路", "大道", "大街", "路", "街", "巷")
MAX_ADDRESS_CHARS = 400


def chinese_to_int(text: str) -> int | None:
    """八十八 → 88, 一百零五 → 105, 十二 → 12, 五零二 → 502 (digit by digit); None if not a numeral."""
    if not text or any(ch not in _CN_DIGIT and ch not in _CN_MAGNITUDE for ch in text):
        return None
    if not any(ch in _CN_MAGNITUDE for ch in text):
        return int("".join(str(_CN_DIGIT[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        else:
            total += (1 if digit is None else digit) * _CN_MAGNITUDE[ch]
            digit = None
    return total + (digit or 0)


def _numeral(m: re.Match[str]) -> str:
    value = chinese_to_int(m.group(1))
    return m.group(1) if value is None else str(value)


def normalize_address(text: str) -> str:
    """Fold an address (or a gazetteer name) to the form the gazetteer matches on.

    NFKC (full-width digits and letters), lower case, traditional forms of the address words,
    no spaces or brackets or punctuation except "-", Chinese numerals before 弄/号/组/期/楼… as
    digits.  ``"望潮路八十八弄３号（滨江花园）"`` → ``"望潮路88弄3号滨江花园"``.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text[: MAX_ADDRESS_CHARS * 2]).lower()
    text = text.translate(_FOLD).translate(_DROP)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if any(ch in _CN_DIGIT or ch in _CN_MAGNITUDE for ch in text):
        text = _CN_NUMBER.sub(_numeral, text)
    return text[:MAX_ADDRESS_CHARS]


def house_number_at(text: str, pos: int) -> int | None:
    """The house (or lane) number starting at ``pos`` of a normalised address, if any.

    In 望潮路88弄3号502室 the number on the road is 88 (the lane); 3 is a building inside it.
    """
    m = _HOUSE_NUMBER.match(text, pos)
    return int(m.group(1)) if m else None


def road_stem(name: str) -> str | None:
    """望潮路 → 望潮, 娄湾公路 → 娄湾; None when the stem would be shorter than two characters
    (老街 stays 老街) or the name has no road suffix."""
    for suffix in ROAD_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None
