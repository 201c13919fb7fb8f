"""Gazetteer import from CSV text: good rows become entries, bad rows a readable report.

Pure: takes the text (a ``str`` or an iterable of lines, already decoded — the caller picks
UTF-8/UTF-8-BOM/GBK), never a file.  Headers may be Chinese or English, in any order, and
bilingual headers such as ``名称/name`` or ``居委编码(committee)`` are accepted:

=========  ==================  =====================================================
column     headers             value
=========  ==================  =====================================================
type       类型 / type          道路 路段 road · 小区 村 compound · 边界 区域 polygon
name       名称 / name          road name, compound name, or a label of the boundary
aliases    别名 / aliases       separated by 、 ; , (full-width too)
road       道路 / road          optional: the road a compound stands on
from, to   起号 / 止号          house-number range (empty: the whole road); 88 or 88号
parity     单双 / parity        单/双/全 or odd/even/all (empty: all)
committee  居委编码 / committee  the committee's unit code
polygon    经纬度边界 / polygon "121.47,31.23;121.48,31.23;…" (lng,lat pairs; ≥ 3)
=========  ==================  =====================================================

Every problem is a :class:`RowError` with the line number (header = line 1), the column and
a reason in Chinese and English; a row with any problem is left out, the others are kept.
Blank lines and lines starting with ``#`` are skipped.
"""
from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from cityops.domain.routing.gazetteer import ALL, COMPOUND, EVEN, ODD, POLYGON, ROAD, GazetteerEntry

COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("类型", "type", "kind", "类别"),
    "name": ("名称", "name", "地名"),
    "aliases": ("别名", "aliases", "alias", "别称"),
    "road": ("道路", "road", "所在道路"),
    "from": ("起号", "from", "number_from", "起始号", "起"),
    "to": ("止号", "to", "number_to", "终止号", "止"),
    "parity": ("单双", "parity", "单双号"),
    "committee": ("居委编码", "committee", "committee_code", "居委", "居村编码"),
    "polygon": ("经纬度边界", "polygon", "边界", "boundary"),
}
REQUIRED = ("type", "name", "committee")
TYPES: dict[str, str] = {
    "road": ROAD, "道路": ROAD, "路段": ROAD, "路": ROAD,
    "compound": COMPOUND, "小区": COMPOUND, "村": COMPOUND, "村组": COMPOUND, "楼盘": COMPOUND, "住宅小区": COMPOUND,
    "polygon": POLYGON, "边界": POLYGON, "区域": POLYGON, "boundary": POLYGON,
}
PARITY: dict[str, str] = {
    "": ALL, "全": ALL, "全部": ALL, "all": ALL, "单双": ALL,
    "单": ODD, "单号": ODD, "odd": ODD,
    "双": EVEN, "双号": EVEN, "even": EVEN,
}
_ALIAS_SPLIT = re.compile(r"[、;,，；|]+")
_NUMBER = re.compile(r"^(\d{1,6})(?:号|弄)?$")
_HEADER_SPLIT = re.compile(r"[/()（）\[\]【】|]+")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None       # the column (English key), None for the whole row
    code: str               # machine-readable: unknown_committee, from_gt_to, bad_parity, …
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        return f"第{self.line}行：{self.message_zh} / line {self.line}: {self.message_en}"

    def __str__(self) -> str:
        return self.message


