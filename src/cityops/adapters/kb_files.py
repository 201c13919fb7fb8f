"""Reading knowledge-base files (CSV or XLSX) into rows for ``cityops.domain.kb.importer``.

* CSV: UTF-8 with or without BOM, or GBK/GB18030 (what Excel on a Chinese Windows saves as
  "CSV"), detected from the bytes; comma, tab or semicolon separated (sniffed from the
  first line).
* XLSX: the first sheet, cell values (formulas as their last computed value, date cells as
  datetimes) via openpyxl.  The legacy binary .xls is refused with a hint to save as .xlsx.

Rows are returned *all*, empty ones included, so that the line numbers the importer
reports are the file's own (the Excel row number, the CSV record number); the importer
skips empty rows and finds the header among the first five non-empty rows, so a title row
above the header is fine.  Trailing empty rows and cells are trimmed.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

from cityops.adapters.sheets import read_table
from cityops.domain.errors import InvalidInput
from cityops.domain.kb.importer import ImportResult, import_rows

MAX_ROWS = 50_000
DEMO_FILE = "demo_kb.csv"

Rows = list[list[object]]


def _trim(rows: Iterable[Iterable[object]]) -> Rows:
    out: Rows = []
    for n, row in enumerate(rows, 1):
        if n > MAX_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行 (more than {MAX_ROWS} rows)", field="file")
        cells = list(row)
        while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


def read_rows(data: bytes, filename: str = "") -> Rows:
    """Rows of a CSV or XLSX file, chosen by content (zip → XLSX), then by file name."""
    return read_table(data, filename, _trim, [])


def read_file(path: str | Path) -> Rows:
    p = Path(path)
    return read_rows(p.read_bytes(), p.name)


def import_file(
    data: bytes,
    filename: str = "",
    *,
    known_categories: Iterable[str] | Mapping[str, str],
    **options,
) -> ImportResult:
    """Read and import in one step; ``options`` go to ``import_rows`` (tz, category_aliases…)."""
    return import_rows(read_rows(data, filename), known_categories=known_categories, **options)


def _data_path(name: str) -> Path:
    return Path(str(resources.files("cityops").joinpath("data", name)))


def taxonomy_categories(path: str | Path | None = None) -> dict[str, str]:
    """Category code → Chinese name from the shipped taxonomy.json."""
    with open(path or _data_path("taxonomy.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    return {c["code"]: c["name"] for c in data["categories"]}


def load_demo_kb(known_categories: Iterable[str] | Mapping[str, str] | None = None) -> ImportResult:
    """The demo knowledge base shipped in ``cityops/data/demo_kb.csv``."""
    cats = known_categories if known_categories is not None else taxonomy_categories()
    return import_file(_data_path(DEMO_FILE).read_bytes(), DEMO_FILE, known_categories=cats)
