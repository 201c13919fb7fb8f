"""CertLogic (specification 1.3.3): the JSON rule language of the EU DCC business rules.

``evaluate(expr, data)`` returns the value of a CertLogic expression over a data context, and
raises ``CertLogicError`` for an invalid expression or a type mismatch found during evaluation
(the specification's "throws an error"). ``validate(expr)`` checks an expression's shape
without data, for the rule editor. Date-times are ``datetime`` values in UTC with millisecond
precision; the only way to make one is ``plusTime`` or ``dccDateOfBirth``.

Semantics follow the reference implementation (certlogic-js) where the text leaves room:
``and`` returns its first falsy operand or its last one, ``var`` on a missing path gives
``null``, ``reduce`` over ``null`` gives the initial value (and its lambda sees the outer context as
``data``, the extension the specification announces and the suite's "patched reduce" tests), ``plusTime`` offsets like
JavaScript's ``Date.setUTC*`` (so 2020-02-29 plus one year is 2021-03-01).
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["CertLogicError", "evaluate", "validate", "is_truthy", "is_falsy", "parse_date_time", "format_date_time"]

MAX_DEPTH = 200


class CertLogicError(ValueError):
    """An invalid CertLogic expression, or operands of the wrong type."""


def is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def is_truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    if is_int(v):
        return v != 0
    return False


def is_falsy(v: Any) -> bool:
    if v is None or v is False:
        return True
    if isinstance(v, (str, list, dict)):
        return len(v) == 0
    if is_int(v) and not isinstance(v, bool):
        return v == 0
    return False


_DT = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                 r"(Z|[+-]\d{1,2}(?::?\d{2})?)?)?)?)?$")


def _offset(tz: str | None) -> timedelta:
    if not tz or tz == "Z":
        return timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    body = tz[1:].replace(":", "")
    if len(body) <= 2:
        hours, minutes = int(body), 0
    else:
        hours, minutes = int(body[:-2]), int(body[-2:])
    return sign * timedelta(hours=hours, minutes=minutes)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def parse_date_time(s: str) -> datetime:
    """A CertLogic date(-time) string as an aware UTC datetime, truncated to milliseconds."""
    m = _DT.match(s) if isinstance(s, str) else None
    if not m:
        raise CertLogicError(f"not a date(-time) in an allowed format: {s!r}")
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    year = int(y)
    try:
        if mo is None:  # partial dates: the last day consistent with the data (as dccDateOfBirth)
            return datetime(year, 12, 31, tzinfo=timezone.utc)
        month = int(mo)
        if d is None:
            return datetime(year, month, _last_day(year, month), tzinfo=timezone.utc)
        day = int(d)
        if hh is None:
            return datetime(year, month, day, tzinfo=timezone.utc)
        ms = int((frac or "0")[:3].ljust(3, "0"))
        local = datetime(year, month, day, int(hh), int(mi), int(ss), ms * 1000, tzinfo=timezone.utc)
    except ValueError as e:
        raise CertLogicError(f"not a valid date(-time): {s!r} ({e})") from None
    return local - _offset(tz)


def format_date_time(dt: datetime) -> str:
    """2021-06-01T00:00:00.000Z: how CertLogic date-times read back."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _add_months(dt: datetime, months: int) -> datetime:
    """JavaScript's setUTCMonth(getUTCMonth() + n): the day overflows into the next month."""
    total = dt.year * 12 + (dt.month - 1) + months
    year, month0 = divmod(total, 12)
    first = dt.replace(year=year, month=month0 + 1, day=1)
    return first + timedelta(days=dt.day - 1)


def plus_time(s: str, amount: int, unit: str) -> datetime:
    dt = parse_date_time(s)
    try:
        if unit == "hour":
            return dt + timedelta(hours=amount)
        if unit == "day":
            return dt + timedelta(days=amount)
        if unit == "month":
            return _add_months(dt, amount)
        if unit == "year":
            return _add_months(dt, 12 * amount)
    except (OverflowError, ValueError) as e:
        raise CertLogicError(f"plusTime out of range: {e}") from None
    raise CertLogicError(f'"plusTime" time unit must be one of year, month, day, hour, not {unit!r}')


def dcc_date_of_birth(s: Any) -> datetime:
    if not isinstance(s, str) or not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", s):
        raise CertLogicError(f'"dccDateOfBirth" needs a string YYYY, YYYY-MM or YYYY-MM-DD, not {s!r}')
    return parse_date_time(s)


