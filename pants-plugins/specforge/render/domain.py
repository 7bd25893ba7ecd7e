"""One domain spec: a `Protocol` for its controller (with one exception class per declared
error kind), a FastAPI router bound to such a controller when it has HTTP operations, and its
event subscriptions when it subscribes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from specforge import ir, layout, namespace
from specforge.brokers import BROKERS
from specforge.emit.code import Ident, Python, py, py_join, py_str
from specforge.http_facts import status_phrase
from specforge.render.common import Imports, TypeNamer, constraint_args, header, render
from specforge.render.links import Link, links_of


@dataclass(frozen=True)
class ParamView:
    """One parameter of the operation's Python signature (its params and its body)."""

    name: Ident  # the Python name
    annotation: Python
    default: Python | None  # None: required
    keyword_only: bool
    endpoint_annotation: Python  # in the router: with `Path(...)`/`Query(...)`


@dataclass(frozen=True)
class ErrorView:
    """One declared error kind: its exception class (in a protocol or clients module)."""

    class_name: Ident
    status: int
    phrase: str  # the reason phrase, e.g. "Not Found"
    operations: tuple[Ident, ...]  # the operations that declare it

    @property
    def doc(self) -> str:
        """The docstring of its exception class."""
        names = [f"`{o}`" for o in self.operations]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"{self.phrase} ({self.status}), declared by {listed}."


def error_views(
    kinds: tuple[ir.ErrorKind, ...], class_name: Callable[[str], str]
) -> tuple[ErrorView, ...]:
    return tuple(
        ErrorView(
            Ident(class_name(k.name)),
            k.status,
            status_phrase(k.status),
            tuple(Ident(op) for op, _ in k.declared_by),
        )
        for k in kinds
    )


UNREADABLE_BODY = "The request body could not be read."
NO_ROUTE = "No route matches the path (a param is empty or spans segments)."


@dataclass(frozen=True)
class ResponseView:
    """A declared error answer of one operation, in its route's `responses`."""

    status: int
    description: str
    # A declared 422 of an operation with inputs: FastAPI also answers 422 to a request that
    # does not validate, with its own body, so the answer is documented as either.
    or_invalid: bool = False


@dataclass(frozen=True)
class RestView:
    method: Ident  # `get`, `post`, ...: the APIRouter method
    path: str
    status: int
    response_model: Python | None  # None: no content
    summary: str | None
    description: str | None

    @property
    def description_in_openapi(self) -> bool:
        """FastAPI strips a route's description and cuts it at a form feed; a description that
        this would change is written into the OpenAPI operation as it is."""
        d = self.description
        return d is not None and d.split("\f")[0].strip() != d


@dataclass(frozen=True)
class PublishView:
    """What publishes an operation's result on success (see `_signatures.py.j2`)."""

    publisher: Ident  # publish_<event>
    operation_id: str  # `<service>/<domain>.<operation>`, the events' `event-operation`
    channel: Ident  # the event's channel constant
    message: Python  # the event's message type


@dataclass(frozen=True)
class OperationView:
    name: Ident
    doc: str | None
    params: tuple[ParamView, ...]
    returns: Python
    has_result: bool
    responses: tuple[ResponseView, ...]
    rest: RestView | None = None
    links: tuple[Link, ...] = ()  # OpenAPI links from its success answer
    declared: tuple[int, ...] = ()  # the error statuses its spec declares
    publishes: PublishView | None = None  # its publish_on_success (routes and subscribers)
    subscribe: Ident | None = None  # the subscribe function of the subscribed event
    message: Python | None = None


def text(value: str | None) -> str | None:
    """Spec text for a docstring or description, or None when there is nothing to say."""
    return value if value and value.strip() else None


