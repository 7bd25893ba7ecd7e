"""Scaffolding from the service registry: the files of a new service of each type, a stub
controller for each domain spec, and the managed part of `infra/compose.yml`.

The engine only proposes files; the `sync-services` goal writes those that do not exist yet
(and the compose file's managed block), so that nothing hand-written is ever overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from specforge import ir, layout, namespace
from specforge.emit.code import Ident
from specforge.emit.escape import yaml_string
from specforge.emit.templates import make_environment
from specforge.graph import reaches
from specforge.render.common import HERE as RENDER_TEMPLATES_DIR
from specforge.render.common import Imports, TypeNamer, dotted, format_files
from specforge.render.domain import operation_view
from specforge.scaffold import k8s
from specforge.scaffold.env import http_port, needs_postgres, service_env
from specforge.scaffold.managed import joined, replace_block

HERE = Path(__file__).parent

BEGIN = "  # >>> services.yml (managed by `./pants sync-services`; edits here are replaced) >>>"
END = "  # <<< services.yml <<<"
POSTGRES_URL = "postgresql://postgres:postgres@postgres:5432/postgres"


@cache
def _env() -> jinja2.Environment:
    # The renderers' templates too, for their shared macros (signatures).
    return make_environment(HERE / "templates", RENDER_TEMPLATES_DIR / "templates")


def _render(template: str, **context: object) -> str:
    return _env().get_template(template).render(**context)


@dataclass(frozen=True)
class DomainRef:
    name: Ident
    class_name: Ident


def render_controller(domain: ir.Domain) -> str:
    protocol_module = f"{layout.domain_package(domain.service, domain.name)}.protocol"
    class_name = layout.controller_impl_class(domain.name)
    imports = Imports(reserved=frozenset({class_name}))
    namer = TypeNamer(imports)
    ops = [operation_view(op, namer) for op in domain.operations]
    protocol = imports.add(protocol_module, namespace.controller_class(domain.name))
    return _render(
        "common/controller.py.j2",
        service=Ident(domain.service),
        domain=Ident(domain.name),
        file=domain.file,
        protocol=protocol,
        protocol_module=dotted(protocol_module),
        class_name=Ident(class_name),
        imports=imports,
        operations=ops,
    )


def service_files(project: ir.Project, entry: ir.ServiceEntry) -> dict[str, str]:
    """Every file of a new service of the entry's type."""
    name, kind = entry.name, entry.type.value
    base = layout.service_dir(name)
    package = layout.service_package_dir(name)
    ctx = {"name": Ident(name), "description": entry.description}
    if entry.type is ir.ServiceType.DEFAULT:
        return {
            f"{base}/Dockerfile": _render("default/Dockerfile.j2", **ctx),
            f"{base}/README.md": _render("default/README.md.j2", **ctx),
        }
    if entry.type is ir.ServiceType.NODE:
        return {
            f"{base}/{out}": _render(f"node/{tpl}", **ctx)
            for out, tpl in (
                ("BUILD", "service.BUILD.j2"),
                ("Dockerfile", "Dockerfile.j2"),
                ("package.json", "package.json.j2"),
                ("server.js", "server.js.j2"),
                ("server.test.js", "server.test.js.j2"),
            )
        }
    domains = [
        DomainRef(Ident(d.name), Ident(layout.controller_impl_class(d.name)))
        for d in project.domains_of(name)
    ]
    files = {
        f"{base}/BUILD": _render(f"{kind}/service.BUILD.j2", **ctx),
        f"{base}/Dockerfile": _render(f"{kind}/Dockerfile.j2", **ctx),
        f"{layout.spec_dir(name)}/BUILD": _render("common/spec.BUILD.j2", **ctx),
        f"{package}/BUILD": _render("common/src.BUILD.j2", **ctx),
        f"{package}/__init__.py": _render("common/init.py.j2", **ctx),
        layout.main_path(name): _render(f"{kind}/main.py.j2", domains=domains, **ctx),
        f"{package}/controllers/__init__.py": _render("common/controllers_init.py.j2", **ctx),
        f"{base}/tests/BUILD": _render("common/tests.BUILD.j2", **ctx),
        f"{base}/tests/test_smoke.py": _render(f"{kind}/test_smoke.py.j2", **ctx),
    }
    return files


def scaffold(
    project: ir.Project, compose: str | None, kubernetes: str | None = None
) -> dict[str, str]:
    """{path: content} of every scaffold file of every registered service, every domain's stub
    controller, and the compose file and Kubernetes manifests (`compose`, `kubernetes`: their
    current text, if they exist) with their managed blocks brought up to date."""
    assert project.registry is not None
    files: dict[str, str] = {}
    python_services = {s.name for s in project.registry.services if s.type.is_python}
    for entry in project.registry.services:
        files.update(service_files(project, entry))
    for domain in project.domains:
        if domain.service in python_services:
            files[layout.controller_path(domain.service, domain.name)] = render_controller(domain)
    services = {s.name for s in project.registry.services}
    python = {p: t for p, t in files.items() if p.endswith(".py")}
    files.update(format_files(python, first_party=services))
    files[layout.COMPOSE_PATH] = merge_compose(compose, managed_block(project))
    files[layout.K8S_PATH] = k8s.merge_k8s(kubernetes, k8s.managed_block(project))
    return files


