"""The namespace model: which names every generated module defines and imports, which names
Python and the frameworks reserve there, and how spec names become Python names.

A spec name lands in generated modules as a class (models, enums, variants, unions), a module
or package (services, domains), a function or method (operations, events), an attribute (fields,
enum members) or a parameter (params). Two rules keep every module correct:

- names of things other code refers to by name (types, operations, domains, services, events) are
  checked against this model and REJECTED on a collision, with a located error saying why;
- names that only reach the wire (fields, params, enum members) are RENAMED deterministically when
  they would collide, and keep their spelling on the wire through an alias (`class` becomes
  `class_`, `_secret` becomes `secret`, `int` becomes `int_`).

The tables below are checked against the generated code itself by the tests (every name a
generated module binds at module level, and every builtin it reads, is listed here).
"""

from __future__ import annotations

import builtins
import enum
import keyword
import re
import sys
from collections.abc import Iterable, Sequence

from specforge.layout import pascal

# -- Python ------------------------------------------------------------------------------------

KEYWORDS = frozenset(keyword.kwlist)
SOFT_KEYWORDS = frozenset(keyword.softkwlist)
BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))

# -- what the generated modules bind at module level (imports and their own definitions) ------

# Names that annotations and defaults of any generated module may import.
ANNOTATION_IMPORTS = frozenset(
    {
        "Annotated",
        "AnyUrl",
        "AwareDatetime",
        "Decimal",
        "EmailStr",
        "Field",
        "Literal",
        "UTC",
        "UUID",
        "date",
        "datetime",
        "timedelta",
        "timezone",
    }
)
BROKER_IMPORTS = frozenset(
    {
        "AckPolicy",
        "DeliverPolicy",
        "ExchangeType",
        "JStream",
        "KafkaBroker",
        "NatsBroker",
        "PullSub",
        "RabbitBroker",
        "RabbitExchange",
        "RabbitQueue",
        "RedisBroker",
        "StreamSub",
    }
)
# Imported by an enum whose description needs its JSON schema hook.
SCHEMA_HOOK_IMPORTS = frozenset({"CoreSchema", "GetJsonSchemaHandler", "JsonSchemaValue"})
SCHEMAS_MODULE = (
    ANNOTATION_IMPORTS
    | SCHEMA_HOOK_IMPORTS
    | {"BaseModel", "ConfigDict", "RootModel", "StrEnum", "_SpecModel"}
)
EVENTS_MODULE = (
    ANNOTATION_IMPORTS
    | BROKER_IMPORTS
    | {
        "Awaitable",
        "BROKER_URL_ENV",
        "Broker",
        "Callable",
        "DEFAULT_BROKER_URL",
        "DEFAULT_RECLAIM_AFTER_MS",
        "RECLAIM_AFTER_MS_ENV",
        "STREAM",
        "Any",
        "_HANDLERS",
        "_Handler",
        "_dispatch",
        "_exchange",
        "_join",
        "consumer_name",
        "make_broker",
        "os",
        "reclaim_after_ms",
        "socket",
        "weakref",
    }
)
PROTOCOL_MODULE = ANNOTATION_IMPORTS | {"ClassVar", "Protocol"}
# What a router module defines itself (imports cannot take these names).
ROUTER_DEFINES = frozenset({"_DeclaredErrorsRoute", "_log", "create_router"})
ROUTER_MODULE = (
    ANNOTATION_IMPORTS
    | BROKER_IMPORTS
    | ROUTER_DEFINES
    | {
        "APIRoute",
        "APIRouter",
        "Any",
        "Callable",
        "Coroutine",
        "ErrorBody",
        "HTTPException",
        "Path",
        "Query",
        "Request",
        "Response",
        "logging",
    }
)
SUBSCRIBERS_DEFINES = frozenset({"register_subscribers"})
SUBSCRIBERS_MODULE = ANNOTATION_IMPORTS | BROKER_IMPORTS | SUBSCRIBERS_DEFINES
CLIENTS_MODULE = ANNOTATION_IMPORTS | {
    "Any",
    "DEFAULT_BACKOFF",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "Self",
    "TracebackType",
    "TypeAdapter",
    "_Client",
    "_segment",
    "_wire",
    "asyncio",
    "date",
    "enum",
    "httpx2",
    "os",
    "quote",
}
APP_MODULE = BROKER_IMPORTS | {
    "AbstractAsyncContextManager",
    "AsyncExitStack",
    "AsyncIterator",
    "_open_controllers",
    "FastAPI",
    "FastStream",
    "SERVICE",
    "asynccontextmanager",
    "create_app",
    "create_worker",
    "make_broker",
    "os",
}
# What renderers import through `render.common.Imports` (aliased on a clash); the rest of each
# module's names are bound by its template and are reserved there.
IMPORTED = (
    ANNOTATION_IMPORTS
    | BROKER_IMPORTS
    | SCHEMA_HOOK_IMPORTS
    | {
        "APIRoute",
        "APIRouter",
        "Any",
        "BaseModel",
        "Callable",
        "Coroutine",
        "ErrorBody",
        "ClassVar",
        "ConfigDict",
        "HTTPException",
        "Path",
        "Protocol",
        "Query",
        "Request",
        "Response",
        "RootModel",
        "StrEnum",
        "TypeAdapter",
    }
)
ALL_MODULES = (
    SCHEMAS_MODULE
    | EVENTS_MODULE
    | PROTOCOL_MODULE
    | ROUTER_MODULE
    | SUBSCRIBERS_MODULE
    | CLIENTS_MODULE
    | APP_MODULE
)

