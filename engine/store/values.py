"""Value checkers for declared column types and metadata: each returns the normalized value or raises Bad."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from .. import numbers

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# ASCII digits only (float() would also take "5_0", Arabic-Indic, fullwidth or mathematical digits)
NUMBER_TEXT = re.compile(r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class Bad(ValueError):
    """A refused value: a stable error code and the reason shown to the user."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_entity(value: object) -> str:
    """A non-empty string identifier."""
    if not isinstance(value, str):
        raise Bad("L004", "expected an entity identifier (a string)")
    if not value.strip():
        raise Bad("L007", "empty key: an entity needs an identifier")
    return value


def check_text(value: object) -> str:
    """Any string."""
    if not isinstance(value, str):
        raise Bad("L004", "expected text (a string)")
    return value


def parse_number(value: object, code: str = "L004") -> int | float:
    """The number of a JSON number (int, float or Decimal) or of text written with ASCII digits: an optional
    sign, digits with an optional decimal point, an optional exponent, spaces or tabs around. Whole numbers
    come back as int (read with int(), never through a float), decimals as the float of their shortest repr.
    Raises Bad for anything else (`code`), and L016 for a number the language cannot hold exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise Bad(code, "expected a number")
    if isinstance(value, str) and not NUMBER_TEXT.fullmatch(value):
        raise Bad(code, "expected a number written with the digits 0-9, such as 12, -3 or 0.5")
    try:
        if isinstance(value, int):
            return numbers.in_range(value)
        return numbers.from_float(value) if isinstance(value, float) else numbers.parse(str(value))
    except numbers.NumberError as exc:
        raise Bad("L016", str(exc)) from None


def check_number(value: object) -> int | float:
    """An exact number (see `parse_number`)."""
    return parse_number(value)


def check_percent(value: object) -> int | float:
    """A number from 0 to 100."""
    number = check_number(value)
    if not 0 <= number <= 100:
        raise Bad("L006", "percent must be between 0 and 100")
    return number


def check_date(value: object, code: str = "L005") -> str:
    """An ISO date `YYYY-MM-DD` naming a day that exists."""
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise Bad(code, "expected a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise Bad(code, "no such day") from None


_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?")


def check_timestamp(value: object) -> str:
    """A date with a time of day, `YYYY-MM-DDTHH:MM` or `...:SS`, kept as `YYYY-MM-DDTHH:MM:SS`; no time zone
    (write every time in one zone, such as UTC)."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value.strip()):
        raise Bad("L005", "expected a timestamp YYYY-MM-DDTHH:MM")
    try:
        return datetime.fromisoformat(value.strip()).isoformat(timespec="seconds")
    except ValueError:
        raise Bad("L005", "no such day or time") from None


def check_bool(value: object) -> bool:
    """true/false, 1/0 or yes/no (any case), or a JSON boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Bad("L004", "expected a bool: true/false, 1/0 or yes/no")


TYPE_CHECKERS = {
    "entity": check_entity, "text": check_text, "number": check_number,
    "percent": check_percent, "date": check_date, "timestamp": check_timestamp, "bool": check_bool,
}


def _optional(check):
    def checker(value: object):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return check(value)
    checker.__doc__ = f"None (or blank) or {check.__name__}"
    return checker


def _meta_text(value: object) -> str:
    if not isinstance(value, str):
        raise Bad("L008", "expected text (a string)")
    return value.strip()


def _credibility(value: object) -> int:
    try:
        number = parse_number(value, "L008")
    except Bad:
        number = None
    if not (type(number) is int and 1 <= number <= 6):
        raise Bad("L008", "credibility must be a whole number from 1 to 6")
    return number


def _action(value: object) -> str:
    if value not in ("assert", "retract"):
        raise Bad("L008", "action must be 'assert' or 'retract'")
    return value


def _meta_date(value: object) -> str:
    return check_date(value, "L008")


META_CHECKERS = {
    "_source": _optional(_meta_text), "_document": _optional(_meta_text),
    "_credibility": _optional(_credibility), "_observed": _optional(_meta_date),
    "_valid_from": _optional(_meta_date), "_valid_to": _optional(_meta_date),
    "_action": _optional(_action),
}
