"""Spreadsheet rows (CSV or XLSX already read into lists of cells) → named fields.

What committees actually keep: a title row or two above the header ("龙漕居委居民台账"),
a header split over two rows with merged cells ("住址" over 楼号 / 单元 / 室号, "姓名" merged
down both rows), Chinese column names with notes in brackets ("身份证号（必填）"). The header
map (field → accepted column names) is configurable: a district adds its own names.

Every problem is a :class:`RowError` with the file's own line number, the column and a reason
in Chinese and English.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import cells

HEADER_SCAN_ROWS = 8
_BRACKETS = re.compile(r"[(\[（【].*?[)\]）】]")
_NOISE = re.compile(r"[\s*_\-:：/、.·]+")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    code: str            # machine-readable: bad_id_check, duplicate, unknown_building, bad_date, …
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        return f"第{self.line}行：{self.message_zh} / line {self.line}: {self.message_en}"

    def to_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "code": self.code, "message": self.message}


def cell_text(value: object) -> str:
    """A cell as trimmed NFKC text: None → "", 3.0 → "3", date cells in ISO form."""
    return cells.cell_text(value, nfkc=True)


def header_key(value: object) -> str:
    s = cell_text(value).lstrip("\ufeff").lower()
    return _NOISE.sub("", _BRACKETS.sub("", s))


def merge_aliases(defaults: Mapping[str, Sequence[str]],
                  extra: Mapping[str, Sequence[str]] | None) -> dict[str, str]:
    """Normalised column name → field, from the default map plus a district's own names."""
    out: dict[str, str] = {}
    for source in (defaults, extra or {}):
        for fld, names in source.items():
            if fld not in defaults:
                continue
            for n in ([names] if isinstance(names, str) else names):
                out[header_key(n)] = fld
    return out


def _map_row(cells: Sequence[object], aliases: Mapping[str, str], parent: Sequence[object] = ()) -> dict[str, int]:
    out: dict[str, int] = {}
    width = max(len(cells), len(parent))
    for i in range(width):
        child = cells[i] if i < len(cells) else None
        up = parent[i] if i < len(parent) else None
        for cand in (child, up, f"{cell_text(up)}{cell_text(child)}"):
            fld = aliases.get(header_key(cand)) if cand not in (None, "") else None
            if fld is not None:
                if fld not in out:
                    out[fld] = i
                break
    return out


def find_header(rows: Sequence[Sequence[object]], aliases: Mapping[str, str], required: Sequence[str],
                scan: int = HEADER_SCAN_ROWS) -> tuple[int, dict[str, int]]:
    """(index of the last header row, field → column) among the first ``scan`` rows.

    A two-row header is read column by column: the lower cell, else the merged cell above it
    (openpyxl gives a merged range's value in its first cell only, so "姓名" merged over two
    rows is found in the upper row). The best candidate names the most required fields."""
    best: tuple[int, int, int, dict[str, int]] = (-1, -1, -1, {})
    for i in range(min(scan, len(rows))):
        for parent in ((), rows[i - 1] if i > 0 else ()):
            mapping = _map_row(rows[i], aliases, parent)
            score = (sum(1 for f in required if f in mapping), len(mapping))
            if (score[0], score[1]) > (best[0], best[1]):
                best = (score[0], score[1], i, mapping)
    return best[2], best[3]


def missing_columns_error(missing: Sequence[str], names: Mapping[str, Sequence[str]], line: int) -> RowError:
    zh = "、".join(names[f][0] for f in missing)
    return RowError(line, None, "missing_column", f"缺少必填列：{zh}", f"missing required column(s): {', '.join(missing)}")


def is_blank(row: Sequence[object]) -> bool:
    return all(cell_text(c) == "" for c in row)
