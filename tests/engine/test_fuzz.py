"""Arbitrary input never produces a traceback: only located errors, or success."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specforge.frontend import check_sources
from tests.engine.cases import spec_language_files

KINDS = (
    "shared/spec/models.yaml",
    "shared/spec/events.yaml",
    "services/backend/spec/users.yaml",
    "services/tg_bot/spec/manifest.yaml",
    "services.yml",
)

# Words of the spec language, so that generated documents reach deep into the validator.
WORDS = st.sampled_from(
    [
        "models",
        "enums",
        "fields",
        "variants",
        "union",
        "discriminator",
        "type",
        "values",
        "optional",
        "nullable",
        "default",
        "readonly",
        "ge",
        "le",
        "gt",
        "lt",
        "min_length",
        "max_length",
        "pattern",
        "format",
        "min_items",
        "max_items",
        "events",
        "message",
        "publish",
        "subscribe",
        "channel",
        "domain",
        "config",
        "rest",
        "prefix",
        "operations",
        "input",
        "output",
        "params",
        "name",
        "source",
        "method",
        "path",
        "status",
        "errors",
        "consumes",
        "service",
        "services",
        "depends_on",
        "profiles",
        "User",
        "UserRead",
        "UserCreate",
        "Role",
        "int",
        "string",
        "list[int]",
        "dict[string, User]",
        "literal[cat]",
        "enum",
        "GET",
        "POST",
        "/{user_id}",
        "user_id",
        "query",
        "users",
        "backend",
        "python-fastapi",
        "user_registered",
        "create_user",
    ]
)
SCALARS = st.one_of(
    WORDS,
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(string.printable, max_size=12),
)
DOCS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(WORDS, children, max_size=5)
    ),
    max_leaves=25,
)


def to_yaml(value: object, indent: int = 0) -> str:
    """Render a generated value as flow-style YAML, quoting strings as JSON does."""
    import json

    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_yaml(v) for v in value) + "]"
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "-.inf" if value < 0 else ".inf"
    return json.dumps(value)


def assert_located(files: dict[str, str]) -> None:
    _, errors = check_sources(files)
    for error in errors:
        assert error.location.file in files
        assert error.location.line >= 1 and error.location.column >= 1
        assert error.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), doc=DOCS)
def test_structured_documents_give_located_errors_or_success(kind: str, doc: object) -> None:
    files = dict(spec_language_files())
    files[kind] = to_yaml(doc) + "\n"
    assert_located(files)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), text=st.text(max_size=200))
def test_arbitrary_text_gives_located_errors_or_success(kind: str, text: str) -> None:
    assert_located({kind: text})


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_examples_give_located_errors_or_success(data: st.DataObject) -> None:
    files = dict(spec_language_files())
    kind = data.draw(st.sampled_from(KINDS))
    text = files[kind]
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 30)))
    insert = data.draw(st.one_of(WORDS, st.text(": -[]{}\t\n'\"#&*!|>", max_size=5)))
    files[kind] = text[:start] + insert + text[end:]
    assert_located(files)
