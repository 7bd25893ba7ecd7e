"""Defaults checked by the generated type's own validation.

A field's default is validated by the pydantic-core schema that Pydantic builds for the field's
generated annotation (`Annotated[int, Field(ge=1)]` is `int_schema(ge=1)`, `AwareDatetime` is a
tz-aware `datetime_schema`, `list[T]` with `min_items` is `list_schema(min_length=...)`, and so
on), so a default that `check` accepts is one the model itself accepts. Strings with
`format: email` or `format: uri` are validated by Pydantic's own `EmailStr` and `AnyUrl`.

The pattern of a string is matched by the run's `PatternChecker` (compiled once, within the
run's budget), after the rest of the schema: pydantic-core checks lengths before the pattern.
"""

from __future__ import annotations

import decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from specforge import ir
from specforge.numeric import shown
from specforge.patterns import PatternChecker, TooCostly

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic_core import CoreSchema


# pydantic-core's error types for the constraints of the spec language.
_CONSTRAINT_OF_ERROR = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
    "string_too_short": "min_length",
    "string_too_long": "max_length",
    "bytes_too_short": "min_length",
    "bytes_too_long": "max_length",
    "too_short": "min_items",
    "too_long": "max_items",
    "string_pattern_mismatch": "pattern",
}


def default_problem(
    value: ir.DefaultValue,
    t: ir.TypeRef,
    c: ir.Constraints,
    patterns: PatternChecker,
    what: str = "default",
) -> str | None:
    """Why the generated type rejects `value`, a default or an example (`what`), quoting its
    validator, or None."""
    data = _python(value)
    if isinstance(t, ir.ScalarType) and t.kind is ir.ScalarKind.STRING and c.format:
        problem, data = _formatted(value, c, what)
        if problem is not None:
            return problem
    elif not _plainly_valid(data, t, c):
        from pydantic_core import SchemaValidator, ValidationError

        try:
            SchemaValidator(_schema(t, c)).validate_python(data)
        except ValidationError as e:
            return _rejection(value, c, e.errors(include_url=False)[0], what)
    if c.pattern is not None and isinstance(data, str):
        try:
            mismatch = patterns.mismatch(c.pattern, data)
        except TooCostly as e:
            return f"{what}: {e}"
        if mismatch is not None:
            return _rejection(value, c, {"msg": mismatch, "type": "string_pattern_mismatch"}, what)
    return None


# Scalar kinds whose unconstrained schema accepts every value of exactly this Python type, as
# pydantic-core does (lax mode; floats keep inf and nan). Most defaults are such a value: they
# need no validator, and the run need not import pydantic-core (60 ms) to know it.
_ACCEPTED_AS_IS = {
    ir.ScalarKind.INT: int,
    ir.ScalarKind.FLOAT: float,
    ir.ScalarKind.STRING: str,
    ir.ScalarKind.BOOL: bool,
}


def _plainly_valid(data: object, t: ir.TypeRef, c: ir.Constraints) -> bool:
    """Whether `data` is valid for the schema of `t` and `c` without asking pydantic-core
    (`tests/engine/test_values.py` holds this to pydantic-core's answer)."""
    if not isinstance(t, ir.ScalarType) or c.format is not None:
        return False
    if c.ge is not None or c.gt is not None or c.le is not None or c.lt is not None:
        return False
    if c.min_length is not None or c.max_length is not None:
        return False
    return type(data) is _ACCEPTED_AS_IS.get(t.kind)


def _rejection(value: ir.DefaultValue, c: ir.Constraints, error: Any, what: str) -> str:
    """`default 3 breaks 'ge: 18' (Input should be ...)`: the constraint it breaks, if the
    error is about one, and the validator's words."""
    message = shown(str(error["msg"]), 300)
    loc = tuple(error.get("loc", ()))
    if not loc and _show(value):
        what += f" {_show(value)}"
    where = "".join(f"[{part!r}]" for part in loc)  # the item of a list or dict
    if where:
        what += f" (at {where})"
    key = _CONSTRAINT_OF_ERROR.get(error.get("type", ""))
    if key == "pattern":
        return f"{what} does not match the pattern: {message}"
    bound = getattr(c, key) if key and not loc else None
    if key and bound is not None:
        return f"{what} breaks '{key}: {bound}' ({message})"
    return f"{what} is rejected by the generated type: {message}"


