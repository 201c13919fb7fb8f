"""XLSX downloads of any list (openpyxl, write-only mode so 100,000 rows stay small in memory)."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of one or more sheets: (title, headers, rows). Dates stay dates, numbers numbers."""
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=title[:31] or "Sheet")
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F3")
        head = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font, cell.fill = bold, fill
            head.append(cell)
        ws.append(head)
        for row in rows:
            ws.append([_cell(ws, v) for v in row])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(ws, value: Any) -> Any:
    """Text that looks like a formula (a citizen typed "=HYPERLINK(…)") stays text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_response(filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(xlsx_bytes([(title, headers, rows)]), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
