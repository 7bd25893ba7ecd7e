"""Typed async HTTP clients for the operations a service consumes: one client class per
producer service, one method per consumed operation, over httpx2."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout
from specforge.build import IDEMPOTENT_METHODS
from specforge.layout import pascal
from specforge.render.common import Imports, TypeNamer, docstring, header, render


@dataclass(frozen=True)
class ParamView:
    name: str
    wire: str  # how the value goes on the wire: `str(x)`, `x.value`, ...
    optional: bool


@dataclass(frozen=True)
class MethodView:
    name: str
    doc: str | None
    signature: str
    returns: str
    http_method: str
    path: str  # an f-string body with quoted path params
    path_params: tuple[str, ...]
    query: tuple[ParamView, ...]
    has_body: bool
    idempotent: bool
    result: str  # how the response becomes the return value
    errors: tuple[tuple[int, str], ...]  # (status, exception class)
    domain: str


@dataclass(frozen=True)
class ClientView:
    service: str
    class_name: str
    base_error: str
    url_env: str
    methods: tuple[MethodView, ...]
    errors: tuple[tuple[str, int, str, str], ...]  # (class, status, description, operation)


def render_clients(project: ir.Project, manifest: ir.Manifest) -> tuple[str, str]:
    imports = Imports()
    namer = TypeNamer(imports)
    adapters: dict[str, str] = {}
    clients: list[ClientView] = []
    for producer in manifest.producers():
        prefix = pascal(producer)
        methods: list[MethodView] = []
        errors: list[tuple[str, int, str, str]] = []
        for consumption in (c for c in manifest.consumes if c.service == producer):
            for op in consumption.operations:
                op_errors: list[tuple[int, str]] = []
                for e in op.errors:
                    cls = f"{prefix}{pascal(op.name)}{e.name}"
                    errors.append((cls, e.status, e.description, op.name))
                    op_errors.append((e.status, cls))
                methods.append(method_view(op, namer, adapters, tuple(op_errors)))
        clients.append(
            ClientView(
                service=producer,
                class_name=f"{prefix}Client",
                base_error=f"{prefix}Error",
                url_env=f"{producer.upper()}_URL",
                methods=tuple(methods),
                errors=tuple(errors),
            )
        )
    if adapters:
        imports.add("pydantic", "TypeAdapter")
    source = render(
        "clients.py.j2",
        header=header(manifest.file),
        file=manifest.file,
        imports=imports.lines(),
        clients=clients,
        adapters=sorted(adapters.items(), key=lambda kv: kv[1]),
        idempotent=IDEMPOTENT_METHODS,
    )
    return layout.module_path(layout.clients_module(manifest.service), manifest.service), source


def wire(p: ir.Param, namer: TypeNamer) -> str:
    """How a param's value is written into a URL."""
    t = p.type
    if isinstance(t, ir.EnumType):
        return f"{p.name}.value"
    if t.kind is ir.ScalarKind.BOOL:
        return f'"true" if {p.name} else "false"'
    if t.kind in (ir.ScalarKind.DATE, ir.ScalarKind.DATETIME):
        return f"{p.name}.isoformat()"
    return f"str({p.name})"


def method_view(
    op: ir.Operation,
    namer: TypeNamer,
    adapters: dict[str, str],
    errors: tuple[tuple[int, str], ...],
) -> MethodView:
    assert op.rest is not None
    sig: list[str] = []
    for p in op.path_params:
        sig.append(f"{p.name}: {namer.annotation(p.type)}")
    if op.input is not None:
        sig.append(f"payload: {namer.annotation(ir.ModelType(op.input))}")
    query: list[ParamView] = []
    if op.query_params:
        sig.append("*")
    for p in op.query_params:
        ann = namer.annotation(p.type)
        if not p.required and p.default is None:
            ann = f"{ann} | None"
        default = f" = {namer.default(p.default, p.type)}" if p.has_default else ""
        sig.append(f"{p.name}: {ann}{default}")
        query.append(
            ParamView(p.name, wire(p, namer), optional=not p.required and p.default is None)
        )
    path = op.rest.full_path
    for p in op.path_params:
        path = path.replace("{" + p.name + "}", "{_segment(" + wire(p, namer) + ")}")
    returns = "None"
    result = "None"
    if op.output is not None:
        returns = namer.annotation(op.output)
        if isinstance(op.output, ir.ModelType):
            result = f"{returns}.model_validate_json(response.content)"
        else:
            key = returns
            if key not in adapters:
                adapters[key] = f"_{'_'.join(filter(None, _slug(key)))}_adapter"
            result = f"{adapters[key]}.validate_json(response.content)"
    return MethodView(
        name=op.name,
        doc=docstring(op.summary or op.description),
        signature=", ".join(sig),
        returns=returns,
        http_method=op.rest.method,
        path=path,
        path_params=tuple(p.name for p in op.path_params),
        query=tuple(query),
        has_body=op.input is not None,
        idempotent=op.rest.method in IDEMPOTENT_METHODS,
        result=result,
        errors=errors,
        domain=op.domain,
    )


def _slug(annotation: str) -> list[str]:
    import re

    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", annotation)]
