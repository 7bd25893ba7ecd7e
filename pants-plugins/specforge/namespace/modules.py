"""What the generated modules bind at module level (their imports and their own definitions),
and the Python keywords and builtins."""

from __future__ import annotations

import builtins
import keyword

from specforge.brokers import BROKERS

KEYWORDS = frozenset(keyword.kwlist)
SOFT_KEYWORDS = frozenset(keyword.softkwlist)
BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


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
# The names the generated code of any broker imports from FastStream (see specforge.brokers).
BROKER_IMPORTS = frozenset({"AckPolicy"}).union(*(b.imports for b in BROKERS.values()))
# What the events module of a broker binds besides (its own helpers and their imports).
BROKER_BINDS: frozenset[str] = frozenset().union(*(b.binds for b in BROKERS.values()))
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
    | BROKER_BINDS
    | {
        "Awaitable",
        "Mapping",
        "Sequence",
        "BROKER_URL_ENV",
        "Broker",
        "Callable",
        "DEFAULT_BROKER_URL",
        "Any",
        "_DECLARED",
        "_HANDLERS",
        "_PUBLISHED",
        "_Handler",
        "_dispatch",
        "_join",
        "EventInfo",
        "publish_event",
        "declare_publishers",
        "make_broker",
        "os",
        "weakref",
    }
)
PROTOCOL_MODULE = ANNOTATION_IMPORTS | {"ClassVar", "EventInfo", "Protocol"}
# What a router module defines itself (imports cannot take these names).
ROUTER_DEFINES = frozenset({"_DECLARED", "_DeclaredErrorsRoute", "_log", "create_router"})
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
        "ValidationErrorBody",
        "HTTPException",
        "Path",
        "Query",
        "Request",
        "Response",
        "EventOutbox",
        "stage_event",
        "logging",
    }
)
SUBSCRIBERS_DEFINES = frozenset({"register_subscribers"})
SUBSCRIBERS_MODULE = (
    ANNOTATION_IMPORTS
    | BROKER_IMPORTS
    | SUBSCRIBERS_DEFINES
    | {"EventInfo", "EventOutbox", "stage_event"}
)
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
    "HTTPException",
    "JSONResponse",
    "Request",
    "Response",
    "_ALLOW",
    "_method_not_allowed",
    "compile_path",
    "re",
    "AsyncExitStack",
    "AsyncIterator",
    "_open_controllers",
    "FastAPI",
    "FastStream",
    "SERVICE",
    "asynccontextmanager",
    "create_app",
    "create_worker",
    "declare_publishers",
    "make_broker",
    "os",
    "functools",
    "publish_event",
    "declare_consumers",
    "_CONSUMERS",
    "_PUBLISHED",
    "keep_trimmed",
    "prepared",
    "groups",
    "EventOutbox",
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
        "ValidationErrorBody",
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
        "EventInfo",
        "EventOutbox",
        "stage_event",
        "keep_trimmed",
        "prepared",
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
