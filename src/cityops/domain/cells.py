"""One spreadsheet cell as text, for the file importers (knowledge base, community ledger and
results): pure, whatever read the file (CSV gives strings; XLSX numbers, dates, booleans)."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime


def cell_text(value: object, *, nfkc: bool = False) -> str:
    """A cell as trimmed text: None → "", 3.0 → "3", dates in ISO form. With ``nfkc`` the text
    is NFKC-normalised (full-width digits and letters to ASCII); without, it is kept as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return (unicodedata.normalize("NFKC", text) if nfkc else text).strip()
