"""The IR: an immutable, fully resolved model of a repo's specs.

Every reference points at its definition (a field of type `Address` holds the `Model` named
`Address`), variants are expanded into models of their own, defaults are typed Python values,
and every collection is a tuple in a deterministic order (files sorted by path, definitions in
the order they are written). The renderers read nothing else.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from specforge.errors import Location


class _ShortRepr:
    """Definitions point at each other (even in cycles); show them by name only."""

    def __repr__(self) -> str:
        name = getattr(self, "name", None) or getattr(self, "file", "")
        return f"{type(self).__name__}({name!r})"


class ScalarKind(enum.Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    UUID = "uuid"
    BYTES = "bytes"


@dataclass(frozen=True)
class ScalarType:
    kind: ScalarKind


@dataclass(frozen=True)
class ListType:
    item: TypeRef


@dataclass(frozen=True)
class DictType:
    value: TypeRef


@dataclass(frozen=True)
class LiteralType:
    value: str | int | bool


@dataclass(frozen=True, eq=False)
class ModelType:
    model: Model

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelType) and other.model is self.model

    def __hash__(self) -> int:
        return hash(("model", self.model.name))


@dataclass(frozen=True, eq=False)
class EnumType:
    enum: Enum

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnumType) and other.enum is self.enum

    def __hash__(self) -> int:
        return hash(("enum", self.enum.name))


TypeRef: TypeAlias = ScalarType | ListType | DictType | LiteralType | ModelType | EnumType


@dataclass(frozen=True)
class EnumValue:
    """A default that names a member of an enum."""

    enum: Enum
    value: str


@dataclass(frozen=True)
class DefaultMapping:
    items: tuple[tuple[str, DefaultValue], ...]


DefaultValue: TypeAlias = (
    "bool | int | float | str | bytes | decimal.Decimal | dt.date | dt.datetime"
    " | uuid.UUID | EnumValue | tuple[DefaultValue, ...] | DefaultMapping | None"
)


class _NoDefault:
    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT = _NoDefault()


@dataclass(frozen=True)
class Constraints:
    ge: int | float | None = None
    gt: int | float | None = None
    le: int | float | None = None
    lt: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None  # "email" | "uri"
    min_items: int | None = None
    max_items: int | None = None

    def is_empty(self) -> bool:
        return self == Constraints()


@dataclass(frozen=True)
class Origin:
    """Where a definition lives: `scope` is "shared" or the name of the owning service."""

    file: str
    scope: str

    @property
    def shared(self) -> bool:
        return self.scope == SHARED


SHARED = "shared"
# The scope prefix of an external API's models: `external:<consumer>:<api>`.
EXTERNAL = "external:"


@dataclass(frozen=True)
class ExternalApi:
    """An external API's OpenAPI document, whose models datamodel-code-generator renders."""

    name: str
    service: str  # the consuming service
    file: str
    text: str


@dataclass(frozen=True)
class Field:
    """A field of a model. `name` is its wire name; `py_name` the Python attribute, which differs
    only where the name would collide in the generated class (see `specforge.namespace`)."""

    name: str
    type: TypeRef
    loc: Location
    py_name: str = ""
    description: str | None = None
    required: bool = True
    nullable: bool = False
    default: DefaultValue | _NoDefault = NO_DEFAULT
    readonly: bool = False
    deprecated: bool = False
    constraints: Constraints = field(default_factory=Constraints)
    examples: tuple[DefaultValue, ...] = ()  # for documents: each one a valid value

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(frozen=True, eq=False, repr=False)
class Enum(_ShortRepr):
    """An enum. `values` are its wire values; `py_names` the Python member names, in the same
    order (they differ only where a value would collide, see `specforge.namespace`)."""

    name: str
    values: tuple[str, ...]
    origin: Origin
    loc: Location
    description: str | None = None
    py_names: tuple[str, ...] = ()

    def member(self, value: str) -> str:
        """The Python member name of a wire value."""
        if not self.py_names:
            return value
        members = self.__dict__.get("_members")
        if members is None:  # built once: an enum may have many thousands of values
            members = dict(zip(self.values, self.py_names, strict=True))
            object.__setattr__(self, "_members", members)
        return str(members[value])


@dataclass(frozen=True, eq=False, repr=False)
class Model(_ShortRepr):
    """An object model, a variant of one (`variant_of`/`variant` set), or a discriminated union."""

    name: str
    origin: Origin
    loc: Location
    description: str | None = None
    fields: tuple[Field, ...] = ()
    variant_of: str | None = None
    variant: str | None = None
    union: tuple[Model, ...] = ()
    discriminator: str | None = None

    @property
    def is_union(self) -> bool:
        return bool(self.union)

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True, eq=False, repr=False)
class Event(_ShortRepr):
    name: str
    message: Model
    loc: Location
    file: str
    publish: bool = False
    subscribe: bool = False
    channel: str = ""
    description: str | None = None


class ParamSource(enum.Enum):
    PATH = "path"
    QUERY = "query"


@dataclass(frozen=True)
class Param:
    """An operation's path or query param: `name` on the wire, `py_name` in Python."""

    name: str
    type: ScalarType | EnumType
    source: ParamSource
    loc: Location
    py_name: str = ""
    required: bool = True
    default: DefaultValue | _NoDefault = NO_DEFAULT
    description: str | None = None
    constraints: Constraints = field(default_factory=Constraints)
    examples: tuple[DefaultValue, ...] = ()  # for documents: each one a valid value

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(frozen=True)
class ErrorResponse:
    status: int
    description: str
    name: str  # the status' reason phrase in PascalCase, e.g. "NotFound"
    loc: Location


