"""Pass 1's output: the spec files read into raw, located structures, before any name is
resolved. Each keeps the `Reader` (or location and key path) that pass 2 reports against."""

from __future__ import annotations

from dataclasses import dataclass, field

from specforge import ir
from specforge.errors import Diagnostics, Location
from specforge.layout import SpecFile
from specforge.reader import Reader
from specforge.typeexpr import TypeExpr
from specforge.yamlio import Documents


@dataclass
class LocatedName:
    value: str
    loc: Location
    path: str


@dataclass
class RawEnum:
    name: str
    values: tuple[str, ...]
    description: str | None
    loc: Location
    origin: ir.Origin
    path: str = ""  # where it is defined: `enums.Role`, or the field of an inline enum


@dataclass
class RawField:
    name: str
    loc: Location
    reader: Reader
    type: TypeExpr | None
    type_loc: Location
    inline_enum: str | None = None  # the generated enum's name for `type: enum`


@dataclass
class RawVariant:
    name: str
    loc: Location
    path: str
    exclude: list[LocatedName]
    optional: list[LocatedName]


@dataclass
class RawModel:
    name: str
    loc: Location
    path: str
    origin: ir.Origin
    description: str | None
    fields: list[RawField] = field(default_factory=list)
    variants: list[RawVariant] = field(default_factory=list)
    union: list[LocatedName] = field(default_factory=list)
    discriminator: LocatedName | None = None
    shallow: bool = False  # only its names are known (see check_sources)


@dataclass
class RawEvent:
    name: str
    loc: Location
    path: str
    file: str
    message: LocatedName | None
    publish: bool
    subscribe: bool
    channel: str
    channel_loc: Location
    description: str | None


@dataclass
class RawParam:
    name: str
    loc: Location
    reader: Reader
    type: TypeExpr | None
    source: ir.ParamSource
    required: bool | None


@dataclass
class RawOperation:
    name: str
    loc: Location
    reader: Reader
    input: tuple[TypeExpr, Location, str] | None
    output: tuple[TypeExpr, Location, str] | None
    params: list[RawParam]
    rest: ir.Rest | None
    rest_reader: Reader | None
    errors: list[ir.ErrorResponse]
    publish_on_success: LocatedName | None
    subscribe: LocatedName | None


@dataclass
class RawDomain:
    spec: SpecFile
    name: str
    loc: Location
    prefix: str
    tags: tuple[str, ...]
    operations: list[RawOperation]


@dataclass
class RawConsumption:
    service: LocatedName
    domain: LocatedName
    operations: list[LocatedName]
    loc: Location
    path: str


@dataclass
class RawApiConsumption:
    """A manifest entry `{api: weather, operations: [...]}`: operations of an external API,
    described by `services/<svc>/spec/weather.openapi.yaml`."""

    api: LocatedName
    operations: list[LocatedName]
    loc: Location
    path: str


@dataclass
class RawManifest:
    spec: SpecFile
    consumes: list[RawConsumption]
    apis: list[RawApiConsumption] = field(default_factory=list)


@dataclass
class RawApiOperation:
    """One operation of an external OpenAPI document, as pass 1 found it."""

    method: str  # GET, POST, ...
    path: str  # the path template
    reader: Reader  # the operation object


@dataclass
class RawApiDocument:
    """An external API's OpenAPI document (`<api>.openapi.yaml`): its operations by
    operationId, its schema names, and its text (for datamodel-code-generator)."""

    spec: SpecFile
    name: str
    text: str
    operations: dict[str, RawApiOperation]
    schemas: frozenset[str]


@dataclass
class RawSpecs:
    """Everything pass 1 read, file by file, and where it reports problems."""

    diags: Diagnostics
    documents: Documents = field(default_factory=Documents)  # each text composed once
    files: list[str] = field(default_factory=list)
    enums: list[RawEnum] = field(default_factory=list)
    models: list[RawModel] = field(default_factory=list)
    events: list[RawEvent] = field(default_factory=list)
    domains: list[RawDomain] = field(default_factory=list)
    manifests: list[RawManifest] = field(default_factory=list)
    api_documents: list[RawApiDocument] = field(default_factory=list)
    registry: ir.Registry | None = None
    registry_complete: bool = False  # the registry was read without errors
    # (service, the service it depends on, where, key path) of every depends_on entry.
    pending_depends: list[tuple[str, str, Location, str]] = field(default_factory=list)
