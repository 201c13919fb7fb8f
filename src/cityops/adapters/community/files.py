"""Reading ledger and results files into rows of cells for the domain parsers.

CSV: UTF-8 (with or without BOM) or GBK/GB18030 (what Excel on a Chinese Windows saves),
detected from the bytes; comma, tab or semicolon separated. XLSX: the first sheet via
openpyxl (read-only, cell values; a merged range's value sits in its first cell). The legacy
binary .xls is refused with a hint. Row numbers stay the file's own.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable

from ...domain.errors import InvalidInput
from ..kb_files import decode_text

MAX_ROWS = 2_000_000
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _capped(rows: Iterable[Iterable[object]]) -> list[list[object]]:
    out: list[list[object]] = []
    for n, row in enumerate(rows, 1):
        if n > MAX_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入 (more than {MAX_ROWS} rows: split the file)", field="file")
        out.append(list(row))
    return out


def read_csv_rows(data: bytes) -> list[list[object]]:
    text, _ = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    try:
        return _capped(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise InvalidInput(f"CSV 格式错误：{e} (malformed CSV)", field="file") from None


def read_xlsx_rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors…
        raise InvalidInput(f"无法读取 XLSX 文件：{e.__class__.__name__} (not a readable .xlsx file)", field="file") from None
    try:
        return _capped(wb.worksheets[0].iter_rows(values_only=True)) if wb.worksheets else []
    finally:
        wb.close()


def read_rows(data: bytes, filename: str = "") -> list[list[object]]:
    """Rows of a CSV or XLSX file, chosen by content (zip → XLSX), then by the file name."""
    name = (filename or "").lower()
    if not data:
        raise InvalidInput("文件为空 (the file is empty)", field="file")
    if data.startswith(_XLS_MAGIC) or (name.endswith(".xls") and not data.startswith(_XLSX_MAGIC)):
        raise InvalidInput("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV (legacy .xls is not supported; save as .xlsx or CSV)",
                           field="file")
    if data.startswith(_XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return read_xlsx_rows(data)
    return read_csv_rows(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
