"""One domain spec: a `Protocol` for its controller (with one exception class per declared
error) and a FastAPI router bound to such a controller, plus its event subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout
from specforge.layout import pascal
from specforge.render.common import (
    Imports,
    TypeNamer,
    constraint_args,
    docstring,
    header,
    literal,
    render,
)
from specforge.render.events import BROKERS


@dataclass(frozen=True)
class ErrorView:
    class_name: str
    status: int
    description: str


@dataclass(frozen=True)
class OperationView:
    name: str
    doc: str | None
    signature: str  # the controller method's parameters, after `self`
    returns: str  # the controller method's return annotation
    call: str  # the arguments a caller passes: `user_id, payload, limit=limit`
    # REST
    method: str | None = None
    path: str | None = None
    status: int | None = None
    response_model: str | None = None
    endpoint_params: str = ""
    responses: str | None = None
    summary: str | None = None
    description: str | None = None
    no_content: bool = False
    publishes: str | None = None  # the publisher function of publish_on_success
    # events
    subscribe: str | None = None  # the subscribe function of the subscribed event
    message: str | None = None
    errors: tuple[ErrorView, ...] = ()


def render_domain(project: ir.Project, domain: ir.Domain, broker: str) -> list[tuple[str, str]]:
    package = layout.domain_package(domain.service, domain.name)
    controller = f"{pascal(domain.name)}Controller"
    base_error = f"{pascal(domain.name)}Error"
    protocol_module = f"{package}.protocol"
    router_module = f"{package}.router"

    # protocol.py
    imports = Imports()
    namer = TypeNamer(imports)
    ops = [operation_view(op, namer) for op in domain.operations]
    protocol = render(
        "protocol.py.j2",
        header=header(domain.file),
        domain=domain,
        controller=controller,
        base_error=base_error,
        imports=imports.lines(),
        operations=ops,
    )

    # router.py
    rimports = Imports()
    namer = TypeNamer(rimports)
    ops = [operation_view(op, namer, router=True) for op in domain.operations]
    broker_module, broker_class, _, _ = BROKERS[broker]
    uses_broker = any(o.publishes or o.subscribe for o in ops)
    if uses_broker:
        rimports.add(broker_module, broker_class)
    for o in ops:
        if o.publishes:
            rimports.add(layout.events_module(), o.publishes)
        if o.subscribe:
            rimports.add(layout.events_module(), o.subscribe)
    rimports.add(protocol_module, controller)
    rimports.add(protocol_module, base_error)
    if any(o.method for o in ops):
        rimports.add(protocol_module, "ErrorBody")
        rimports.add("fastapi", "APIRouter")
        rimports.add("fastapi", "HTTPException")
    router = render(
        "router.py.j2",
        header=header(domain.file),
        domain=domain,
        controller=controller,
        base_error=base_error,
        imports=rimports.lines(),
        operations=ops,
        broker_class=broker_class if uses_broker else None,
        # Literal paths before parametrized ones: `/users/count` must not reach `/{user_id}`.
        rest=sorted((o for o in ops if o.method), key=lambda o: (o.path or "").count("{")),
        subscribed=[o for o in ops if o.subscribe],
        prefix=domain.prefix,
        tags=list(domain.tags) or [domain.name],
    )
    return [
        (layout.module_path(protocol_module, domain.service), protocol),
        (layout.module_path(router_module, domain.service), router),
        (
            layout.module_path(package + ".__init__", domain.service),
            init_source(domain, controller),
        ),
    ]


def init_source(domain: ir.Domain, controller: str) -> str:
    return (
        f"{header(domain.file)}\n"
        f'"""The {domain.name} domain: `protocol.{controller}` and `router.create_router`."""\n'
    )


def error_class(op: ir.Operation, error: ir.ErrorResponse) -> str:
    return f"{pascal(op.name)}{error.name}"


def operation_view(op: ir.Operation, namer: TypeNamer, *, router: bool = False) -> OperationView:
    imports = namer.imports
    sig: list[str] = []
    call: list[str] = []
    endpoint: list[str] = []
    for p in op.path_params:
        ann = namer.annotation(p.type)
        sig.append(f"{p.name}: {ann}")
        call.append(p.name)
        if router:
            args = constraint_args(p.constraints)
            if p.description:
                args.append(f"description={literal(p.description)}")
            path_ = imports.add("fastapi", "Path")
            annotated = imports.add("typing", "Annotated")
            endpoint.append(f"{p.name}: {annotated}[{ann}, {path_}({', '.join(args)})]")
    if op.input is not None:
        ann = namer.annotation(ir.ModelType(op.input))
        sig.append(f"payload: {ann}")
        call.append("payload")
        endpoint.append(f"payload: {ann}")
    query = op.query_params
    if query:
        sig.append("*")
    for p in query:
        ann = namer.annotation(p.type)
        if not p.required:
            ann = f"{ann} | None" if p.default is None else ann
        default = ""
        if p.has_default:
            default = f" = {namer.default(p.default, p.type)}"
        sig.append(f"{p.name}: {ann}{default}")
        call.append(f"{p.name}={p.name}")
        if router:
            args = constraint_args(p.constraints)
            if p.description:
                args.append(f"description={literal(p.description)}")
            query_ = imports.add("fastapi", "Query")
            annotated = imports.add("typing", "Annotated")
            endpoint.append(f"{p.name}: {annotated}[{ann}, {query_}({', '.join(args)})]{default}")
    # Required query params (no default) must precede the ones with defaults in a def.
    endpoint = [e for e in endpoint if " = " not in e] + [e for e in endpoint if " = " in e]
    returns = namer.annotation(op.output) if op.output is not None else "None"
    errors = tuple(ErrorView(error_class(op, e), e.status, e.description) for e in op.errors)
    view = OperationView(
        name=op.name,
        doc=docstring(op.summary or op.description),
        signature=", ".join(sig),
        returns=returns,
        call=", ".join(call),
        errors=errors,
    )
    if not router:
        return view
    extra: dict[str, object] = {}
    if op.rest is not None:
        responses = ""
        if op.errors:
            items = ", ".join(
                f'{e.status}: {{"model": ErrorBody, "description": {literal(e.description)}}}'
                for e in op.errors
            )
            responses = "{" + items + "}"
        no_content = op.rest.status == 204
        if no_content:
            imports.add("fastapi", "Response")
        extra = dict(
            method=op.rest.method.lower(),
            path=op.rest.path,
            status=op.rest.status,
            response_model=None if no_content else returns,
            endpoint_params=", ".join(endpoint),
            responses=responses or None,
            summary=op.summary,
            description=op.description,
            no_content=no_content,
        )
    if op.publish_on_success is not None:
        extra["publishes"] = f"publish_{op.publish_on_success.name}"
    if op.subscribe is not None:
        extra["subscribe"] = f"subscribe_{op.subscribe.name}"
        extra["message"] = namer.annotation(ir.ModelType(op.subscribe.message))
    return OperationView(**{**view.__dict__, **extra})
