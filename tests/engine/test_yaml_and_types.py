"""The YAML layer (positions, YAML 1.2 scalars and tags, limits, malformed input) and type
expressions."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import yaml

from specforge import yamlio
from specforge.errors import Diagnostics, Location, suggest
from specforge.frontend import check_sources
from specforge.typeexpr import TypeExpr, TypeSyntaxError, parse_type
from specforge.yamlio import Mapping, Node, Scalar, Sequence, load_yaml, resolve_plain
from tests.engine.cases import spec_language_files


def load(text: str) -> tuple[Node | None, list[str]]:
    diags = Diagnostics()
    node = load_yaml(text, "f.yaml", diags)
    return node, [e.format() for e in diags.sorted()]


def value_of(text: str) -> object:
    """The value of `a` in the one-line document `a: TEXT`, which must load without errors."""
    node, errors = load(f"a: {text}\n")
    assert errors == [] and isinstance(node, Mapping), errors
    a = node.get("a")
    assert isinstance(a, Scalar)
    return a.value


@pytest.fixture(params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with LibYAML's parser and with PyYAML's pure-Python one (the fallback where
    PyYAML is built without LibYAML): the composer must behave the same over both."""
    name: str = request.param  # type: ignore[attr-defined]  # set for parametrized fixtures
    if name == "python":
        monkeypatch.setattr(yamlio, "_Parser", yaml.SafeLoader)
    else:
        assert yamlio._Parser is yaml.CSafeLoader, "PyYAML is built without LibYAML here"
    yield name


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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e2", 100.0),
        ("-1.5E-3", -0.0015),
        (".5", 0.5),
        ("0o17", 15),
        ("0x1F", 31),
        ("012", 12),
        ("+7", 7),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("yes", "yes"),
        ("Off", "Off"),
        ("2024-01-01", "2024-01-01"),
        ("1:20", "1:20"),
        ("'1e2'", "1e2"),
        ('"0o17"', "0o17"),
    ],
)
def test_documents_follow_the_yaml_1_2_core_schema(parser: str, text: str, value: object) -> None:
    # Not only `resolve_plain`: what LibYAML reports for a plain scalar is not a tag.
    got = value_of(text)
    assert got == value and type(got) is type(value)


def test_nan(parser: str) -> None:
    got = value_of(".NaN")
    assert isinstance(got, float) and math.isnan(got)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!str 12", "12"),
        ("!!str true", "true"),
        ("!!str", ""),
        ("! 12", "12"),  # the non-specific tag: a string
        ('!!int "12"', 12),
        ("!!int 0x10", 16),
        ("!!float 1", 1.0),
        ("!!float '1e2'", 100.0),
        ("!!bool 'false'", False),
        ("!!null ''", None),
        ("!!null", None),
        ("!<tag:yaml.org,2002:str> 3", "3"),
    ],
)
def test_explicit_standard_tags_are_applied(parser: str, text: str, value: object) -> None:
    got = value_of(text)
    assert got == value and type(got) is type(value)


def test_explicit_collection_tags(parser: str) -> None:
    node, errors = load("a: !!map {b: !!seq [1]}\nc: ! [2]\n")
    assert errors == [] and isinstance(node, Mapping)
    a, c = node.get("a"), node.get("c")
    assert isinstance(a, Mapping) and isinstance(a.get("b"), Sequence) and isinstance(c, Sequence)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: !!int abc", "f.yaml:1:4: error: 'abc' is not an integer (!!int) [a]"),
        ("a: !!int 1.5", "f.yaml:1:4: error: '1.5' is not an integer (!!int) [a]"),
        ("a: !!float x", "f.yaml:1:4: error: 'x' is not a number (!!float) [a]"),
        ("a: !!bool yes", "f.yaml:1:4: error: 'yes' is not a boolean (true or false) (!!bool) [a]"),
        ("a: !!null 0", "f.yaml:1:4: error: '0' is not null (!!null) [a]"),
        ("a: !!map 1", "f.yaml:1:4: error: the tag '!!map' does not apply to a scalar [a]"),
        ("a: [!!str [1]]", "f.yaml:1:5: error: the tag '!!str' does not apply to a list [a[0]]"),
        ("a: !!seq {}", "f.yaml:1:4: error: the tag '!!seq' does not apply to a mapping [a]"),
        ("a: !!binary aGk=", "f.yaml:1:4: error: unsupported YAML tag '!!binary' [a]"),
        ("a: !!timestamp 2024-01-01", "f.yaml:1:4: error: unsupported YAML tag '!!timestamp' [a]"),
        ("a: !!set {x}", "f.yaml:1:4: error: unsupported YAML tag '!!set' [a]"),
        ("a: !!omap [b: 1]", "f.yaml:1:4: error: unsupported YAML tag '!!omap' [a]"),
        (
            "a: !!python/object/apply:os.system [echo]",
            "f.yaml:1:4: error: unsupported YAML tag '!!python/object/apply:os.system' [a]",
        ),
        ("a: {b: !foo x}", "f.yaml:1:8: error: unsupported YAML tag '!foo' [a.b]"),
        (
            "a: !<tag:example.com,2000:x> y",
            "f.yaml:1:4: error: unsupported YAML tag 'tag:example.com,2000:x' [a]",
        ),
        ("--- !!str\na: 1", "f.yaml:1:5: error: the tag '!!str' does not apply to a mapping"),
    ],
)
def test_wrong_and_unsupported_tags_are_located_errors(parser: str, text: str, error: str) -> None:
    _, errors = load(text + "\n")
    assert errors == [error]


