"""specforge.values: the defaults it accepts without pydantic-core are exactly the ones
pydantic-core accepts, and constrained or formatted ones still go to the validator."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import SchemaValidator, ValidationError

from specforge import ir
from specforge.patterns import PatternChecker
from specforge.values import _plainly_valid, _schema, default_problem

KINDS = [ir.ScalarKind.INT, ir.ScalarKind.FLOAT, ir.ScalarKind.STRING, ir.ScalarKind.BOOL]

VALUES = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


def accepted(data: object, t: ir.TypeRef, c: ir.Constraints) -> bool:
    try:
        SchemaValidator(_schema(t, c)).validate_python(data)
    except ValidationError:
        return False
    return True


@given(kind=st.sampled_from(KINDS), data=VALUES)
def test_what_passes_unasked_pydantic_core_accepts(kind: ir.ScalarKind, data: object) -> None:
    t = ir.ScalarType(kind)
    if _plainly_valid(data, t, ir.Constraints()):
        assert accepted(data, t, ir.Constraints())


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (ir.ScalarKind.INT, 51),
        (ir.ScalarKind.INT, -(10**30)),
        (ir.ScalarKind.FLOAT, 0.5),
        (ir.ScalarKind.FLOAT, math.inf),
        (ir.ScalarKind.STRING, ""),
        (ir.ScalarKind.BOOL, True),
    ],
)
def test_plain_defaults_pass_unasked(kind: ir.ScalarKind, data: ir.DefaultValue) -> None:
    assert _plainly_valid(data, ir.ScalarType(kind), ir.Constraints())
    assert default_problem(data, ir.ScalarType(kind), ir.Constraints(), PatternChecker()) is None


@pytest.mark.parametrize(
    ("kind", "data", "constraints", "problem"),
    [
        (ir.ScalarKind.INT, 3, ir.Constraints(ge=18), "default 3 breaks 'ge: 18'"),
        (ir.ScalarKind.FLOAT, 9.5, ir.Constraints(lt=1), "default 9.5 breaks 'lt: 1'"),
        (ir.ScalarKind.STRING, "abc", ir.Constraints(max_length=2), "breaks 'max_length: 2'"),
        (ir.ScalarKind.STRING, "x", ir.Constraints(format="email"), "not a valid email"),
        (ir.ScalarKind.INT, True, ir.Constraints(), None),  # pydantic-core's lax int takes it
        (ir.ScalarKind.INT, 1.5, ir.Constraints(), "rejected by the generated type"),
        (ir.ScalarKind.BOOL, "maybe", ir.Constraints(), "rejected by the generated type"),
    ],
)
def test_the_rest_goes_to_the_validator(
    kind: ir.ScalarKind, data: ir.DefaultValue, constraints: ir.Constraints, problem: str | None
) -> None:
    t = ir.ScalarType(kind)
    assert not _plainly_valid(data, t, constraints)
    found = default_problem(data, t, constraints, PatternChecker())
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_a_plain_string_still_meets_its_pattern() -> None:
    t, c = ir.ScalarType(ir.ScalarKind.STRING), ir.Constraints(pattern="^x")
    assert _plainly_valid("abc", t, c)  # the pattern is not the validator's to check
    patterns = PatternChecker()
    assert patterns.problem("^x") is None  # the frontend checks the pattern first
    found = default_problem("abc", t, c, patterns)
    assert found is not None and "does not match the pattern" in found
