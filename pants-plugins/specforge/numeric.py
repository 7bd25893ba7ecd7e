"""The numbers a spec may hold, and how to show spec text in a one-line error message.

Generated code, its OpenAPI document and the databases behind it take integers as signed
64-bit values, and Python literals cannot spell an infinity or a NaN; so every integer the
spec language takes (constraints, lengths, counts, statuses, int defaults, literal ints)
fits in 64 bits, every number is finite, and a decimal default has at most
`MAX_DECIMAL_DIGITS` digits written out.
"""

from __future__ import annotations

import decimal
import math

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_DECIMAL_DIGITS = 100


def shown(text: str, limit: int = 60) -> str:
    """`text` fit for a one-line message: control characters escaped, long text cut."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def int64_problem(value: int, text: str | None = None) -> str | None:
    """Why `value` is not a signed 64-bit integer, or None. `text` is how the spec wrote it."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    return (
        f"{shown(text) if text is not None else 'the integer'} does not fit in 64 bits "
        f"(integers go from {INT64_MIN} to {INT64_MAX})"
    )


def number_problem(value: int | float, text: str | None = None) -> str | None:
    """Why `value` is not a usable number (a 64-bit integer or a finite float), or None."""
    if isinstance(value, int):
        return int64_problem(value, text)
    if math.isnan(value):
        return "expected a number, got NaN"
    if math.isinf(value):
        return (
            f"expected a finite number, got {shown(text) if text is not None else value} (infinity)"
        )
    return None


def decimal_digits(value: decimal.Decimal) -> int:
    """How many digits `value` has written out without an exponent (`1E+3` has 4), counted
    without writing it out."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits), -exponent)


def decimal_problem(value: decimal.Decimal, text: str) -> str | None:
    """Why `value` is not a usable decimal default, or None."""
    if not value.is_finite():
        return f"expected a finite decimal number, got {shown(text)}"
    if decimal_digits(value) > MAX_DECIMAL_DIGITS:
        return f"a decimal default has at most {MAX_DECIMAL_DIGITS} digits, got {shown(text)}"
    return None
