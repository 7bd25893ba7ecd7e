"""Reserved spec names, by what they name: why a type, operation, domain, event or service name
cannot be used (it would collide in a generated module), or None."""

from __future__ import annotations

import sys

from specforge.namespace.derived import (
    event_constant,
    publisher,
    subscriber,
)
from specforge.namespace.modules import (
    ALL_MODULES,
    BUILTINS,
    EVENTS_MODULE,
    KEYWORDS,
)


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
    if name in OPENAPI_SCHEMAS:
        return (
            f"'{name}' is reserved: FastAPI's OpenAPI document defines a schema of that name, "
            "which would replace the model's"
        )
    return None


# Schemas that FastAPI adds to every OpenAPI document it serves (for request validation errors).
OPENAPI_SCHEMAS = frozenset({"HTTPValidationError", "ValidationError"})


# Client class members, router locals and module functions an operation name would shadow.
OPERATION_RESERVED = {
    "aclose": "the generated client's method that closes its connection pool",
    "base_url": "an attribute of the generated client",
    "service": "an attribute of the generated client",
    "url_env": "an attribute of the generated client",
    "router": "the APIRouter that the generated create_router() builds",
    "controller": "the controller that the generated router calls",
    "broker": "the broker that the generated router publishes with",
    "outbox": "the outbox that the generated router records events in",
    "stage_event": "a function the generated router imports",
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


def api_name_problem(name: str) -> str | None:
    """Why an external API's name (its document's file name) cannot name its models module
    (`<svc>.generated.external.<api>`) and its client (`<Api>Client`)."""
    return _private_or_keyword(name)


# Modules next to the domain packages, and the parameters and locals of create_app/create_worker.
DOMAIN_RESERVED = {
    "app": "the service's generated app module",
    "clients": "the service's generated clients module",
    "schemas": "the service's generated schemas module",
    "external": "the package of the models of the service's external APIs",
    "events": "the shared events module, and a local of the generated create_app()",
    "broker": "a parameter of the generated create_app() and create_worker()",
    "outbox": "a parameter of the generated create_app() and create_worker()",
    "background": "a local of the generated create_app() and create_worker()",
    "keep_trimmed": "a function the generated app module imports",
    "prepared": "a function the generated app module imports",
    "groups": "a local of the generated create_app() and create_worker()",
    "publish": "a local of the generated create_app()",
    "on_started": "a local of the generated create_worker()",
    "on_stopping": "a local of the generated create_worker()",
    "declare_consumers": "a function the generated app module imports",
    "functools": "an import of the generated app module",
    "publish_event": "a function the generated app module imports",
    "group": "a parameter of the generated create_app() and create_worker()",
    "title": "a parameter of the generated create_app()",
    "lifespan": "a local of the generated create_app()",
    "health": "the health endpoint of the generated create_app()",
    "declare_publishers": "a function the generated app module imports",
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
    for derived in (publisher(name), subscriber(name)):
        if derived in EVENTS_MODULE:
            return (
                f"'{name}' is reserved: its function {derived}() would replace the generated "
                f"events module's own {derived}()"
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
    {"shared", "services", "specforge", "specforge_pants", "specforge_runtime", "specforge_docs"}
    | {"tests", "conftest", "pants"}
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
