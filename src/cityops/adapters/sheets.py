"""Reading uploaded tables (CSV or XLSX) into rows of cells, shared by the importers that take
them (knowledge base, community ledger and results). Each caller passes ``collect``: what to do
with the rows as they are read (cap their number, trim them), so its row limit and messages stay
its own.

* CSV: UTF-8 with or without BOM, or GBK/GB18030 (what Excel on a Chinese Windows saves as
  "CSV"), detected from the bytes; comma, tab or semicolon separated (sniffed from the first line).
* XLSX: the first sheet, cell values (formulas as their last computed value, date cells as
  datetimes; a merged range's value sits in its first cell) via openpyxl, read-only.
* The legacy binary .xls is refused with a hint to save as .xlsx or CSV.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import TypeVar

from ..domain.errors import InvalidInput

T = TypeVar("T")
Collect = Callable[[Iterable[Iterable[object]]], T]

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: the old binary Excel format


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


def read_csv(data: bytes, collect: Collect[T]) -> T:
    text, _enc = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    try:
        return collect(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise InvalidInput(f"CSV 格式错误：{e} (malformed CSV)", field="file") from None


def read_xlsx(data: bytes, collect: Collect[T], empty: T) -> T:
    """``collect`` over the first sheet's rows; ``empty`` when the workbook has no sheet."""
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency of the import features
        raise InvalidInput("服务器未安装 openpyxl，无法读取 XLSX (openpyxl is not installed)", field="file") from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors…
        raise InvalidInput(f"无法读取 XLSX 文件：{e.__class__.__name__} (not a readable .xlsx file)", field="file") from None
    try:
        return collect(wb.worksheets[0].iter_rows(values_only=True)) if wb.worksheets else empty
    finally:
        wb.close()


def read_table(data: bytes, filename: str, collect: Collect[T], empty: T) -> T:
    """A CSV or XLSX file's rows through ``collect``, the format chosen by content (zip → XLSX),
    then by the file name; a legacy .xls is refused."""
    name = (filename or "").lower()
    if data.startswith(XLS_MAGIC) or (name.endswith(".xls") and not data.startswith(XLSX_MAGIC)):
        raise InvalidInput("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV (legacy .xls is not supported; save as .xlsx or CSV)",
                           field="file")
    if data.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, collect, empty)
    return read_csv(data, collect)
