"""Where spec files live, what kind each one is, and where generated code for it goes."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# Where spec files live: the registry at the root, and `*.yaml`/`*.yml` in these directories.
# The spec language's built-in type names: scalars, the other spelling of `string`, and the
# words of type expressions. No model or enum may take one of them.
SCALAR_NAMES = ("int", "float", "bool", "string", "decimal", "date", "datetime", "uuid", "bytes")
SCALAR_ALIASES = {"str": "string"}
TYPE_KEYWORDS = ("list", "dict", "literal", "enum")
BUILTIN_TYPE_NAMES = frozenset((*SCALAR_NAMES, *SCALAR_ALIASES, *TYPE_KEYWORDS))

REGISTRY_FILES = ("services.yml", "services.yaml")
SPEC_SUFFIXES = (".yaml", ".yml")
SPEC_DIRS = ("shared/spec", "services/*/spec")
# The same, as globs (for Pants).
SPEC_GLOBS = (*REGISTRY_FILES, *(f"{d}/*{s}" for d in SPEC_DIRS for s in SPEC_SUFFIXES))


class SpecKind(enum.Enum):
    MODELS = "models"
    EVENTS = "events"
    DOMAIN = "domain"
    MANIFEST = "manifest"
    REGISTRY = "registry"
    OPENAPI = "openapi"  # an external API's OpenAPI document, consumed by its service


@dataclass(frozen=True)
class SpecFile:
    path: str
    kind: SpecKind
    service: str | None  # the owning service for files under services/<svc>/spec/

    @property
    def stem(self) -> str:
        return PurePosixPath(self.path).stem


def pascal(name: str) -> str:
    """`create_user` -> `CreateUser`, `Not Found` -> `NotFound`: class names from spec names."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w)


def snake(name: str) -> str:
    """`UserAccount` -> `user_account`, `HTTPError` -> `httperror`: a name from a class name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def variant_name(model: str, variant: str) -> str:
    """The type a variant defines: `User` + `Create` -> `UserCreate`."""
    return model + variant


def inline_enum_name(model: str, field: str) -> str:
    """The enum a field of `type: enum` defines: `User.role` -> `UserRole`."""
    return model + pascal(field)


def service_of_generated(path: str) -> str | None:
    """The service whose generated package holds `path`, else None."""
    parts = PurePosixPath(path).parts
    if (
        len(parts) >= 5
        and parts[0] == SERVICES_DIR
        and parts[2:5] == ("src", parts[1], "generated")
    ):
        return parts[1]
    return None


def service_of_dir(directory: str) -> str | None:
    """`backend` for `services/backend/spec` (or `.../services/backend/spec`), else None."""
    parts = PurePosixPath(directory).parts
    if len(parts) >= 3 and parts[-1] == "spec" and parts[-3] == "services":
        return parts[-2]
    return None


def service_of_root(directory: str) -> str | None:
    """`backend` for `services/backend`, a service's own directory, else None."""
    parts = PurePosixPath(directory).parts
    return parts[1] if len(parts) == 2 and parts[0] == SERVICES_DIR else None


def service_of(path: str) -> str | None:
    """`backend` for `.../services/backend/spec/users.yaml`, else None."""
    parts = PurePosixPath(path).parts
    if len(parts) >= 4 and parts[-2] == "spec" and parts[-4] == "services":
        return parts[-3]
    return None


# An external API's OpenAPI document: `services/<svc>/spec/<api>.openapi.yaml`.
OPENAPI_SUFFIXES = tuple(f".openapi{s}" for s in SPEC_SUFFIXES)


def api_name(path: str) -> str:
    """`weather` for `.../weather.openapi.yaml`."""
    name = PurePosixPath(path).name
    return next(name[: -len(s)] for s in OPENAPI_SUFFIXES if name.endswith(s))


def classify(path: str) -> SpecFile:
    p = PurePosixPath(path)
    name = p.name
    service = service_of(path)
    if name in REGISTRY_FILES:
        return SpecFile(path, SpecKind.REGISTRY, None)
    if name.endswith(OPENAPI_SUFFIXES):
        return SpecFile(path, SpecKind.OPENAPI, service)
    if p.stem == "models":
        return SpecFile(path, SpecKind.MODELS, service)
    if p.stem == "events":
        return SpecFile(path, SpecKind.EVENTS, service)
    if p.stem == "manifest":
        return SpecFile(path, SpecKind.MANIFEST, service)
    return SpecFile(path, SpecKind.DOMAIN, service)


def is_spec_path(path: str) -> bool:
    return PurePosixPath(path).suffix in SPEC_SUFFIXES


def is_spec_location(path: str) -> bool:
    """Whether a repo-relative path is where a spec file lives (one of `SPEC_GLOBS`)."""
    parts = PurePosixPath(path).parts
    return any(
        len(parts) == len(PurePosixPath(glob).parts) and PurePosixPath(path).match(glob)
        for glob in SPEC_GLOBS
    )


# -- spec-diff ---------------------------------------------------------------------------------

# The reviewed list of intended breaking changes, at the repo root.
SPEC_DIFF_ALLOW_LIST = "spec-diff-allow.yaml"


