"""Every valid spec works end to end: drawn spec projects (see spec_strategies.py) pass `check`,
generate, pass ruff and `mypy --strict`, import, and serve. Each route is called through the
generated client against a fake controller that returns valid data (and once more raising its
first declared error); each subscribed event is published and reaches its handlers, in the
FastAPI app and in the FastStream worker, over FastStream's in-memory Redis broker. Every
service's OpenAPI and AsyncAPI documents validate, and their links can be followed.

`SPECFORGE_GENERATIVE_EXAMPLES` sets the number of examples (default 200, derandomized under
CI); the long profile of the README is `SPECFORGE_GENERATIVE_EXAMPLES=2000`.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
from faststream.redis import RedisBroker, TestRedisBroker
from hypothesis import HealthCheck, given, settings

from specforge import ir, layout, namespace
from specforge.frontend import check_sources
from specforge.render import generate_files, write_tree
from specforge.render.common import ruff_binary, ruff_config_args
from specforge_docs.extract import documents
from tests.api_docs.documents import assert_valid
from tests.engine.generated import RUNTIME_ROOT
from tests.engine.spec_strategies import SpecProject, model_value, spec_projects, valid_value

EXAMPLES = int(os.environ.get("SPECFORGE_GENERATIVE_EXAMPLES", "200"))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="specforge-generative-"))
    yield path
    subprocess.run(
        [sys.executable, "-m", "mypy.dmypy", "--status-file", str(path / "dmypy.json"), "stop"],
        capture_output=True,
        check=False,
    )
    shutil.rmtree(path, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(project=spec_projects())
def test_every_valid_spec_works_end_to_end(project: SpecProject, workdir: Path) -> None:
    ir_project, errors = check_sources(project.files)
    assert not errors, "\n".join(e.format() for e in errors)
    assert ir_project is not None
    services = [*project.services, project.consumer]
    generated = generate_files(ir_project, targets=sorted(project.files), apps=services)
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    write_tree(out, generated)
    for rel, text in generated.items():
        compile(text, rel, "exec")
    lint(out, services)
    typecheck(out, workdir, services)
    with importable(out, services):
        for module in modules(generated):
            importlib.import_module(module)
        asyncio.run(exercise(project, ir_project))


def modules(generated: dict[str, str]) -> list[str]:
    """The module name of every generated Python file (under its source root)."""
    names = []
    for rel in sorted(generated):
        if not rel.endswith(".py"):
            continue
        parts = rel[: -len(".py")].split("/")
        if parts[0] == "services":  # services/<svc>/src/<package>/...
            parts = parts[3:]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def lint(out: Path, services: list[str]) -> None:
    ruff = ruff_binary()
    config = ruff_config_args(services)
    for argv in ([ruff, "check", *config, "."], [ruff, "format", "--check", *config, "."]):
        result = subprocess.run(argv, cwd=out, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def typecheck(out: Path, workdir: Path, services: list[str]) -> None:
    """mypy --strict over every generated module, through the mypy daemon (incremental from
    one example to the next)."""
    roots = [out, *(out / layout.service_root(s) for s in services), RUNTIME_ROOT]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(r) for r in roots)}
    files = sorted(str(p) for p in out.rglob("*.py"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.dmypy",
            "--status-file",
            str(workdir / "dmypy.json"),
            "run",
            # The daemon exits on its own when idle, should the test be killed before its
            # fixture stops it.
            "--timeout",
            "300",
            "--",
            "--strict",
            "--explicit-package-bases",
            "--cache-dir",
            str(workdir / "mypy-cache"),
            *files,
        ],
        # The daemon lives across examples, in a directory that each example leaves in place.
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@contextmanager
def importable(out: Path, services: list[str]) -> Iterator[None]:
    packages = {"shared", *services}

    def forget() -> None:
        for name in list(sys.modules):
            if name.split(".")[0] in packages:
                del sys.modules[name]

    forget()
    roots = [str(out), *(str(out / layout.service_root(s)) for s in services)]
    sys.path[:0] = roots
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for root in roots:
            sys.path.remove(root)
        forget()


# -- the system, exercised ----------------------------------------------------------------------


class Controller:
    """A fake controller of one domain: each operation records its call and returns a valid
    value of its output type, or raises its first declared error when `failing` is set."""

    def __init__(self, domain: ir.Domain, protocol: ModuleType, project: SpecProject) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failing = False
        for op in domain.operations:
            setattr(self, op.name, self._method(op, protocol, project))

    def _method(self, op: ir.Operation, protocol: ModuleType, project: SpecProject) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((op.name, args or kwargs))
            if self.failing and op.errors:
                raise getattr(protocol, namespace.error_class(op.domain, op.errors[0].name))()
            if op.output is None:
                return None
            return valid_value({"type": ir.spelled(op.output)}, project.scope)

        return call


def load(module: str) -> ModuleType:
    return importlib.import_module(module)


async def exercise(project: SpecProject, p: ir.Project) -> None:
    events = load("shared.generated.events") if p.events else None
    broker = events.make_broker("redis://127.0.0.1:1") if events else RedisBroker()
    controllers: dict[str, dict[str, Controller]] = {}
    apps = {}
    for service in project.services:
        domains = p.domains_of(service)
        controllers[service] = {
            d.name: Controller(
                d, load(f"{layout.domain_package(service, d.name)}.protocol"), project
            )
            for d in domains
        }
        create_app = load(layout.app_module(service)).create_app
        kwargs: dict[str, Any] = dict(controllers[service])
        parameters = inspect.signature(create_app).parameters
        if "broker" in parameters:
            kwargs.update(broker=broker)
        if "group" in parameters:
            kwargs.update(group=service)
        apps[service] = create_app(**kwargs)
    load(layout.app_module(project.consumer)).create_worker()  # the consumer assembles too
    # Every service's API documents are valid, and their links can be followed.
    for service in project.services:
        assert_valid(*documents(service))
    # Events with subscribe: true and no handler in any service: a handler of the test's own.
    received: dict[str, list[Any]] = {}
    handled = {op.subscribe.name for d in p.domains for op in d.operations if op.subscribe}
    assert events is not None or not p.events
    for e in p.events:
        if e.subscribe and e.name not in handled:

            async def handler(message: Any, event: Any, name: str = e.name) -> None:
                received.setdefault(name, []).append(message)

            getattr(events, namespace.subscriber(e.name))(broker, handler, group="probe")
    async with TestRedisBroker(broker):
        await call_every_route(project, p, apps, controllers)
        await publish_every_event(project, p, events, broker, controllers, received)
    await run_workers(project, p, events)


async def call_every_route(
    project: SpecProject,
    p: ir.Project,
    apps: dict[str, Any],
    controllers: dict[str, dict[str, Controller]],
) -> None:
    for consumer in [*project.services, project.consumer]:
        manifest = p.manifest_in(f"services/{consumer}/spec/manifest.yaml")
        if manifest is not None:
            await call_consumed_routes(project, manifest, apps, controllers)


async def call_consumed_routes(
    project: SpecProject,
    manifest: ir.Manifest,
    apps: dict[str, Any],
    controllers: dict[str, dict[str, Controller]],
) -> None:
    """Each route the manifest consumes, through the consumer's generated client, once with a
    valid answer and once with the operation's first declared error."""
    clients = load(layout.clients_module(manifest.service))
    for consumption in manifest.consumes:
        app = apps[consumption.service]
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport) as http:
            client = getattr(clients, namespace.client_class(consumption.service))(
                "http://test", client=http, backoff=0
            )
            for op in consumption.operations:
                controller = controllers[consumption.service][op.domain]
                args, kwargs = arguments(op, project)
                method = getattr(client, op.name)
                before = len(controller.calls)
                result = await method(*args, **kwargs)
                # (Its publish_on_success event may have reached a handler of the same domain.)
                assert op.name in [c[0] for c in controller.calls[before:]]
                if op.output is None:
                    assert result is None
                if op.errors:
                    controller.failing = True
                    error = namespace.client_error_subclass(consumption.service, op.errors[0].name)
                    with pytest.raises(getattr(clients, error)) as raised:
                        await method(*args, **kwargs)
                    assert raised.value.status_code == op.errors[0].status
                    controller.failing = False


