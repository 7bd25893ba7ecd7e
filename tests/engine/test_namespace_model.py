"""The namespace model (`specforge.namespace`) tells the truth about the generated code: every
name a generated module binds is one the model knows (so that spec names are checked against
it), and every name that a function taking spec names reads is one those spec names can never
take (so that renaming keeps them apart). Checked on the AST of the renderer-test repo's
generated code, for every broker."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest
from _pytest.fixtures import SubRequest

from specforge import namespace
from specforge.frontend import load_project
from tests.engine.generated import generate, render_repo_files

PROJECT = load_project(render_repo_files())
TYPE_NAMES = {m.name for m in PROJECT.models} | {e.name for e in PROJECT.enums}
DERIVED = set()
for d in PROJECT.domains:
    DERIVED |= {namespace.controller_class(d.name), namespace.domain_error_class(d.name)}
    for op in d.operations:
        DERIVED |= {namespace.error_class(d.name, e.name) for e in op.errors}
        DERIVED |= {namespace.client_error_subclass(d.service, e.name) for e in op.errors}
for s in {d.service for d in PROJECT.domains}:
    DERIVED |= {namespace.client_class(s), namespace.client_error_class(s)}
for e in PROJECT.events:
    DERIVED |= {
        namespace.event_constant(e.name),
        namespace.publisher(e.name),
        namespace.subscriber(e.name),
    }
KNOWN = {
    "schemas.py": namespace.SCHEMAS_MODULE,
    "events.py": namespace.EVENTS_MODULE,
    "protocol.py": namespace.PROTOCOL_MODULE,
    "router.py": namespace.ROUTER_MODULE,
    "subscribers.py": namespace.SUBSCRIBERS_MODULE,
    "clients.py": namespace.CLIENTS_MODULE,
    "app.py": namespace.APP_MODULE,
}
BUILTINS = set(dir(builtins))


@pytest.fixture(scope="module", params=["redis", "rabbit", "nats", "kafka"])
def modules(request: SubRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ast.Module]:
    out = tmp_path_factory.mktemp(request.param)
    files = generate(out, broker=request.param)
    return {rel: ast.parse(text) for rel, text in files.items() if Path(rel).name in KNOWN}


def bound_at_module_level(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names - {"annotations"}


def test_every_module_level_name_is_known(modules: dict[str, ast.Module]) -> None:
    for rel, tree in modules.items():
        known = KNOWN[Path(rel).name] | TYPE_NAMES | DERIVED
        unknown = {
            n
            for n in bound_at_module_level(tree)
            if n not in known
            and not (n.startswith("_") and n.endswith(("_adapter", "_router", "_subscribers")))
        }
        assert not unknown, f"{rel} binds names the namespace model does not know: {unknown}"


def loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def params_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    a = fn.args
    return {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}


def safe_from_params(name: str) -> bool:
    """Whether no spec param can be named `name` in Python (see namespace.param_py_names)."""
    return (
        name.startswith("_")
        or name[:1].isupper()
        or name in namespace.PARAM_RESERVED
        or name.startswith(namespace.PARAM_RESERVED_PREFIXES)
        or name in namespace.KEYWORDS
    )


def test_functions_with_spec_params_read_only_names_params_cannot_take(
    modules: dict[str, ast.Module],
) -> None:
    for rel, tree in modules.items():
        if Path(rel).name not in ("protocol.py", "router.py", "subscribers.py", "clients.py"):
            continue
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = params_of(fn)
            if fn.name in ("create_router", "register_subscribers") or not params - {"self"}:
                continue
            if fn.name.startswith("_") or fn.name in (
                "from_response",
                "get_route_handler",
                "answer",
            ):
                continue  # helpers of the template: no spec params
            body_reads = set().union(*(loads(stmt) for stmt in fn.body)) - params
            assigned = {
                t.id
                for t in ast.walk(fn)
                if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
            }
            unsafe = {n for n in body_reads - assigned if not safe_from_params(n)}
            # Locals the body assigns itself must not be param names either.
            unsafe |= {n for n in assigned if not safe_from_params(n)}
            assert not unsafe, f"{rel}:{fn.name} reads names a spec param could shadow: {unsafe}"


def test_model_annotations_read_only_names_fields_cannot_take(
    modules: dict[str, ast.Module],
) -> None:
    needs = namespace.ANNOTATION_BUILTINS | namespace.SCHEMAS_MODULE | {"None", "True", "False"}
    for rel, tree in modules.items():
        if Path(rel).name != "schemas.py":
            continue
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign):
                    reads = loads(stmt.annotation) | (loads(stmt.value) if stmt.value else set())
                    unsafe = {n for n in reads if n not in needs and n not in TYPE_NAMES}
                    assert not unsafe, f"{rel}:{cls.name} reads {unsafe} in a field"


def test_app_factories_read_only_names_domains_cannot_take(modules: dict[str, ast.Module]) -> None:
    for rel, tree in modules.items():
        if Path(rel).name != "app.py":
            continue
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef) and fn.name in ("create_app", "create_worker"):
                domains = {d.name for d in PROJECT.domains}
                reads = set().union(*(loads(s) for s in fn.body)) - params_of(fn)
                assigned = {
                    t.id
                    for t in ast.walk(fn)
                    if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
                }
                assigned |= {f.name for f in ast.walk(fn) if isinstance(f, ast.AsyncFunctionDef)}
                annotations = set().union(
                    *(
                        loads(a.annotation)
                        for a in ast.walk(fn)
                        if isinstance(a, ast.arg) and a.annotation
                    ),
                    *(
                        loads(f.returns)
                        for f in ast.walk(fn)
                        if isinstance(f, ast.AsyncFunctionDef) and f.returns
                    ),
                )
                for name in reads | annotations | assigned | (params_of(fn) - domains):
                    assert (
                        name.startswith("_")
                        or name[:1].isupper()
                        or name in namespace.DOMAIN_RESERVED
                    ), f"{rel}:{fn.name} uses '{name}', which a domain could be named"


def test_event_functions_do_not_shadow_module_names(modules: dict[str, ast.Module]) -> None:
    for rel, tree in modules.items():
        if Path(rel).name != "events.py":
            continue
        module_names = bound_at_module_level(tree)
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                local_defs = {
                    f.name
                    for f in ast.walk(fn)
                    if isinstance(f, ast.AsyncFunctionDef) and f is not fn
                }
                assert not local_defs & module_names, (rel, fn.name, local_defs & module_names)
                # The nested handlers are named after the event with a prefix no module name has.
                assert all(d.startswith("on_") for d in local_defs)
                assert not any(n.startswith("on_") for n in module_names)


def test_method_annotations_read_only_names_operations_cannot_take(
    modules: dict[str, ast.Module],
) -> None:
    """Operations are methods of the controller protocol and of the client classes, and nested
    functions of create_router: a method named like a name that a later annotation reads would
    shadow it there (for mypy), so such operation names are reserved."""
    for rel, tree in modules.items():
        if Path(rel).name not in ("protocol.py", "clients.py", "router.py", "subscribers.py"):
            continue
        for scope in ast.walk(tree):
            if not isinstance(scope, ast.ClassDef | ast.FunctionDef) or scope.name == "_Client":
                continue  # _Client is the transport: operations are methods of its subclasses
            for fn in scope.body:
                if not isinstance(fn, ast.AsyncFunctionDef):
                    continue
                annotations = [a.annotation for a in ast.walk(fn.args) if isinstance(a, ast.arg)]
                for node in [*annotations, fn.returns]:
                    for name in loads(node) if node is not None else ():
                        assert (
                            name[:1].isupper()
                            or name.startswith("_")
                            or name in namespace.OPERATION_ANNOTATION_NAMES
                            or namespace.operation_name_problem(name)
                        ), f"{rel}: {fn.name} reads '{name}', which an operation could be named"
