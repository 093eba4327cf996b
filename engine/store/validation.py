"""Row validation: direct value checks for the rows that pass, pydantic models to report every fault of the rest."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Callable, Mapping

from ..syntax.ast import Declaration
from .values import META_CHECKERS, TYPE_CHECKERS, Bad

if TYPE_CHECKING:
    import pydantic


@dataclass(frozen=True)
class Checked:
    """A valid row: normalized arguments in declaration order, and metadata (without the leading '_')."""

    args: tuple
    meta: dict


@dataclass(frozen=True)
class Fault:
    """One refused value of a row, not yet located in its file."""

    code: str
    column: str | None
    value: object
    reason: str


@functools.lru_cache(maxsize=None)
def row_model(decl: Declaration) -> type[pydantic.BaseModel]:
    """The pydantic model of one row of `decl`: declared columns (required) and `_` metadata (optional).
    pydantic is imported here, for the rows the fast checker refuses: a clean load never needs it."""
    import pydantic
    from pydantic import BeforeValidator, ConfigDict, Field

    fields: dict[str, Any] = {}
    for i, col in enumerate(decl.columns):
        fields[f"c{i}"] = (Annotated[Any, BeforeValidator(TYPE_CHECKERS[col.type])], Field(alias=col.name))
    for i, (name, check) in enumerate(META_CHECKERS.items()):
        fields[f"m{i}"] = (Annotated[Any, BeforeValidator(check)], Field(default=None, alias=name))
    config = ConfigDict(extra="forbid", populate_by_name=False)
    return pydantic.create_model(f"Row_{decl.name}", __config__=config, **fields)


NO_META = MappingProxyType({name[1:]: None for name in META_CHECKERS} | {"action": "assert"})


@functools.lru_cache(maxsize=None)
def fast_checker(decl: Declaration) -> Callable[[dict], tuple[tuple, Mapping] | None]:
    """A checker for `decl`'s rows that calls the value checkers directly: (args, metadata) for a valid row,
    None for any other (`validate_row` then says why). A row with no metadata gets NO_META itself."""
    columns = tuple((c.name, TYPE_CHECKERS[c.type]) for c in decl.columns)
    allowed, width = frozenset(c.name for c in decl.columns) | frozenset(META_CHECKERS), len(columns)

    def check(values: dict) -> tuple[tuple, Mapping] | None:
        try:
            args = tuple([convert(values[name]) for name, convert in columns])
            if len(values) == width:
                return args, NO_META
            if not allowed.issuperset(values):
                return None
            meta = {name[1:]: convert(values[name]) if name in values else None
                    for name, convert in META_CHECKERS.items()}
        except (KeyError, ValueError, TypeError):
            return None
        meta["action"] = meta["action"] or "assert"
        return None if _check_interval(meta) else (args, meta)

    return check


def validate_row(decl: Declaration, values: dict) -> Checked | list[Fault]:
    """Check one row (a mapping of column name -> raw value). Returns every fault, not just the first."""
    import pydantic

    try:
        row = row_model(decl).model_validate(values)
    except pydantic.ValidationError as exc:
        return [_fault(err) for err in exc.errors()]
    args = tuple(getattr(row, f"c{i}") for i in range(len(decl.columns)))
    meta = {name[1:]: getattr(row, f"m{i}") for i, name in enumerate(META_CHECKERS)}
    meta["action"] = meta["action"] or "assert"
    return _check_interval(meta) or Checked(args, meta)


def _fault(err: dict) -> Fault:
    column = str(err["loc"][0]) if err["loc"] else None
    value = err.get("input")
    if err["type"] == "missing":
        return Fault("L002", column, None, "missing column")
    if err["type"] == "extra_forbidden":
        return Fault("L003", column, value, "extra column: not declared for this predicate")
    bad = err.get("ctx", {}).get("error")
    if isinstance(bad, Bad):
        return Fault(bad.code, column, value, bad.reason)
    return Fault("L004", column, value, err["msg"])


def _check_interval(meta: dict) -> list[Fault]:
    start, end = meta["valid_from"], meta["valid_to"]
    if start is not None and end is not None and end <= start:
        return [Fault("L008", "_valid_to", end, f"valid_to must be after valid_from ({start})")]
    return []
