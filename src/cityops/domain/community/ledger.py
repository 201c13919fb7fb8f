"""The resident ledger (居民台账): one row per resident of a committee.

Columns (Chinese or English, configurable through the header map)::

    居委编码/committee  小区/compound  楼号/building  单元/unit  室号/room  户号/household
    姓名/name  手机/phone  身份证号/id_number  特殊人群/tags  居住状态/status  入住日期/moved_in  备注/note

Required: building, name, id_number (committee comes from the column or from the caller).
ID numbers are checked (GB 11643 check digit and birth date) and turned into a keyed hash at
once; the clear number never leaves this function. A second row with the same ID number in
the file is a duplicate (the first is kept); a building that is not in the committee's
building register is refused.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..kb.importer import parse_datetime
from . import idnumber
from .sheet import RowError, cell_text, find_header, is_blank, merge_aliases, missing_columns_error

COLUMNS: dict[str, tuple[str, ...]] = {
    "committee": ("居委编码", "committee", "居委", "居村委", "居村编码", "所属居委"),
    "compound": ("小区", "compound", "小区名称", "弄", "小区/弄"),
    "building": ("楼号", "building", "楼栋", "幢号", "栋", "楼", "门牌号", "号"),
    "unit": ("单元", "unit", "单元号"),
    "room": ("室号", "room", "房号", "室", "门牌室号", "房间号"),
    "household": ("户号", "household", "户编号", "户"),
    "name": ("姓名", "name", "居民姓名"),
    "phone": ("手机", "phone", "手机号", "手机号码", "联系电话", "电话", "联系方式"),
    "id_number": ("身份证号", "id_number", "身份证号码", "证件号码", "公民身份号码", "idnumber", "id"),
    "tags": ("特殊人群", "tags", "标签", "人员类别", "重点人群"),
    "status": ("居住状态", "status", "状态", "在住情况"),
    "moved_in": ("入住日期", "moved_in", "登记日期", "迁入日期"),
    "note": ("备注", "note", "说明"),
}
REQUIRED = ("building", "name", "id_number")

ELDERLY_ALONE, BEDRIDDEN, PREGNANT, INFANT = "elderly_alone", "bedridden", "pregnant", "infant"
TAGS: dict[str, str] = {
    "独居老人": ELDERLY_ALONE, "独居": ELDERLY_ALONE, "孤老": ELDERLY_ALONE, "elderly_alone": ELDERLY_ALONE,
    "elderly": ELDERLY_ALONE, "卧床": BEDRIDDEN, "卧床不起": BEDRIDDEN, "长期卧床": BEDRIDDEN, "失能": BEDRIDDEN,
    "bedridden": BEDRIDDEN, "孕妇": PREGNANT, "孕产妇": PREGNANT, "pregnant": PREGNANT,
    "婴幼儿": INFANT, "婴儿": INFANT, "幼儿": INFANT, "infant": INFANT,
}
TAG_NAMES = {ELDERLY_ALONE: "独居老人", BEDRIDDEN: "卧床", PREGNANT: "孕妇", INFANT: "婴幼儿"}

PRESENT, AWAY, MOVED_OUT = "present", "away", "moved_out"
STATUSES: dict[str, str] = {
    "": PRESENT, "在住": PRESENT, "在家": PRESENT, "常住": PRESENT, "居住": PRESENT, "present": PRESENT,
    "外出": AWAY, "不在沪": AWAY, "离沪": AWAY, "暂离": AWAY, "人户分离": AWAY, "away": AWAY,
    "已搬离": MOVED_OUT, "搬离": MOVED_OUT, "迁出": MOVED_OUT, "已迁出": MOVED_OUT, "moved_out": MOVED_OUT,
}
STATUS_NAMES = {PRESENT: "在住", AWAY: "外出", MOVED_OUT: "已搬离"}

_TAG_SPLIT = re.compile(r"[,，、;；|/\s]+")
_BUILDING = re.compile(r"^(.*?)(?:号楼|号|幢|栋|楼|座)?$")
_UNIT = re.compile(r"^(.*?)(?:单元)?$")
_ROOM = re.compile(r"^(.*?)(?:室|号)?$")
_PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9}|0\d{2,3}\d{7,8}|\d{8})$")


def building_number(raw: str) -> str:
    """"12号楼" / "12幢" / "１２栋" → "12"."""
    s = cell_text(raw).upper().replace(" ", "")
    return _BUILDING.match(s).group(1) or s


def unit_label(raw: str) -> str:
    s = cell_text(raw).replace(" ", "")
    return _UNIT.match(s).group(1) or s


def room_label(raw: str) -> str:
    s = cell_text(raw).replace(" ", "")
    return _ROOM.match(s).group(1) or s


def phone_digits(raw: str) -> str:
    return re.sub(r"[\s\-()（）]", "", cell_text(raw))


@dataclass(frozen=True)
class BuildingRef:
    id: int
    committee_id: int
    compound: str
    number: str


class BuildingIndex:
    """The committees' building registers: (committee, compound, number) → building."""

    def __init__(self, buildings: Sequence[BuildingRef]):
        self.exact: dict[tuple[int, str, str], BuildingRef] = {}
        self.by_number: dict[tuple[int, str], list[BuildingRef]] = {}
        for b in buildings:
            self.exact[(b.committee_id, b.compound, b.number)] = b
            self.by_number.setdefault((b.committee_id, b.number), []).append(b)

    def find(self, committee_id: int, compound: str, number: str) -> tuple[BuildingRef | None, str | None]:
        """(building, None) or (None, "unknown" | "ambiguous")."""
        if compound:
            b = self.exact.get((committee_id, compound, number))
            return (b, None) if b else (None, "unknown")
        found = self.by_number.get((committee_id, number), [])
        if len(found) == 1:
            return found[0], None
        return None, ("ambiguous" if found else "unknown")


