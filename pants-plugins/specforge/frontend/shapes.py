"""The shape of every mapping in a spec file: its keys, which are required, and what each key
holds. The readers check keys against these shapes (so an unknown key is always an error), and
the JSON Schemas for editors are rendered from them (`specforge.render.spec_schema`), so the
two cannot drift apart.

A value description says what the engine's reader takes for a key, as far as a JSON Schema can
say it; the reader stays the authority (cross-references, name rules, located errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specforge import ir
from specforge.frontend.keys import COMPOSE_CONDITIONS, FORMATS, IDENTIFIER, PACKAGE_NAME, PASCAL
from specforge.frontend.keys import SNAKE as SNAKE_NAME
from specforge.http_facts import HTTP_METHODS
from specforge.reader import Reader


# ------------------------------------------------------------------------------ values --
@dataclass(frozen=True)
class Text:
    """A string; `number=True`: a number is taken as text too (descriptions, summaries);
    `boolean=True`: so is true or false (enum values, whose text must match `pattern`)."""

    number: bool = False
    pattern: str | None = None
    boolean: bool = False


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Boolean:
    pass


@dataclass(frozen=True)
class Integer:
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Number:
    pass


@dataclass(frozen=True)
class Anything:
    """A value the reader converts against a type it only knows later (defaults, examples)."""

    list_only: bool = False


@dataclass(frozen=True)
class ListOf:
    item: Value
    min_items: int = 0


@dataclass(frozen=True)
class MapOf:
    """A mapping from names (matching `key_pattern`) to values."""

    value: Value
    key_pattern: str | None = None


@dataclass(frozen=True)
class OneOf:
    options: tuple[Value, ...]


@dataclass(frozen=True)
class Ref:
    """A mapping of the shape named `shape`."""

    shape: str


Value = Text | Choice | Boolean | Integer | Number | Anything | ListOf | MapOf | OneOf | Ref


# ------------------------------------------------------------------------------ shapes --
@dataclass(frozen=True)
class Key:
    name: str
    value: Value
    doc: str
    # Checked as a missing key by `Reader.check_keys`.
    required: bool = False
    # Required by the reader in its own words (with context), not by `check_keys`: the schema
    # requires it all the same.
    also_required: bool = False


@dataclass(frozen=True)
class Shape:
    name: str
    doc: str
    keys: tuple[Key, ...]
    by_name: dict[str, Key] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {k.name: k for k in self.keys})

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys if k.required)


IDENT = IDENTIFIER.pattern
PASCAL_NAME = PASCAL.pattern
SNAKE = SNAKE_NAME.pattern
TEXT = Text(number=True)
NAMES = ListOf(Text())
ENUM_VALUES = ListOf(Text(pattern=IDENT, boolean=True), min_items=1)
TYPE = Text()  # a type expression: `int`, `list[UserRead]`, `dict[str, int]`, `UserRead | None`

_NUMERIC = tuple(
    Key(k, Number(), f"The value must be {what} this (numeric types).")
    for k, what in (
        ("ge", "at least"),
        ("gt", "greater than"),
        ("le", "at most"),
        ("lt", "less than"),
    )
)
_LENGTH = (
    Key("min_length", Integer(minimum=0), "The least length (string, bytes)."),
    Key("max_length", Integer(minimum=0), "The greatest length (string, bytes)."),
)
_DESCRIPTION = Key("description", TEXT, "What it is, for readers and the API documents.")
_EXAMPLES = Key("examples", Anything(list_only=True), "Example values, for the API documents.")

SHAPES: dict[str, Shape] = {
    s.name: s
    for s in (
        # services.yml
        Shape(
            "registry",
            "The service registry (services.yml).",
            (Key("services", ListOf(Ref("service")), "The services.", required=True),),
        ),
        Shape(
            "service",
            "A service of the registry.",
            (
                Key(
                    "name",
                    Text(pattern=PACKAGE_NAME.pattern),
                    "The service's name: its directory under services/ and its Python package.",
                    required=True,
                ),
                Key(
                    "type",
                    Choice(tuple(t.value for t in ir.ServiceType)),
                    "What kind of service it is.",
                    required=True,
                ),
                Key("description", TEXT, "What the service does.", required=True),
                Key(
                    "depends_on",
                    OneOf(
                        (
                            NAMES,
                            MapOf(Choice(COMPOSE_CONDITIONS)),
                        )
                    ),
                    "Services (or infrastructure such as redis) it needs: a list, or a mapping "
                    "to a compose condition.",
                ),
                Key("profiles", NAMES, "Compose profiles the service belongs to."),
            ),
        ),
        # models.yaml
        Shape(
            "models_file",
            "Data models (shared/spec/models.yaml or services/<svc>/spec/models.yaml).",
            (
                Key("models", MapOf(Ref("model"), PASCAL_NAME), "Models by PascalCase name."),
                Key("enums", MapOf(Ref("enum"), PASCAL_NAME), "Enums by PascalCase name."),
            ),
        ),
        Shape(
            "enum",
            "An enum.",
            (
                Key(
                    "values",
                    ENUM_VALUES,
                    "Its values.",
                    also_required=True,
                ),
                _DESCRIPTION,
            ),
        ),
        Shape(
            "model",
            "A model: fields (and variants), or a union of models.",
            (
                _DESCRIPTION,
                Key("fields", MapOf(Ref("field"), IDENT), "Fields by name."),
                Key(
                    "variants",
                    MapOf(Ref("variant"), PASCAL_NAME),
                    "Variants by suffix (Create, Update, ...).",
                ),
                Key("union", ListOf(Text(), min_items=2), "Member models of a union."),
                Key("discriminator", Text(), "The literal field that tells union members apart."),
            ),
        ),
        Shape(
            "field",
            "A field of a model.",
            (
                Key(
                    "type", TYPE, "Its type: a scalar, a model, enum, list[...], ...", required=True
                ),
                _DESCRIPTION,
                Key("optional", Boolean(), "May be left out."),
                Key("nullable", Boolean(), "May be null."),
                Key("default", Anything(), "The value when left out."),
                Key("readonly", Boolean(), "Set by the server; left out of Create/Update."),
                *_NUMERIC,
                *_LENGTH,
                Key("pattern", Text(), "A regular expression the string must match."),
                Key("format", Choice(FORMATS), "A string format."),
                Key("min_items", Integer(minimum=0), "The fewest items (lists)."),
                Key("max_items", Integer(minimum=0), "The most items (lists)."),
                Key("deprecated", Boolean(), "Marked deprecated in the API documents."),
                Key("values", ENUM_VALUES, "The values (type: enum)."),
                _EXAMPLES,
            ),
        ),
        Shape(
            "variant",
            "A variant of a model.",
            (
                Key("exclude", NAMES, "Fields left out."),
                Key("optional", NAMES, "Fields made optional."),
            ),
        ),
        # events.yaml
        Shape(
            "events_file",
            "Events (shared/spec/events.yaml).",
            (
                Key(
                    "events",
                    MapOf(Ref("event"), SNAKE),
                    "Events by snake_case name.",
                    required=True,
                ),
            ),
        ),
        Shape(
            "event",
            "An event.",
            (
                Key("message", Text(), "The model it carries.", required=True),
                Key("publish", Boolean(), "Generate a publisher."),
                Key("subscribe", Boolean(), "Generate a subscriber."),
                Key("channel", Text(), "The channel (default: the event's name)."),
                _DESCRIPTION,
            ),
        ),
        # services/<svc>/spec/<domain>.yaml
        Shape(
            "domain_file",
            "A service's operations in one domain (services/<svc>/spec/<domain>.yaml).",
            (
                Key("domain", Text(pattern=SNAKE), "The domain: the file's name.", required=True),
                Key("config", Ref("domain_config"), "Settings of the whole domain."),
                Key(
                    "operations",
                    MapOf(Ref("operation"), SNAKE),
                    "Operations by snake_case name.",
                    required=True,
                ),
            ),
        ),
        Shape(
            "domain_config",
            "Settings of a domain.",
            (Key("rest", Ref("domain_rest"), "HTTP settings."),),
        ),
        Shape(
            "domain_rest",
            "HTTP settings of a domain.",
            (
                Key("prefix", Text(), "A path prefix of every operation, like /users."),
                Key("tags", NAMES, "OpenAPI tags."),
            ),
        ),
        Shape(
            "operation",
            "An operation.",
            (
                Key("summary", TEXT, "One line."),
                _DESCRIPTION,
                Key("input", TYPE, "The request body's (or the event's) type."),
                Key("output", TYPE, "The response's type."),
                Key("params", ListOf(Ref("param")), "Path and query parameters."),
                Key("rest", Ref("rest"), "How it is served over HTTP."),
                Key("errors", ListOf(Ref("error")), "The non-2xx answers."),
                Key("events", Ref("operation_events"), "Events it publishes or handles."),
            ),
        ),
        Shape(
            "operation_events",
            "Events of an operation.",
            (
                Key("publish_on_success", Text(), "The event published when it succeeds."),
                Key("subscribe", Text(), "The event it handles."),
            ),
        ),
        Shape(
            "param",
            "A path or query parameter.",
            (
                Key("name", Text(pattern=IDENT), "Its name.", required=True),
                Key("type", TYPE, "Its type.", required=True),
                Key(
                    "source",
                    Choice(tuple(s.value for s in ir.ParamSource)),
                    "Where it comes from (default: path).",
                ),
                Key("required", Boolean(), "Required (query parameters)."),
                Key("default", Anything(), "The value when left out (query parameters)."),
                _DESCRIPTION,
                *_NUMERIC,
                *_LENGTH,
                Key("pattern", Text(), "A regular expression the string must match."),
                _EXAMPLES,
            ),
        ),
        Shape(
            "rest",
            "How an operation is served over HTTP.",
            (
                Key("method", Choice(HTTP_METHODS), "The HTTP method.", required=True),
                Key("path", Text(), "The path after the domain's prefix, like /{user_id}."),
                Key(
                    "status",
                    Integer(minimum=200, maximum=299),
                    "The success status (default: 201 for POST, 204 for DELETE, else 200).",
                ),
            ),
        ),
        Shape(
            "error",
            "A non-2xx answer of an operation.",
            (
                Key("status", Integer(minimum=400, maximum=599), "The status.", required=True),
                _DESCRIPTION,
            ),
        ),
        # services/<svc>/spec/manifest.yaml
        Shape(
            "manifest_file",
            "What a service consumes (services/<svc>/spec/manifest.yaml).",
            (
                Key(
                    "consumes",
                    ListOf(OneOf((Ref("consumption"), Ref("api_consumption")))),
                    "Operations of other services, and of external APIs.",
                    required=True,
                ),
            ),
        ),
        Shape(
            "consumption",
            "Operations of another service's domain.",
            (
                Key("service", Text(), "The producing service.", required=True),
                Key("domain", Text(), "Its domain.", required=True),
                Key("operations", NAMES, "The operations called.", required=True),
            ),
        ),
        Shape(
            "api_consumption",
            "Operations of an external API (services/<svc>/spec/<api>.openapi.yaml).",
            (
                Key("api", Text(), "The API's name: its document's file stem.", required=True),
                Key("operations", NAMES, "The operationIds called.", required=True),
            ),
        ),
    )
}

# The shape at the top of each kind of spec file.
FILE_SHAPES = {
    "registry": "registry",
    "models": "models_file",
    "events": "events_file",
    "domain": "domain_file",
    "manifest": "manifest_file",
}


def check_shape(r: Reader, shape: str) -> bool:
    """Report the keys of `r`'s mapping that its shape does not have, and the missing required
    ones. True if all fine."""
    s = SHAPES[shape]
    return r.check_keys(s.allowed, s.required)