class DiffFormat(enum.Enum):
    """The reports of `specforge diff --format` and `pants spec-diff --spec-diff-format`."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


DIFF_FORMATS = tuple(f.value for f in DiffFormat)


# -- generated code --------------------------------------------------------------------------

SHARED_PACKAGE = "shared.generated"


# The FastStream brokers the generated events code can use: the values of `[specforge].broker`
# and of the engine's `--broker` (specforge/brokers.py holds what each one means).
class BrokerKey(enum.Enum):
    REDIS = "redis"
    RABBIT = "rabbit"
    NATS = "nats"
    KAFKA = "kafka"


BROKER_KEYS = tuple(b.value for b in BrokerKey)


def str_shared_generated_dir() -> str:
    return SHARED_PACKAGE.replace(".", "/")


# -- the repository -------------------------------------------------------------------------

SERVICES_DIR = "services"
COMPOSE_PATH = "infra/compose.yml"  # the compose file whose managed block sync-services owns
# The Kubernetes manifests of the registry's services (their managed block, like compose's).
K8S_PATH = "infra/k8s/services.yaml"
# The files `sync-services` keeps a managed block of, in step with services.yml.
MANAGED_PATHS = (COMPOSE_PATH, K8S_PATH)
# Every service's generated package, for globbing the working tree.
GENERATED_DIRS_GLOB = f"{SERVICES_DIR}/*/src/*/generated"


def service_dir(service: str) -> str:
    """A service's directory: its BUILD, Dockerfile, spec/, src/ and tests/."""
    return f"{SERVICES_DIR}/{service}"


def spec_dir(service: str | None) -> str:
    return "shared/spec" if service is None else f"{service_dir(service)}/spec"


def domain_spec_path(service: str, domain: str, suffix: str = ".yaml") -> str:
    return f"{spec_dir(service)}/{domain}{suffix}"


def service_root(service: str) -> str:
    """The source root of a service's Python code."""
    return f"{service_dir(service)}/src"


def service_package_dir(service: str) -> str:
    """The directory of a service's own package (`main.py`, `controllers/`, `generated/`)."""
    return f"{service_root(service)}/{service}"


def main_path(service: str) -> str:
    return f"{service_package_dir(service)}/main.py"


def controller_path(service: str, domain: str) -> str:
    """The hand-written controller of a domain, which scaffolding creates once."""
    return f"{service_package_dir(service)}/controllers/{domain}.py"


def controller_of(path: str) -> tuple[str, str] | None:
    """(service, domain) of a path made by `controller_path`, else None."""
    parts = PurePosixPath(path).parts
    if (
        len(parts) == 6
        and parts[0] == SERVICES_DIR
        and parts[2] == "src"
        and parts[3] == parts[1]
        and parts[4] == "controllers"
        and parts[5].endswith(".py")
        and parts[5] != "__init__.py"
    ):
        return parts[1], parts[5][: -len(".py")]
    return None


def controller_impl_class(domain: str) -> str:
    """The class of a scaffolded controller (`users` -> `Users`), which `main.py` wires."""
    return pascal(domain)


def generated_package(service: str | None) -> str:
    return SHARED_PACKAGE if service is None else f"{service}.generated"


def module_path(module: str, service: str | None) -> str:
    """The repo-relative path of a generated module."""
    rel = module.replace(".", "/") + ".py"
    return rel if service is None else f"{service_root(service)}/{rel}"


def package_init_path(package: str, service: str | None) -> str:
    rel = package.replace(".", "/") + "/__init__.py"
    return rel if service is None else f"{service_root(service)}/{rel}"


def schemas_module(service: str | None) -> str:
    return f"{generated_package(service)}.schemas"


def events_module() -> str:
    return f"{SHARED_PACKAGE}.events"


# The runtime library that generated code imports (pants-plugins/specforge_runtime).
RUNTIME_PACKAGE = "specforge_runtime"
RUNTIME_EVENTS = f"{RUNTIME_PACKAGE}.events"
RUNTIME_PUBLISHING = f"{RUNTIME_PACKAGE}.publishing"
RUNTIME_STREAMS = f"{RUNTIME_PACKAGE}.streams"


def domain_package(service: str, domain: str) -> str:
    return f"{generated_package(service)}.{domain}"


def clients_module(service: str) -> str:
    return f"{generated_package(service)}.clients"


def app_module(service: str) -> str:
    return f"{generated_package(service)}.app"


def external_module(service: str, api: str) -> str:
    """The models of an external API that `service` consumes (rendered by
    datamodel-code-generator)."""
    return f"{generated_package(service)}.external.{api}"


def modules_for(spec: SpecFile) -> tuple[str, ...]:
    """The Python modules generated from one spec file (from its path alone)."""
    if spec.kind is SpecKind.MODELS:
        return (schemas_module(spec.service),)
    if spec.kind is SpecKind.EVENTS:
        return (events_module(),) if spec.service is None else ()
    if spec.kind is SpecKind.DOMAIN and spec.service:
        pkg = domain_package(spec.service, spec.stem)
        # router: its HTTP operations; subscribers: its subscribed ones (each only when it has any).
        return (pkg, f"{pkg}.protocol", f"{pkg}.router", f"{pkg}.subscribers")
    if spec.kind is SpecKind.MANIFEST and spec.service:
        return (clients_module(spec.service),)
    if spec.kind is SpecKind.OPENAPI and spec.service:
        return (external_module(spec.service, api_name(spec.path)),)
    return ()
