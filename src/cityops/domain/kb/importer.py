"""Turning spreadsheet rows (CSV or XLSX, already read into lists of cells) into entries.

Pure: the adapter (``cityops.adapters.kb_files``) reads the file; this module finds the
header row (a title row above it is tolerated), maps Chinese or English column names,
parses dates in the usual formats, checks each row and reports bad rows by line number
with a readable reason.  Good rows are kept; a bad row never stops the import.

Columns (Chinese or English; a note in brackets such as "问题（必填）" is ignored)::

    编号/id  版本/version  问题/question  答复口径/答案/answer  类别/category
    生效日期/valid_from  失效日期/valid_to  来源/source  关键词/keywords

Required: question, answer, category, and valid_from unless ``default_valid_from`` is given.
Without an id column an entry's id is derived from its question (same question → same id);
without a version, the rows of one id are numbered in file order after any explicit ones.

Dates: 2022-03-25, 2022/3/25, 2022.3.25, 2022年3月25日, 20220325, with an optional time
(2022-03-25 08:00, 2022年3月25日8时30分), ISO 8601 with an offset, date/datetime objects
and Excel serial numbers.  Times without an offset are in ``tz`` (default Asia/Shanghai).
A 失效日期 given as a date (no time) means "valid through that day": the entry expires at
the next midnight.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from cityops.domain import cells
from cityops.domain.errors import InvalidInput
from cityops.domain.kb.model import FIELD_NAMES, KbEntry

HEADER_SCAN_ROWS = 5

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "口径编号", "id", "entryid", "code"),
    "version": ("版本", "版本号", "version", "ver"),
    "question": ("问题", "咨询问题", "常见问题", "标准问题", "question", "q"),
    "answer": ("答复口径", "答案", "答复", "口径", "回复口径", "标准答复", "answer", "a"),
    "category": ("类别", "分类", "类目", "category", "categorycode"),
    "valid_from": ("生效日期", "生效时间", "开始日期", "起始日期", "validfrom", "from", "start"),
    "valid_to": ("失效日期", "失效时间", "截止日期", "结束日期", "validto", "to", "until", "end"),
    "source": ("来源", "出处", "依据", "source"),
    "keywords": ("关键词", "关键字", "keywords", "keyword", "tags"),
}
REQUIRED = ("question", "answer", "category", "valid_from")
_ALIAS_TO_FIELD = {a: f for f, aliases in COLUMN_ALIASES.items() for a in aliases}
_KEYWORD_SPLIT = re.compile(r"[,，、;；|/\s]+")
_BRACKETS = re.compile(r"[(\[（【].*?[)\]）】]")


@dataclass(frozen=True)
class RowError:
    """One problem of one row: the line (1-based, as in the file), the field, the reason."""

    line: int
    reason: str
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"第{self.line}行"
        if self.field:
            where += f" {FIELD_NAMES.get(self.field, self.field)}"
        return f"{where}: {self.reason}"


class ImportResult(NamedTuple):
    entries: list[KbEntry]
    errors: list[RowError]


# ---------------------------------------------------------------------- cells


def cell_text(value: object) -> str:
    """A cell as trimmed text: None → "", 3.0 → "3", dates in ISO form.  The text itself is
    kept as written (an official answer's full-width punctuation is part of its wording)."""
    return cells.cell_text(value)


def _folded(value: object) -> str:
    """Cell text for matching: NFKC (full-width digits and letters to ASCII), lower case."""
    return unicodedata.normalize("NFKC", cell_text(value)).strip().lower()


def _header_key(value: object) -> str:
    s = _folded(value).lstrip("\ufeff")
    s = _BRACKETS.sub("", s)
    return re.sub(r"[\s*_\-:]+", "", s)


def map_header(cells: Sequence[object]) -> dict[str, int]:
    """Field → column index for the cells of a header row (first occurrence wins)."""
    out: dict[str, int] = {}
    for i, c in enumerate(cells):
        f = _ALIAS_TO_FIELD.get(_header_key(c))
        if f is not None and f not in out:
            out[f] = i
    return out


def find_header(rows: Sequence[Sequence[object]], scan: int = HEADER_SCAN_ROWS) -> tuple[int, dict[str, int]]:
    """Index (0-based) and mapping of the header row among the first ``scan`` non-empty rows.

    The header is the first row naming the question column and at least one other known
    column; rows above it (a title such as "滨江示范区防疫口径汇总表") are skipped.
    """
    seen = 0
    for i, row in enumerate(rows):
        if not any(cell_text(c) for c in row):
            continue
        seen += 1
        mapping = map_header(row)
        if "question" in mapping and len(mapping) >= 2:
            return i, mapping
        if seen >= scan:
            break
    raise InvalidInput(
        f"前 {scan} 行中找不到表头，需要包含“问题/question”“答复口径/answer”等列 "
        f"(no header row in the first {scan} rows; expected columns such as 问题/question, 答复口径/answer)",
        field="header",
    )


# ---------------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:时点]\s*(?:(\d{1,2})\s*(?:[:分]\s*(?:(\d{1,2})\s*秒?)?)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def parse_datetime(value: object, tz: tzinfo | str = "Asia/Shanghai") -> tuple[datetime, bool]:
    """(aware datetime, has_time).  Raises ``ValueError`` with a readable reason."""
    zone = _zone(tz)

    def finish(dt: datetime, has_time: bool) -> tuple[datetime, bool]:
        if not 1990 <= dt.year <= 2100:
            raise ValueError(f"年份超出范围 {dt.year} (year out of range)")
        return (dt.replace(tzinfo=zone) if dt.tzinfo is None else dt), has_time

    if isinstance(value, datetime):
        # spreadsheets give date cells as datetimes at midnight: treat those as dates
        return finish(value, value.tzinfo is not None or value.time() != time(0))
    if isinstance(value, date):
        return finish(datetime.combine(value, time(0)), False)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if v.is_integer() and 19900101 <= v <= 21001231:
            value = str(int(v))
        elif 20000 <= v <= 80000:  # Excel serial date (1900 date system)
            dt = _EXCEL_EPOCH + timedelta(days=v)
            dt = dt.replace(microsecond=0)
            return finish(dt, not v.is_integer())
        else:
            raise ValueError(f"无法识别的日期 {value!r} (not a date)")
    s = _folded(value).upper()
    if not s:
        raise ValueError("日期为空 (empty date)")
    m = _DATE_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        g = m.groups()
        y, mo, d = int(g[0]), int(g[1]), int(g[2])
        hh = int(g[3]) if len(g) > 3 and g[3] is not None else None
        mi = int(g[4]) if len(g) > 4 and g[4] is not None else 0
        ss = int(g[5]) if len(g) > 5 and g[5] is not None else 0
        try:
            dt = datetime(y, mo, d, hh or 0, mi, ss)
        except ValueError:
            raise ValueError(f"日期不存在 {s!r} (no such date)") from None
        return finish(dt, hh is not None)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"无法识别的日期 {s!r} (bad date; use e.g. 2022-03-25)") from None
    return finish(dt, len(s) > 10)


