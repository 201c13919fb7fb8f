"""ID numbers in the community registry: the shared rules of ``domain/people.py`` (GB 11643
check digit, masking, the keyed hash), with the row-report form the importers need."""
from __future__ import annotations

from ..errors import InvalidInput
from ..people import checked_id_number, mask_id_number, normalized_id_number


def normalize(raw: object) -> str:
    return normalized_id_number("" if raw is None else str(raw))


def problem(number: str) -> tuple[str, str, str] | None:
    """(code, zh, en) of what is wrong with an ID number, or None if it is valid."""
    if not number:
        return "empty_id", "身份证号为空", "the ID number is empty"
    try:
        checked_id_number(number)
    except InvalidInput as e:
        zh, _, en = e.message.partition(" (")
        code = "bad_id_check" if "校验位" in zh else "bad_id"
        return code, zh, en.rstrip(")")
    return None


def mask(number: str) -> str:
    return mask_id_number(number)
