"""Renamed names: the Python names of fields, params and enum members, which keep their
spelling on the wire through an alias when they would collide."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence

from specforge.namespace.modules import (
    KEYWORDS,
    SCHEMA_HOOK_IMPORTS,
    SCHEMAS_MODULE,
)

# Public attributes of pydantic's BaseModel (2.x); `model_*` is reserved as a whole too.
BASEMODEL_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        # Of its metaclass, so readable on every model class too.
        "mro",
        "register",
    }
)
# Builtins that annotations of generated models read; a field of that name would shadow them
# while pydantic evaluates the class' annotations.
ANNOTATION_BUILTINS = frozenset({"bool", "bytes", "dict", "float", "int", "list", "str"})
# Parameters and locals of the generated functions that take spec params, and the builtins their
# bodies read (annotations of locals included, for mypy).
PARAM_RESERVED = frozenset(
    {
        "self",
        "cls",
        "payload",
        "controller",
        "broker",
        "outbox",
        "stage_event",
        "staged",
        "event",
        "router",
        "result",
        "exc",
        "query",
        "response",
        "dict",
        "str",
    }
)
# Generated route functions call the event publishers by these names.
PARAM_RESERVED_PREFIXES = ("publish_", "subscribe_")
ENUM_MEMBER_RESERVED = (
    frozenset(n for n in dir(enum.StrEnum) if not n.startswith("_"))
    | {"name", "value", "mro"}
    | SCHEMA_HOOK_IMPORTS
)


def _never(name: str) -> bool:
    return False


def _assign(
    names: Sequence[str],
    reserved: set[str] | frozenset[str],
    fallback: str,
    reserved_pattern: Callable[[str], bool] = _never,
) -> list[str]:
    """Python names for `names` (unique within them). A name keeps its spelling unless it
    starts with '_', is a keyword, is `reserved` or matches `reserved_pattern` (a prefix, say);
    then it loses its leading underscores (a digit it would then start with gets a
    `<fallback>_` prefix), is renamed like a spec name spelled that way (`_model_x` like
    `model_x`), and gains trailing underscores until it is free. Names that need no renaming
    are claimed first, so that renaming never takes a name the spec uses as it is."""

    def renamed(n: str) -> bool:
        return n.startswith("_") or n in KEYWORDS or n in reserved or reserved_pattern(n)

    taken = {n for n in names if not renamed(n)}
    out: list[str] = []
    for name in names:
        if not renamed(name):
            out.append(name)
            continue
        candidate = name.lstrip("_") or fallback
        if candidate[0].isdigit():  # `_6th` cannot become `6th`
            candidate = f"{fallback}_{candidate}"
        if renamed(candidate):
            candidate += "_"
        # A trailing underscore takes a name out of every pattern (`model_x_`, `Item_`).
        while candidate in KEYWORDS or candidate in reserved or candidate in taken:
            candidate += "_"
        taken.add(candidate)
        out.append(candidate)
    return out


def field_py_names(names: Sequence[str], referenced: Iterable[str]) -> list[str]:
    """Python attribute names of a model's fields. `referenced` are the names the model's
    annotations and defaults read (its model and enum types)."""
    reserved = set(referenced) | ANNOTATION_BUILTINS | SCHEMAS_MODULE | BASEMODEL_ATTRIBUTES
    return _assign(names, reserved, "field", lambda n: n.startswith("model_"))


def discriminator_py_name(name: str) -> str:
    """The Python name of a union's discriminator field in every member: what
    `field_py_names` gives it in a model that refers to no type of that name and has no field
    of the renamed name (the build checks that each member agrees)."""
    return field_py_names([name], ())[0]


def param_py_names(names: Sequence[str]) -> list[str]:
    """Python parameter names of an operation's params. A name starting with a capital letter
    is renamed too (it could shadow a class that the generated function refers to), and so is
    one that looks like an event publisher."""
    return _assign(
        names,
        PARAM_RESERVED,
        "param",
        lambda n: n[:1].isupper() or n.startswith(PARAM_RESERVED_PREFIXES),
    )


def enum_member_py_names(values: Sequence[str]) -> list[str]:
    return _assign(values, frozenset(ENUM_MEMBER_RESERVED), "member")


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