@dataclass(frozen=True)
class ResidentRecord:
    line: int
    committee_id: int
    building_id: int
    unit: str
    room: str
    household: str
    name: str
    phone: str
    id_hash: str
    id_masked: str
    tags: tuple[str, ...]
    status: str
    moved_in: date | None
    note: str


@dataclass
class LedgerParse:
    records: list[ResidentRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0            # data rows seen (blank rows not counted)


def parse_ledger(rows: Sequence[Sequence[object]], *, hash_id: Callable[[str], str],
                 buildings: BuildingIndex, committees: Mapping[str, int], default_committee: int | None = None,
                 header_map: Mapping[str, Sequence[str]] | None = None, tz: str = "Asia/Shanghai",
                 progress: Callable[[int], None] | None = None) -> LedgerParse:
    """Check every row; good rows become records (ID hashed), each problem a RowError.

    ``committees``: committee unit code → id (the committee column); ``default_committee``
    applies to rows without one (importing one committee's own file)."""
    out = LedgerParse()
    if not rows or all(is_blank(r) for r in rows):
        out.errors.append(RowError(1, None, "empty_file", "文件为空", "the file is empty"))
        return out
    aliases = merge_aliases(COLUMNS, header_map)
    head, index = find_header(rows, aliases, REQUIRED)
    required = list(REQUIRED) + ([] if default_committee is not None else ["committee"])
    missing = [f for f in required if f not in index]
    if head < 0 or missing:
        out.errors.append(missing_columns_error(missing or list(REQUIRED), COLUMNS, max(head, 0) + 1))
        return out
    seen: dict[str, int] = {}
    for n in range(head + 1, len(rows)):
        row = rows[n]
        if is_blank(row):
            continue
        line = n + 1
        out.rows += 1
        if progress is not None and out.rows % 1000 == 0:
            progress(1000)
        cells = {f: cell_text(row[i]) if i < len(row) else "" for f, i in index.items()}
        if cells.get("name", "").startswith("#"):
            continue
        rec, errs = _row(cells, {f: row[i] if i < len(row) else None for f, i in index.items()}, line, hash_id,
                         buildings, committees, default_committee, tz)
        if rec is not None:
            first = seen.get(rec.id_hash)
            if first is not None:
                errs.append(RowError(line, "id_number", "duplicate", f"与第{first}行是同一身份证号（重复登记，保留第{first}行）",
                                     f"same ID number as line {first} (duplicate; line {first} is kept)"))
            else:
                seen[rec.id_hash] = line
        if errs:
            out.errors.extend(errs)
        elif rec is not None:
            out.records.append(rec)
    if progress is not None:
        progress(out.rows % 1000)
    return out


def _row(cells: dict[str, str], raw: dict[str, object], line: int, hash_id: Callable[[str], str],
         buildings: BuildingIndex, committees: Mapping[str, int], default_committee: int | None,
         tz: str) -> tuple[ResidentRecord | None, list[RowError]]:
    errors: list[RowError] = []
    committee_id = default_committee
    code = cells.get("committee", "")
    if code:
        committee_id = committees.get(code)
        if committee_id is None:
            errors.append(RowError(line, "committee", "unknown_committee", f"居委编码“{code}”不存在",
                                   f"unknown committee code {code!r}"))
        elif default_committee is not None and committee_id != default_committee:
            errors.append(RowError(line, "committee", "other_committee", f"该行属于其他居委“{code}”",
                                   f"the row belongs to another committee ({code})"))
    name = cells.get("name", "")
    if not name:
        errors.append(RowError(line, "name", "empty_name", "姓名为空", "the name is empty"))
    elif len(name) > 100:
        errors.append(RowError(line, "name", "too_long", "姓名过长", "the name is too long"))
    number = idnumber.normalize(cells.get("id_number", ""))
    bad = idnumber.problem(number)
    if bad:
        errors.append(RowError(line, "id_number", bad[0], bad[1], bad[2]))
    phone = phone_digits(cells.get("phone", ""))
    if phone and not _PHONE.match(phone):
        errors.append(RowError(line, "phone", "bad_phone", f"电话“{phone}”格式不对", f"phone {phone!r} is not a phone number"))
    tags: list[str] = []
    for t in (x for x in _TAG_SPLIT.split(cells.get("tags", "")) if x and x not in ("无", "否", "none")):
        tag = TAGS.get(t.lower())
        if tag is None:
            errors.append(RowError(line, "tags", "bad_tag", f"特殊人群“{t}”无法识别（独居老人/卧床/孕妇/婴幼儿）",
                                   f"tag {t!r} is not one of elderly_alone/bedridden/pregnant/infant"))
        elif tag not in tags:
            tags.append(tag)
    raw_status = cells.get("status", "")
    status = STATUSES.get(raw_status.lower())
    if status is None:
        errors.append(RowError(line, "status", "bad_status", f"居住状态“{raw_status}”无法识别（在住/外出/已搬离）",
                               f"status {raw_status!r} is not one of present/away/moved_out"))
    moved_in = None
    if cells.get("moved_in"):
        try:
            moved_in = parse_datetime(raw["moved_in"], tz)[0].date()
        except ValueError as e:
            errors.append(RowError(line, "moved_in", "bad_date", f"入住日期无效：{e}", f"bad moved-in date: {e}"))
    number_b = building_number(cells.get("building", ""))
    building = None
    if not number_b:
        errors.append(RowError(line, "building", "empty_building", "楼号为空", "the building is empty"))
    elif committee_id is not None:
        building, why = buildings.find(committee_id, cells.get("compound", ""), number_b)
        if why == "ambiguous":
            errors.append(RowError(line, "building", "ambiguous_building",
                                   f"楼号“{number_b}”在多个小区都有，请填写小区", f"building {number_b!r} exists in several compounds: give the compound"))
        elif building is None:
            where = (cells.get("compound", "") + " ") if cells.get("compound") else ""
            errors.append(RowError(line, "building", "unknown_building", f"楼栋“{where}{number_b}”不在本居委楼栋名册中",
                                   f"building {where}{number_b!r} is not in the committee's building register"))
    if errors or building is None or status is None or committee_id is None:
        return None, errors
    return ResidentRecord(
        line=line, committee_id=committee_id, building_id=building.id, unit=unit_label(cells.get("unit", ""))[:16],
        room=room_label(cells.get("room", ""))[:16], household=cells.get("household", "")[:32], name=name,
        phone=phone, id_hash=hash_id(number), id_masked=idnumber.mask(number), tags=tuple(tags), status=status,
        moved_in=moved_in, note=cells.get("note", "")[:500]), []