def render_domain(project: ir.Project, domain: ir.Domain, broker: str) -> list[tuple[str, str]]:
    package = layout.domain_package(domain.service, domain.name)
    controller = namespace.controller_class(domain.name)
    base_error = namespace.domain_error_class(domain.name)
    protocol_module = f"{package}.protocol"
    kinds = ir.error_kinds(domain.operations)
    errors = error_views(kinds, functools.partial(namespace.error_class, domain.name))
    rest_ops = [op for op in domain.operations if op.rest is not None]
    subscribed_ops = [op for op in domain.operations if op.subscribe is not None]
    files: list[tuple[str, str]] = []

    # protocol.py
    imports = Imports(reserved=frozenset({controller, base_error, *(e.class_name for e in errors)}))
    namer = TypeNamer(imports)
    protocol = render(
        "protocol.py.j2",
        header=header(domain.file),
        domain=Ident(domain.name),
        service=Ident(domain.service),
        controller=Ident(controller),
        base_error=Ident(base_error),
        # The base error is for answers over HTTP.
        http=bool(rest_ops or errors),
        errors=errors,
        class_var=imports.add("typing", "ClassVar"),
        protocol=imports.add("typing", "Protocol"),
        imports=imports,
        operations=[operation_view(op, namer) for op in domain.operations],
    )
    files.append((layout.module_path(protocol_module, domain.service), protocol))
    b = BROKERS[broker]

    # router.py: the HTTP operations.
    if rest_ops:
        rimports = Imports(reserved=namespace.ROUTER_DEFINES)
        namer = TypeNamer(rimports)
        ops = [
            operation_view(op, namer, router=True, links=links_of(op, rest_ops)) for op in rest_ops
        ]
        publishes = any(o.publishes for o in ops)
        router = render(
            "router.py.j2",
            header=header(domain.file),
            domain=Ident(domain.name),
            service=Ident(domain.service),
            controller=rimports.add(protocol_module, controller),
            base_error=rimports.add(protocol_module, base_error),
            error_body=(
                rimports.add(layout.generated_package(domain.service), "ErrorBody")
                if any(o.responses for o in ops)
                else None
            ),
            validation_error_body=(
                rimports.add(layout.generated_package(domain.service), "ValidationErrorBody")
                if any(r.or_invalid for o in ops for r in o.responses)
                else None
            ),
            api_route=rimports.add("fastapi.routing", "APIRoute"),
            api_router=rimports.add("fastapi", "APIRouter"),
            http_exception=rimports.add("fastapi", "HTTPException"),
            request=rimports.add("fastapi", "Request"),
            response=rimports.add("fastapi", "Response"),
            any_=rimports.add("typing", "Any"),
            callable_=rimports.add("collections.abc", "Callable"),
            coroutine=rimports.add("collections.abc", "Coroutine"),
            # create_router takes the broker (and an outbox) only when a route publishes.
            broker_class=rimports.add(b.module, b.class_name) if publishes else None,
            outbox_class=rimports.add(layout.RUNTIME_PUBLISHING, "EventOutbox")
            if publishes
            else None,
            stage_event=rimports.add(layout.RUNTIME_PUBLISHING, "stage_event")
            if publishes
            else None,
            # Literal paths before parametrized ones: `/users/count` must not reach `/{user_id}`.
            rest=sorted(ops, key=lambda o: o.rest.path.count("{") if o.rest else 0),
            prefix=domain.prefix,
            tags=list(domain.tags) or [domain.name],
            imports=rimports,
        )
        files.append((layout.module_path(f"{package}.router", domain.service), router))

    # subscribers.py: the operations that events call.
    if subscribed_ops:
        simports = Imports(reserved=namespace.SUBSCRIBERS_DEFINES)
        namer = TypeNamer(simports)
        publishes = any(op.publish_on_success is not None for op in subscribed_ops)
        subscribers = render(
            "subscribers.py.j2",
            header=header(domain.file),
            domain=Ident(domain.name),
            service=Ident(domain.service),
            controller=simports.add(protocol_module, controller),
            broker_class=simports.add(b.module, b.class_name),
            subscribed=[operation_view(op, namer, router=True) for op in subscribed_ops],
            event_info=simports.add(layout.RUNTIME_EVENTS, "EventInfo"),
            outbox_class=simports.add(layout.RUNTIME_PUBLISHING, "EventOutbox")
            if publishes
            else None,
            stage_event=simports.add(layout.RUNTIME_PUBLISHING, "stage_event")
            if publishes
            else None,
            imports=simports,
        )
        files.append((layout.module_path(f"{package}.subscribers", domain.service), subscribers))

    init = render(
        "domain_init.py.j2",
        header=header(domain.file),
        domain=Ident(domain.name),
        controller=Ident(controller),
        router=bool(rest_ops),
        subscribers=bool(subscribed_ops),
    )
    files.append((layout.module_path(package + ".__init__", domain.service), init))
    return files