def _cell(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _header_key(cell: str) -> str | None:
    text = _cell(cell).lstrip("\ufeff").lower().replace(" ", "")
    parts = [text] + [p for p in _HEADER_SPLIT.split(text) if p]
    for part in parts:
        for key, names in COLUMNS.items():
            if part in names:
                return key
    return None


def _lines(source: str | Iterable[str]) -> Iterator[str]:
    if isinstance(source, str):
        yield from source.lstrip("\ufeff").splitlines(keepends=True)
        return
    first = True
    for line in source:
        if first:
            line, first = line.lstrip("\ufeff"), False
        yield line


def parse_polygon(text: str) -> tuple[tuple[float, float], ...] | None:
    """``"121.47,31.23;121.48,31.23;121.48,31.24"`` → ((121.47, 31.23), …); None if malformed.

    Points are separated by ``;`` (or a newline), coordinates by ``,`` or a space; a repeated
    closing point is dropped; at least three distinct points inside lng ±180 / lat ±90."""
    text = _cell(text)
    points: list[tuple[float, float]] = []
    for chunk in re.split(r"[;\n]+", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        parts = [p for p in re.split(r"[,\s]+", chunk) if p]
        if len(parts) != 2:
            return None
        try:
            lng, lat = float(parts[0]), float(parts[1])
        except ValueError:
            return None
        if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
            return None
        points.append((lng, lat))
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        return None
    return tuple(points)


def _number(raw: str, column: str, line: int, errors: list[RowError]) -> int | None:
    if not raw:
        return None
    m = _NUMBER.match(raw)
    if not m or int(m.group(1)) < 1:
        zh = "起号" if column == "from" else "止号"
        errors.append(RowError(line, column, "bad_number", f"{zh}“{raw}”不是正整数门牌号",
                               f"{column} {raw!r} is not a positive house number"))
        return None
    return int(m.group(1))


def parse_gazetteer_csv(
    source: str | Iterable[str],
    known_committees: Collection[str] | None = None,
) -> tuple[list[GazetteerEntry], list[RowError]]:
    """Parse gazetteer CSV text; returns (entries of the good rows, one error per problem).

    ``known_committees``: the committee unit codes that exist; a row naming another code is
    reported (pass None to skip that check)."""
    lines = list(_lines(source))
    if not lines or not any(line.strip() for line in lines):
        return [], [RowError(1, None, "empty_file", "文件为空", "the file is empty")]
    header_line = lines[0]
    delimiter = "\t" if "\t" in header_line and "," not in header_line else ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        return [], [RowError(1, None, "bad_csv", f"表头无法解析：{exc}", f"cannot read the header: {exc}")]
    index: dict[str, int] = {}
    errors: list[RowError] = []
    for i, cell in enumerate(header):
        key = _header_key(cell)
        if key is None:
            continue
        if key in index:
            errors.append(RowError(1, key, "duplicate_column", f"列“{_cell(cell)}”重复",
                                   f"column {_cell(cell)!r} appears twice"))
        else:
            index[key] = i
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        zh = "、".join(COLUMNS[k][0] for k in missing)
        errors.append(RowError(1, None, "missing_column", f"缺少必填列：{zh}",
                               f"missing required column(s): {', '.join(missing)}"))
    if errors:
        return [], errors

    known = set(known_committees) if known_committees is not None else None
    entries: list[GazetteerEntry] = []
    line_no = reader.line_num
    while True:
        start = line_no + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, None, "bad_csv", f"无法解析：{exc}", f"cannot parse: {exc}"))
            line_no = reader.line_num
            continue
        line_no = reader.line_num
        cells = {k: _cell(row[i]) if i < len(row) else "" for k, i in index.items()}
        if not any(cells.values()) or (row and _cell(row[0]).startswith("#")):
            continue
        entry, row_errors = _row(cells, start, known)
        if row_errors:
            errors.extend(row_errors)
        elif entry is not None:
            entries.append(entry)
    return entries, errors


def _row(cells: dict[str, str], line: int, known: set[str] | None) -> tuple[GazetteerEntry | None, list[RowError]]:
    errors: list[RowError] = []
    raw_type = cells.get("type", "")
    kind = TYPES.get(raw_type.lower())
    if kind is None:
        errors.append(RowError(line, "type", "bad_type",
                               f"类型“{raw_type}”无法识别（应为 道路/小区/边界）",
                               f"type {raw_type!r} is not one of road/compound/polygon"))
    name = cells.get("name", "")
    if not name:
        errors.append(RowError(line, "name", "empty_name", "名称为空", "the name is empty"))
    committee = cells.get("committee", "")
    if not committee:
        errors.append(RowError(line, "committee", "empty_committee", "居委编码为空", "the committee code is empty"))
    elif known is not None and committee not in known:
        errors.append(RowError(line, "committee", "unknown_committee", f"居委编码“{committee}”不存在",
                               f"unknown committee code {committee!r}"))
    aliases = tuple(dict.fromkeys(a.strip() for a in _ALIAS_SPLIT.split(cells.get("aliases", "")) if a.strip()))
    number_from = _number(cells.get("from", ""), "from", line, errors)
    number_to = _number(cells.get("to", ""), "to", line, errors)
    if number_from is not None and number_to is not None and number_from > number_to:
        errors.append(RowError(line, "from", "from_gt_to", f"起号 {number_from} 大于止号 {number_to}",
                               f"from ({number_from}) is greater than to ({number_to})"))
    raw_parity = cells.get("parity", "")
    parity = PARITY.get(raw_parity.lower())
    if parity is None:
        errors.append(RowError(line, "parity", "bad_parity", f"单双“{raw_parity}”无法识别（应为 单/双/全）",
                               f"parity {raw_parity!r} is not one of odd/even/all"))
    road = cells.get("road", "") or None
    if kind == COMPOUND and (number_from is not None or number_to is not None) and not road:
        errors.append(RowError(line, "road", "range_without_road", "小区填写了门牌范围，但没有填写所在道路",
                               "a compound with a number range needs its road"))
    raw_polygon = cells.get("polygon", "")
    polygon: tuple[tuple[float, float], ...] = ()
    if raw_polygon:
        parsed = parse_polygon(raw_polygon)
        if parsed is None:
            errors.append(RowError(line, "polygon", "bad_polygon",
                                   "经纬度边界格式错误（应为“经度,纬度;经度,纬度;…”，至少3个点）",
                                   "bad polygon: expected 'lng,lat;lng,lat;…' with at least 3 points"))
        else:
            polygon = parsed
    elif kind == POLYGON:
        errors.append(RowError(line, "polygon", "bad_polygon", "边界类型的行缺少经纬度边界",
                               "a polygon row needs its polygon"))
    if errors or kind is None or parity is None:
        return None, errors
    return GazetteerEntry(kind=kind, name=name, committee_code=committee, aliases=aliases, road=road,
                          number_from=number_from, number_to=number_to, parity=parity,
                          polygon=polygon, line=line), []