@dataclass(frozen=True)
class ErrorKind:
    """One declared error status of a domain (or of the operations a client consumes from a
    service): the generated code has one exception class per kind, whichever operations
    declare it."""

    status: int
    name: str  # the status' reason phrase in PascalCase, e.g. "NotFound"
    declared_by: tuple[tuple[str, str], ...]  # (operation, its description of the error)


def spelled(t: TypeRef) -> str:
    """A type as a spec writes it: `list[Item]`, `dict[string, int]`, `literal[cat]`."""
    if isinstance(t, ScalarType):
        return t.kind.value
    if isinstance(t, ListType):
        return f"list[{spelled(t.item)}]"
    if isinstance(t, DictType):
        return f"dict[string, {spelled(t.value)}]"
    if isinstance(t, LiteralType):
        return f"literal[{t.value}]"
    if isinstance(t, ModelType):
        return t.model.name
    return t.enum.name


def error_kinds(operations: Iterable[Operation]) -> tuple[ErrorKind, ...]:
    """The error kinds the operations declare, by status."""
    by_status: dict[int, list[tuple[str, str]]] = {}
    names: dict[int, str] = {}
    for op in operations:
        for e in op.errors:
            by_status.setdefault(e.status, []).append((op.name, e.description))
            names[e.status] = e.name
    return tuple(
        ErrorKind(status, names[status], tuple(by_status[status])) for status in sorted(by_status)
    )


@dataclass(frozen=True)
class Rest:
    method: str
    path: str  # relative to the domain's prefix; "" or starting with "/"
    status: int
    full_path: str  # prefix + path, e.g. "/users/{user_id}"


@dataclass(frozen=True, eq=False, repr=False)
class Operation(_ShortRepr):
    name: str
    domain: str
    service: str
    loc: Location
    summary: str | None = None
    description: str | None = None
    input: Model | None = None
    output: TypeRef | None = None
    params: tuple[Param, ...] = ()
    rest: Rest | None = None
    errors: tuple[ErrorResponse, ...] = ()
    publish_on_success: Event | None = None
    subscribe: Event | None = None

    @property
    def path_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.source is ParamSource.PATH)

    @property
    def query_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.source is ParamSource.QUERY)


@dataclass(frozen=True, eq=False, repr=False)
class Domain(_ShortRepr):
    name: str
    service: str
    file: str
    loc: Location
    prefix: str = ""
    tags: tuple[str, ...] = ()
    operations: tuple[Operation, ...] = ()

    def operation(self, name: str) -> Operation | None:
        index = self.__dict__.get("_by_name")
        if index is None:  # built once: a domain may have many thousands of operations
            index = {op.name: op for op in self.operations}
            object.__setattr__(self, "_by_name", index)
        op: Operation | None = index.get(name)
        return op


@dataclass(frozen=True, eq=False, repr=False)
class Consumption(_ShortRepr):
    """The operations one manifest entry consumes from one domain of a producer service."""

    service: str
    domain: Domain
    operations: tuple[Operation, ...]
    loc: Location
    external: bool = False  # an external API's operations (`service` is the API's name)


@dataclass(frozen=True, eq=False, repr=False)
class Manifest(_ShortRepr):
    service: str
    file: str
    consumes: tuple[Consumption, ...] = ()

    def producers(self) -> tuple[str, ...]:
        """The consumed services and external APIs, in the order the manifest first names
        them (each has a client)."""
        return tuple(dict.fromkeys(c.service for c in self.consumes))

    def services(self) -> tuple[str, ...]:
        """The consumed services of the registry, in the order the manifest first names them."""
        return tuple(dict.fromkeys(c.service for c in self.consumes if not c.external))


class ServiceType(enum.Enum):
    FASTAPI = "python-fastapi"
    FASTSTREAM = "python-faststream"
    NODE = "node"
    DEFAULT = "default"

    @property
    def is_python(self) -> bool:
        return self in (ServiceType.FASTAPI, ServiceType.FASTSTREAM)


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    type: ServiceType
    description: str
    loc: Location
    depends_on: tuple[tuple[str, str], ...] = ()  # (service, compose condition)
    profiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    file: str
    services: tuple[ServiceEntry, ...]

    def get(self, name: str) -> ServiceEntry | None:
        for s in self.services:
            if s.name == name:
                return s
        return None


@dataclass(frozen=True, eq=False)
class Project:
    """Everything the given spec files define."""

    files: tuple[str, ...]
    models: tuple[Model, ...] = ()
    enums: tuple[Enum, ...] = ()
    events: tuple[Event, ...] = ()
    domains: tuple[Domain, ...] = ()
    manifests: tuple[Manifest, ...] = ()
    registry: Registry | None = None
    external_apis: tuple[ExternalApi, ...] = ()

    def models_in(self, file: str) -> tuple[Model, ...]:
        return tuple(m for m in self.models if m.origin.file == file)

    def enums_in(self, file: str) -> tuple[Enum, ...]:
        return tuple(e for e in self.enums if e.origin.file == file)

    def events_in(self, file: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.file == file)

    def domain_in(self, file: str) -> Domain | None:
        return next((d for d in self.domains if d.file == file), None)

    def manifest_in(self, file: str) -> Manifest | None:
        return next((m for m in self.manifests if m.file == file), None)

    def domains_of(self, service: str) -> tuple[Domain, ...]:
        return tuple(d for d in self.domains if d.service == service)

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    def event(self, name: str) -> Event | None:
        return next((e for e in self.events if e.name == name), None)
