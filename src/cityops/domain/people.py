"""People's identity numbers: the GB 11643-1999 citizen ID number (居民身份证号码), its check
digit, masking, and the keyed hash under which it is stored.

ID numbers are never stored in clear. Matching (a test result to an applicant, a resident to a
registry row) uses ``id_hash``: HMAC-SHA256 of the normalised number under a secret from the
settings, so the same person gets the same hash in every table of one installation and a leaked
table cannot be reversed by enumerating the ~10^10 plausible numbers without the key.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date

from .errors import InvalidInput

# GB 11643-1999: weights of the 17 digits (2^(17-i) mod 11) and the check character for sum mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
ID_HASH_LABEL = b"cityops|cn-resident-id|v1"


def id_check_digit(first17: str) -> str:
    """The 18th character of an ID number from its first 17 digits (ISO 7064 MOD 11-2)."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def normalized_id_number(raw: str) -> str:
    """Spaces removed, a lower-case x made upper-case, full-width digits made ASCII."""
    s = (raw or "").strip().translate({0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF38: 0x58, 0xFF58: 0x58})
    return s.replace(" ", "").replace("x", "X")


def checked_id_number(raw: str, field: str = "id_number") -> str:
    """A valid 18-character resident ID number (normalised), else InvalidInput saying why."""
    s = normalized_id_number(raw)
    if len(s) != 18 or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        raise InvalidInput("身份证号码应为18位：17位数字加1位数字或X (an ID number is 17 digits and a digit or X)",
                           field=field)
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidInput("身份证号码中的出生日期无效 (the date of birth in the ID number is not a date)",
                           field=field) from None
    if born.year < 1900:
        raise InvalidInput("身份证号码中的出生日期无效 (the date of birth in the ID number is not a date)",
                           field=field)
    if id_check_digit(s[:17]) != s[17]:
        raise InvalidInput("身份证号码校验位错误，请核对 (the check digit does not match: a digit is mistyped)",
                           field=field)
    return s


def id_hash_key(secret: str | bytes) -> bytes:
    """The HMAC key for ID numbers, derived from a settings secret (so the raw secret is not the key)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, ID_HASH_LABEL, hashlib.sha256).digest()


def id_hash(secret: str | bytes, id_number: str) -> str:
    """The keyed hash of a (valid) ID number: 64 hex characters. Raises InvalidInput for an invalid one.

    ``secret`` is the installation's ID-hash secret (``Settings.id_hash_secret``). Every context that
    matches people by ID number (passes, community registry, test results) must call this function.
    """
    number = checked_id_number(id_number)
    return hmac.new(id_hash_key(secret), number.encode(), hashlib.sha256).hexdigest()


def mask_id_number(id_number: str) -> str:
    """310***********123X: the first three and the last four characters."""
    s = normalized_id_number(id_number)
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]
