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

import csv
import io
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

from cityops.domain.errors import InvalidInput
from cityops.domain.kb.importer import ImportResult, import_rows

MAX_ROWS = 50_000
DEMO_FILE = "demo_kb.csv"
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: the old binary Excel format

Rows = list[list[object]]


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of CSV bytes: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "utf-16"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise InvalidInput(
            "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV (cannot decode the file: save it as UTF-8 or GBK CSV)",
            field="file",
        ) from None


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


def read_csv_rows(data: bytes) -> Rows:
    text, _enc = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    try:
        return _trim(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise InvalidInput(f"CSV 格式错误：{e} (malformed CSV)", field="file") from None


def read_xlsx_rows(data: bytes) -> Rows:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency of the import feature
        raise InvalidInput("服务器未安装 openpyxl，无法读取 XLSX (openpyxl is not installed)", field="file") from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors…
        raise InvalidInput(f"无法读取 XLSX 文件：{e.__class__.__name__} (not a readable .xlsx file)", field="file") from None
    try:
        if not wb.worksheets:
            return []
        ws = wb.worksheets[0]
        return _trim(ws.iter_rows(min_row=1, values_only=True))
    finally:
        wb.close()


def read_rows(data: bytes, filename: str = "") -> Rows:
    """Rows of a CSV or XLSX file, chosen by content (zip → XLSX), then by file name."""
    name = (filename or "").lower()
    if data.startswith(_XLS_MAGIC) or (name.endswith(".xls") and not data.startswith(_XLSX_MAGIC)):
        raise InvalidInput("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV (legacy .xls is not supported; save as .xlsx or CSV)",
                           field="file")
    if data.startswith(_XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return read_xlsx_rows(data)
    return read_csv_rows(data)


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
