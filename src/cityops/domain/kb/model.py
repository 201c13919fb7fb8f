"""Knowledge-base entries (口径): an official answer, valid for a window of time, versioned.

An entry is identified by ``id``; each change of wording is a new *version* of the same id
(version history).  Validity is the half-open window ``valid_from <= now < valid_to``
(``valid_to`` None = open-ended).  ``valid_to`` is the instant the answer stops being valid;
the importer turns a date-only 失效日期 "2022-03-31" into 2022-04-01 00:00 local time, i.e.
the answer is still valid throughout the 31st.

A newer version that is valid at ``now`` *supersedes* older ones even when they have no
``valid_to`` (see ``current_versions``): only the current wording is ever suggested.

All datetimes are timezone-aware (house rule); nothing here reads the clock.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from cityops.domain.errors import InvalidInput

MAX_QUESTION = 500
MAX_ANSWER = 4000
MAX_SOURCE = 200
MAX_KEYWORDS = 30
MAX_KEYWORD = 50
MAX_ID = 64
MAX_CATEGORY = 64

# Chinese names of the fields, for messages shown to admins (zh-CN first).
FIELD_NAMES = {
    "id": "编号",
    "question": "问题",
    "answer": "答复口径",
    "category": "类别",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
    "source": "来源",
    "version": "版本",
    "keywords": "关键词",
    "now": "当前时间",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an entry: the field it is about and a readable message."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class KbEntry:
    id: str
    question: str
    answer: str
    category: str
    valid_from: datetime
    valid_to: datetime | None = None
    source: str = ""
    version: int = 1
    keywords: tuple[str, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ validation

    def normalized(self) -> "KbEntry":
        """Whitespace trimmed, keywords de-duplicated (order kept), empty keywords dropped."""
        kws: list[str] = []
        for k in self.keywords or ():
            k = str(k).strip()
            if k and k not in kws:
                kws.append(k)
        return replace(
            self,
            id=str(self.id).strip(),
            question=(self.question or "").strip(),
            answer=(self.answer or "").strip(),
            category=(self.category or "").strip(),
            source=(self.source or "").strip(),
            keywords=tuple(kws),
        )

    def problems(self, known_categories: Iterable[str] | None = None) -> list[Problem]:
        """Everything wrong with this entry (empty list = valid).  Checks the trimmed values."""
        e = self.normalized()
        out: list[Problem] = []
        if not e.id:
            out.append(Problem("id", "编号不能为空 (id is empty)"))
        elif len(e.id) > MAX_ID:
            out.append(Problem("id", f"编号过长，最多 {MAX_ID} 字 (id longer than {MAX_ID})"))
        if not e.question:
            out.append(Problem("question", "问题不能为空 (question is empty)"))
        elif len(e.question) > MAX_QUESTION:
            out.append(Problem("question", f"问题过长：{len(e.question)} 字，最多 {MAX_QUESTION} 字 "
                                           f"(question has {len(e.question)} characters, at most {MAX_QUESTION})"))
        if not e.answer:
            out.append(Problem("answer", "答复口径不能为空 (answer is empty)"))
        elif len(e.answer) > MAX_ANSWER:
            out.append(Problem("answer", f"答复口径过长：{len(e.answer)} 字，最多 {MAX_ANSWER} 字 "
                                         f"(answer has {len(e.answer)} characters, at most {MAX_ANSWER})"))
        if not e.category:
            out.append(Problem("category", "类别不能为空 (category is empty)"))
        elif len(e.category) > MAX_CATEGORY:
            out.append(Problem("category", f"类别过长 (category longer than {MAX_CATEGORY})"))
        elif known_categories is not None and e.category not in set(known_categories):
            out.append(Problem("category", f"未知类别 {e.category!r} (unknown category)"))
        if len(e.source) > MAX_SOURCE:
            out.append(Problem("source", f"来源过长，最多 {MAX_SOURCE} 字 (source longer than {MAX_SOURCE})"))
        if len(e.keywords) > MAX_KEYWORDS:
            out.append(Problem("keywords", f"关键词过多，最多 {MAX_KEYWORDS} 个 (more than {MAX_KEYWORDS} keywords)"))
        elif any(len(k) > MAX_KEYWORD for k in e.keywords):
            out.append(Problem("keywords", f"单个关键词最多 {MAX_KEYWORD} 字 (a keyword is longer than {MAX_KEYWORD})"))
        if isinstance(e.version, bool) or not isinstance(e.version, int) or e.version < 1:
            out.append(Problem("version", f"版本须为正整数：{e.version!r} (version must be a positive integer)"))
        from_ok = isinstance(e.valid_from, datetime) and e.valid_from.tzinfo is not None
        if not isinstance(e.valid_from, datetime):
            out.append(Problem("valid_from", "生效日期缺失或无效 (valid_from is missing or not a datetime)"))
        elif e.valid_from.tzinfo is None:
            out.append(Problem("valid_from", "生效日期需要带时区 (valid_from needs a timezone)"))
        if e.valid_to is not None:
            if not isinstance(e.valid_to, datetime):
                out.append(Problem("valid_to", "失效日期无效 (valid_to is not a datetime)"))
            elif e.valid_to.tzinfo is None:
                out.append(Problem("valid_to", "失效日期需要带时区 (valid_to needs a timezone)"))
            elif from_ok and e.valid_to <= e.valid_from:
                out.append(Problem("valid_to", "失效日期早于（或等于）生效日期 (valid_to is not after valid_from)"))
        return out

    def validated(self, known_categories: Iterable[str] | None = None) -> "KbEntry":
        """The trimmed entry, or ``InvalidInput`` naming the first bad field (message lists all)."""
        problems = self.problems(known_categories)
        if problems:
            raise InvalidInput("; ".join(str(p) for p in problems), field=problems[0].field)
        return self.normalized()

    # ------------------------------------------------------------------ time

    def is_valid_at(self, now: datetime) -> bool:
        """``valid_from <= now < valid_to``.  ``now`` must be timezone-aware."""
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise InvalidInput("now 需要带时区的时间 (now must be a timezone-aware datetime)", field="now")
        if now < self.valid_from:
            return False
        return self.valid_to is None or now < self.valid_to

    def is_expired_at(self, now: datetime) -> bool:
        """True once ``valid_to`` has passed (a not-yet-valid entry is not expired)."""
        return self.valid_to is not None and now >= self.valid_to

    def revise(self, now: datetime, **changes) -> tuple["KbEntry", "KbEntry"]:
        """A new version from ``now``: returns (this version closed at ``now``, the new version).

        ``changes`` may set question, answer, category, source, keywords, valid_to, or a later
        valid_from.  The caller stores both and validates the new one (``validated()``).
        """
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise InvalidInput("now 需要带时区的时间 (now must be a timezone-aware datetime)", field="now")
        for key in ("id", "version"):
            if key in changes:
                raise InvalidInput(f"修订时不能修改 {key} ({key} cannot be changed by a revision)", field=key)
        start = changes.pop("valid_from", now)
        closed_at = min(start, self.valid_to) if self.valid_to is not None else start
        closed_at = max(closed_at, self.valid_from)  # a version that never started is closed at its start
        old = replace(self, valid_to=closed_at)
        new = replace(self, version=self.version + 1, valid_from=start, **changes)
        if "valid_to" not in changes and self.valid_to is not None and self.valid_to <= start:
            new = replace(new, valid_to=None)
        return old, new


def history(entries: Iterable[KbEntry], entry_id: str) -> list[KbEntry]:
    """All versions of one entry, oldest first."""
    return sorted((e for e in entries if e.id == entry_id), key=lambda e: e.version)


def current_versions(entries: Iterable[KbEntry], now: datetime) -> list[KbEntry]:
    """For each id, the highest version valid at ``now`` (ids with none valid are left out)."""
    best: dict[str, KbEntry] = {}
    for e in entries:
        if not e.is_valid_at(now):
            continue
        cur = best.get(e.id)
        if cur is None or e.version > cur.version:
            best[e.id] = e
    return sorted(best.values(), key=lambda e: e.id)