def _show(value: ir.DefaultValue) -> str:
    """A scalar default as the message shows it; nothing for lists and dicts."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, bool | int | float | decimal.Decimal):
        return shown(str(value))
    return ""


def _python(value: ir.DefaultValue) -> object:
    """The default as the Python value the generated code passes to the validator."""
    if isinstance(value, tuple):
        return [_python(v) for v in value]
    if isinstance(value, ir.DefaultMapping):
        return {k: _python(v) for k, v in value.items}
    if isinstance(value, ir.EnumValue):
        return value.value
    return value


def _schema(t: ir.TypeRef, c: ir.Constraints | None = None) -> CoreSchema:
    """The pydantic-core schema of the generated annotation of `t` with constraints `c`,
    except the pattern (matched by the PatternChecker) and formats (done by Pydantic)."""
    from pydantic_core import core_schema as cs

    c = c or ir.Constraints()
    if isinstance(t, ir.ListType):
        return cs.list_schema(_schema(t.item), min_length=c.min_items, max_length=c.max_items)
    if isinstance(t, ir.DictType):
        return cs.dict_schema(
            cs.str_schema(), _schema(t.value), min_length=c.min_items, max_length=c.max_items
        )
    if isinstance(t, ir.LiteralType):
        return cs.literal_schema([t.value])
    if isinstance(t, ir.EnumType):
        # The generated enum's members are its values; a default names one of them.
        return cs.literal_schema(list(t.enum.values))
    if isinstance(t, ir.ModelType):
        # Only an empty list or dict of models has a default: no model is ever validated.
        return cs.any_schema()
    kind = t.kind
    if kind is ir.ScalarKind.INT:
        return cs.int_schema(ge=_int(c.ge), gt=_int(c.gt), le=_int(c.le), lt=_int(c.lt))
    if kind is ir.ScalarKind.FLOAT:
        return cs.float_schema(ge=c.ge, gt=c.gt, le=c.le, lt=c.lt)
    if kind is ir.ScalarKind.DECIMAL:
        return cs.decimal_schema(ge=_dec(c.ge), gt=_dec(c.gt), le=_dec(c.le), lt=_dec(c.lt))
    if kind is ir.ScalarKind.STRING:
        return cs.str_schema(min_length=c.min_length, max_length=c.max_length)
    if kind is ir.ScalarKind.BYTES:
        return cs.bytes_schema(min_length=c.min_length, max_length=c.max_length)
    if kind is ir.ScalarKind.BOOL:
        return cs.bool_schema()
    if kind is ir.ScalarKind.DATE:
        return cs.date_schema()
    if kind is ir.ScalarKind.DATETIME:
        return cs.datetime_schema(tz_constraint="aware")
    assert kind is ir.ScalarKind.UUID
    return cs.uuid_schema()


def _int(bound: int | float | None) -> int | None:
    # read_constraints takes only whole 64-bit numbers for int bounds; Pydantic coerces them.
    return None if bound is None else int(bound)


def _dec(bound: int | float | None) -> decimal.Decimal | None:
    return None if bound is None else decimal.Decimal(str(bound))


def _formatted(value: ir.DefaultValue, c: ir.Constraints, what: str) -> tuple[str | None, object]:
    """Pydantic's rejection of a default of an `EmailStr` or `AnyUrl` field, or None and the
    validated value (the pattern, if any, is matched against it afterwards, as Pydantic
    does)."""
    from pydantic import ValidationError

    adapter = _format_adapter(c.format or "", c.min_length, c.max_length)
    try:
        result = adapter.validate_python(value)
    except ValidationError as e:
        return _rejection(value, c, e.errors(include_url=False)[0], what), None
    return None, result


@cache
def _format_adapter(fmt: str, min_length: int | None, max_length: int | None) -> TypeAdapter[Any]:
    """A TypeAdapter for `Annotated[EmailStr, Field(...)]` or `Annotated[AnyUrl, ...]` as the
    generated code writes it (see render.common: TypeNamer.scalar and constraint_args)."""
    from typing import Annotated

    from pydantic import AnyUrl, EmailStr, Field, TypeAdapter

    base: Any = EmailStr if fmt == "email" else AnyUrl
    return TypeAdapter(Annotated[base, Field(min_length=min_length, max_length=max_length)])
