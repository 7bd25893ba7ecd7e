"""`check` means what the generated code means at run time: patterns are compiled by the regex
engine Pydantic uses, defaults are validated by the type Pydantic builds for the annotation,
numbers are what generated code can hold; and none of it takes unbounded work."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import subprocess
import sys
import uuid
from typing import Annotated, Any, Literal

import pydantic
import pydantic_core
import pytest
from pydantic import AnyUrl, AwareDatetime, EmailStr, Field, TypeAdapter

from specforge.frontend import check_sources
from specforge.numeric import decimal_digits, shown
from specforge.patterns import PatternChecker, estimate, rust_message
from specforge.typeexpr import MAX_TYPE_DEPTH, TypeSyntaxError, parse_type


def field_errors(field: str) -> list[str]:
    """The messages of `check` for a model with one field written as `field`."""
    spec = f"models:\n  Thing:\n    fields:\n      x: {field}\n"
    _, errors = check_sources({"shared/spec/models.yaml": spec})
    return [e.message for e in errors]


# -- patterns -----------------------------------------------------------------------------

PATTERNS = [
    r"^[0-9]{5}$",
    r"^(a+)+$",
    r"(?=a)",  # look-around: Python's re has it, the Rust engine does not
    r"(?<!a)b",
    r"(a)\1",  # backreference
    r"[a-",
    r"\p{Greek}+",  # Unicode classes: the Rust engine has them, Python's re does not
    r"(?<name>a)",
    r"(?P<name>a)",
    r"[[:alpha:]]+",
    r"\Z",
    r"a{,3}",
    r"\x{41}",
    r"(?i)straße",
    r"\w{300}",  # over the compiled-size limit
]


def pydantic_compiles(pattern: str) -> bool:
    try:
        TypeAdapter(Annotated[str, Field(pattern=pattern)])
    except pydantic_core.SchemaError:
        return False
    return True


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_passes_check_exactly_when_pydantic_compiles_it(pattern: str) -> None:
    quoted = "'" + pattern.replace("'", "''") + "'"
    errors = field_errors(f"{{type: string, pattern: {quoted}}}")
    assert (not errors) == pydantic_compiles(pattern), errors
    if errors:
        assert errors[0].startswith("invalid regular expression: "), errors


def test_rust_messages_are_one_useful_line() -> None:
    annotation: Any = Annotated[str, Field(pattern="x(?=a)")]
    with pytest.raises(pydantic_core.SchemaError) as e:
        TypeAdapter(annotation)
    assert rust_message(str(e.value), "x(?=a)") == (
        "look-around, including look-ahead and look-behind, is not supported (at position 2)"
    )


def test_a_pattern_is_compiled_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    real = pydantic_core.SchemaValidator

    def counting(schema: Any, *args: Any) -> Any:
        built.append(schema)
        return real(schema, *args)

    monkeypatch.setattr(pydantic_core, "SchemaValidator", counting)
    spec = "models:\n  Thing:\n    fields:\n" + "".join(
        f"      f{i}: {{type: string, pattern: '^[a-z]+$'}}\n" for i in range(20)
    )
    _, errors = check_sources({"shared/spec/models.yaml": spec})
    assert errors == []
    assert sum(1 for s in built if isinstance(s, dict) and s.get("pattern")) == 1


def test_a_pattern_over_the_budget_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("compiled")

    checker = PatternChecker(budget=50_000)
    monkeypatch.setattr(pydantic_core, "SchemaValidator", refuse)
    problem = checker.problem(r"\w{100}")
    assert problem is not None and "too costly to compile" in problem
    assert checker.spent == 0


def test_the_budget_is_spent_across_patterns() -> None:
    checker = PatternChecker(budget=3 * estimate(r"\d{20}x"))
    assert [checker.problem(rf"\d{{20}}{c}") is None for c in "abcd"] == [True] * 3 + [False]
    assert checker.problem(r"\d{20}a") is None  # compiled already: free


def test_only_the_last_compiled_patterns_are_kept() -> None:
    checker = PatternChecker()
    patterns = [rf"^\d{{3}}{i}$" for i in range(PatternChecker.KEPT + 1)]
    assert all(checker.problem(p) is None for p in patterns)
    spent = checker.spent
    assert checker.mismatch(patterns[-1], "1238") is None  # kept: matching is all it costs
    assert checker.spent == spent
    assert checker.mismatch(patterns[0], "x") == "String should match pattern '^\\d{3}0$'"
    assert checker.spent == spent + estimate(patterns[0])  # dropped: compiled again


def test_the_estimate_grows_with_what_the_engine_expands() -> None:
    assert estimate(r"\w{200}") > 100 * estimate(r"[a-z]{2}")
    assert estimate(r"(?:\w{10}){10}") > 90 * estimate(r"\w")
    assert estimate("a" * 1_000_000) > 2_000_000  # linear: a megabyte is estimated, not compiled
    assert estimate(r"(((") > 0 and estimate("\\") > 0  # any text has an estimate


def test_pydantic_core_is_imported_only_when_needed() -> None:
    script = (
        "import sys\n"
        "from specforge.frontend import check_sources\n"
        "spec = %r\n"
        "assert check_sources({'shared/spec/models.yaml': spec})[1] == []\n"
        "print('pydantic_core' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def modules(extra: str) -> str:
        spec = f"models:\n  A:\n    fields:\n      x: {{type: string{extra}}}\n"
        return subprocess.run(
            [sys.executable, "-c", script % spec],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.strip()

    assert modules("") == "False False"
    assert modules(", pattern: '^a'") == "True False"
    assert modules(", default: b") == "False False"  # a plain string: valid as it is
    assert modules(", default: b, max_length: 3") == "True False"
    assert modules(", format: email, default: a@example.com") == "True True"


# -- defaults -----------------------------------------------------------------------------

UUID = "12345678-1234-5678-1234-567812345678"
# (the field in the spec, the annotation the generated code writes, the default's value)
DEFAULTS: list[tuple[str, Any, object]] = [
    ("{type: int, ge: 1, le: 500, default: 50}", Annotated[int, Field(ge=1, le=500)], 50),
    ("{type: int, ge: 1, le: 500, default: 501}", Annotated[int, Field(ge=1, le=500)], 501),
    ("{type: int, gt: 1.0, default: 1}", Annotated[int, Field(gt=1.0)], 1),
    ("{type: float, lt: 0.5, default: 0.5}", Annotated[float, Field(lt=0.5)], 0.5),
    ("{type: float, ge: -1, default: -1}", Annotated[float, Field(ge=-1)], -1.0),
    (
        "{type: decimal, le: 2.5, default: '2.50'}",
        Annotated[decimal.Decimal, Field(le=2.5)],
        "2.50",
    ),
    (
        "{type: decimal, le: 2.5, default: '2.51'}",
        Annotated[decimal.Decimal, Field(le=2.5)],
        "2.51",
    ),
    ("{type: string, min_length: 2, default: a}", Annotated[str, Field(min_length=2)], "a"),
    ("{type: string, max_length: 2, default: ab}", Annotated[str, Field(max_length=2)], "ab"),
    ("{type: string, pattern: '^b', default: abc}", Annotated[str, Field(pattern="^b")], "abc"),
    ("{type: string, pattern: 'b', default: abc}", Annotated[str, Field(pattern="b")], "abc"),
    (
        "{type: string, pattern: '\\p{Lu}', default: aÉ}",
        Annotated[str, Field(pattern=r"\p{Lu}")],
        "aÉ",
    ),
    ("{type: bytes, max_length: 1, default: ab}", Annotated[bytes, Field(max_length=1)], b"ab"),
    ("{type: date, default: 2024-02-29}", dt.date, "2024-02-29"),
    (
        "{type: datetime, default: '2024-01-01T00:00:00+01:00'}",
        AwareDatetime,
        "2024-01-01T00:00:00+01:00",
    ),
    ("{type: uuid, default: " + UUID + "}", uuid.UUID, UUID),
    ("{type: 'literal[3]', default: 3}", Literal[3], 3),
    (
        "{type: 'list[int]', min_items: 1, default: []}",
        Annotated[list[int], Field(min_length=1)],
        [],
    ),
    (
        "{type: 'list[int]', max_items: 2, default: [1, 2]}",
        Annotated[list[int], Field(max_length=2)],
        [1, 2],
    ),
    (
        "{type: 'dict[string, int]', max_items: 1, default: {a: 1, b: 2}}",
        Annotated[dict[str, int], Field(max_length=1)],
        {"a": 1, "b": 2},
    ),
    ("{type: string, format: email, default: a@example.com}", EmailStr, "a@example.com"),
    ("{type: string, format: email, default: 'a@'}", EmailStr, "a@"),
    (
        "{type: string, format: email, max_length: 5, default: a@example.com}",
        Annotated[EmailStr, Field(max_length=5)],
        "a@example.com",
    ),
    (
        "{type: string, format: email, pattern: '^b', default: a@example.com}",
        Annotated[EmailStr, Field(pattern="^b")],
        "a@example.com",
    ),
    (
        "{type: string, format: uri, default: 'https://example.com/x'}",
        AnyUrl,
        "https://example.com/x",
    ),
    ("{type: string, format: uri, default: 'example'}", AnyUrl, "example"),
]


def accepts(annotation: Any, value: object) -> bool:
    try:
        TypeAdapter(annotation).validate_python(value)
    except pydantic.ValidationError:
        return False
    return True


@pytest.mark.parametrize(("field", "annotation", "value"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_a_default_passes_check_exactly_when_the_generated_type_accepts_it(
    field: str, annotation: Any, value: object
) -> None:
    errors = field_errors(field)
    assert (not errors) == accepts(annotation, value), errors
    assert all("default" in e for e in errors)


def test_a_rejection_quotes_the_validator() -> None:
    assert field_errors("{type: int, ge: 1, le: 500, default: 501}") == [
        "default 501 breaks 'le: 500' (Input should be less than or equal to 500)"
    ]
    [message] = field_errors("{type: string, format: email, default: 'a@'}")
    assert message.startswith("default 'a@' is rejected by the generated type: value is not a")


def test_matching_a_catastrophic_pattern_is_linear() -> None:
    # Python's re backtracks for minutes on this; the Rust engine answers at once.
    [message] = field_errors("{type: string, pattern: '^(a+)+$', default: '" + "a" * 5000 + "!'}")
    assert "does not match the pattern" in message


CONSTRAINTS: list[tuple[str, Any]] = [
    ("{type: int, ge: 1.0e+300}", Annotated[int, Field(ge=1.0e300)]),
    ("{type: int, le: 9.3e+18}", Annotated[int, Field(le=9.3e18)]),
    ("{type: int, le: 9.2e+18, gt: -9.2e+18}", Annotated[int, Field(le=9.2e18, gt=-9.2e18)]),
    ("{type: int, lt: 9223372036854775807}", Annotated[int, Field(lt=9223372036854775807)]),
    ("{type: float, ge: 1.0e+308}", Annotated[float, Field(ge=1.0e308)]),
    ("{type: decimal, ge: 1.0e+300}", Annotated[decimal.Decimal, Field(ge=1.0e300)]),
    (
        "{type: string, max_length: 9223372036854775807}",
        Annotated[str, Field(max_length=2**63 - 1)],
    ),
]


@pytest.mark.parametrize(("field", "annotation"), CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraints_pass_check_exactly_when_pydantic_builds_the_type(
    field: str, annotation: Any
) -> None:
    errors = field_errors(field)
    try:
        TypeAdapter(annotation)
        builds = True
    except pydantic_core.SchemaError:
        builds = False
    assert (not errors) == builds, errors


# -- numbers and type expressions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("{type: int, default: 9223372036854775807}", None),
        ("{type: int, default: -9223372036854775808}", None),
        ("{type: int, default: 9223372036854775808}", "does not fit in 64 bits"),
        ("{type: int, ge: -9223372036854775809}", "does not fit in 64 bits"),
        ("{type: int, ge: 1.0e+300}", "whole number that fits in 64 bits"),
        ("{type: int, le: 9.3e+18}", "whole number that fits in 64 bits"),
        ("{type: int, le: 9.2e+18}", None),
        ("{type: int, gt: 1.5}", "whole number"),
        ("{type: float, default: 1.0e+308}", None),
        ("{type: float, default: 1.0e+309}", "expected a finite number"),
        ("{type: float, le: -.inf}", "expected a finite number"),
        ("{type: float, le: 1, ge: 0, default: .NaN}", "expected a number, got NaN"),
        ("{type: decimal, default: '" + "9" * 100 + "'}", None),
        ("{type: decimal, default: '" + "9" * 101 + "'}", "at most 100 digits"),
        ("{type: decimal, default: '1e-100'}", None),
        ("{type: decimal, default: '1e-101'}", "at most 100 digits"),
        ("{type: decimal, default: '1e+999999999999'}", "at most 100 digits"),
        ("{type: decimal, default: NaN}", "decimal"),
        ("{type: string, min_length: 18446744073709551616}", "does not fit in 64 bits"),
        ("{type: 'list[int]', max_items: -9223372036854775809}", "does not fit in 64 bits"),
        ("{type: 'literal[9223372036854775808]'}", "does not fit in 64 bits"),
    ],
)
def test_numbers_are_64_bit_and_finite(field: str, words: str | None) -> None:
    errors = field_errors(field)
    if words is None:
        assert errors == []
    else:
        assert len(errors) == 1 and words in errors[0], errors


def test_decimal_digits_are_counted_without_writing_them_out() -> None:
    assert decimal_digits(decimal.Decimal("1E+3")) == 4
    assert decimal_digits(decimal.Decimal("0.001")) == 3
    assert decimal_digits(decimal.Decimal("123.45")) == 5
    assert decimal_digits(decimal.Decimal("1E+999999999999999")) == 10**15


def test_type_expressions_are_bounded() -> None:
    deepest = "list[" * (MAX_TYPE_DEPTH - 1) + "int" + "]" * (MAX_TYPE_DEPTH - 1)
    assert str(parse_type(deepest)) == deepest
    with pytest.raises(TypeSyntaxError, match="nested more than 32 levels"):
        parse_type("list[" * MAX_TYPE_DEPTH + "int" + "]" * MAX_TYPE_DEPTH)
    with pytest.raises(TypeSyntaxError, match="nested more than 32 levels"):
        parse_type("dict[string, " * 40 + "int" + "]" * 40)
    with pytest.raises(TypeSyntaxError, match="at most 1000 characters"):
        parse_type("list[" * 100_000 + "int" + "]" * 100_000)
    with pytest.raises(TypeSyntaxError, match="plain word or number"):
        parse_type("literal[a\x00b]")


def test_literal_values_quoted_may_hold_any_text() -> None:
    assert parse_type("literal['{x}\\n\"']").literal == '{x}\\n"'
    with pytest.raises(TypeSyntaxError) as e:
        parse_type("literal[a\nb]")
    assert "\n" not in str(e.value) and "a\\nb" in str(e.value)


def test_messages_show_spec_text_on_one_line() -> None:
    assert shown("a\nb\x00") == "a\\nb\\x00"
    assert shown("x" * 100) == "x" * 60 + "…"