# -- compose -----------------------------------------------------------------------------------


# Plain words that a YAML 1.1 reader (as compose tools are) takes for booleans or null.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _key(name: str) -> str:
    """A mapping key: a plain service name when that is unambiguous, else quoted."""
    if re.fullmatch(r"[a-z][a-z0-9_]*", name) and name not in _YAML_WORDS:
        return name
    return _q(name)


def _q(value: str) -> str:
    """A YAML scalar: always double-quoted and escaped, so that no value (`true`, `null`, a
    newline, a `#`) can change the document's shape or meaning."""
    return yaml_string(value)


def managed_block(project: ir.Project) -> list[str]:
    assert project.registry is not None
    lines = [BEGIN]
    # Host ports: 8000, 8001, ... for the HTTP APIs, 4321, 4322, ... for the Node services.
    next_port = {ir.ServiceType.FASTAPI: 8000, ir.ServiceType.NODE: 4321}
    ports: dict[str, int] = {}
    for s in project.registry.services:
        if s.type in next_port:
            ports[s.name] = next_port[s.type]
            next_port[s.type] += 1
    consumers: dict[str, list[str]] = {}
    for m in project.manifests:
        consumers[m.service] = list(m.services())  # external APIs are not compose services
    started_after = _startup_order(project, consumers)
    for s in project.registry.services:
        lines.append(f"  {_key(s.name)}:")
        if s.type is ir.ServiceType.DEFAULT:
            lines.append(f"    build: {_q(f'../services/{s.name}')}")
        else:
            lines.append(
                f"    image: specforge/{s.name}:latest  # ./pants package services/{s.name}:image"
            )
        env = service_env(s, consumers.get(s.name, []), lambda producer: producer)
        if needs_postgres(s):
            env["DATABASE_URL"] = POSTGRES_URL
        if env:
            lines.append("    environment:")
            lines += [f"      {k}: {_q(v)}" for k, v in env.items()]
        inner = http_port(s)
        if inner is not None:
            lines.append(f'    ports: ["{ports[s.name]}:{inner}"]')
        depends = dict(s.depends_on)
        if s.type.is_python:
            depends.setdefault("redis", "service_healthy")
        for producer in started_after.get(s.name, []):
            depends.setdefault(producer, "service_started")
        if depends:
            lines.append("    depends_on:")
            lines += [f"      {_key(dep)}: {{condition: {cond}}}" for dep, cond in depends.items()]
        if s.profiles:
            lines.append(f"    profiles: [{', '.join(_q(p) for p in s.profiles)}]")
    lines.append(END)
    return lines


def _startup_order(project: ir.Project, consumers: dict[str, list[str]]) -> dict[str, list[str]]:
    """The producers each consumer starts after: those of its manifest, except one that would
    close a cycle of depends_on (two services calling each other), which compose refuses."""
    assert project.registry is not None
    graph: dict[str, set[str]] = {
        s.name: {dep for dep, _ in s.depends_on} for s in project.registry.services
    }

    out: dict[str, list[str]] = {}
    for s in project.registry.services:
        for producer in consumers.get(s.name, []):
            if producer != s.name and not reaches(graph, producer, s.name):
                graph[s.name].add(producer)
                out.setdefault(s.name, []).append(producer)
    return out


DEFAULT_COMPOSE = """\
# The whole system for a developer machine: the services' images (build them with
# `./pants package ::`) plus Redis and PostgreSQL. `docker compose -f infra/compose.yml up`.
# Everything outside the managed block is yours to edit; `./pants sync-services` keeps the
# block in step with services.yml.
name: specforge

services:
  redis:
    image: redis:7
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
      timeout: 3s
      retries: 10

  postgres:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: postgres
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 5s
      timeout: 3s
      retries: 10

{managed}
"""


def merge_compose(current: str | None, block: list[str]) -> str:
    """`current` with its managed block replaced (or added after `services:`)."""
    managed = "\n".join(block)
    if current is None:
        return DEFAULT_COMPOSE.format(managed=managed)
    lines = current.splitlines()
    merged = replace_block(lines, block)
    if merged is None:
        at = next((i for i, line in enumerate(lines) if line.rstrip() == "services:"), None)
        if at is None:
            merged = [*lines, "", "services:", *block]
        else:
            merged = [*lines[: at + 1], *block, "", *lines[at + 1 :]]
    return joined(merged)
