"""Text helpers for triage: normalisation, script detection, sentence/clause splitting.

Pure functions on strings; no I/O.
"""
from __future__ import annotations

import re
import unicodedata

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE_RE = re.compile(r"\s+")
# Sentence ends (after NFKC the full-width ！？；become ASCII, 。 stays).
SENTENCE_BREAK = re.compile(r"[。！？!?；;\n]+")
# Clause boundaries: sentence ends plus commas and enumeration marks.
CLAUSE_BREAK = re.compile(r"[。！？!?；;\n，,、：:]+")


def normalize(text: str) -> str:
    """NFKC (full-width digits/letters to ASCII), drop control characters, squeeze spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def cjk_count(text: str) -> int:
    return len(_CJK_RE.findall(text))


def has_enough_chinese(text: str, minimum: int = 2) -> bool:
    return cjk_count(text) >= minimum


def truncate(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut ``text`` to ``max_chars`` characters; returns (text, was_truncated)."""
    if max_chars > 0 and len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def span_of(pattern: re.Pattern[str], text: str, pos: int) -> tuple[int, int]:
    """The [start, end) of the piece of ``text`` around ``pos`` delimited by ``pattern``."""
    start = 0
    for m in pattern.finditer(text, 0, pos):
        start = m.end()
    m = pattern.search(text, pos)
    end = m.start() if m else len(text)
    return start, end