@pytest.mark.parametrize("digits", [4300, 4301, 5000, 100_000])
def test_huge_integers_are_errors_not_crashes(parser: str, digits: int) -> None:
    node, errors = load(f"a: {'7' * digits}\nb: -{'7' * digits}\nc: !!int '{'7' * digits}'\n")
    if digits <= yamlio.MAX_INT_DIGITS:
        assert errors == [] and isinstance(node, Mapping)
        n = int("7" * digits)
        assert [v.value for _, v in node.items if isinstance(v, Scalar)] == [n, -n, n]
        return
    assert errors == [
        f"f.yaml:{line}:4: error: integer too large (more than 4300 digits) [{key}]"
        for line, key in ((1, "a"), (2, "b"), (3, "c"))
    ]


def test_huge_hex_integers_are_errors_too(parser: str) -> None:
    # 3600 hex digits convert fast but hold more than 4300 decimal digits: nothing downstream
    # could print them.
    _, errors = load(f"a: 0x{'f' * 3600}\nb: 0o{'7' * 5000}\n")
    assert [e.split(": error: ")[0] for e in errors] == ["f.yaml:1:4", "f.yaml:2:4"]
    assert all("integer too large" in e for e in errors)
    with pytest.raises(ValueError, match="integer too large"):
        resolve_plain("1" * 5000)


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ('a: "\\ud800"', {"libyaml": "f.yaml:1:7", "python": "f.yaml:1:4"}),
        ('a: ["x\\udfff y"]', {"libyaml": "f.yaml:1:9", "python": "f.yaml:1:5"}),
        # A surrogate pair written as two escapes: YAML escapes name characters, not UTF-16.
        ('a: "\\ud83d\\ude00"', {"libyaml": "f.yaml:1:7", "python": "f.yaml:1:4"}),
    ],
)
def test_lone_surrogates_are_errors(parser: str, text: str, location: dict[str, str]) -> None:
    node, errors = load(text + "\n")
    assert node is None or errors
    assert len(errors) == 1 and errors[0].startswith(location[parser] + ": error: "), errors
    assert "surrogate" in errors[0] or "invalid Unicode character escape" in errors[0]


def test_escaped_characters_are_strings(parser: str) -> None:
    assert value_of('"\\U0001F600 \\x00 \\u00e9"') == "\U0001f600 \x00 \u00e9"
    assert value_of("\U0001f600") == "\U0001f600"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: x\x01\n", "f.yaml:1:5: error: the character U+0001 is not allowed in YAML text"),
        ("a: 1\nb: '\x00'\n", "f.yaml:2:5: error: the character U+0000 is not allowed"),
        ("a: 1\nb: \ud800\n", "f.yaml:2:4: error: the text holds a lone surrogate"),
        ("a: \ufffe\n", "f.yaml:1:4: error: the character U+FFFE is not allowed"),
    ],
)
def test_characters_yaml_does_not_allow_are_located_errors(
    parser: str, text: str, error: str
) -> None:
    node, errors = load(text)
    assert node is None
    assert len(errors) == 1 and errors[0].startswith(error), errors


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
        ("a: &x {b: [*x]}\n", "f.yaml:1:4: error: recursive YAML aliases are not supported"),
        ("a: [*x, &x 1]\n", "f.yaml:1:5: error: undefined alias '*x' (no '&x') [a[0]]"),
        ("a:\n  <<: {b: 1}\n", "f.yaml:2:3: error: YAML merge keys ('<<') are not supported"),
        ("? [1]\n: 2\n", "f.yaml:1:3: error: mapping keys must be plain names, not lists"),
        ("a: {1: x, 1: y}\n", "f.yaml:1:11: error: duplicate key '1' (first defined at line 1)"),
        ("a: 1\n...\n---\nb: 2\n", "f.yaml:3:1: error: a spec file holds one YAML document"),
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


