"""From spec files to the IR: parse every file, check every rule of the spec language, resolve
every reference. All problems are collected; the IR is returned only when there are none."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace

from specforge import (
    ir,
    layout,
    model_graph,
    namespace,
    patterns,
    rest_paths,
    routes,
    values,
)
from specforge.errors import Diagnostics, Location, SpecError, SpecErrors, join_path, suggest
from specforge.graph import reaches as graph_reaches
from specforge.layout import SpecFile, SpecKind, classify, pascal
from specforge.numeric import decimal_problem, int64_problem, number_problem, shown
from specforge.reader import Reader, as_reader, is_identifier
from specforge.sources import iter_spec_files, without_duplicates
from specforge.typeexpr import SCALAR_NAMES, TypeExpr, TypeSyntaxError, parse_type
from specforge.yamlio import Mapping, Node, Scalar, Sequence, kind_of, load_yaml

PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# What Redis streams, NATS subjects, RabbitMQ exchanges and Kafka topics all accept.
CHANNEL = re.compile(r"(?=.{1,200}$)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")

FIELD_KEYS = (
    "type",
    "description",
    "optional",
    "nullable",
    "default",
    "readonly",
    "ge",
    "gt",
    "le",
    "lt",
    "min_length",
    "max_length",
    "pattern",
    "format",
    "min_items",
    "max_items",
    "deprecated",
    "values",
)
NUMERIC_CONSTRAINTS = ("ge", "gt", "le", "lt")
LENGTH_CONSTRAINTS = ("min_length", "max_length")
ITEM_CONSTRAINTS = ("min_items", "max_items")
FORMATS = ("email", "uri")
PARAM_KEYS = (
    "name",
    "type",
    "source",
    "required",
    "default",
    "description",
    "ge",
    "gt",
    "le",
    "lt",
    "min_length",
    "max_length",
    "pattern",
)
OPERATION_KEYS = (
    "summary",
    "description",
    "input",
    "output",
    "params",
    "rest",
    "errors",
    "events",
)
# Variants that leave out the fields marked `readonly` (what a client sends, not what it gets).
READONLY_DROPPING_VARIANTS = ("Create", "Update")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
IDEMPOTENT_METHODS = ("GET", "PUT", "DELETE")
COMPOSE_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
# Infrastructure services that infra/compose.yml defines next to the registry's services.
INFRA_SERVICES = namespace.INFRA_SERVICES
IDENTIFIER = namespace.IDENTIFIER

NUMERIC_KINDS = (ir.ScalarKind.INT, ir.ScalarKind.FLOAT, ir.ScalarKind.DECIMAL)
LENGTH_KINDS = (ir.ScalarKind.STRING, ir.ScalarKind.BYTES)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def load_project(sources: MappingABC[str, str]) -> ir.Project:
    """Build the IR from spec files given as {repo-relative path: text}.

    Raises SpecErrors with every problem found, sorted, when the specs are invalid.
    """
    project, errors = check_sources(sources)
    if errors:
        raise SpecErrors(errors)
    assert project is not None
    return project


def check_sources(
    sources: MappingABC[str, str], *, shallow: Iterable[str] = ()
) -> tuple[ir.Project | None, list[SpecError]]:
    """Like load_project, but returns (project or None, sorted errors) instead of raising.

    Models and events files named in `shallow` are only indexed: their names (models,
    variants, enums, events) are defined and resolvable, but their fields are neither built nor
    validated. Code generation uses this for the files a target merely depends on (each is
    fully checked by its own target); `check` never does.
    """
    diags = Diagnostics()
    sources = without_duplicates(sources, diags)
    builder = _Builder(diags)
    shallow = frozenset(shallow)
    for path in sorted(sources):
        builder.add_file(classify(path), sources[path], shallow=path in shallow)
    project = builder.build()
    errors = diags.sorted()
    return (None if errors else project), errors


# ---------------------------------------------------------------------------------------------
# Raw, located spec structures (pass 1)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Name:
    value: str
    loc: Location
    path: str


@dataclass
class _RawEnum:
    name: str
    values: tuple[str, ...]
    description: str | None
    loc: Location
    origin: ir.Origin
    path: str = ""  # where it is defined: `enums.Role`, or the field of an inline enum


@dataclass
class _RawField:
    name: str
    loc: Location
    reader: Reader
    type: TypeExpr | None
    type_loc: Location
    inline_enum: str | None = None  # the generated enum's name for `type: enum`


@dataclass
class _RawVariant:
    name: str
    loc: Location
    path: str
    exclude: list[_Name]
    optional: list[_Name]


@dataclass
class _RawModel:
    name: str
    loc: Location
    path: str
    origin: ir.Origin
    description: str | None
    fields: list[_RawField] = field(default_factory=list)
    variants: list[_RawVariant] = field(default_factory=list)
    union: list[_Name] = field(default_factory=list)
    discriminator: _Name | None = None
    shallow: bool = False  # only its names are known (see check_sources)


@dataclass
class _RawEvent:
    name: str
    loc: Location
    path: str
    file: str
    message: _Name | None
    publish: bool
    subscribe: bool
    channel: str
    channel_loc: Location
    description: str | None


@dataclass
class _RawParam:
    name: str
    loc: Location
    reader: Reader
    type: TypeExpr | None
    source: ir.ParamSource
    required: bool | None


@dataclass
class _RawOperation:
    name: str
    loc: Location
    reader: Reader
    input: tuple[TypeExpr, Location, str] | None
    output: tuple[TypeExpr, Location, str] | None
    params: list[_RawParam]
    rest: ir.Rest | None
    rest_reader: Reader | None
    errors: list[ir.ErrorResponse]
    publish_on_success: _Name | None
    subscribe: _Name | None


@dataclass
class _RawDomain:
    spec: SpecFile
    name: str
    loc: Location
    prefix: str
    tags: tuple[str, ...]
    operations: list[_RawOperation]


@dataclass
class _RawConsumption:
    service: _Name
    domain: _Name
    operations: list[_Name]
    loc: Location
    path: str


@dataclass
class _RawManifest:
    spec: SpecFile
    consumes: list[_RawConsumption]


# (kind, outside services/<svc>/spec/) -> why such a file is in the wrong place.
MISPLACED = {
    (
        SpecKind.EVENTS,
        False,
    ): "events are declared once for all services, in shared/spec/events.yaml",
    (SpecKind.DOMAIN, True): "domain specs live in services/<service>/spec/<domain>.yaml",
    (SpecKind.MANIFEST, True): "manifests live in services/<service>/spec/manifest.yaml",
}


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, diags: Diagnostics) -> None:
        self.diags = diags
        self.files: list[str] = []
        self.enums: list[_RawEnum] = []
        self.models: list[_RawModel] = []
        self.events: list[_RawEvent] = []
        self.domains: list[_RawDomain] = []
        self.manifests: list[_RawManifest] = []
        self.registry: ir.Registry | None = None
        self.registry_complete = False  # the registry was read without errors
        self.rejected_names: set[str] = set()  # type names whose definition was rejected
        # (service, the service it depends on, where, key path) of every depends_on entry.
        self.pending_depends: list[tuple[str, str, Location, str]] = []
        self.event_names: list[str] = []
        # Resolved definitions, by scope ("shared" or a service) and name.
        self.ir_enums: dict[tuple[str, str], ir.Enum] = {}
        self.ir_models: dict[tuple[str, str], ir.Model] = {}
        self.defined_at: dict[tuple[str, str], Location] = {}

    # -- pass 1: files ------------------------------------------------------------------------

    def add_file(self, spec: SpecFile, text: str, *, shallow: bool = False) -> None:
        self.files.append(spec.path)
        if shallow and spec.kind in (SpecKind.MODELS, SpecKind.EVENTS) and self.index(spec, text):
            return
        before = len(self.diags.errors)
        node = load_yaml(text, spec.path, self.diags)
        if len(self.diags.errors) > before:
            return
        what = {
            SpecKind.MODELS: "'models' and/or 'enums'",
            SpecKind.EVENTS: "'events'",
            SpecKind.DOMAIN: "'domain' and 'operations'",
            SpecKind.MANIFEST: "'consumes'",
            SpecKind.REGISTRY: "'services'",
        }[spec.kind]
        top = as_reader(node, "", self.diags, spec.path, what)
        if top is None:
            return
        misplaced = MISPLACED.get((spec.kind, spec.service is None))
        if misplaced:
            self.diags.error(top.anchor, "", misplaced)
            return
        {
            SpecKind.MODELS: self.read_models,
            SpecKind.EVENTS: self.read_events,
            SpecKind.DOMAIN: self.read_domain,
            SpecKind.MANIFEST: self.read_manifest,
            SpecKind.REGISTRY: self.read_registry,
        }[spec.kind](spec, top)

    def index(self, spec: SpecFile, text: str) -> bool:
        """Define the names of a models or events file without building its fields; False
        (and nothing defined) when the file is not a well-formed spec, which a full load
        then reports. The file is read by `load_yaml`, within the same limits as any other."""

        class Malformed(Exception):
            """Not the shape of a spec: the full load says why."""

        def named(node: Node | None) -> list[tuple[str, Scalar, Node]]:
            """(name, key, value) of a mapping keyed by names; absent or null: none."""
            if node is None or (isinstance(node, Scalar) and node.value is None):
                return []
            if not isinstance(node, Mapping):
                raise Malformed
            out: list[tuple[str, Scalar, Node]] = []
            for key, value in node.items:
                if not isinstance(key.value, str):
                    raise Malformed
                out.append((key.value, key, value))
            return out

        def mapping(node: Node | None) -> Mapping:
            if node is None or (isinstance(node, Scalar) and node.value is None):
                return Mapping(Location(spec.path), ())
            if not isinstance(node, Mapping):
                raise Malformed
            return node

        def string(node: Node | None) -> str | None:
            if node is None:
                return None
            if not isinstance(node, Scalar) or not isinstance(node.value, str):
                raise Malformed
            return node.value

        def enum_values(node: Node | None) -> tuple[str, ...]:
            if not isinstance(node, Sequence):
                raise Malformed
            values: list[str] = []
            for item in node.items:
                if not isinstance(item, Scalar) or item.value is None:
                    raise Malformed
                values.append(item.value if isinstance(item.value, str) else item.text)
            return tuple(values)

        def flag(node: Node | None) -> bool:
            return isinstance(node, Scalar) and node.value is True

        diags = Diagnostics()  # the full load reports the problems, if any
        doc = load_yaml(text, spec.path, diags)
        if diags or not isinstance(doc, Mapping):
            return False
        origin = ir.Origin(spec.path, spec.service or ir.SHARED)
        events: list[_RawEvent] = []
        enums: list[_RawEnum] = []
        models: list[_RawModel] = []
        try:
            if spec.kind is SpecKind.EVENTS:
                for name, key, e in named(doc.get("events")):
                    e = mapping(e)
                    message = string(e.get("message"))
                    if not message:
                        raise Malformed
                    path = f"events.{name}"
                    events.append(
                        _RawEvent(
                            name=name,
                            loc=key.loc,
                            path=path,
                            file=spec.path,
                            message=_Name(message, key.loc, f"{path}.message"),
                            publish=flag(e.get("publish")),
                            subscribe=flag(e.get("subscribe")),
                            channel=string(e.get("channel")) or name,
                            channel_loc=key.loc,
                            description=None,
                        )
                    )
            else:
                for name, key, e in named(doc.get("enums")):
                    values = enum_values(mapping(e).get("values"))
                    enums.append(_RawEnum(name, values, None, key.loc, origin))
                for name, key, m in named(doc.get("models")):
                    m = mapping(m)
                    model = _RawModel(name, key.loc, f"models.{name}", origin, None, shallow=True)
                    for variant, vkey, _ in named(m.get("variants")):
                        path = f"models.{name}.variants.{variant}"
                        model.variants.append(_RawVariant(variant, vkey.loc, path, [], []))
                    for fname, fkey, f in named(m.get("fields")):
                        if isinstance(f, Mapping) and string(f.get("type")) == "enum":
                            values = enum_values(f.get("values"))
                            enum_name = f"{name}{pascal(fname)}"
                            enums.append(_RawEnum(enum_name, values, None, fkey.loc, origin))
                    models.append(model)
        except Malformed:
            return False  # nothing defined: the full load reports why
        self.events += events
        self.enums += enums
        self.models += models
        return True

    # models.yaml ------------------------------------------------------------------------------

    def read_models(self, spec: SpecFile, top: Reader) -> None:
        top.check_keys(("models", "enums"))
        origin = ir.Origin(spec.path, spec.service or ir.SHARED)
        enums = top.mapping("enums")
        if enums is not None:
            for key, value in enums.entries():
                self.read_enum(key, value, enums, origin)
        models = top.mapping("models")
        if models is not None:
            for key, value in models.entries():
                self.read_model(key, value, models, origin)

    def check_type_name(self, name: str, loc: Location, path: str, what: str) -> bool:
        if not PASCAL.match(name):
            self.diags.error(
                loc,
                path,
                f"{what} name '{name}' must be PascalCase (a letter A-Z, then letters and digits)",
            )
            return False
        if name in SCALAR_NAMES or name in ("list", "dict", "literal", "enum", "str"):
            self.diags.error(loc, path, f"'{name}' is a built-in type name")
            return False
        return True

    def type_name_reserved(self, name: str, loc: Location, path: str, what: str) -> bool:
        """Report a type name that generated modules reserve; True if it is free."""
        problem = namespace.type_name_problem(name)
        if problem:
            self.diags.error(loc, path, f"{what} name {problem}; rename the {what}")
            return False
        return True

    def read_enum_values(self, r: Reader, key: str = "values") -> tuple[str, ...]:
        items = r.sequence(key)
        if items is None:
            if not r.has(key):
                r.diags.error(r.anchor, r.sub(key), f"missing required key '{key}'")
            return ()
        if not items:
            r.error(key, "an enum needs at least one value")
        values: list[str] = []
        seen: dict[str, Location] = {}
        for i, node in items:
            path = r.sub(key) + f"[{i}]"
            if not isinstance(node, Scalar) or node.value is None or isinstance(node, Mapping):
                self.diags.error(node.loc, path, f"expected an enum value, got {kind_of(node)}")
                continue
            text = node.text if not isinstance(node.value, str) else node.value
            if not IDENTIFIER.match(text):
                self.diags.error(
                    node.loc,
                    path,
                    f"enum value '{text}' is not an identifier (letters, digits and '_', "
                    "not starting with a digit)",
                )
                continue
            if text in seen:
                self.diags.error(
                    node.loc,
                    path,
                    f"duplicate enum value '{text}' (first at line {seen[text].line})",
                )
                continue
            seen[text] = node.loc
            values.append(text)
        return tuple(values)

    def read_enum(self, key: Scalar, value: Node, parent: Reader, origin: ir.Origin) -> None:
        name = str(key.value)
        r = parent.child(key, value, "an enum")
        if r is None:
            return
        if not self.check_type_name(name, key.loc, r.path, "enum"):
            return
        r.check_keys(("values", "description"), required=())
        values = self.read_enum_values(r)
        self.enums.append(
            _RawEnum(name, values, r.text("description"), key.loc, origin, path=r.path)
        )

    def read_model(self, key: Scalar, value: Node, parent: Reader, origin: ir.Origin) -> None:
        name = str(key.value)
        r = parent.child(key, value, "a model")
        if r is None:
            return
        if not self.check_type_name(name, key.loc, r.path, "model"):
            return
        keys_ok = r.check_keys(("description", "fields", "variants", "union", "discriminator"))
        model = _RawModel(name, key.loc, r.path, origin, r.text("description"))
        if r.has("union"):
            for bad in ("fields", "variants"):
                if r.has(bad):
                    r.error(
                        bad, f"a union model has no '{bad}'; give them to its members", at_key=True
                    )
            members = r.names("union", "a model name")
            if members is not None:
                if len(members) < 2:
                    r.error("union", "a union needs at least two member models")
                model.union = [_Name(*m) for m in members]
            disc = r.string("discriminator")
            if disc is not None:
                model.discriminator = _Name(disc, r.loc("discriminator"), r.sub("discriminator"))
            elif not r.has("discriminator"):
                r.diags.error(
                    r.anchor,
                    r.sub("discriminator"),
                    "a union needs a 'discriminator': the literal field that tells members apart",
                )
        else:
            if r.has("discriminator"):
                r.error("discriminator", "'discriminator' only applies to a 'union'", at_key=True)
            fields = r.mapping("fields")
            if fields is None and not r.has("fields") and keys_ok:
                r.diags.error(r.anchor, r.sub("fields"), "a model needs 'fields' (or 'union')")
            if fields is not None:
                for fkey, fvalue in fields.entries():
                    f = self.read_field(fkey, fvalue, fields, name, origin)
                    if f is not None:
                        model.fields.append(f)
            variants = r.mapping("variants")
            if variants is not None:
                for vkey, vvalue in variants.entries():
                    v = self.read_variant(vkey, vvalue, variants)
                    if v is not None:
                        model.variants.append(v)
        self.models.append(model)

    def read_field(
        self, key: Scalar, value: Node, parent: Reader, model: str, origin: ir.Origin
    ) -> _RawField | None:
        name = str(key.value)
        path = parent.sub(name)
        if not IDENTIFIER.match(name):
            self.diags.error(
                key.loc,
                path,
                f"field name '{name}' is not an identifier (letters, digits and '_', "
                "not starting with a digit)",
            )
            return None
        if isinstance(value, Scalar) and isinstance(value.value, str):
            # Shorthand `name: int` is not part of the language; say what to write instead.
            self.diags.error(
                value.loc,
                path,
                f"expected a field mapping such as {{type: {value.value}}}, got {kind_of(value)}",
            )
            return None
        r = parent.child(key, value, "a field")
        if r is None:
            return None
        r.check_keys(FIELD_KEYS, required=("type",))
        type_text = r.string("type", allow_empty=False)
        if type_text is None:
            return None
        if type_text == "enum":
            enum_name = model + pascal(name)
            values = self.read_enum_values(r)
            # The field carries the description (a JSON schema drops a field's description that
            # equals its type's), the enum says whose values it holds.
            doc = f"The values of {model}.{name}."
            self.enums.append(_RawEnum(enum_name, values, doc, key.loc, origin, path=path))
            return _RawField(name, key.loc, r, TypeExpr(enum_name), r.loc("type"), enum_name)
        if r.has("values"):
            r.error("values", "'values' only applies to fields of type 'enum'", at_key=True)
        expr = self.parse_type(type_text, r.loc("type"), r.sub("type"))
        return _RawField(name, key.loc, r, expr, r.loc("type"))

    def parse_type(self, text: str, loc: Location, path: str) -> TypeExpr | None:
        try:
            return parse_type(text)
        except TypeSyntaxError as e:
            self.diags.error(loc, path, f"invalid type '{shown(text)}': {e}")
            return None

    def read_variant(self, key: Scalar, value: Node, parent: Reader) -> _RawVariant | None:
        name = str(key.value)
        r = parent.child(key, value, "a variant")
        if r is None:
            return None
        if not PASCAL.match(name):
            self.diags.error(
                key.loc, r.path, f"variant name '{name}' must be PascalCase, like Create or Read"
            )
            return None
        r.check_keys(("exclude", "optional"))
        exclude = [_Name(*n) for n in (r.names("exclude", "a field name") or [])]
        optional = [_Name(*n) for n in (r.names("optional", "a field name") or [])]
        return _RawVariant(name, key.loc, r.path, exclude, optional)

    # events.yaml ------------------------------------------------------------------------------

    def read_events(self, spec: SpecFile, top: Reader) -> None:
        top.check_keys(("events",), required=("events",))
        events = top.mapping("events")
        if events is None:
            return
        for key, value in events.entries():
            name = str(key.value)
            r = events.child(key, value, "an event")
            if r is None:
                continue
            if not SNAKE.match(name):
                self.diags.error(
                    key.loc, r.path, f"event name '{name}' must be snake_case, like user_registered"
                )
                continue
            problem = namespace.event_name_problem(name)
            if problem:
                self.diags.error(key.loc, r.path, f"event name {problem}; rename the event")
                continue
            r.check_keys(
                ("message", "publish", "subscribe", "channel", "description"), required=("message",)
            )
            message = r.string("message", allow_empty=False)
            channel = r.string("channel", allow_empty=False)
            if channel is not None and not CHANNEL.fullmatch(channel):
                r.error(
                    "channel",
                    f"channel '{channel}' is not usable on every broker: use letters, digits, "
                    "'_' and '-', in words separated by single dots (at most 200 characters), "
                    "like users.registered",
                )
                channel = None
            self.events.append(
                _RawEvent(
                    name=name,
                    loc=key.loc,
                    path=r.path,
                    file=spec.path,
                    message=(
                        _Name(message, r.loc("message"), r.sub("message")) if message else None
                    ),
                    publish=r.boolean("publish"),
                    subscribe=r.boolean("subscribe"),
                    channel=channel or name,
                    channel_loc=r.loc("channel") if channel else key.loc,
                    description=r.text("description"),
                )
            )

    # domain specs -----------------------------------------------------------------------------

    def read_domain(self, spec: SpecFile, top: Reader) -> None:
        top.check_keys(("domain", "config", "operations"), required=("domain", "operations"))
        name = top.string("domain", allow_empty=False)
        if name is not None:
            problem = namespace.domain_name_problem(name)
            if not SNAKE.match(name):
                top.error("domain", f"domain name '{name}' must be snake_case, like users")
                name = None
            elif problem:
                top.error("domain", f"domain name {problem}; rename the domain and its file")
                name = None
            elif name != spec.stem:
                top.error(
                    "domain",
                    f"domain '{name}' is declared in '{spec.stem}.yaml'; the file of a domain is "
                    f"named after it (rename the file to '{name}.yaml' or the domain to "
                    f"'{spec.stem}')",
                )
        prefix = ""
        tags: tuple[str, ...] = ()
        config = top.mapping("config")
        if config is not None:
            config.check_keys(("rest",))
            rest = config.mapping("rest")
            if rest is not None:
                rest.check_keys(("prefix", "tags"))
                prefix = rest.string("prefix") or ""
                problem = rest_paths.prefix_problem(prefix)
                if problem is not None:
                    # Reported; the prefix is kept, so that its operations' paths are not
                    # also reported as lacking one.
                    rest.error("prefix", problem)
                tags = tuple(t for t, _, _ in (rest.names("tags", "a tag") or []))
        operations: list[_RawOperation] = []
        ops = top.mapping("operations")
        if ops is not None:
            if not ops.node.items:
                top.error("operations", "a domain needs at least one operation")
            for key, value in ops.entries():
                op = self.read_operation(key, value, ops, prefix)
                if op is not None:
                    operations.append(op)
        if name is not None:
            self.domains.append(_RawDomain(spec, name, top.anchor, prefix, tags, operations))

    def read_operation(
        self, key: Scalar, value: Node, parent: Reader, prefix: str
    ) -> _RawOperation | None:
        name = str(key.value)
        r = parent.child(key, value, "an operation")
        if r is None:
            return None
        if not SNAKE.match(name):
            self.diags.error(
                key.loc, r.path, f"operation name '{name}' must be snake_case, like get_user"
            )
            return None
        problem = namespace.operation_name_problem(name)
        if problem:
            self.diags.error(key.loc, r.path, f"operation name {problem}; rename the operation")
            return None
        r.check_keys(OPERATION_KEYS)

        def type_of(k: str) -> tuple[TypeExpr, Location, str] | None:
            text = r.string(k, allow_empty=False)
            if text is None:
                return None
            expr = self.parse_type(text, r.loc(k), r.sub(k))
            return (expr, r.loc(k), r.sub(k)) if expr else None

        params = self.read_params(r)
        rest, rest_reader = self.read_rest(r, prefix)
        errors = self.read_errors(r)
        publish = subscribe = None
        events = r.mapping("events")
        if events is not None:
            events.check_keys(("publish_on_success", "subscribe"))
            if not events.node.items:
                r.error("events", "'events' needs 'subscribe' and/or 'publish_on_success'")
            p = events.string("publish_on_success", allow_empty=False)
            if p is not None:
                publish = _Name(
                    p, events.loc("publish_on_success"), events.sub("publish_on_success")
                )
            s = events.string("subscribe", allow_empty=False)
            if s is not None:
                subscribe = _Name(s, events.loc("subscribe"), events.sub("subscribe"))
        op = _RawOperation(
            name=name,
            loc=key.loc,
            reader=r,
            input=type_of("input"),
            output=type_of("output"),
            params=params,
            rest=rest,
            rest_reader=rest_reader,
            errors=errors,
            publish_on_success=publish,
            subscribe=subscribe,
        )
        if not r.has("rest") and not r.has("events"):
            self.diags.error(
                key.loc,
                r.path,
                f"operation '{name}' has no transport: give it 'rest', "
                "'events: {subscribe: ...}', or both",
            )
        elif not r.has("rest") and events is not None and subscribe is None:
            if events.has("publish_on_success"):
                self.diags.error(
                    key.loc,
                    r.path,
                    f"operation '{name}' has no transport: 'publish_on_success' only publishes "
                    "after the operation runs; add 'rest' or 'events.subscribe' to run it",
                )
        if subscribe is not None and not r.has("input"):
            self.diags.error(
                subscribe.loc,
                subscribe.path,
                "an operation that subscribes to an event needs an 'input': the event's message "
                "model",
            )
        return op

    def read_params(self, r: Reader) -> list[_RawParam]:
        items = r.mapping_items("params", "a param such as {name: x, type: int}")
        if items is None:
            return []
        params: list[_RawParam] = []
        seen: dict[str, Location] = {}
        for p in items:
            p.check_keys(PARAM_KEYS, required=("name", "type"))
            name = p.string("name", allow_empty=False)
            type_text = p.string("type", allow_empty=False)
            source_text = p.string("source")
            source = ir.ParamSource.PATH
            if source_text is not None:
                try:
                    source = ir.ParamSource(source_text)
                except ValueError:
                    p.error(
                        "source",
                        f"unknown param source '{source_text}'"
                        f"{suggest(source_text, ('path', 'query'))}; expected path or query",
                    )
                    continue
            required = None
            if p.has("required"):
                required = p.boolean("required", True)
            if name is None:
                continue
            if not IDENTIFIER.match(name):
                p.error(
                    "name",
                    f"param name '{name}' is not an identifier (letters, digits and '_', not "
                    "starting with a digit)",
                )
                continue
            if name in seen:
                p.error("name", f"duplicate param '{name}' (first at line {seen[name].line})")
                continue
            seen[name] = p.loc("name")
            expr = None
            if type_text is not None:
                expr = self.parse_type(type_text, p.loc("type"), p.sub("type"))
            if source is ir.ParamSource.PATH:
                if required is False:
                    p.error("required", "path params are always required", at_key=True)
                if p.has("default"):
                    p.error("default", "path params cannot have a default", at_key=True)
            elif required is True and p.has("default"):
                p.error(
                    "default",
                    "a required query param cannot have a default; drop 'required: true' or "
                    "the default",
                    at_key=True,
                )
            params.append(_RawParam(name, p.loc("name"), p, expr, source, required))
        return params

    def read_rest(self, r: Reader, prefix: str) -> tuple[ir.Rest | None, Reader | None]:
        rest = r.mapping("rest")
        if rest is None:
            return None, None
        rest.check_keys(("method", "path", "status"), required=("method",))
        method = rest.string("method")
        if method is None:
            return None, rest
        if method not in HTTP_METHODS:
            rest.error(
                "method",
                f"invalid HTTP method '{method}'{suggest(method.upper(), HTTP_METHODS)}; "
                f"expected one of: {', '.join(HTTP_METHODS)}",
            )
            return None, rest
        path = rest.string("path")
        if rest.has("path") and path is None:
            return None, rest
        path = path or ""
        problem = rest_paths.path_problem(path) or rest_paths.full_path_problem(prefix, path)
        if problem is not None:
            rest.error("path", problem, at_key=not rest.has("path"))
            return None, rest
        default_status = {"POST": 201, "DELETE": 204}.get(method, 200)
        status = rest.integer("status")
        if rest.has("status") and status is None:
            return None, rest
        if status is not None and not 200 <= status <= 299:
            rest.error(
                "status",
                f"invalid success status {status}: expected a 2xx status (list other answers "
                "under 'errors')",
            )
            return None, rest
        full = (prefix + path) or "/"
        return ir.Rest(method, path, status or default_status, full), rest

    def read_errors(self, r: Reader) -> list[ir.ErrorResponse]:
        items = r.mapping_items("errors", "an error such as {status: 404, description: ...}")
        if items is None:
            return []
        out: list[ir.ErrorResponse] = []
        seen: dict[int, Location] = {}
        for e in items:
            e.check_keys(("status", "description"), required=("status",))
            status = e.integer("status")
            description = e.text("description")
            if status is None:
                continue
            if 200 <= status <= 299:
                e.error(
                    "status",
                    f"status {status} is a success; 'errors' lists the non-2xx answers "
                    "(expected 4xx or 5xx)",
                )
                continue
            if not 400 <= status <= 599:
                e.error("status", f"invalid error status {status}: expected 4xx or 5xx")
                continue
            if status in seen:
                e.error(
                    "status", f"duplicate error status {status} (first at line {seen[status].line})"
                )
                continue
            seen[status] = e.loc("status")
            phrase = status_phrase(status)
            out.append(
                ir.ErrorResponse(status, description or phrase, pascal(phrase), e.loc("status"))
            )
        return out

    # manifests --------------------------------------------------------------------------------

    def read_manifest(self, spec: SpecFile, top: Reader) -> None:
        top.check_keys(("consumes",), required=("consumes",))
        items = top.sequence("consumes")
        manifest = _RawManifest(spec, [])
        for i, node in items or []:
            path = top.sub("consumes") + f"[{i}]"
            if not isinstance(node, Mapping):
                self.diags.error(
                    node.loc,
                    path,
                    "expected an entry such as {service: backend, domain: users, operations: "
                    f"[get_user]}}, got {kind_of(node)}",
                )
                continue
            c = Reader(node, path, self.diags, node.loc)
            if not c.check_keys(
                ("service", "domain", "operations"), ("service", "domain", "operations")
            ) and not all(c.has(k) for k in ("service", "domain", "operations")):
                continue
            service = c.string("service", allow_empty=False)
            domain = c.string("domain", allow_empty=False)
            ops = c.names("operations", "an operation name")
            if service is None or domain is None or ops is None:
                continue
            if not ops:
                c.error("operations", "list at least one operation to consume")
            manifest.consumes.append(
                _RawConsumption(
                    _Name(service, c.loc("service"), c.sub("service")),
                    _Name(domain, c.loc("domain"), c.sub("domain")),
                    [_Name(*o) for o in ops],
                    node.loc,
                    path,
                )
            )
        self.manifests.append(manifest)

    # services.yml -----------------------------------------------------------------------------

    def read_registry(self, spec: SpecFile, top: Reader) -> None:
        before = len(self.diags.errors)
        top.check_keys(("services",), required=("services",))
        items = top.sequence("services")
        entries: list[ir.ServiceEntry] = []
        seen: dict[str, Location] = {}
        for i, node in items or []:
            path = top.sub("services") + f"[{i}]"
            if not isinstance(node, Mapping):
                self.diags.error(
                    node.loc,
                    path,
                    f"expected a service such as {{name: backend, type: python-fastapi, "
                    f"description: ...}}, got {kind_of(node)}",
                )
                continue
            s = Reader(node, path, self.diags, node.loc)
            s.check_keys(
                ("name", "type", "description", "depends_on", "profiles"),
                required=("name", "type", "description"),
            )
            name = s.string("name", allow_empty=False)
            type_text = s.string("type", allow_empty=False)
            description = s.text("description")
            stype = None
            if type_text is not None:
                try:
                    stype = ir.ServiceType(type_text)
                except ValueError:
                    kinds = [t.value for t in ir.ServiceType]
                    s.error(
                        "type",
                        f"unknown service type '{type_text}'{suggest(type_text, kinds)}; "
                        f"expected one of: {', '.join(kinds)}",
                    )
            if name is not None:
                problem = namespace.service_name_problem(name)
                if not PACKAGE_NAME.match(name):
                    s.error(
                        "name",
                        f"service name '{name}' is not a valid package name: use lowercase "
                        "letters, digits and '_', starting with a letter (e.g. tg_bot)",
                    )
                    name = None
                elif problem:
                    s.error("name", f"service name {problem}; rename the service")
                    name = None
                elif name in seen:
                    s.error("name", f"duplicate service '{name}' (first at line {seen[name].line})")
                    name = None
                else:
                    seen[name] = s.loc("name")
            depends = self.read_depends_on(s, name or "")
            profiles = tuple(p for p, _, _ in (s.names("profiles", "a profile name") or []))
            if name is not None and stype is not None and description is not None:
                entries.append(
                    ir.ServiceEntry(name, stype, description, s.loc("name"), depends, profiles)
                )
        self.registry = ir.Registry(spec.path, tuple(entries))
        # An invalid registry is reported in itself; it cannot tell which services exist.
        self.registry_complete = len(self.diags.errors) == before

    def read_depends_on(self, s: Reader, service: str) -> tuple[tuple[str, str], ...]:
        node = s.get("depends_on")
        if node is None:
            return ()
        out: list[tuple[str, str]] = []
        pending = self.pending_depends
        if isinstance(node, Sequence):
            for dep, loc, path in s.names("depends_on", "a service name") or []:
                out.append((dep, "service_started"))
                pending.append((service, dep, loc, path))
        elif isinstance(node, Mapping):
            d = s.mapping("depends_on")
            assert d is not None
            for key, value in d.entries():
                dep = str(key.value)
                path = d.sub(dep)
                if not (isinstance(value, Scalar) and isinstance(value.value, str)):
                    self.diags.error(
                        value.loc, path, f"expected a compose condition, got {kind_of(value)}"
                    )
                    continue
                if value.value not in COMPOSE_CONDITIONS:
                    self.diags.error(
                        value.loc,
                        path,
                        f"unknown condition '{value.value}'"
                        f"{suggest(value.value, COMPOSE_CONDITIONS)}; expected one of: "
                        f"{', '.join(COMPOSE_CONDITIONS)}",
                    )
                    continue
                out.append((dep, value.value))
                pending.append((service, dep, key.loc, path))
        else:
            s.error("depends_on", f"expected a mapping or a list of services, got {kind_of(node)}")
        return tuple(out)

    # -- pass 2: names, references, semantics ---------------------------------------------------

    def build(self) -> ir.Project:
        self.define_names()
        self.build_enums()
        self.build_models()
        events = self.build_events()
        domains = self.build_domains(events)
        manifests = self.build_manifests(domains)
        self.check_registry_references()
        self.check_service_directories()
        self.check_model_depth()
        self.check_generated_names(manifests)
        models = tuple(self.ir_models[k] for k in self.model_order)
        return ir.Project(
            files=tuple(sorted(self.files)),
            models=models,
            enums=tuple(
                self.ir_enums[(e.origin.scope, e.name)]
                for e in self.enums
                if (e.origin.scope, e.name) in self.ir_enums
            ),
            events=tuple(events.values()),
            domains=tuple(domains),
            manifests=tuple(manifests),
            registry=self.registry,
        )

    def define_names(self) -> None:
        """Register every type name per scope; report clashes (within a scope, and between a
        service's own names and the shared ones)."""
        self.raw_by_name: dict[tuple[str, str], _RawModel | _RawEnum] = {}
        self.variant_names: dict[tuple[str, str], tuple[_RawModel, _RawVariant]] = {}

        def define(scope: str, name: str, loc: Location, path: str, thing: object) -> bool:
            what = {_RawEnum: "enum", _RawVariant: "variant"}.get(type(thing), "model")
            if not self.type_name_reserved(name, loc, path, what):
                self.rejected_names.add(name)
                return False
            clash = self.defined_at.get((scope, name))
            if clash is None and scope != ir.SHARED:
                clash = self.defined_at.get((ir.SHARED, name))
            if clash is not None:
                where = f"{clash.file}:{clash.line}"
                self.diags.error(loc, path, f"duplicate name '{name}': already defined at {where}")
                return False
            self.defined_at[(scope, name)] = loc
            return True

        # Shared definitions first so that a service's clash is reported at the service's file.
        def scope_order(item: _RawModel | _RawEnum) -> tuple[int, str]:
            return (0 if item.origin.shared else 1, item.origin.file)

        items: list[_RawModel | _RawEnum] = sorted([*self.enums, *self.models], key=scope_order)
        # Stable sort keeps declaration order within a file.
        for item in items:
            scope = item.origin.scope
            path = item.path or f"enums.{item.name}"
            if not define(scope, item.name, item.loc, path, item):
                continue
            self.raw_by_name[(scope, item.name)] = item
            if isinstance(item, _RawModel):
                for v in item.variants:
                    vname = item.name + v.name
                    if define(scope, vname, v.loc, v.path, v):
                        self.variant_names[(scope, vname)] = (item, v)

    def lookup(self, scope: str, name: str) -> tuple[str, str] | None:
        for s in (scope, ir.SHARED):
            if (s, name) in self.raw_by_name or (s, name) in self.variant_names:
                return (s, name)
        return None

    def visible_names(self, scope: str) -> list[str]:
        return [n for (s, n) in [*self.raw_by_name, *self.variant_names] if s in (scope, ir.SHARED)]

    def build_enums(self) -> None:
        for e in self.enums:
            key = (e.origin.scope, e.name)
            if self.raw_by_name.get(key) is e:
                py_names = tuple(namespace.enum_member_py_names(e.values))
                self.ir_enums[key] = ir.Enum(
                    e.name, e.values, e.origin, e.loc, e.description, py_names=py_names
                )

    # models -----------------------------------------------------------------------------------

    def build_models(self) -> None:
        # Create every model shell first, so that references (even recursive ones) can point
        # at their definitions; fields are filled in afterwards.
        self.model_order: list[tuple[str, str]] = []
        raw_models = [m for m in self.models if self.raw_by_name.get((m.origin.scope, m.name)) is m]
        for m in raw_models:
            key = (m.origin.scope, m.name)
            self.ir_models[key] = ir.Model(m.name, m.origin, m.loc, m.description)
            self.model_order.append(key)
            for v in m.variants:
                vkey = (m.origin.scope, m.name + v.name)
                if vkey in self.variant_names:
                    self.ir_models[vkey] = ir.Model(
                        m.name + v.name,
                        m.origin,
                        v.loc,
                        m.description,
                        variant_of=m.name,
                        variant=v.name,
                    )
                    self.model_order.append(vkey)
        for m in raw_models:
            scope = m.origin.scope
            model = self.ir_models[(scope, m.name)]
            if m.shallow:
                continue
            if m.union:
                self.build_union(m, model)
                continue
            fields: list[ir.Field] = []
            for f in m.fields:
                built = self.build_field(f, scope)
                if built is not None:
                    fields.append(built)
            object.__setattr__(model, "fields", _with_py_names(fields))
            self.expand_variants(m, model)
        for m in raw_models:
            if m.union and not m.shallow and m.discriminator is not None:
                self.check_discriminator_py_name(m, self.ir_models[(m.origin.scope, m.name)])

    def resolve_type(
        self, expr: TypeExpr, scope: str, loc: Location, path: str, *, what: str = "type"
    ) -> ir.TypeRef | None:
        if expr.is_literal:
            assert expr.literal is not None
            return ir.LiteralType(expr.literal)
        if expr.is_list:
            item = self.resolve_type(expr.args[0], scope, loc, path, what=what)
            return ir.ListType(item) if item is not None else None
        if expr.is_dict:
            value = self.resolve_type(expr.args[1], scope, loc, path, what=what)
            return ir.DictType(value) if value is not None else None
        if expr.name in SCALAR_NAMES:
            return ir.ScalarType(ir.ScalarKind(expr.name))
        found = self.lookup(scope, expr.name)
        if found is None and expr.name in self.rejected_names:
            return None  # its definition was rejected; reported there
        if found is None:
            candidates = [*SCALAR_NAMES, *self.visible_names(scope)]
            self.diags.error(
                loc,
                path,
                f"unknown {what} '{expr.name}'{suggest(expr.name, candidates)}; expected a "
                "scalar (int, float, bool, string, decimal, date, datetime, uuid, bytes), "
                "list[...], dict[string, ...], literal[...], or a model or enum name",
            )
            return None
        if found in self.ir_enums:
            return ir.EnumType(self.ir_enums[found])
        if found in self.ir_models:
            return ir.ModelType(self.ir_models[found])
        return None  # the definition itself was invalid (already reported)

    def build_field(self, f: _RawField, scope: str) -> ir.Field | None:
        r = f.reader
        if f.type is None:
            return None
        ftype = self.resolve_type(f.type, scope, f.type_loc, r.sub("type"))
        if ftype is None:
            return None
        optional = r.boolean("optional")
        nullable = r.boolean("nullable")
        readonly = r.boolean("readonly")
        deprecated = r.boolean("deprecated")
        constraints = self.read_constraints(r, ftype, field_keys=True)
        default: ir.DefaultValue | ir._NoDefault = ir.NO_DEFAULT
        if r.has("default") or (r.node.key_node("default") is not None):
            node = r.node.get("default")
            assert node is not None
            if isinstance(node, Scalar) and node.value is None:
                if not (optional or nullable):
                    r.error(
                        "default",
                        "default null needs 'optional: true' or 'nullable: true'",
                    )
                else:
                    default = None
            else:
                value = self.convert_default(node, ftype, constraints, r.sub("default"))
                if value is not ir.NO_DEFAULT:
                    default = value
        required = not optional and default is ir.NO_DEFAULT
        if optional and default is ir.NO_DEFAULT:
            default = None
        return ir.Field(
            name=f.name,
            type=ftype,
            loc=f.loc,
            description=r.text("description"),
            required=required,
            nullable=nullable or optional,
            default=default,
            readonly=readonly,
            deprecated=deprecated,
            constraints=constraints,
        )

    def read_constraints(self, r: Reader, ftype: ir.TypeRef, *, field_keys: bool) -> ir.Constraints:
        """Read ge/gt/le/lt, lengths, pattern, format and item counts, checking that each
        applies to the type and that they are consistent."""
        kind = ftype.kind if isinstance(ftype, ir.ScalarType) else None
        type_name = _type_name(ftype)
        values: dict[str, object] = {}
        for key in NUMERIC_CONSTRAINTS:
            if r.has(key):
                if kind not in NUMERIC_KINDS:
                    r.error(
                        key,
                        f"'{key}' applies to int, float and decimal, not to {type_name}",
                        at_key=True,
                    )
                else:
                    v = r.number(key)
                    if v is not None:
                        if (
                            kind is ir.ScalarKind.INT
                            and isinstance(v, float)
                            and not (v.is_integer() and int64_problem(int(v)) is None)
                        ):
                            # Pydantic cannot build an int validator with such a bound.
                            r.error(
                                key,
                                f"'{key}' of an int must be a whole number that fits in 64 "
                                f"bits, got {v}",
                            )
                        else:
                            values[key] = v
        for key in LENGTH_CONSTRAINTS:
            if r.has(key):
                if kind not in LENGTH_KINDS:
                    hint = (
                        " (use min_items/max_items for lists)"
                        if isinstance(ftype, ir.ListType)
                        else ""
                    )
                    r.error(
                        key,
                        f"'{key}' applies to string and bytes, not to {type_name}{hint}",
                        at_key=True,
                    )
                else:
                    v = r.integer(key, minimum=0)
                    if v is not None:
                        values[key] = v
        if r.has("pattern"):
            if kind is not ir.ScalarKind.STRING:
                r.error("pattern", f"'pattern' applies to string, not to {type_name}", at_key=True)
            else:
                pattern = r.string("pattern")
                if pattern is not None:
                    # Compiled by the engine of the generated code's Pydantic (see patterns).
                    problem = _pattern_checker(self).problem(pattern)
                    if problem is None:
                        values["pattern"] = pattern
                    else:
                        r.error("pattern", problem)
        if field_keys and r.has("format"):
            fmt = r.string("format")
            if kind is not ir.ScalarKind.STRING:
                r.error("format", f"'format' applies to string, not to {type_name}", at_key=True)
            elif fmt is not None:
                if fmt not in FORMATS:
                    r.error(
                        "format",
                        f"unknown format '{fmt}'{suggest(fmt, FORMATS)}; expected one of: "
                        f"{', '.join(FORMATS)}",
                    )
                elif fmt == "uri" and "pattern" in values:
                    # Pydantic applies the pattern to the validated Url, not to a str: every
                    # value would fail with a TypeError at run time.
                    r.error(
                        "pattern",
                        "'pattern' cannot be combined with 'format: uri' (Pydantic's AnyUrl "
                        "cannot be matched against a pattern); drop one of them",
                        at_key=True,
                    )
                    values.pop("pattern")
                else:
                    values["format"] = fmt
        if field_keys:
            for key in ITEM_CONSTRAINTS:
                if r.has(key):
                    if not isinstance(ftype, ir.ListType | ir.DictType):
                        r.error(
                            key,
                            f"'{key}' applies to list and dict, not to {type_name}",
                            at_key=True,
                        )
                    else:
                        v = r.integer(key, minimum=0)
                        if v is not None:
                            values[key] = v
        self.check_bounds(r, values)
        return ir.Constraints(**values)  # type: ignore[arg-type]

    def check_bounds(self, r: Reader, v: dict[str, object]) -> None:
        # Python compares ints and floats exactly, without converting (no OverflowError).
        lower = [(k, x) for k in ("ge", "gt") if isinstance(x := v.get(k), int | float)]
        upper = [(k, x) for k in ("le", "lt") if isinstance(x := v.get(k), int | float)]
        for lk, lv in lower:
            for uk, uv in upper:
                empty = lv > uv if (lk == "ge" and uk == "le") else lv >= uv
                if empty:
                    r.error(
                        lk,
                        f"'{lk}: {v[lk]}' and '{uk}: {v[uk]}' leave no valid value",
                        at_key=True,
                    )
        for lo, hi in (("min_length", "max_length"), ("min_items", "max_items")):
            a, b = v.get(lo), v.get(hi)
            if isinstance(a, int) and isinstance(b, int) and a > b:
                r.error(lo, f"'{lo}: {a}' is greater than '{hi}: {b}'", at_key=True)

    def convert_default(
        self,
        node: Node,
        ftype: ir.TypeRef,
        constraints: ir.Constraints,
        path: str,
    ) -> ir.DefaultValue | ir._NoDefault:
        """The typed default, or NO_DEFAULT after reporting why the value does not fit."""
        try:
            value = _typed_value(node, ftype)
        except _Misfit as e:
            self.diags.error(e.node.loc, path, f"default does not fit the type: {e}")
            return ir.NO_DEFAULT
        # The generated type's own validation (pydantic-core), quoted when it says no.
        problem = values.default_problem(value, ftype, constraints, _pattern_checker(self))
        if problem:
            self.diags.error(node.loc, path, problem)
            return ir.NO_DEFAULT
        return value

    def build_union(self, m: _RawModel, model: ir.Model) -> None:
        scope = m.origin.scope
        members: list[ir.Model] = []
        literals: dict[object, str] = {}
        disc = m.discriminator
        for ref in m.union:
            found = self.lookup(scope, ref.value)
            if found is None and ref.value in self.rejected_names:
                continue  # its definition was rejected; reported there
            if found is None or found not in self.ir_models:
                if found is None:
                    self.diags.error(
                        ref.loc,
                        ref.path,
                        f"unknown model '{ref.value}'"
                        f"{suggest(ref.value, self.visible_names(scope))} in union",
                    )
                else:
                    self.diags.error(ref.loc, ref.path, f"'{ref.value}' is an enum, not a model")
                continue
            member = self.ir_models[found]
            raw = self.raw_by_name.get(found)
            if isinstance(raw, _RawModel) and raw.union:
                self.diags.error(ref.loc, ref.path, f"'{ref.value}' is itself a union")
                continue
            if member in members:
                self.diags.error(ref.loc, ref.path, f"'{ref.value}' is listed twice")
                continue
            members.append(member)
            if disc is None:
                continue
            literal = self.discriminator_literal(found, disc.value)
            if literal is None:
                self.diags.error(
                    ref.loc,
                    ref.path,
                    f"union member '{ref.value}' lacks the discriminator: it needs a field "
                    f"'{disc.value}' of type literal[...], e.g. "
                    f'{{{disc.value}: {{type: "literal[{_snake(ref.value)}]"}}}}',
                )
                continue
            if literal in literals:
                self.diags.error(
                    ref.loc,
                    ref.path,
                    f"union members '{literals[literal]}' and '{ref.value}' share the "
                    f"discriminator value '{literal}'",
                )
                continue
            literals[literal] = ref.value
        object.__setattr__(model, "union", tuple(members))
        object.__setattr__(model, "discriminator", disc.value if disc else None)

    def check_discriminator_py_name(self, m: _RawModel, union: ir.Model) -> None:
        """Pydantic finds a union's discriminator by its Python name, which every member must
        then give the same way (see `namespace.discriminator_py_name`)."""
        assert m.discriminator is not None
        expected = namespace.discriminator_py_name(m.discriminator.value)
        for member in union.union:
            field = member.field(m.discriminator.value)
            if field is not None and field.py_name != expected:
                self.diags.error(
                    m.discriminator.loc,
                    m.discriminator.path,
                    f"discriminator '{m.discriminator.value}' is reserved in union member "
                    f"'{member.name}': there it must be renamed to '{field.py_name}' in Python, "
                    f"elsewhere to '{expected}'; rename the field",
                )
                return

    def discriminator_literal(self, key: tuple[str, str], disc: str) -> object | None:
        raw = self.raw_by_name.get(key)
        fields: list[_RawField] = []
        if isinstance(raw, _RawModel) and raw.shallow:
            return f"<{raw.name}>"  # defined in a file only indexed here: checked there
        if key in self.variant_names and self.variant_names[key][0].shallow:
            return f"<{key[1]}>"
        variant: _RawVariant | None = None
        if isinstance(raw, _RawModel):
            fields = raw.fields
        elif key in self.variant_names:
            base, variant = self.variant_names[key]
            # A variant that drops the field, or makes it optional, has no discriminator.
            if disc in {n.value for n in [*variant.exclude, *variant.optional]}:
                return None
            fields = base.fields
        for f in fields:
            if f.name == disc and f.type is not None and f.type.is_literal:
                if f.reader.boolean("optional") or f.reader.boolean("nullable"):
                    return None
                if variant is not None and variant.name in READONLY_DROPPING_VARIANTS:
                    if f.reader.boolean("readonly"):
                        return None
                return f.type.literal
        return None

    def expand_variants(self, m: _RawModel, base: ir.Model) -> None:
        names = [f.name for f in m.fields]
        for v in m.variants:
            key = (m.origin.scope, m.name + v.name)
            if key not in self.ir_models:
                continue
            for ref in [*v.exclude, *v.optional]:
                if ref.value not in names:
                    self.diags.error(
                        ref.loc,
                        ref.path,
                        f"model '{m.name}' has no field '{ref.value}'{suggest(ref.value, names)}",
                    )
            excluded = {n.value for n in v.exclude}
            optional = {n.value for n in v.optional}
            drop_readonly = v.name in READONLY_DROPPING_VARIANTS
            fields: list[ir.Field] = []
            for f in base.fields:
                if f.name in excluded or (drop_readonly and f.readonly):
                    continue
                if f.name in optional and f.required | (f.default is not None):
                    f = replace(f, required=False, nullable=True, default=None)
                fields.append(f)
            object.__setattr__(self.ir_models[key], "fields", tuple(fields))

    # events -----------------------------------------------------------------------------------

    def build_events(self) -> dict[str, ir.Event]:
        events: dict[str, ir.Event] = {}
        first: dict[str, Location] = {}
        channels: dict[str, str] = {}
        for e in self.events:
            if e.name in first:
                self.diags.error(
                    e.loc,
                    e.path,
                    f"duplicate event '{e.name}': already defined at "
                    f"{first[e.name].file}:{first[e.name].line}",
                )
                continue
            first[e.name] = e.loc
            if e.message is None:
                continue
            found = self.lookup(ir.SHARED, e.message.value)
            if found is None and e.message.value in self.rejected_names:
                continue  # its definition was rejected; reported there
            if found is None or found not in self.ir_models:
                if found is not None and found in self.ir_enums:
                    msg = f"message '{e.message.value}' is an enum; an event carries a model"
                else:
                    msg = (
                        f"unknown message model '{e.message.value}'"
                        f"{suggest(e.message.value, self.visible_names(ir.SHARED))}; events "
                        "carry models from shared/spec/models.yaml"
                    )
                if found is None or found in self.ir_enums:
                    self.diags.error(e.message.loc, e.message.path, msg)
                continue
            if e.channel in channels:
                self.diags.error(
                    e.channel_loc,
                    e.path + ".channel",
                    f"channel '{e.channel}' is already used by event '{channels[e.channel]}'",
                )
                continue
            channels[e.channel] = e.name
            events[e.name] = ir.Event(
                name=e.name,
                message=self.ir_models[found],
                loc=e.loc,
                file=e.file,
                publish=e.publish,
                subscribe=e.subscribe,
                channel=e.channel,
                description=e.description,
            )
        self.event_names = list(first)
        return events

    # domains ----------------------------------------------------------------------------------

    def build_domains(self, events: dict[str, ir.Event]) -> list[ir.Domain]:
        domains: list[ir.Domain] = []
        tables: dict[str, routes.RouteTable] = {}
        op_names: dict[tuple[str, str], Location] = {}
        for d in self.domains:
            service = d.spec.service
            assert service is not None
            ops: list[ir.Operation] = []
            for op in d.operations:
                built = self.build_operation(op, d, events)
                if built is None:
                    continue
                if built.rest is not None:
                    route = routes.Route(
                        built.rest.method,
                        built.rest.full_path,
                        d.name,
                        op.name,
                        f"{op.loc.file}:{op.loc.line}",
                    )
                    problem = tables.setdefault(service, routes.RouteTable()).add(route)
                    if problem is not None:
                        assert op.rest_reader is not None
                        op.rest_reader.error(
                            "path", problem, at_key=op.rest_reader.has("path") is False
                        )
                        continue
                if (service, op.name) in op_names:
                    loc = op_names[(service, op.name)]
                    self.diags.error(
                        op.loc,
                        op.reader.path,
                        f"service '{service}' already has an operation '{op.name}' "
                        f"({loc.file}:{loc.line}); operation names are unique per service",
                    )
                    continue
                op_names[(service, op.name)] = op.loc
                ops.append(built)
            domains.append(
                ir.Domain(d.name, service, d.spec.path, d.loc, d.prefix, d.tags, tuple(ops))
            )
        return domains

    def build_operation(
        self, op: _RawOperation, d: _RawDomain, events: dict[str, ir.Event]
    ) -> ir.Operation | None:
        service = d.spec.service
        assert service is not None
        r = op.reader
        ok = True
        input_model = None
        if op.input is not None:
            expr, loc, path = op.input
            t = self.resolve_type(expr, service, loc, path, what="model")
            if t is not None:
                if isinstance(t, ir.ModelType):
                    input_model = t.model
                else:
                    self.diags.error(
                        loc, path, f"'input' must be a model (the request body), got '{expr}'"
                    )
                    ok = False
            else:
                ok = False
        output = None
        if op.output is not None:
            expr, loc, path = op.output
            output = self.resolve_type(expr, service, loc, path)
            ok = ok and output is not None
        params: list[ir.Param] = []
        for p in op.params:
            built = self.build_param(p, service)
            if built is None:
                ok = False
            else:
                params.append(built)
        rest = op.rest
        if rest is not None:
            assert op.rest_reader is not None
            ok = self.check_rest(op, rest, params, input_model, output) and ok
        elif op.rest_reader is None and not r.has("rest"):
            if any(p.source is ir.ParamSource.PATH for p in params):
                for p in op.params:
                    if p.source is ir.ParamSource.PATH:
                        p.reader.error(
                            "name",
                            f"path param '{p.name}' needs a REST path; this operation has no "
                            "'rest' (use source: query, or add rest)",
                        )
                ok = False
        publish = subscribe = None
        if op.publish_on_success is not None:
            publish = self.event_ref(op.publish_on_success, events)
            if publish is not None:
                if not publish.publish:
                    self.diags.error(
                        op.publish_on_success.loc,
                        op.publish_on_success.path,
                        f"event '{publish.name}' is not published (set 'publish: true' in "
                        f"{publish.file})",
                    )
                    ok = False
                out_model = output.model if isinstance(output, ir.ModelType) else None
                if out_model is not publish.message:
                    self.diags.error(
                        op.publish_on_success.loc,
                        op.publish_on_success.path,
                        f"'publish_on_success' publishes the operation's output, so the output "
                        f"must be '{publish.message.name}' (the message of '{publish.name}'); "
                        f"it is '{_expr_text(op.output)}'. To publish something else, call "
                        f"publish_{publish.name}() from the controller",
                    )
                    ok = False
            else:
                ok = False
        if op.subscribe is not None:
            subscribe = self.event_ref(op.subscribe, events)
            if subscribe is not None:
                if not subscribe.subscribe:
                    self.diags.error(
                        op.subscribe.loc,
                        op.subscribe.path,
                        f"event '{subscribe.name}' is not subscribable (set 'subscribe: true' "
                        f"in {subscribe.file})",
                    )
                    ok = False
                if input_model is not None and input_model is not subscribe.message:
                    assert op.input is not None
                    self.diags.error(
                        op.input[1],
                        op.input[2],
                        f"an operation subscribed to '{subscribe.name}' takes its message as "
                        f"input: expected '{subscribe.message.name}', got '{op.input[0]}'",
                    )
                    ok = False
                if op.params:
                    self.diags.error(
                        op.params[0].loc,
                        r.sub("params"),
                        "an operation subscribed to an event is called with the message alone, "
                        "so it cannot take params",
                    )
                    ok = False
            else:
                ok = False
        if not ok:
            return None
        py_names = namespace.param_py_names([p.name for p in params])
        return ir.Operation(
            name=op.name,
            domain=d.name,
            service=service,
            loc=op.loc,
            summary=r.text("summary"),
            description=r.text("description"),
            input=input_model,
            output=output,
            params=tuple(replace(p, py_name=n) for p, n in zip(params, py_names, strict=True)),
            rest=rest,
            errors=tuple(op.errors),
            publish_on_success=publish,
            subscribe=subscribe,
        )

    def event_ref(self, ref: _Name, events: dict[str, ir.Event]) -> ir.Event | None:
        if ref.value in events:
            return events[ref.value]
        if ref.value in self.event_names:
            return None  # defined but invalid; reported there
        self.diags.error(
            ref.loc,
            ref.path,
            f"unknown event '{ref.value}'{suggest(ref.value, self.event_names)}; events are "
            "declared in shared/spec/events.yaml",
        )
        return None

    def build_param(self, p: _RawParam, scope: str) -> ir.Param | None:
        if p.type is None:
            return None
        r = p.reader
        if p.type.is_list or p.type.is_dict or p.type.is_literal:
            r.error("type", f"a param's type is a scalar or an enum, not '{p.type}'")
            return None
        ptype = self.resolve_type(p.type, scope, r.loc("type"), r.sub("type"))
        if ptype is None:
            return None
        if not isinstance(ptype, ir.ScalarType | ir.EnumType):
            r.error("type", f"a param's type is a scalar or an enum, not the model '{p.type}'")
            return None
        if isinstance(ptype, ir.ScalarType) and ptype.kind is ir.ScalarKind.BYTES:
            r.error("type", "a param cannot be bytes")
            return None
        constraints = self.read_constraints(r, ptype, field_keys=False)
        default: ir.DefaultValue | ir._NoDefault = ir.NO_DEFAULT
        node = r.get("default")
        if node is not None and p.source is ir.ParamSource.QUERY:
            if isinstance(node, Scalar) and node.value is None:
                default = None
            else:
                default = self.convert_default(node, ptype, constraints, r.sub("default"))
                if default is ir.NO_DEFAULT:
                    return None
        if p.source is ir.ParamSource.PATH:
            required = True
        elif p.required is None:
            required = default is ir.NO_DEFAULT
        else:
            required = p.required
        if not required and default is ir.NO_DEFAULT:
            default = None
        return ir.Param(
            name=p.name,
            type=ptype,
            source=p.source,
            loc=p.loc,
            required=required,
            default=default,
            description=r.text("description"),
            constraints=constraints,
        )

    def check_rest(
        self,
        op: _RawOperation,
        rest: ir.Rest,
        params: list[ir.Param],
        input_model: ir.Model | None,
        output: ir.TypeRef | None,
    ) -> bool:
        rr = op.rest_reader
        assert rr is not None
        ok = True
        # read_rest let through only paths of the grammar, whose params are identifiers.
        placeholders = rest_paths.path_params(rest.path)
        seen: set[str] = set()
        # Raw params: one whose type is invalid still counts (its error is reported already).
        path_params = {p.name for p in op.params if p.source is ir.ParamSource.PATH}
        for name in placeholders:
            if name in seen:
                rr.error("path", f"'{{{name}}}' appears more than once in the path")
                ok = False
            elif name not in path_params:
                query = [p for p in op.params if p.name == name]
                hint = (
                    " (it is a query param; drop 'source: query')"
                    if query
                    else f"; add {{name: {name}, type: ...}} to 'params'"
                )
                rr.error("path", f"'{{{name}}}' in the path has no path param{hint}")
                ok = False
            seen.add(name)
        for p in op.params:
            if p.source is ir.ParamSource.PATH and p.name not in seen:
                p.reader.error(
                    "name",
                    f"path param '{p.name}' does not appear in the path '{rest.path}'"
                    f" (add '{{{p.name}}}' to it, or make it 'source: query')",
                )
                ok = False
        if rest.method == "GET" and input_model is not None:
            assert op.input is not None
            self.diags.error(
                op.input[1], op.input[2], "a GET operation cannot take an 'input' body"
            )
            ok = False
        if rest.status == 204 and output is not None:
            self.diags.error(
                rr.loc("status") if rr.has("status") else rr.key_loc("method"),
                rr.sub("status"),
                "status 204 means no content, but the operation has an 'output'"
                + ("" if rr.has("status") else f" (set rest.status, e.g. 200, for {rest.method})"),
            )
            ok = False
        return ok

    # manifests --------------------------------------------------------------------------------

    def build_manifests(self, domains: list[ir.Domain]) -> list[ir.Manifest]:
        by_service: dict[str, dict[str, ir.Domain]] = {}
        for d in domains:
            by_service.setdefault(d.service, {})[d.name] = d
        declared_domains: dict[str, set[str]] = {}
        # Operations that are declared but invalid were reported where they are declared.
        invalid_ops: set[tuple[str, str, str]] = set()
        for raw in self.domains:
            assert raw.spec.service is not None
            declared_domains.setdefault(raw.spec.service, set()).add(raw.name)
            built = by_service.get(raw.spec.service, {}).get(raw.name)
            for raw_op in raw.operations:
                op = built.operation(raw_op.name) if built is not None else None
                if op is None or (raw_op.rest_reader is not None and op.rest is None):
                    invalid_ops.add((raw.spec.service, raw.name, raw_op.name))
        registry_names = (
            [s.name for s in self.registry.services] if self.registry is not None else None
        )
        manifests: list[ir.Manifest] = []
        for m in self.manifests:
            consumer = m.spec.service
            assert consumer is not None
            consumes: list[ir.Consumption] = []
            seen_entries: dict[tuple[str, str], Location] = {}
            method_names: dict[tuple[str, str], str] = {}
            for c in m.consumes:
                svc = c.service.value
                if registry_names is not None and svc not in registry_names:
                    self.diags.error(
                        c.service.loc,
                        c.service.path,
                        f"unknown service '{svc}'{suggest(svc, registry_names)}; "
                        "consumed services must be in services.yml",
                    )
                    continue
                known = declared_domains.get(svc, set())
                if c.domain.value not in known:
                    where = (
                        f"; it has: {', '.join(sorted(known))}"
                        if known
                        else f" (no services/{svc}/spec/{c.domain.value}.yaml)"
                    )
                    self.diags.error(
                        c.domain.loc,
                        c.domain.path,
                        f"service '{svc}' has no domain '{c.domain.value}'"
                        f"{suggest(c.domain.value, known)}{where}",
                    )
                    continue
                if (svc, c.domain.value) in seen_entries:
                    first = seen_entries[(svc, c.domain.value)]
                    self.diags.error(
                        c.loc,
                        c.path,
                        f"'{svc}/{c.domain.value}' is already consumed at line {first.line}; "
                        "list all its operations in one entry",
                    )
                    continue
                seen_entries[(svc, c.domain.value)] = c.loc
                domain = by_service.get(svc, {}).get(c.domain.value)
                if domain is None:
                    continue  # the producer's domain spec is invalid; reported there
                ops: list[ir.Operation] = []
                op_names = [o.name for o in domain.operations]
                for ref in c.operations:
                    if (svc, domain.name, ref.value) in invalid_ops:
                        continue
                    op = domain.operation(ref.value)
                    if op is None:
                        self.diags.error(
                            ref.loc,
                            ref.path,
                            f"'{svc}/{domain.name}' has no operation '{ref.value}'"
                            f"{suggest(ref.value, op_names)}",
                        )
                        continue
                    if op in ops:
                        self.diags.error(ref.loc, ref.path, f"'{ref.value}' is listed twice")
                        continue
                    if op.rest is None:
                        self.diags.error(
                            ref.loc,
                            ref.path,
                            f"operation '{ref.value}' has no REST transport, so there is no "
                            "client method to call it; publish its event instead",
                        )
                        continue
                    clash = method_names.get((svc, op.name))
                    if clash is not None:
                        self.diags.error(
                            ref.loc,
                            ref.path,
                            f"'{op.name}' is also consumed from '{svc}/{clash}'; one client "
                            "cannot have two methods of the same name",
                        )
                        continue
                    method_names[(svc, op.name)] = domain.name
                    ops.append(op)
                consumes.append(ir.Consumption(svc, domain, tuple(ops), c.loc))
            manifests.append(ir.Manifest(consumer, m.spec.path, tuple(consumes)))
        return manifests

    def check_model_depth(self) -> None:
        """Models must not nest so deep (through references, cycles included) that Pydantic
        cannot build their JSON schema, which the service's OpenAPI document is made of."""
        models = tuple(self.ir_models[k] for k in self.model_order)
        too = model_graph.deepest(models)
        if too is None:
            return
        raw = self.raw_by_name.get((too.model.origin.scope, too.model.name))
        self.diags.error(
            too.model.loc,
            raw.path if isinstance(raw, _RawModel) else f"models.{too.model.name}",
            f"model '{too.model.name}' nests models too deeply through its references "
            f"({too.describe()}) for Pydantic to build its JSON schema, and so "
            "the service's OpenAPI document: flatten the structure, or break the chain with "
            "fewer levels of models (about 20 at most)",
        )

    def check_service_directories(self) -> None:
        """Every `services/<dir>/spec/` belongs to a service of services.yml whose name is a
        usable package name (when services.yml is among the specs)."""
        registered = None
        if self.registry is not None and self.registry_complete:
            registered = {s.name for s in self.registry.services}
        for path in self.files:
            service = layout.service_of(path)
            if service is None:
                continue
            loc = Location(path)
            if not (PACKAGE_NAME.match(service) and is_identifier(service)):
                self.diags.error(
                    loc,
                    "",
                    f"service directory '{service}' is not a valid package name: use lowercase "
                    "letters, digits and '_', starting with a letter (e.g. services/tg_bot/)",
                )
            elif namespace.service_name_problem(service):
                self.diags.error(
                    loc,
                    "",
                    f"service directory {namespace.service_name_problem(service)}; rename the "
                    "service",
                )
            elif registered is not None and service not in registered:
                self.diags.error(
                    loc,
                    "",
                    f"service '{service}' is not in services.yml{suggest(service, registered)}; "
                    "register it there (./pants sync-services scaffolds it) or move the spec",
                )

    def check_generated_names(self, manifests: list[ir.Manifest]) -> None:
        """The class names specforge derives from spec names (`UsersController`,
        `GetUserNotFound`, `BackendClient`, ...) must not collide with type names (which are
        imported next to them) nor with each other within one generated module."""
        derived: dict[str, str] = {}  # generated class name -> what generates it

        def claim(module: dict[str, str], name: str, what: str, loc: Location, path: str) -> None:
            if name in module:
                self.diags.error(
                    loc, path, f"'{name}' is reserved: it is already {module[name]}; rename one"
                )
                return
            module[name] = what
            derived.setdefault(name, what)

        pascal_domains: dict[tuple[str, str], str] = {}
        client_modules: dict[str, dict[str, str]] = {}
        for d in self.domains:
            service = d.spec.service
            assert service is not None
            twin = pascal_domains.setdefault((service, pascal(d.name)), d.name)
            if twin != d.name:
                self.diags.error(
                    d.loc,
                    "domain",
                    f"domain name '{d.name}' is reserved: its classes would be named like those "
                    f"of domain '{twin}' ({namespace.controller_class(d.name)}); rename it",
                )
                continue
            where = f"{d.spec.path}:{d.loc.line}"
            protocol: dict[str, str] = {}
            claim(
                protocol,
                namespace.controller_class(d.name),
                f"the controller protocol of domain '{d.name}' ({where})",
                d.loc,
                "domain",
            )
            claim(
                protocol,
                namespace.domain_error_class(d.name),
                f"the error base class of domain '{d.name}' ({where})",
                d.loc,
                "domain",
            )
            client = client_modules.setdefault(service, {})
            for op in d.operations:
                if any(
                    op.name in (namespace.publisher(e), namespace.subscriber(e))
                    for e in self.event_names
                ):
                    self.diags.error(
                        op.loc,
                        op.reader.path,
                        f"operation name '{op.name}' is reserved: it is the generated function "
                        "of an event of shared/spec/events.yaml; rename the operation",
                    )
                for e in op.errors:
                    what = f"the exception of error {e.status} of operation '{op.name}' ({where})"
                    path = f"{op.reader.path}.errors"
                    claim(protocol, namespace.error_class(op.name, e.name), what, e.loc, path)
                    claim(
                        client,
                        namespace.client_error_subclass(service, op.name, e.name),
                        "the client " + what,
                        e.loc,
                        path,
                    )
        for m in manifests:
            module: dict[str, str] = {}
            for c in m.consumes:
                names = [namespace.client_class(c.service), namespace.client_error_class(c.service)]
                names += [
                    namespace.client_error_subclass(c.service, op.name, e.name)
                    for op in c.operations
                    for e in op.errors
                ]
                for name in names:
                    if module.get(name, c.service) != c.service:
                        self.diags.error(
                            c.loc,
                            "consumes",
                            f"'{name}' is reserved: the client of '{module[name]}' already "
                            "generates a class of that name in this manifest's clients module",
                        )
                        break
                    module[name] = c.service
        services = {s for s, _ in pascal_domains}
        if self.registry is not None:
            services |= {s.name for s in self.registry.services}
        for service in services:
            derived.setdefault(namespace.client_class(service), f"the client class of {service}")
            derived.setdefault(
                namespace.client_error_class(service), f"the client error class of {service}"
            )
        for (scope, name), loc in sorted(self.defined_at.items(), key=lambda kv: kv[1]):
            if name not in derived:
                continue
            item = self.raw_by_name.get((scope, name))
            path = item.path if isinstance(item, _RawModel | _RawEnum) else ""
            if (scope, name) in self.variant_names:
                path = self.variant_names[(scope, name)][1].path
            self.diags.error(
                loc,
                path or f"models.{name}",
                f"type name '{name}' is reserved: it is {derived[name]}; rename the type",
            )

    def check_registry_references(self) -> None:
        if self.registry is None:
            return
        names = [s.name for s in self.registry.services]
        graph: dict[str, set[str]] = {}
        for service, dep, loc, path in self.pending_depends:
            if dep not in names and dep not in INFRA_SERVICES:
                self.diags.error(
                    loc,
                    path,
                    f"unknown service '{dep}'{suggest(dep, [*names, *INFRA_SERVICES])}; "
                    f"expected a service of services.yml or one of: {', '.join(INFRA_SERVICES)}",
                )
            elif dep == service:
                self.diags.error(loc, path, f"service '{service}' cannot depend on itself")
            elif service and dep in names:
                # Compose refuses a cycle of depends_on; report the entry that closes one.
                if graph_reaches(graph, dep, service):
                    self.diags.error(
                        loc,
                        path,
                        f"'{service}' depending on '{dep}' closes a cycle ('{dep}' already "
                        f"depends on '{service}'), which docker compose refuses",
                    )
                else:
                    graph.setdefault(service, set()).add(dep)


def _with_py_names(fields: list[ir.Field]) -> tuple[ir.Field, ...]:
    """The fields with their Python attribute names (see `namespace.field_py_names`)."""
    referenced: set[str] = set()
    for f in fields:
        referenced.update(_type_names(f.type))
    py_names = namespace.field_py_names([f.name for f in fields], referenced)
    return tuple(replace(f, py_name=n) for f, n in zip(fields, py_names, strict=True))


def _type_names(t: ir.TypeRef) -> list[str]:
    """The model and enum names an annotation of `t` refers to."""
    if isinstance(t, ir.ListType):
        return _type_names(t.item)
    if isinstance(t, ir.DictType):
        return _type_names(t.value)
    if isinstance(t, ir.ModelType):
        return [t.model.name]
    if isinstance(t, ir.EnumType):
        return [t.enum.name]
    return []


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def _pattern_checker(builder: _Builder) -> patterns.PatternChecker:
    """The run's pattern checker: one per builder, made on first use, so that a pattern used
    by many fields is compiled once and every pattern counts against one budget."""
    checker = vars(builder).get("_pattern_checker")
    if checker is None:
        checker = vars(builder)["_pattern_checker"] = patterns.PatternChecker()
    assert isinstance(checker, patterns.PatternChecker)
    return checker


class _Misfit(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def _typed_value(node: Node, t: ir.TypeRef) -> ir.DefaultValue:
    """Convert a YAML value to the Python value of type `t`, or raise _Misfit."""
    if isinstance(t, ir.ListType):
        if not isinstance(node, Sequence):
            raise _Misfit(node, f"expected a list, got {kind_of(node)}")
        return tuple(_typed_value(item, t.item) for item in node.items)
    if isinstance(t, ir.DictType):
        if not isinstance(node, Mapping):
            raise _Misfit(node, f"expected a mapping, got {kind_of(node)}")
        items: list[tuple[str, ir.DefaultValue]] = []
        for k, v in node.items:
            if not isinstance(k.value, str):
                raise _Misfit(k, f"dict keys must be strings, got {kind_of(k)}")
            items.append((k.value, _typed_value(v, t.value)))
        return ir.DefaultMapping(tuple(items))
    if isinstance(t, ir.ModelType):
        raise _Misfit(
            node,
            f"a field of model type '{t.model.name}' cannot have a default; make it "
            "'optional: true' instead",
        )
    if not isinstance(node, Scalar) or node.value is None:
        raise _Misfit(node, f"expected {_type_name(t)}, got {kind_of(node)}")
    value = node.value
    if isinstance(t, ir.LiteralType):
        if value != t.value or type(value) is not type(t.value):
            raise _Misfit(node, f"expected {t.value!r} (the literal), got {kind_of(node)}")
        return value
    if isinstance(t, ir.EnumType):
        text = node.text if not isinstance(value, str) else value
        if text not in t.enum.values:
            raise _Misfit(
                node,
                f"'{text}' is not a value of enum '{t.enum.name}'"
                f"{suggest(text, t.enum.values)}; expected one of: {', '.join(t.enum.values)}",
            )
        return ir.EnumValue(t.enum, text)
    kind = t.kind
    expected = f"expected {_type_name(t)}, got {kind_of(node)}"
    if kind is ir.ScalarKind.BOOL:
        if not isinstance(value, bool):
            raise _Misfit(node, expected)
        return value
    if kind is ir.ScalarKind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Misfit(node, expected)
        problem = int64_problem(value, node.text)
        if problem is not None:
            raise _Misfit(node, problem)
        return value
    if kind is ir.ScalarKind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Misfit(node, expected)
        problem = number_problem(value, node.text)
        if problem is not None:
            raise _Misfit(node, problem)
        return float(value)
    if kind is ir.ScalarKind.DECIMAL:
        if isinstance(value, bool):
            raise _Misfit(node, expected)
        if isinstance(value, float) and (problem := number_problem(value, node.text)):
            raise _Misfit(node, problem)
        try:
            d = decimal.Decimal(node.text if not isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise _Misfit(node, f"expected a decimal number, got {kind_of(node)}") from None
        problem = decimal_problem(d, node.text)
        if problem is not None:
            raise _Misfit(node, problem)
        return d
    if not isinstance(value, str):
        raise _Misfit(node, expected)
    if kind is ir.ScalarKind.STRING:
        return value
    if kind is ir.ScalarKind.BYTES:
        return value.encode()
    if kind is ir.ScalarKind.DATE:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Misfit(node, f"expected a date like 2024-01-31, got '{value}'") from None
    if kind is ir.ScalarKind.DATETIME:
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Misfit(
                node, f"expected a datetime like 2024-01-31T12:00:00Z, got '{value}'"
            ) from None
        if stamp.tzinfo is None:
            raise _Misfit(node, f"datetimes are timezone-aware; add an offset to '{value}'")
        return stamp
    if kind is ir.ScalarKind.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _Misfit(node, f"expected a UUID, got '{value}'") from None
    raise _Misfit(node, expected)  # pragma: no cover


def _type_name(t: ir.TypeRef) -> str:
    if isinstance(t, ir.ScalarType):
        return t.kind.value
    if isinstance(t, ir.ListType):
        return f"list[{_type_name(t.item)}]"
    if isinstance(t, ir.DictType):
        return f"dict[string, {_type_name(t.value)}]"
    if isinstance(t, ir.LiteralType):
        return f"literal[{t.value}]"
    if isinstance(t, ir.ModelType):
        return f"the model '{t.model.name}'"
    return f"the enum '{t.enum.name}'"


def _expr_text(x: tuple[TypeExpr, Location, str] | None) -> str:
    return str(x[0]) if x else "nothing"


# Reason phrases per RFC 9110, fixed here so that generated exception names do not depend on
# the Python version the engine runs on (http.HTTPStatus renamed some of them in 3.13).
STATUS_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    507: "Insufficient Storage",
}


def status_phrase(status: int) -> str:
    return STATUS_PHRASES.get(status, f"Status {status}")


def _snake(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", text).lower()


__all__ = ["check_sources", "iter_spec_files", "join_path", "load_project"]