def extract_from_uvci(uvci: str | None, index: int) -> str | None:
    if uvci is None or index < 0:
        return None
    body = uvci[9:] if uvci.startswith("URN:UVCI:") else uvci
    fragments = re.split(r"[/#:]", body)
    return fragments[index] if index < len(fragments) else None


def _var(path: Any, data: Any) -> Any:
    if is_int(path):
        path = str(int(path))
    if not isinstance(path, str):
        raise CertLogicError('not of the form { "var": "<path>" }')
    if path == "":
        return data
    value = data
    for fragment in path.split("."):
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(fragment)
        elif isinstance(value, (list, str)):
            if not re.fullmatch(r"-?\d+", fragment):
                return None
            i = int(fragment)
            value = value[i] if 0 <= i < len(value) else None
        else:
            return None
    return value


def _strict_equal(a: Any, b: Any) -> bool:
    """JavaScript ===: no coercion between types; arrays and objects only equal to themselves."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_int(a) and is_int(b):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None and b is None:
        return True
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a is b
    return a is b and not isinstance(a, (list, dict))


_INT_COMPARE = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
                "<=": lambda a, b: a <= b}
_DATE_COMPARE = {"after": lambda a, b: a > b, "before": lambda a, b: a < b, "not-after": lambda a, b: a <= b,
                 "not-before": lambda a, b: a >= b}
OPERATIONS = frozenset({"var", "if", "===", "and", "in", "+", "!", "plusTime", "reduce", "extractFromUVCI",
                        "dccDateOfBirth"} | set(_INT_COMPARE) | set(_DATE_COMPARE))


def _compare(op: str, values: list[Any]) -> bool:
    if op in _INT_COMPARE:
        if not all(is_int(v) for v in values):
            raise CertLogicError(f'all operands of a comparison "{op}" must be integers')
        f = _INT_COMPARE[op]
    else:
        if not all(isinstance(v, datetime) for v in values):
            raise CertLogicError(f'all operands of "{op}" must be date-times (from plusTime or dccDateOfBirth)')
        f = _DATE_COMPARE[op]
    if len(values) == 2:
        return f(values[0], values[1])
    return f(values[0], values[1]) and f(values[1], values[2])


def evaluate(expr: Any, data: Any, _depth: int = 0) -> Any:
    if _depth > MAX_DEPTH:
        raise CertLogicError("expression nested too deeply")
    if isinstance(expr, bool) or isinstance(expr, str):
        return expr
    if is_int(expr):
        return int(expr) if isinstance(expr, float) else expr
    if isinstance(expr, list):
        return [evaluate(e, data, _depth + 1) for e in expr]
    if expr is None:
        raise CertLogicError("invalid CertLogic expression: null literal")
    if not isinstance(expr, dict):
        raise CertLogicError(f"invalid CertLogic expression: {expr!r}")
    if len(expr) != 1:
        raise CertLogicError(f"unrecognised expression object encountered: {sorted(expr)}")
    (op, args), = expr.items()
    if op == "var":
        return _var(args, data)
    if not isinstance(args, list) or not args:
        raise CertLogicError(f'operation "{op}" needs a non-empty array of operands')
    ev = lambda e: evaluate(e, data, _depth + 1)  # noqa: E731
    if op == "if":
        if len(args) != 3:
            raise CertLogicError('an "if" operation must have exactly 3 operands')
        guard = ev(args[0])
        if is_truthy(guard):
            return ev(args[1])
        if is_falsy(guard):
            return ev(args[2])
        raise CertLogicError(f"if-guard evaluates to something neither truthy nor falsy: {guard!r}")
    if op == "!":
        if len(args) != 1:
            raise CertLogicError('a "!" operation must have exactly 1 operand')
        v = ev(args[0])
        if is_falsy(v):
            return True
        if is_truthy(v):
            return False
        raise CertLogicError(f"operand of ! evaluates to something neither truthy nor falsy: {v!r}")
    if op == "and":
        if len(args) < 2:
            raise CertLogicError('an "and" operation must have at least 2 operands')
        acc: Any = True
        for a in args:
            if is_falsy(acc):
                return acc
            if not is_truthy(acc):
                raise CertLogicError('all operands of an "and" operation must be either truthy or falsy')
            acc = ev(a)
        return acc
    if op in ("===", "in", "+"):
        if len(args) != 2:
            raise CertLogicError(f'an operation with operator "{op}" must have 2 operands')
        left, right = ev(args[0]), ev(args[1])
        if op == "===":
            return _strict_equal(left, right)
        if op == "in":
            if not isinstance(right, list):
                raise CertLogicError('right-hand side of an "in" operation must be an array')
            return any(_strict_equal(left, r) for r in right)
        if not (is_int(left) and is_int(right)):
            raise CertLogicError('operands of "+" must be integers')
        return int(left) + int(right)
    if op in _INT_COMPARE or op in _DATE_COMPARE:
        if len(args) not in (2, 3):
            raise CertLogicError(f'an operation with operator "{op}" must have 2 or 3 operands')
        return _compare(op, [ev(a) for a in args])
    if op == "plusTime":
        if len(args) != 3:
            raise CertLogicError('a "plusTime" operation must have exactly 3 operands')
        amount, unit = args[1], args[2]
        if not is_int(amount):
            raise CertLogicError('"amount" argument (#2) of "plusTime" must be an integer')
        if unit not in ("year", "month", "day", "hour"):
            raise CertLogicError('"unit" argument (#3) of "plusTime" must be year, month, day or hour')
        value = ev(args[0])
        if not isinstance(value, str):
            raise CertLogicError('date argument of "plusTime" must be a string')
        return plus_time(value, int(amount), unit)
    if op == "reduce":
        if len(args) != 3:
            raise CertLogicError('a "reduce" operation must have exactly 3 operands')
        operand = ev(args[0])
        if operand is None:
            return ev(args[2])
        if not isinstance(operand, list):
            raise CertLogicError('operand of "reduce" must evaluate to an array or null')
        acc = ev(args[2])
        for current in operand:
            acc = evaluate(args[1], {"accumulator": acc, "current": current, "data": data}, _depth + 1)
        return acc
    if op == "extractFromUVCI":
        if len(args) != 2:
            raise CertLogicError('an "extractFromUVCI" operation must have exactly 2 operands')
        if not is_int(args[1]):
            raise CertLogicError('"index" argument (#2) of "extractFromUVCI" must be an integer')
        value = ev(args[0])
        if not (value is None or isinstance(value, str)):
            raise CertLogicError('"UVCI" argument (#1) of "extractFromUVCI" must be a string or null')
        return extract_from_uvci(value, int(args[1]))
    if op == "dccDateOfBirth":
        if len(args) != 1:
            raise CertLogicError('a "dccDateOfBirth" operation must have exactly 1 operand')
        return dcc_date_of_birth(ev(args[0]))
    raise CertLogicError(f"unrecognised operation: {op!r}")


def validate(expr: Any, _depth: int = 0) -> list[str]:
    """Problems with an expression's shape (empty: it may be evaluated). Does not need data."""
    problems: list[str] = []
    if _depth > MAX_DEPTH:
        return ["expression nested too deeply"]
    if isinstance(expr, (bool, str)) or is_int(expr):
        return problems
    if isinstance(expr, list):
        for e in expr:
            problems += validate(e, _depth + 1)
        return problems
    if not isinstance(expr, dict):
        return [f"not allowed as a literal: {expr!r}"]
    if len(expr) != 1:
        return [f"an expression object has exactly one key, not {sorted(expr)}"]
    (op, args), = expr.items()
    if op not in OPERATIONS:
        return [f"unknown operation {op!r}"]
    if op == "var":
        return [] if isinstance(args, str) or is_int(args) else ['"var" takes a path string']
    if not isinstance(args, list) or not args:
        return [f'"{op}" needs a non-empty array of operands']
    arity = {"if": (3,), "!": (1,), "===": (2,), "in": (2,), "+": (2,), "plusTime": (3,), "reduce": (3,),
             "extractFromUVCI": (2,), "dccDateOfBirth": (1,)}
    if op in arity and len(args) not in arity[op]:
        problems.append(f'"{op}" takes {arity[op][0]} operands, not {len(args)}')
    if (op in _INT_COMPARE or op in _DATE_COMPARE) and len(args) not in (2, 3):
        problems.append(f'"{op}" takes 2 or 3 operands, not {len(args)}')
    if op == "and" and len(args) < 2:
        problems.append('"and" takes at least 2 operands')
    if op == "plusTime" and len(args) == 3:
        if not is_int(args[1]):
            problems.append('"plusTime" amount must be an integer literal')
        if args[2] not in ("year", "month", "day", "hour"):
            problems.append('"plusTime" unit must be year, month, day or hour')
    for a in args:
        problems += validate(a, _depth + 1)
    return problems