# -- derived names: what the generated code calls the things a spec declares -------------------


def controller_class(domain: str) -> str:
    return f"{pascal(domain)}Controller"


def domain_error_class(domain: str) -> str:
    return f"{pascal(domain)}Error"


def error_class(domain: str, phrase: str) -> str:
    """The exception a controller raises for a declared error kind: `UsersNotFound`."""
    return f"{pascal(domain)}{phrase}"


def client_class(service: str) -> str:
    return f"{pascal(service)}Client"


def client_error_class(service: str) -> str:
    return f"{pascal(service)}Error"


def client_error_subclass(service: str, phrase: str) -> str:
    """The exception a client raises for a declared error kind: `BackendNotFound`."""
    return f"{pascal(service)}{phrase}"


def event_constant(event: str) -> str:
    return event.upper()


def publisher(event: str) -> str:
    return f"publish_{event}"


def subscriber(event: str) -> str:
    return f"subscribe_{event}"


def url_env(service: str) -> str:
    return f"{service.upper()}_URL"


# -- reserved spec names, by what they name -----------------------------------------------------


def _private_or_keyword(name: str) -> str | None:
    if name.startswith("_"):
        return f"'{name}' is reserved: names starting with '_' are private in generated code"
    if name in KEYWORDS:
        return f"'{name}' is reserved: it is a Python keyword"
    return None


def type_name_problem(name: str) -> str | None:
    """Why a model, enum, variant or union name cannot be used, or None."""
    if name in KEYWORDS:
        return f"'{name}' is reserved: it is a Python keyword"
    if name in BUILTINS:
        return f"'{name}' is reserved: it is a Python builtin that generated code uses"
    if name in ALL_MODULES:
        return (
            f"'{name}' is reserved: generated modules import or define '{name}' themselves "
            "(pydantic, FastAPI, FastStream, httpx2 or specforge helpers)"
        )
    return None


# Client class members, router locals and module functions an operation name would shadow.
OPERATION_RESERVED = {
    "aclose": "the generated client's method that closes its connection pool",
    "base_url": "an attribute of the generated client",
    "service": "an attribute of the generated client",
    "url_env": "an attribute of the generated client",
    "router": "the APIRouter that the generated create_router() builds",
    "controller": "the controller that the generated router calls",
    "broker": "the broker that the generated router publishes with",
    "create_router": "a function of the generated router module",
    "register_subscribers": "a function of the generated router module",
}


# Lowercase names that annotations in the generated controller protocol and client classes
# read: a method of that name would shadow them in the class body.
OPERATION_ANNOTATION_NAMES = frozenset(
    {"bool", "bytes", "dict", "float", "int", "list", "str", "date", "datetime", "timedelta"}
    | {"timezone"}
)


def operation_name_problem(name: str) -> str | None:
    if problem := _private_or_keyword(name):
        return problem
    if name in OPERATION_ANNOTATION_NAMES:
        return (
            f"'{name}' is reserved: the generated controller protocol and client annotate "
            f"with '{name}', which a method of that name would shadow"
        )
    if name in OPERATION_RESERVED:
        return f"'{name}' is reserved: it is {OPERATION_RESERVED[name]}"
    return None


# Modules next to the domain packages, and the parameters and locals of create_app/create_worker.
DOMAIN_RESERVED = {
    "app": "the service's generated app module",
    "clients": "the service's generated clients module",
    "schemas": "the service's generated schemas module",
    "events": "the shared events module, and a local of the generated create_app()",
    "broker": "a parameter of the generated create_app() and create_worker()",
    "group": "a parameter of the generated create_app() and create_worker()",
    "title": "a parameter of the generated create_app()",
    "lifespan": "a local of the generated create_app()",
    "health": "the health endpoint of the generated create_app()",
    "make_broker": "a function of the generated app module",
    "asynccontextmanager": "an import of the generated app module",
    "os": "an import of the generated app module",
    "create_app": "a function of the generated app module",
    "create_worker": "a function of the generated app module",
    "dict": "a builtin that the generated create_app() reads in an annotation",
    "str": "a builtin that the generated create_app() and create_worker() read in annotations",
}


def domain_name_problem(name: str) -> str | None:
    if problem := _private_or_keyword(name):
        return problem
    if name in DOMAIN_RESERVED:
        return f"'{name}' is reserved: it is {DOMAIN_RESERVED[name]}"
    return None


EVENT_CONSTANTS = frozenset(n for n in EVENTS_MODULE if n.isupper())