def test_malformed_yaml_stops_at_the_parse_error() -> None:
    # The duplicate key above the parse error is not reported: the document is unusable.
    _, errors = load("a: 1\na: 2\nb: [\n")
    assert errors == [
        "f.yaml:4:1: error: invalid YAML: did not find expected node content "
        "while parsing a flow node [b]"
    ]


def test_alias_bombs_are_bounded(parser: str) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    node, errors = load("\n".join(lines) + "\n")
    assert node is None
    # At the alias that takes the document over the limit: the 10th of a4 (each a3 is 1111
    # nodes, and 120000 are allowed).
    assert errors == [
        "f.yaml:5:55: error: the document expands to more than 120000 nodes through its "
        "aliases [a4[9]]"
    ]


def test_aliases_share_their_node_and_anchors_can_be_redefined(parser: str) -> None:
    node, errors = load("a: &x {b: [1, 2]}\nc: *x\nd: &x 3\ne: *x\n")
    assert errors == [] and isinstance(node, Mapping)
    assert node.get("a") is node.get("c")
    e = node.get("e")
    assert isinstance(e, Scalar) and e.value == 3  # YAML 1.2: the latest anchor of that name


def test_an_aliased_long_string_counts_as_its_length(parser: str) -> None:
    long = "x" * 64 * 1000  # weighs 1001 nodes
    ok = "a: &s " + long + "\nb: [" + ", ".join(["*s"] * 118) + "]\n"
    assert load(ok)[1] == []
    _, errors = load("a: &s " + long + "\nb: [" + ", ".join(["*s"] * 119) + "]\n")
    assert errors == [
        "f.yaml:2:477: error: the document expands to more than 120000 nodes through its "
        "aliases [b[118]]"
    ]


def nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"


def test_nesting_is_bounded(parser: str) -> None:
    assert load(nested(yamlio.MAX_DEPTH))[1] == []  # the top mapping is the first level
    node, errors = load(nested(yamlio.MAX_DEPTH + 1))
    assert node is None
    assert errors == [
        "f.yaml:1:67: error: the document nests lists and mappings more than 64 levels deep "
        "[a" + "[0]" * 63 + "]"
    ]


def test_brackets_that_do_not_nest_are_not_counted(parser: str) -> None:
    # Depth is what the parser reports, not a count of brackets in the text.
    brackets = "[{" * 5000
    text = f'a: "{brackets}"\n# {brackets}\nb: |\n  {brackets}\nc: x{brackets}\n'
    node, errors = load(text)
    assert errors == [] and isinstance(node, Mapping)
    assert [v.value for _, v in node.items if isinstance(v, Scalar)] == [
        brackets,
        brackets + "\n",
        "x" + brackets,
    ]


def test_the_node_limit_applies_without_aliases_too(parser: str) -> None:
    # The top mapping, the key, the list: 3 nodes; then one per item.
    items = yamlio.MAX_NODES - 3
    assert load("a: [" + "1," * items + "]\n")[1] == []
    _, errors = load("a: [" + "1," * (items + 1) + "]\n")
    assert errors == [
        f"f.yaml:1:{4 + 2 * items + 1}: error: the document has more than 120000 nodes (keys, "
        f"values and list items), the most a spec file may hold [a[{items}]]"
    ]


