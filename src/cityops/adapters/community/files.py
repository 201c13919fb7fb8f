"""Reading ledger and results files into rows of cells for the domain parsers.

CSV: UTF-8 (with or without BOM) or GBK/GB18030 (what Excel on a Chinese Windows saves),
detected from the bytes; comma, tab or semicolon separated. XLSX: the first sheet via
openpyxl (read-only, cell values; a merged range's value sits in its first cell). The legacy
binary .xls is refused with a hint. Row numbers stay the file's own.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ...domain.errors import InvalidInput
from ..sheets import read_table

MAX_ROWS = 2_000_000


def _capped(rows: Iterable[Iterable[object]]) -> list[list[object]]:
    out: list[list[object]] = []
    for n, row in enumerate(rows, 1):
        if n > MAX_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入 (more than {MAX_ROWS} rows: split the file)", field="file")
        out.append(list(row))
    return out


def read_rows(data: bytes, filename: str = "") -> list[list[object]]:
    """Rows of a CSV or XLSX file, chosen by content (zip → XLSX), then by the file name."""
    if not data:
        raise InvalidInput("文件为空 (the file is empty)", field="file")
    return read_table(data, filename or "", _capped, [])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
