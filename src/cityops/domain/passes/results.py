"""Test results from a CSV file (核酸检测结果导入), checked row by row.

Columns, by their Chinese or English header: 身份证号/id_number, 姓名/name, 采样时间/sample_time,
检测结果/result, 检测类型/test_type, 采样点/site, 试管编码/tube_id. The ID number is hashed as soon
as it is read (``hash_id``); the name is kept masked. Values use the vocabulary of the shared
``test_results`` table: result negative | positive | pending; test type pooled | single | home |
antigen | pcr. Every refused row is reported with its line, field and reason; nothing is dropped
silently.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from ..errors import InvalidInput
from ..org import mask_name
from ..people import checked_id_number

ALIASES = {
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "id_number", "id"),
    "name": ("姓名", "受检者姓名", "name"),
    "sample_time": ("采样时间", "采集时间", "sample_time", "sampled_at"),
    "result": ("检测结果", "结果", "核酸结果", "result"),
    "test_type": ("检测类型", "检测方式", "采样方式", "test_type", "type"),
    "site": ("采样点", "采样地点", "采样机构", "site"),
    "tube_id": ("试管编码", "管码", "试管条码", "tube_id", "tube"),
}
REQUIRED = ("id_number", "sample_time", "result")
RESULTS = {"阴性": "negative", "negative": "negative", "neg": "negative", "未检出": "negative",
           "阳性": "positive", "positive": "positive", "pos": "positive", "检出": "positive",
           "待出": "pending", "待检": "pending", "检测中": "pending", "pending": "pending"}
TEST_TYPES = {"": "pooled", "混管": "pooled", "混采": "pooled", "10:1": "pooled", "10合1": "pooled",
              "pooled": "pooled", "单管": "single", "单采": "single", "单人单管": "single", "single": "single",
              "上门": "home", "上门采样": "home", "home": "home", "抗原": "antigen", "antigen": "antigen",
              "核酸": "pcr", "pcr": "pcr"}
MAX_ROWS = 200_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class RowProblem:
    line: int
    field: str | None
    message: str


@dataclass
class ParsedResults:
    rows: int = 0
    records: list[dict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates_in_file: int = 0


def parse_time(value: str, tz_offset_hours: int = 8) -> datetime:
    """2022-04-02 08:30[:00] or 2022/04/02 08:30 in local time (UTC+8 unless it says otherwise)."""
    v = value.strip().replace("/", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M%z"):
        try:
            dt = datetime.strptime(v, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone(timedelta(hours=tz_offset_hours)))
        return dt.astimezone(timezone.utc)
    raise ValueError("需要“年-月-日 时:分” (expected YYYY-MM-DD HH:MM)")


def decode_text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidInput("文件过大（最大 50 MB）(file too large: at most 50 MB)", field="file")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("文件编码无法识别（请用 UTF-8 或 GB18030）(use UTF-8 or GB18030)", field="file")


def parse_results_csv(data: bytes, *, hash_id: Callable[[str], str], now: datetime, source: str) -> ParsedResults:
    out = ParsedResults()
    reader = csv.reader(io.StringIO(decode_text(data)))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("文件为空 (the file is empty)", field="file") from None
    except csv.Error as e:
        raise InvalidInput(f"CSV 格式错误 (not a CSV file): {e}", field="file") from None
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        key = h.strip().lower()
        for fld, names in ALIASES.items():
            if key in names and fld not in index:
                index[fld] = i
    missing = [f for f in REQUIRED if f not in index]
    if missing:
        raise InvalidInput(f"缺少列 (missing columns): {', '.join(ALIASES[f][0] + '/' + f for f in missing)}",
                           field="file")
    seen: set[tuple] = set()
    line = 1
    try:
        for row in reader:
            line += 1
            if not any(c.strip() for c in row):
                continue
            out.rows += 1
            if out.rows > MAX_ROWS:
                raise InvalidInput(f"行数过多（最多 {MAX_ROWS} 行）(too many rows)", field="file")
            get = lambda f: row[index[f]].strip() if f in index and index[f] < len(row) else ""  # noqa: E731
            try:
                number = checked_id_number(get("id_number"))
            except InvalidInput as e:
                out.problems.append(RowProblem(line, "id_number", e.message))
                continue
            try:
                sample = parse_time(get("sample_time"))
            except ValueError as e:
                out.problems.append(RowProblem(line, "sample_time", f"采样时间无效 (bad sample time): {e}"))
                continue
            if sample > now + timedelta(minutes=10):
                out.problems.append(RowProblem(line, "sample_time", "采样时间晚于当前时间 (sample time in the future)"))
                continue
            result = RESULTS.get(get("result").lower())
            if result is None:
                out.problems.append(RowProblem(line, "result", f"检测结果“{get('result')}”无法识别（阴性/阳性/待出）"
                                                               " (result must be negative, positive or pending)"))
                continue
            raw_type = get("test_type")
            test_type = TEST_TYPES.get(raw_type.lower())
            if test_type is None:
                out.problems.append(RowProblem(line, "test_type", f"检测类型“{raw_type}”无法识别"
                                                                   " (test type: 混管/单管/上门/抗原/核酸)"))
                continue
            rec = {"id_hash": hash_id(number), "name_masked": mask_name(get("name"))[:100], "sample_time": sample,
                   "result": result, "test_type": test_type, "site": get("site")[:200],
                   "tube_id": get("tube_id")[:64], "source": source[:64]}
            key = (rec["id_hash"], sample, rec["tube_id"])
            if key in seen:
                out.duplicates_in_file += 1
                continue
            seen.add(key)
            out.records.append(rec)
    except csv.Error as e:
        out.problems.append(RowProblem(line, None, f"CSV 格式错误 (CSV error): {e}"))
    return out