def arguments(op: ir.Operation, project: SpecProject) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = [param_value(p, project) for p in op.path_params]
    if op.input is not None:
        model = schema(op.input)
        args.append(model.model_validate(model_value(op.input.name, project.scope)))
    kwargs = {p.py_name: param_value(p, project) for p in op.query_params if p.required}
    return args, kwargs


def schema(model: ir.Model) -> Any:
    """The generated class of a model (shared, or of the service that owns it)."""
    scope = None if model.origin.shared else model.origin.scope
    return getattr(load(layout.schemas_module(scope)), model.name)


def param_value(p: ir.Param, project: SpecProject) -> Any:
    return valid_value({"type": ir.spelled(p.type)}, project.scope)


async def publish_every_event(
    project: SpecProject,
    p: ir.Project,
    events: ModuleType | None,
    broker: Any,
    controllers: dict[str, dict[str, Controller]],
    received: dict[str, list[Any]],
) -> None:
    for e in p.events:
        if not e.subscribe:
            continue
        assert events is not None
        message = model_value(e.message.name, project.scope)
        if e.publish:
            model = schema(e.message)
            await getattr(events, namespace.publisher(e.name))(
                broker, model.model_validate(message)
            )
        else:
            await broker.publish(message, stream=getattr(events, namespace.event_constant(e.name)))
        handlers = [
            (c, op.name)
            for service, domains in controllers.items()
            for d in p.domains_of(service)
            for op in d.operations
            if op.subscribe is e
            for c in [domains[d.name]]
        ]
        for controller, name in handlers:
            assert any(call[0] == name for call in controller.calls), (e.name, name)
        if not handlers:
            assert received.get(e.name), e.name


async def run_workers(project: SpecProject, p: ir.Project, events: ModuleType | None) -> None:
    """Each service's FastStream worker, on a broker of its own: its handlers get its events."""
    for service in project.services:
        domains = p.domains_of(service)
        subscribed = [op for d in domains for op in d.operations if op.subscribe]
        if not subscribed or events is None:
            continue
        worker_broker = events.make_broker("redis://127.0.0.1:1")
        fakes = {
            d.name: Controller(
                d, load(f"{layout.domain_package(service, d.name)}.protocol"), project
            )
            for d in domains
        }
        app = load(layout.app_module(service)).create_worker(**fakes, broker=worker_broker)
        async with TestRedisBroker(app.broker):
            for op in subscribed:
                assert op.subscribe is not None
                message = model_value(op.subscribe.message.name, project.scope)
                stream = getattr(events, namespace.event_constant(op.subscribe.name))
                await worker_broker.publish(message, stream=stream)
                assert any(c[0] == op.name for c in fakes[op.domain].calls), op.name
