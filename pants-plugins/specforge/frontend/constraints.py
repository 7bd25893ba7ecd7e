"""Constraints (pass 2): ge/gt/le/lt, lengths, pattern, format and item counts, each checked
against the type it applies to and against the others."""

from __future__ import annotations

from specforge import ir
from specforge.errors import suggest
from specforge.frontend.context import Resolution
from specforge.frontend.display import type_name
from specforge.frontend.keys import (
    FORMATS,
    ITEM_CONSTRAINTS,
    LENGTH_CONSTRAINTS,
    LENGTH_KINDS,
    NUMERIC_CONSTRAINTS,
    NUMERIC_KINDS,
)
from specforge.numeric import int64_problem
from specforge.reader import Reader


def read_constraints(
    ctx: Resolution, r: Reader, ftype: ir.TypeRef, *, field_keys: bool
) -> ir.Constraints:
    """Read ge/gt/le/lt, lengths, pattern, format and item counts, checking that each
    applies to the type and that they are consistent."""
    kind = ftype.kind if isinstance(ftype, ir.ScalarType) else None
    shown_type = type_name(ftype)
    values: dict[str, object] = {}
    for key in NUMERIC_CONSTRAINTS:
        if r.has(key):
            if kind not in NUMERIC_KINDS:
                r.error(
                    key,
                    f"'{key}' applies to int, float and decimal, not to {shown_type}",
                    at_key=True,
                )
            else:
                v = r.number(key)
                if v is not None:
                    if (
                        kind is ir.ScalarKind.INT
                        and isinstance(v, float)
                        and not (v.is_integer() and int64_problem(int(v)) is None)
                    ):
                        # Pydantic cannot build an int validator with such a bound.
                        r.error(
                            key,
                            f"'{key}' of an int must be a whole number that fits in 64 "
                            f"bits, got {v}",
                        )
                    else:
                        values[key] = v
    for key in LENGTH_CONSTRAINTS:
        if r.has(key):
            if kind not in LENGTH_KINDS:
                hint = (
                    " (use min_items/max_items for lists)" if isinstance(ftype, ir.ListType) else ""
                )
                r.error(
                    key,
                    f"'{key}' applies to string and bytes, not to {shown_type}{hint}",
                    at_key=True,
                )
            else:
                v = r.integer(key, minimum=0)
                if v is not None:
                    values[key] = v
    if r.has("pattern"):
        if kind is not ir.ScalarKind.STRING:
            r.error("pattern", f"'pattern' applies to string, not to {shown_type}", at_key=True)
        else:
            pattern = r.string("pattern")
            if pattern is not None:
                # Compiled by the engine of the generated code's Pydantic (see patterns).
                problem = ctx.patterns.problem(pattern)
                if problem is None:
                    values["pattern"] = pattern
                else:
                    r.error("pattern", problem)
    if field_keys and r.has("format"):
        fmt = r.string("format")
        if kind is not ir.ScalarKind.STRING:
            r.error("format", f"'format' applies to string, not to {shown_type}", at_key=True)
        elif fmt is not None:
            if fmt not in FORMATS:
                r.error(
                    "format",
                    f"unknown format '{fmt}'{suggest(fmt, FORMATS)}; expected one of: "
                    f"{', '.join(FORMATS)}",
                )
            elif fmt == "uri" and "pattern" in values:
                # Pydantic applies the pattern to the validated Url, not to a str: every
                # value would fail with a TypeError at run time.
                r.error(
                    "pattern",
                    "'pattern' cannot be combined with 'format: uri' (Pydantic's AnyUrl "
                    "cannot be matched against a pattern); drop one of them",
                    at_key=True,
                )
                values.pop("pattern")
            else:
                values["format"] = fmt
    if field_keys:
        for key in ITEM_CONSTRAINTS:
            if r.has(key):
                if not isinstance(ftype, ir.ListType | ir.DictType):
                    r.error(
                        key,
                        f"'{key}' applies to list and dict, not to {shown_type}",
                        at_key=True,
                    )
                else:
                    v = r.integer(key, minimum=0)
                    if v is not None:
                        values[key] = v
    check_bounds(ctx, r, values)
    return ir.Constraints(**values)  # type: ignore[arg-type]


def check_bounds(ctx: Resolution, r: Reader, v: dict[str, object]) -> None:
    # Python compares ints and floats exactly, without converting (no OverflowError).
    lower = [(k, x) for k in ("ge", "gt") if isinstance(x := v.get(k), int | float)]
    upper = [(k, x) for k in ("le", "lt") if isinstance(x := v.get(k), int | float)]
    for lk, lv in lower:
        for uk, uv in upper:
            empty = lv > uv if (lk == "ge" and uk == "le") else lv >= uv
            if empty:
                r.error(
                    lk,
                    f"'{lk}: {v[lk]}' and '{uk}: {v[uk]}' leave no valid value",
                    at_key=True,
                )
    for lo, hi in (("min_length", "max_length"), ("min_items", "max_items")):
        a, b = v.get(lo), v.get(hi)
        if isinstance(a, int) and isinstance(b, int) and a > b:
            r.error(lo, f"'{lo}: {a}' is greater than '{hi}: {b}'", at_key=True)
