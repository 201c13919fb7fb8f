"""Test results (核酸检测结果) from the health side's daily files.

Columns: 身份证号/id_number  姓名/name  采样时间/sample_time  检测结果/result  采样点/site
试管编码/tube_id  检测类型/test_type. Pooled tubes (混管, ~10 people) share a tube id.
Hashed on arrival: the clear ID number never leaves this function; the name is kept masked.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..kb.importer import parse_datetime
from ..org import mask_name
from . import idnumber
from .sheet import RowError, cell_text, find_header, is_blank, merge_aliases, missing_columns_error

COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "id_number", "身份证号码", "证件号码", "公民身份号码", "idnumber", "id"),
    "name": ("姓名", "name", "受检者姓名"),
    "sample_time": ("采样时间", "sample_time", "采集时间", "采样日期", "sampled_at"),
    "result": ("检测结果", "result", "结果", "核酸结果"),
    "site": ("采样点", "site", "采样地点", "采样点位", "采样机构"),
    "tube_id": ("试管编码", "tube_id", "管码", "试管条码", "采样管编码", "tube"),
    "test_type": ("检测类型", "test_type", "检测方式", "类型", "采样方式"),
}
REQUIRED = ("id_number", "sample_time", "result")

NEGATIVE, POSITIVE, PENDING = "negative", "positive", "pending"
RESULTS: dict[str, str] = {
    "阴性": NEGATIVE, "negative": NEGATIVE, "neg": NEGATIVE, "-": NEGATIVE, "未检出": NEGATIVE,
    "阳性": POSITIVE, "positive": POSITIVE, "pos": POSITIVE, "+": POSITIVE, "检出": POSITIVE, "异常": POSITIVE,
    "待出": PENDING, "待检": PENDING, "检测中": PENDING, "pending": PENDING, "": PENDING,
}
TEST_TYPES: dict[str, str] = {
    "": "pooled", "混管": "pooled", "混采": "pooled", "10:1": "pooled", "10合1": "pooled", "pooled": "pooled",
    "单管": "single", "单采": "single", "单人单管": "single", "single": "single",
    "抗原": "antigen", "antigen": "antigen",
    "上门": "home", "上门采样": "home", "home": "home",
}


@dataclass(frozen=True)
class ResultRecord:
    line: int
    id_hash: str
    name_masked: str
    sample_time: datetime
    result: str
    test_type: str
    site: str
    tube_id: str


@dataclass
class ResultParse:
    records: list[ResultRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    duplicates_in_file: int = 0


def parse_results(rows: Sequence[Sequence[object]], *, hash_id: Callable[[str], str], now: datetime,
                  header_map: Mapping[str, Sequence[str]] | None = None, tz: str = "Asia/Shanghai",
                  progress: Callable[[int], None] | None = None) -> ResultParse:
    """Check every row; a sample time in the future or without a time of day is refused; the same
    (person, sample time, tube) twice in one file counts once."""
    out = ResultParse()
    if not rows or all(is_blank(r) for r in rows):
        out.errors.append(RowError(1, None, "empty_file", "文件为空", "the file is empty"))
        return out
    head, index = find_header(rows, merge_aliases(COLUMNS, header_map), REQUIRED)
    missing = [f for f in REQUIRED if f not in index]
    if head < 0 or missing:
        out.errors.append(missing_columns_error(missing or list(REQUIRED), COLUMNS, max(head, 0) + 1))
        return out
    seen: set[tuple[str, datetime, str]] = set()
    for n in range(head + 1, len(rows)):
        row = rows[n]
        if is_blank(row):
            continue
        out.rows += 1
        if progress is not None and out.rows % 1000 == 0:
            progress(1000)
        line = n + 1
        get = lambda f: row[index[f]] if f in index and index[f] < len(row) else None  # noqa: E731
        errors: list[RowError] = []
        number = idnumber.normalize(cell_text(get("id_number")))
        bad = idnumber.problem(number)
        if bad:
            errors.append(RowError(line, "id_number", bad[0], bad[1], bad[2]))
        sample = None
        try:
            sample, has_time = parse_datetime(get("sample_time"), tz)
            if not has_time:
                errors.append(RowError(line, "sample_time", "bad_date", "采样时间缺少时分（如 2022-04-02 08:30）",
                                       "the sample time needs a time of day (e.g. 2022-04-02 08:30)"))
            elif sample > now:
                errors.append(RowError(line, "sample_time", "bad_date", "采样时间晚于当前时间", "the sample time is in the future"))
        except ValueError as e:
            errors.append(RowError(line, "sample_time", "bad_date", f"采样时间无效：{e}", f"bad sample time: {e}"))
        raw_result = cell_text(get("result"))
        result = RESULTS.get(raw_result.lower())
        if result is None:
            errors.append(RowError(line, "result", "bad_result", f"检测结果“{raw_result}”无法识别（阴性/阳性/待出）",
                                   f"result {raw_result!r} is not one of negative/positive/pending"))
        raw_type = cell_text(get("test_type"))
        test_type = TEST_TYPES.get(raw_type.lower(), raw_type[:24] if raw_type else "pooled")
        if errors or sample is None or result is None:
            out.errors.extend(errors)
            continue
        rec = ResultRecord(line=line, id_hash=hash_id(number), name_masked=mask_name(cell_text(get("name")))[:100],
                           sample_time=sample, result=result, test_type=test_type, site=cell_text(get("site"))[:200],
                           tube_id=cell_text(get("tube_id"))[:64])
        key = (rec.id_hash, rec.sample_time, rec.tube_id)
        if key in seen:
            out.duplicates_in_file += 1
            continue
        seen.add(key)
        out.records.append(rec)
    if progress is not None:
        progress(out.rows % 1000)
    return out