def test_a_text_over_the_size_limit_is_not_parsed() -> None:
    text = "a: [" + " " * yamlio.MAX_DOCUMENT_BYTES  # not even well-formed
    node, errors = load(text)
    assert node is None
    assert errors == [
        "f.yaml:1:1: error: the file is larger than 1 MiB; a spec file is limited to that size"
    ]
    # Counted in UTF-8 bytes, not characters.
    assert load("a: " + "é" * (yamlio.MAX_DOCUMENT_BYTES // 2))[1][0].startswith("f.yaml:1:1:")


def test_keys_are_limited_in_length(parser: str) -> None:
    assert load("? " + "k" * 1024 + "\n: 1\n")[1] == []
    assert load("? " + "k" * 1025 + "\n: 1\n")[1] == [
        "f.yaml:1:3: error: a key is limited to 1024 characters"
    ]


def test_errors_stop_after_a_while(parser: str) -> None:
    _, errors = load("".join(f"k{i}: !x 1\n" for i in range(1000)))
    assert len(errors) == yamlio.MAX_ERRORS + 1
    assert "f.yaml:50:6: error: more than 50 errors; fix these first [k49]" in errors


def test_deep_documents_do_not_recurse(parser: str) -> None:
    # Far deeper than Python's recursion limit: refused at the limit, by LibYAML or by us.
    for text in ("a: " + "[" * 100_000, "a:\n" + "- " * 100_000 + "x\n", "{a: " * 50_000):
        node, errors = load(text)
        assert node is None and len(errors) == 1
        assert "more than 64 levels deep" in errors[0], errors


def test_non_string_keys_are_located_errors_where_names_are_expected() -> None:
    files = spec_language_files()
    files["shared/spec/models.yaml"] = files["shared/spec/models.yaml"].replace(
        "models:\n", "models:\n  123: {fields: {a: {type: int}}}\n  true: {fields: {}}\n", 1
    )
    files["services/backend/spec/users.yaml"] += "  ~: {rest: {method: GET, path: /x}}\n"
    _, errors = check_sources(files)
    assert [e.format() for e in errors] == [
        "services/backend/spec/users.yaml:48:3: error: expected a name, got nothing (null); "
        "quote it to use it as a name ('~') [operations.~]",
        "shared/spec/models.yaml:6:3: error: expected a name, got an integer (123); quote it "
        "to use it as a name ('123') [models.123]",
        "shared/spec/models.yaml:7:3: error: expected a name, got a boolean (true); quote it "
        "to use it as a name ('true') [models.true]",
    ]


def test_non_string_keys_of_fixed_key_mappings_are_reported_once() -> None:
    files = {"shared/spec/models.yaml": "models:\n  M:\n    fields:\n      a: {type: int, 1: x}\n"}
    _, errors = check_sources(files)
    assert [e.format() for e in errors] == [
        "shared/spec/models.yaml:4:22: error: expected a name, got an integer (1); quote it to "
        "use it as a name ('1') [models.M.fields.a.1]"
    ]


BOMB = "\n".join(
    ["enums:", "  A0: {values: &a0 [x, x, x, x, x, x, x, x, x, x]}"]
    + [f"  A{i}: {{values: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]}}" for i in range(1, 9)]
    + ["  Bomb: {values: *a8}", "models: {}", ""]
)


def test_an_alias_bomb_read_shallowly_is_refused_with_a_located_error() -> None:
    files = {**spec_language_files(), "shared/spec/models.yaml": BOMB}
    _, errors = check_sources(files, shallow={"shared/spec/models.yaml"})
    assert [e.format() for e in errors if "models.yaml" in e.location.file] == [
        "shared/spec/models.yaml:6:66: error: the document expands to more than 120000 nodes "
        "through its aliases [enums.A4.values[9]]"
    ]


def test_a_malformed_file_read_shallowly_defines_nothing_and_clears_nothing() -> None:
    files = spec_language_files()
    # Well-formed YAML, not the shape of a models file: the second model is a list.
    files["shared/spec/models.yaml"] += "  Broken: [1]\n"
    shallow = {"shared/spec/models.yaml", "shared/spec/events.yaml"}
    _, errors = check_sources(files, shallow=shallow)
    # Only the full load's own error: the events indexed before are still defined (no
    # "unknown event" in the domain), and the models indexed before `Broken` were not kept
    # (no "duplicate model" when the full load defines them).
    assert [e.format() for e in errors] == [
        "shared/spec/models.yaml:44:11: error: expected a model (a mapping), got a list "
        "[models.Broken]"
    ]


def test_files_read_shallowly_define_their_names_at_their_keys() -> None:
    files = spec_language_files()
    files["services/backend/spec/models.yaml"] = "models:\n  User: {fields: {}}\n"
    _, errors = check_sources(files, shallow={"shared/spec/models.yaml"})
    # At the key of the first definition, not at the top of its file.
    assert [e.format() for e in errors] == [
        "services/backend/spec/models.yaml:2:3: error: duplicate name 'User': already defined "
        "at shared/spec/models.yaml:11 [models.User]"
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