def param_view(p: ir.Param, namer: TypeNamer, *, router: bool) -> ParamView:
    imports = namer.imports
    annotation = namer.annotation(p.type)
    if not p.required and p.default is None:
        annotation = py("{} | None", annotation)
    default = namer.default(p.default, p.type) if p.has_default else None
    endpoint = annotation
    if router:
        args = constraint_args(p.constraints)
        if p.py_name != p.name:
            args.insert(0, py("alias={}", py_str(p.name)))
        if p.description:
            args.append(py("description={}", py_str(p.description)))
        if p.examples:
            args.append(
                py("examples=[{}]", py_join(", ", [namer.default(v, p.type) for v in p.examples]))
            )
        # FastAPI takes a scalar param for a path param when its name is in the path, for a
        # query param otherwise: a marker only when it has something to say.
        if args:
            source = "Path" if p.source is ir.ParamSource.PATH else "Query"
            endpoint = py(
                "{}[{}, {}({})]",
                imports.add("typing", "Annotated"),
                annotation,
                imports.add("fastapi", source),
                py_join(", ", args),
            )
    return ParamView(
        name=Ident(p.py_name),
        annotation=annotation,
        default=default,
        keyword_only=p.source is ir.ParamSource.QUERY,
        endpoint_annotation=endpoint,
    )


def body_name(op: ir.Operation, *, router: bool) -> Ident:
    """The request body's parameter: `payload`. FastAPI takes a route function's parameter for
    a path param when its name is in the path, so in the router it steps aside from the wire
    names of the path params (and from every param's Python name)."""
    name = "payload"
    if router:
        taken = {p.name for p in op.path_params} | {p.py_name for p in op.params}
        while name in taken:
            name += "_"
    return Ident(name)


def publish_view(op: ir.Operation, event: ir.Event, namer: TypeNamer) -> PublishView:
    events = layout.events_module()
    return PublishView(
        publisher=namer.imports.add(events, namespace.publisher(event.name)),
        operation_id=f"{op.service}/{op.domain}.{op.name}",
        channel=namer.imports.add(events, namespace.event_constant(event.name)),
        message=namer.annotation(ir.ModelType(event.message)),
    )


def operation_view(
    op: ir.Operation, namer: TypeNamer, *, router: bool = False, links: tuple[Link, ...] = ()
) -> OperationView:
    params = [param_view(p, namer, router=router) for p in op.path_params]
    if op.input is not None:
        body = namer.annotation(ir.ModelType(op.input))
        params.append(ParamView(body_name(op, router=router), body, None, False, body))
    params += [param_view(p, namer, router=router) for p in op.query_params]
    if not router and op.subscribe is not None:
        # The controller's method gets each event's identity (`None` when called over HTTP).
        event_info = py("{}", namer.imports.add(layout.RUNTIME_EVENTS, "EventInfo"))
        if op.rest is None:
            params.append(ParamView(Ident("event"), event_info, None, True, event_info))
        else:
            optional = py("{} | None", event_info)
            params.append(ParamView(Ident("event"), optional, py("None"), True, optional))
    returns = namer.annotation(op.output) if op.output is not None else py("None")
    validated = bool(op.params) or op.input is not None
    responses = tuple(
        ResponseView(e.status, e.description, or_invalid=validated and e.status == 422)
        for e in op.errors
    )
    # FastAPI's own answers, documented unless declared, so that the document lists every
    # answer the route can give (both bodies are an ErrorBody):
    declared = {e.status for e in op.errors}
    if router and op.input is not None and 400 not in declared:
        # 400 to a body it cannot read, such as one that is not UTF-8;
        responses += (ResponseView(400, UNREADABLE_BODY),)
    if router and op.path_params and 404 not in declared:
        # 404 to a path whose param is empty or spans segments, which no route matches.
        responses += (ResponseView(404, NO_ROUTE),)
    rest = None
    if router and op.rest is not None:
        no_content = op.rest.status == 204
        rest = RestView(
            method=Ident(op.rest.method.lower()),
            path=op.rest.path,
            status=op.rest.status,
            response_model=None if no_content else returns,
            summary=op.summary or None,
            description=op.description or None,
        )
    return OperationView(
        name=Ident(op.name),
        doc=text(op.summary or op.description),
        params=tuple(params),
        returns=returns,
        has_result=op.output is not None,
        responses=responses,
        rest=rest,
        links=links,
        declared=tuple(e.status for e in op.errors),
        publishes=(
            publish_view(op, op.publish_on_success, namer)
            if router and op.publish_on_success is not None
            else None
        ),
        subscribe=(
            namer.imports.add(layout.events_module(), namespace.subscriber(op.subscribe.name))
            if router and op.subscribe is not None
            else None
        ),
        message=(
            namer.annotation(ir.ModelType(op.subscribe.message))
            if router and op.subscribe is not None
            else None
        ),
    )
