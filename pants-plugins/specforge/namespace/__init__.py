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

The tables are checked against the generated code itself by the tests (every name a
generated module binds at module level, and every builtin it reads, is listed in them).

- `modules`: what each generated module binds (imports and definitions), keywords, builtins;
- `derived`: the names the generated code derives from spec names (`UsersController`, ...);
- `reserved`: the spec names rejected, by what they name, and why;
- `renames`: the Python names of fields, params and enum members.
"""

from __future__ import annotations

from specforge.namespace.derived import (
    client_class,
    client_error_class,
    client_error_subclass,
    controller_class,
    domain_error_class,
    error_class,
    event_constant,
    publisher,
    subscriber,
    url_env,
)
from specforge.namespace.modules import (
    ALL_MODULES,
    ANNOTATION_IMPORTS,
    APP_MODULE,
    BROKER_IMPORTS,
    BUILTINS,
    CLIENTS_MODULE,
    EVENTS_MODULE,
    IMPORTED,
    KEYWORDS,
    PROTOCOL_MODULE,
    ROUTER_DEFINES,
    ROUTER_MODULE,
    SCHEMA_HOOK_IMPORTS,
    SCHEMAS_MODULE,
    SOFT_KEYWORDS,
    SUBSCRIBERS_DEFINES,
    SUBSCRIBERS_MODULE,
)
from specforge.namespace.renames import (
    ANNOTATION_BUILTINS,
    BASEMODEL_ATTRIBUTES,
    ENUM_MEMBER_RESERVED,
    IDENTIFIER,
    PARAM_RESERVED,
    PARAM_RESERVED_PREFIXES,
    discriminator_py_name,
    enum_member_py_names,
    field_py_names,
    param_py_names,
)
from specforge.namespace.reserved import (
    DOMAIN_RESERVED,
    EVENT_CONSTANTS,
    FIRST_PARTY_MODULES,
    INFRA_SERVICES,
    OPERATION_ANNOTATION_NAMES,
    OPERATION_RESERVED,
    THIRD_PARTY_MODULES,
    api_name_problem,
    domain_name_problem,
    event_name_problem,
    operation_name_problem,
    service_name_problem,
    type_name_problem,
)

__all__ = [
    "ALL_MODULES",
    "ANNOTATION_BUILTINS",
    "ANNOTATION_IMPORTS",
    "APP_MODULE",
    "BASEMODEL_ATTRIBUTES",
    "BROKER_IMPORTS",
    "BUILTINS",
    "CLIENTS_MODULE",
    "DOMAIN_RESERVED",
    "ENUM_MEMBER_RESERVED",
    "EVENTS_MODULE",
    "EVENT_CONSTANTS",
    "FIRST_PARTY_MODULES",
    "IDENTIFIER",
    "IMPORTED",
    "INFRA_SERVICES",
    "KEYWORDS",
    "OPERATION_ANNOTATION_NAMES",
    "OPERATION_RESERVED",
    "PARAM_RESERVED",
    "PARAM_RESERVED_PREFIXES",
    "PROTOCOL_MODULE",
    "ROUTER_DEFINES",
    "ROUTER_MODULE",
    "SCHEMAS_MODULE",
    "SCHEMA_HOOK_IMPORTS",
    "SOFT_KEYWORDS",
    "SUBSCRIBERS_DEFINES",
    "SUBSCRIBERS_MODULE",
    "THIRD_PARTY_MODULES",
    "api_name_problem",
    "client_class",
    "client_error_class",
    "client_error_subclass",
    "controller_class",
    "discriminator_py_name",
    "domain_error_class",
    "domain_name_problem",
    "enum_member_py_names",
    "error_class",
    "event_constant",
    "event_name_problem",
    "field_py_names",
    "operation_name_problem",
    "param_py_names",
    "publisher",
    "service_name_problem",
    "subscriber",
    "type_name_problem",
    "url_env",
]