# ---------------------------------------------------------------------- rows


def derived_id(question: str) -> str:
    """A stable id from a question's text (whitespace and punctuation ignored)."""
    key = "".join(ch for ch in unicodedata.normalize("NFKC", question).lower() if ch.isalnum())
    return "kb-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def split_keywords(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for k in _KEYWORD_SPLIT.split(text or ""):
        k = k.strip()
        if k and k not in out:
            out.append(k)
    return tuple(out)


@dataclass
class _Pending:
    line: int
    fields: dict[str, object]
    version: int | None


def import_rows(
    rows: Iterable[Sequence[object]],
    *,
    known_categories: Iterable[str] | Mapping[str, str],
    category_aliases: Mapping[str, str] | None = None,
    tz: tzinfo | str = "Asia/Shanghai",
    default_valid_from: datetime | None = None,
    start_line: int = 1,
    header_scan: int = HEADER_SCAN_ROWS,
) -> ImportResult:
    """Entries from the good rows and one ``RowError`` per problem of the bad ones.

    ``rows``: every row of the sheet in order, empty ones included (so that line numbers
    match the file); the first row is line ``start_line``.  ``known_categories``: the
    category codes; a mapping code → name also accepts the names (核酸检测 → epi.testing).
    ``category_aliases``: more names → code.  Raises ``InvalidInput`` only for a problem of
    the whole file (no header row, a required column missing).
    """
    rows = [list(r) if r is not None else [] for r in rows]
    zone = _zone(tz)
    codes = set(known_categories)
    resolve: dict[str, str] = {_folded(c): c for c in codes}
    if isinstance(known_categories, Mapping):
        resolve.update({_folded(n): c for c, n in known_categories.items() if n})
    for name, code in (category_aliases or {}).items():
        if code in codes:
            resolve[_folded(name)] = code

    hi, cols = find_header(rows, header_scan)
    missing = [f for f in REQUIRED if f not in cols and not (f == "valid_from" and default_valid_from)]
    if missing:
        names = "、".join(f"{FIELD_NAMES[f]}/{f}" for f in missing)
        raise InvalidInput(f"缺少必需的列：{names} (missing required column)", field=missing[0])

    errors: list[RowError] = []
    pending: list[_Pending] = []
    for idx in range(hi + 1, len(rows)):
        line = start_line + idx
        row = rows[idx]

        def get(f: str, row: list = row) -> object:
            i = cols.get(f)
            return row[i] if i is not None and i < len(row) else None

        raw = {f: get(f) for f in cols}
        if not any(cell_text(v) for v in raw.values()):
            continue  # empty row (or only unmapped columns such as a 序号)
        errs: list[RowError] = []
        out: dict[str, object] = {}

        for f in ("question", "answer"):
            text = cell_text(raw.get(f))
            if not text:
                errs.append(RowError(line, f"缺少{FIELD_NAMES[f]} (missing {f})", f))
            out[f] = text

        cat = cell_text(raw.get("category"))
        if not cat:
            errs.append(RowError(line, "缺少类别 (missing category)", "category"))
        elif _folded(cat) not in resolve:
            errs.append(RowError(line, f"未知类别 {cat!r} (unknown category)", "category", cat))
        out["category"] = resolve.get(_folded(cat), cat)

        vf_raw = raw.get("valid_from")
        if not cell_text(vf_raw):
            if default_valid_from is not None:
                out["valid_from"] = default_valid_from
            else:
                errs.append(RowError(line, "缺少生效日期 (missing valid_from)", "valid_from"))
        else:
            try:
                out["valid_from"], _ = parse_datetime(vf_raw, zone)
            except ValueError as e:
                errs.append(RowError(line, f"生效日期错误：{e}", "valid_from", cell_text(vf_raw)))

        vt_raw = raw.get("valid_to")
        out["valid_to"] = None
        if cell_text(vt_raw):
            try:
                vt, has_time = parse_datetime(vt_raw, zone)
                out["valid_to"] = vt if has_time else vt + timedelta(days=1)
                vf = out.get("valid_from")
                if isinstance(vf, datetime) and out["valid_to"] <= vf:
                    errs.append(RowError(line, "失效日期早于生效日期 (valid_to before valid_from)", "valid_to",
                                         cell_text(vt_raw)))
            except ValueError as e:
                errs.append(RowError(line, f"失效日期错误：{e}", "valid_to", cell_text(vt_raw)))

        version: int | None = None
        vtext = _folded(raw.get("version")).lstrip("v")
        if vtext:
            if vtext.isdigit() and int(vtext) >= 1:
                version = int(vtext)
            else:
                errs.append(RowError(line, f"版本须为正整数 {vtext!r} (version must be a positive integer)",
                                     "version", vtext))

        out["source"] = cell_text(raw.get("source"))
        out["keywords"] = split_keywords(cell_text(raw.get("keywords")))
        out["id"] = cell_text(raw.get("id")) or (derived_id(out["question"]) if out["question"] else "")

        if not errs:  # the rules of the entry itself (lengths and the like)
            probe = KbEntry(
                id=out["id"], question=out["question"], answer=out["answer"], category=out["category"],
                valid_from=out["valid_from"], valid_to=out["valid_to"], source=out["source"],
                version=version or 1, keywords=out["keywords"],
            )
            for p in probe.problems(codes):
                errs.append(RowError(line, p.message, p.field))
        if errs:
            errors.extend(errs)
        else:
            pending.append(_Pending(line, out, version))

    # versions: explicit ones first, then the rows without one numbered in file order
    used: dict[str, dict[int, int]] = {}
    for p in pending:
        if p.version is not None:
            first = used.setdefault(p.fields["id"], {}).setdefault(p.version, p.line)
            if first != p.line:
                errors.append(RowError(p.line, f"与第{first}行重复：编号 {p.fields['id']} 版本 {p.version} "
                                               f"(duplicate of line {first})", "version"))
                p.version = -1
    entries: list[KbEntry] = []
    for p in pending:
        if p.version == -1:
            continue
        if p.version is None:
            taken = used.setdefault(p.fields["id"], {})
            p.version = max(taken, default=0) + 1
            taken[p.version] = p.line
        f = p.fields
        entries.append(
            KbEntry(
                id=f["id"], question=f["question"], answer=f["answer"], category=f["category"],
                valid_from=f["valid_from"], valid_to=f["valid_to"], source=f["source"],
                version=p.version, keywords=f["keywords"],
            ).normalized()
        )
    errors.sort(key=lambda e: e.line)
    return ImportResult(entries, errors)
