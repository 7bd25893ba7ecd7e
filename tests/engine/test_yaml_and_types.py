"""The YAML layer (positions, YAML 1.2 scalars, malformed input) and type expressions."""

from __future__ import annotations

import pytest

from specforge.errors import Diagnostics, Location, suggest
from specforge.typeexpr import TypeExpr, TypeSyntaxError, parse_type
from specforge.yamlio import Mapping, Scalar, Sequence, load_yaml, resolve_plain


def load(text: str) -> tuple[object, list[str]]:
    diags = Diagnostics()
    node = load_yaml(text, "f.yaml", diags)
    return node, [e.format() for e in diags.sorted()]


def test_nodes_carry_one_based_positions() -> None:
    node, errors = load("a: 1\nb:\n  - x\n  - {c: 'q'}\n")
    assert errors == []
    assert isinstance(node, Mapping)
    (ka, va), (_, vb) = node.items
    assert ka.loc == Location("f.yaml", 1, 1) and va.loc == Location("f.yaml", 1, 4)
    assert isinstance(vb, Sequence) and vb.items[0].loc == Location("f.yaml", 3, 5)
    inner = vb.items[1]
    assert isinstance(inner, Mapping)
    c = inner.get("c")
    assert isinstance(c, Scalar) and c.value == "q" and c.quoted and c.loc.column == 9


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("", None),
        ("12", 12),
        ("-3", -3),
        ("0x1F", 31),
        ("0o17", 15),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1_000", "1_000"),
        ("2024-01-01", "2024-01-01"),
        ("member", "member"),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_quoted_scalars_stay_strings() -> None:
    node, _ = load("a: '12'\nb: \"true\"\n")
    assert isinstance(node, Mapping)
    assert [v.value for _, v in node.items] == ["12", "true"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "a:\n\tb: 1\n",
            "f.yaml:2:1: error: tab characters are not allowed here (YAML indents with spaces) [a]",
        ),
        ("a: 1\na: 2\n", "f.yaml:2:1: error: duplicate key 'a' (first defined at line 1) [a]"),
        ("a: [1\n", "f.yaml:2:1: error: invalid YAML"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: error: a spec file holds one YAML document"),
        ("a: !custom 1\n", "f.yaml:1:4: error: unsupported YAML tag '!custom' [a]"),
        ("a: &x [*x]\n", "f.yaml:1:4: error: recursive YAML aliases are not supported"),
        (
            "x: {? [1]: 2}\n",
            "f.yaml:1:7: error: mapping keys must be plain names, not lists or mappings [x]",
        ),
    ],
)
def test_malformed_yaml_is_a_located_error(text: str, error: str) -> None:
    node, errors = load(text)
    assert node is None or errors
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_alias_bombs_are_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    node, errors = load("\n".join(lines) + "\n")
    assert node is None
    assert errors == [
        "f.yaml:1:1: error: the document expands to more than 200000 nodes through its aliases"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", TypeExpr("int")),
        ("str", TypeExpr("string")),
        ("User", TypeExpr("User")),
        ("list[ UserRead ]", TypeExpr("list", (TypeExpr("UserRead"),))),
        (
            "dict[string, list[int]]",
            TypeExpr("dict", (TypeExpr("string"), TypeExpr("list", (TypeExpr("int"),)))),
        ),
        ("literal[cat]", TypeExpr("literal", literal="cat")),
        ("literal[3]", TypeExpr("literal", literal=3)),
        ("literal['a b']", TypeExpr("literal", literal="a b")),
    ],
)
def test_type_expressions(text: str, expected: TypeExpr) -> None:
    assert parse_type(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("list[int", "expected ']'"),
        ("list", "expected '['"),
        ("dict[int, int]", "dict keys must be 'string'"),
        ("User[int]", "'User' takes no type arguments"),
        ("int extra", "unexpected 'extra'"),
        ("literal[]", "needs a value"),
        ("literal[a b]", "must be a plain word"),
        ("[int]", "expected a type name"),
    ],
)
def test_type_expression_errors(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_type(text)


def test_suggestions() -> None:
    assert suggest("Adress", ["Address", "User"]) == " (did you mean 'Address'?)"
    assert suggest("get", ["GET", "POST"]) == " (did you mean 'GET'?)"
    assert suggest("zzz", ["Address"]) == ""