def event_name_problem(name: str) -> str | None:
    if problem := _private_or_keyword(name):
        return problem
    if event_constant(name) in EVENT_CONSTANTS:
        return (
            f"'{name}' is reserved: its constant {event_constant(name)} is already a setting of "
            "the generated events module"
        )
    return None


# Top-level modules that every service's code shares one interpreter with: the standard library,
# the distributions of the python-default resolve (checked by a test), and this repo's own roots.
THIRD_PARTY_MODULES = frozenset(
    {
        "aio_pika",
        "aiokafka",
        "aiormq",
        "aiosqlite",
        "annotated_doc",
        "annotated_types",
        "anyio",
        "async_timeout",
        "attr",
        "attrs",
        "click",
        "dns",
        "email_validator",
        "fast_depends",
        "fastapi",
        "faststream",
        "greenlet",
        "h11",
        "httpcore2",
        "httpx2",
        "hypothesis",
        "idna",
        "iniconfig",
        "jinja2",
        "librt",
        "markupsafe",
        "multidict",
        "mypy",
        "mypy_extensions",
        "mypyc",
        "nats",
        "opentelemetry",
        "packaging",
        "pamqp",
        "pathspec",
        "pip",
        "pkg_resources",
        "pluggy",
        "propcache",
        "psycopg",
        "psycopg_binary",
        "py",
        "pydantic",
        "pydantic_core",
        "pytest",
        "pytest_asyncio",
        "redis",
        "ruff",
        "setuptools",
        "sortedcontainers",
        "sqlalchemy",
        "starlette",
        "tomli",
        "truststore",
        "typing_extensions",
        "typing_inspection",
        "uvicorn",
        "yaml",
        "yarl",
    }
)
FIRST_PARTY_MODULES = frozenset(
    {"shared", "services", "specforge", "specforge_pants", "tests", "conftest", "pants"}
)


# The infrastructure services of infra/compose.yml, next to the registry's own.
INFRA_SERVICES = ("redis", "postgres", "rabbitmq", "nats", "kafka")


def service_name_problem(name: str) -> str | None:
    if name in KEYWORDS:
        return f"'{name}' is reserved: it is a Python keyword"
    if name in INFRA_SERVICES:
        return f"'{name}' is reserved: it is an infrastructure service of infra/compose.yml"
    if name in FIRST_PARTY_MODULES:
        return f"'{name}' is reserved: it is a top-level package of this repo"
    if name in sys.stdlib_module_names:
        return (
            f"'{name}' is reserved: it is a module of Python's standard library, which the "
            "service's package would shadow"
        )
    if name in THIRD_PARTY_MODULES:
        return (
            f"'{name}' is reserved: it is a library that every service imports, which the "
            "service's package would shadow"
        )
    return None


# -- renamed names: fields, params, enum members ------------------------------------------------

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


def _assign(
    names: Sequence[str], needs_rename: set[str] | frozenset[str], fallback: str
) -> list[str]:
    """Python names for `names` (unique within them): a name keeps its spelling unless it
    starts with '_', is a keyword, or is in `needs_rename`; then it loses its leading
    underscores (a digit it would then start with gets a `<fallback>_` prefix) and gains trailing
    ones until it is free. Names that need no renaming are
    claimed first, so that renaming never takes a name the spec uses as it is."""

    def bad(n: str) -> bool:
        return n.startswith("_") or n in KEYWORDS or n in needs_rename

    taken = {n for n in names if not bad(n)}
    out: list[str] = []
    for name in names:
        if not bad(name):
            out.append(name)
            continue
        candidate = name.lstrip("_") or fallback
        if candidate[0].isdigit():  # `_6th` cannot become `6th`
            candidate = f"{fallback}_{candidate}"
        while bad(candidate) or candidate in taken:
            candidate += "_"
        taken.add(candidate)
        out.append(candidate)
    return out


def field_py_names(names: Sequence[str], referenced: Iterable[str]) -> list[str]:
    """Python attribute names of a model's fields. `referenced` are the names the model's
    annotations and defaults read (its model and enum types)."""
    needs = set(referenced) | ANNOTATION_BUILTINS | SCHEMAS_MODULE | BASEMODEL_ATTRIBUTES
    needs |= {n for n in names if n.startswith("model_")}
    return _assign(names, needs, "field")


def discriminator_py_name(name: str) -> str:
    """The Python name of a union's discriminator field in every member: what
    `field_py_names` gives it in a model that refers to no type of that name and has no field
    of the renamed name (the build checks that each member agrees)."""
    return field_py_names([name], ())[0]


def param_py_names(names: Sequence[str]) -> list[str]:
    """Python parameter names of an operation's params. A name starting with a capital letter
    is renamed too (it could shadow a class that the generated function refers to), and so is
    one that looks like an event publisher."""
    needs = set(PARAM_RESERVED) | {
        n for n in names if n[:1].isupper() or n.startswith(PARAM_RESERVED_PREFIXES)
    }
    return _assign(names, needs, "param")


def enum_member_py_names(values: Sequence[str]) -> list[str]:
    return _assign(values, set(ENUM_MEMBER_RESERVED), "member")


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
