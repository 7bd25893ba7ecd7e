"""Domains and operations (pass 2): types, params, REST rules and route overlaps, and the
events an operation publishes or subscribes to."""

from __future__ import annotations

from dataclasses import replace

from specforge import ir, namespace, rest_paths, routes
from specforge.errors import Location, suggest
from specforge.frontend.constraints import read_constraints
from specforge.frontend.context import Resolution
from specforge.frontend.defaults import convert_default, convert_examples
from specforge.frontend.display import expr_text
from specforge.frontend.raw import LocatedName, RawDomain, RawOperation, RawParam
from specforge.frontend.scope import resolve_type
from specforge.yamlio import Scalar


def build_domains(ctx: Resolution, events: dict[str, ir.Event]) -> list[ir.Domain]:
    domains: list[ir.Domain] = []
    tables: dict[str, routes.RouteTable] = {}
    op_names: dict[tuple[str, str], Location] = {}
    relays: list[tuple[str, str, RawOperation]] = []
    for d in ctx.raw.domains:
        service = d.spec.service
        assert service is not None
        ops: list[ir.Operation] = []
        for op in d.operations:
            built = build_operation(ctx, op, d, events)
            if built is None:
                continue
            if built.rest is not None:
                route = routes.Route(
                    built.rest.method,
                    built.rest.full_path,
                    d.name,
                    op.name,
                    f"{op.loc.file}:{op.loc.line}",
                )
                problem = tables.setdefault(service, routes.RouteTable()).add(route)
                if problem is not None:
                    assert op.rest_reader is not None
                    op.rest_reader.error(
                        "path", problem, at_key=op.rest_reader.has("path") is False
                    )
                    continue
            if (service, op.name) in op_names:
                loc = op_names[(service, op.name)]
                ctx.diags.error(
                    op.loc,
                    op.reader.path,
                    f"service '{service}' already has an operation '{op.name}' "
                    f"({loc.file}:{loc.line}); operation names are unique per service",
                )
                continue
            op_names[(service, op.name)] = op.loc
            ops.append(built)
            if built.subscribe is not None and built.publish_on_success is not None:
                relays.append((built.subscribe.name, built.publish_on_success.name, op))
        domains.append(ir.Domain(d.name, service, d.spec.path, d.loc, d.prefix, d.tags, tuple(ops)))
    check_event_cycles(ctx, relays)
    return domains


def check_event_cycles(ctx: Resolution, relays: list[tuple[str, str, RawOperation]]) -> None:
    """An operation that subscribes to event S and publishes P on success relays S to P. When
    P leads back to S through such operations (P == S included), every event publishes
    another, forever: an error at each operation on the cycle."""
    edges: dict[str, set[str]] = {}
    for subscribed, published, _ in relays:
        edges.setdefault(subscribed, set()).add(published)

    def path(start: str, goal: str) -> list[str] | None:
        """The events from `start` to `goal` along the edges, breadth first."""
        previous: dict[str, str | None] = {start: None}
        queue = [start]
        for event in queue:
            if event == goal:
                route = [event]
                while (back := previous[route[-1]]) is not None:
                    route.append(back)
                return route[::-1]
            for nxt in sorted(edges.get(event, ())):
                if nxt not in previous:
                    previous[nxt] = event
                    queue.append(nxt)
        return None

    for subscribed, published, op in relays:
        cycle = path(published, subscribed)
        if cycle is None:
            continue
        assert op.publish_on_success is not None
        loop = " -> ".join([subscribed, *cycle])
        ctx.diags.error(
            op.publish_on_success.loc,
            op.publish_on_success.path,
            f"operation '{op.name}' subscribes to '{subscribed}' and publishes '{published}' "
            f"on success, which leads back to it ({loop}): each event would publish another, "
            "forever",
        )


def build_operation(
    ctx: Resolution, op: RawOperation, d: RawDomain, events: dict[str, ir.Event]
) -> ir.Operation | None:
    service = d.spec.service
    assert service is not None
    r = op.reader
    ok = True
    input_model = None
    if op.input is not None:
        expr, loc, path = op.input
        t = resolve_type(ctx, expr, service, loc, path, what="model")
        if t is not None:
            if isinstance(t, ir.ModelType):
                input_model = t.model
            else:
                ctx.diags.error(
                    loc, path, f"'input' must be a model (the request body), got '{expr}'"
                )
                ok = False
        else:
            ok = False
    output = None
    if op.output is not None:
        expr, loc, path = op.output
        output = resolve_type(ctx, expr, service, loc, path)
        ok = ok and output is not None
    params: list[ir.Param] = []
    for p in op.params:
        built = build_param(ctx, p, service)
        if built is None:
            ok = False
        else:
            params.append(built)
    rest = op.rest
    if rest is not None:
        assert op.rest_reader is not None
        ok = check_rest(ctx, op, rest, params, input_model, output) and ok
    elif op.rest_reader is None and not r.has("rest"):
        if any(p.source is ir.ParamSource.PATH for p in params):
            for p in op.params:
                if p.source is ir.ParamSource.PATH:
                    p.reader.error(
                        "name",
                        f"path param '{p.name}' needs a REST path; this operation has no "
                        "'rest' (use source: query, or add rest)",
                    )
            ok = False
    publish = subscribe = None
    if op.publish_on_success is not None:
        publish = event_ref(ctx, op.publish_on_success, events)
        if publish is not None:
            if not publish.publish:
                ctx.diags.error(
                    op.publish_on_success.loc,
                    op.publish_on_success.path,
                    f"event '{publish.name}' is not published (set 'publish: true' in "
                    f"{publish.file})",
                )
                ok = False
            out_model = output.model if isinstance(output, ir.ModelType) else None
            if out_model is not publish.message:
                ctx.diags.error(
                    op.publish_on_success.loc,
                    op.publish_on_success.path,
                    f"'publish_on_success' publishes the operation's output, so the output "
                    f"must be '{publish.message.name}' (the message of '{publish.name}'); "
                    f"it is '{expr_text(op.output)}'. To publish something else, call "
                    f"publish_{publish.name}() from the controller",
                )
                ok = False
        else:
            ok = False
    if op.subscribe is not None:
        subscribe = event_ref(ctx, op.subscribe, events)
        if subscribe is not None:
            if not subscribe.subscribe:
                ctx.diags.error(
                    op.subscribe.loc,
                    op.subscribe.path,
                    f"event '{subscribe.name}' is not subscribable (set 'subscribe: true' "
                    f"in {subscribe.file})",
                )
                ok = False
            if input_model is not None and input_model is not subscribe.message:
                assert op.input is not None
                ctx.diags.error(
                    op.input[1],
                    op.input[2],
                    f"an operation subscribed to '{subscribe.name}' takes its message as "
                    f"input: expected '{subscribe.message.name}', got '{op.input[0]}'",
                )
                ok = False
            if op.params:
                ctx.diags.error(
                    op.params[0].loc,
                    r.sub("params"),
                    "an operation subscribed to an event is called with the message alone, "
                    "so it cannot take params",
                )
                ok = False
        else:
            ok = False
    if not ok:
        return None
    py_names = namespace.param_py_names([p.name for p in params])
    return ir.Operation(
        name=op.name,
        domain=d.name,
        service=service,
        loc=op.loc,
        summary=r.text("summary"),
        description=r.text("description"),
        input=input_model,
        output=output,
        params=tuple(replace(p, py_name=n) for p, n in zip(params, py_names, strict=True)),
        rest=rest,
        errors=tuple(op.errors),
        publish_on_success=publish,
        subscribe=subscribe,
    )


def event_ref(ctx: Resolution, ref: LocatedName, events: dict[str, ir.Event]) -> ir.Event | None:
    if ref.value in events:
        return events[ref.value]
    if ref.value in ctx.event_names:
        return None  # defined but invalid; reported there
    ctx.diags.error(
        ref.loc,
        ref.path,
        f"unknown event '{ref.value}'{suggest(ref.value, ctx.event_names)}; events are "
        "declared in shared/spec/events.yaml",
    )
    return None


def build_param(ctx: Resolution, p: RawParam, scope: str) -> ir.Param | None:
    if p.type is None:
        return None
    r = p.reader
    if p.type.is_list or p.type.is_dict or p.type.is_literal:
        r.error("type", f"a param's type is a scalar or an enum, not '{p.type}'")
        return None
    ptype = resolve_type(ctx, p.type, scope, r.loc("type"), r.sub("type"))
    if ptype is None:
        return None
    if not isinstance(ptype, ir.ScalarType | ir.EnumType):
        r.error("type", f"a param's type is a scalar or an enum, not the model '{p.type}'")
        return None
    if isinstance(ptype, ir.ScalarType) and ptype.kind is ir.ScalarKind.BYTES:
        r.error("type", "a param cannot be bytes")
        return None
    constraints = read_constraints(ctx, r, ptype, field_keys=False)
    default: ir.DefaultValue | ir._NoDefault = ir.NO_DEFAULT
    node = r.get("default")
    if node is not None and p.source is ir.ParamSource.QUERY:
        if isinstance(node, Scalar) and node.value is None:
            default = None
        else:
            default = convert_default(ctx, node, ptype, constraints, r.sub("default"))
            if default is ir.NO_DEFAULT:
                return None
    if p.source is ir.ParamSource.PATH:
        required = True
    elif p.required is None:
        required = default is ir.NO_DEFAULT
    else:
        required = p.required
    if not required and default is ir.NO_DEFAULT:
        default = None
    return ir.Param(
        name=p.name,
        type=ptype,
        source=p.source,
        loc=p.loc,
        required=required,
        default=default,
        description=r.text("description"),
        constraints=constraints,
        examples=convert_examples(
            ctx, r.get("examples"), ptype, constraints, r.sub("examples"), nullable=False
        ),
    )


def check_rest(
    ctx: Resolution,
    op: RawOperation,
    rest: ir.Rest,
    params: list[ir.Param],
    input_model: ir.Model | None,
    output: ir.TypeRef | None,
) -> bool:
    rr = op.rest_reader
    assert rr is not None
    ok = True
    # read_rest let through only paths of the grammar, whose params are identifiers.
    placeholders = rest_paths.path_params(rest.path)
    seen: set[str] = set()
    # Raw params: one whose type is invalid still counts (its error is reported already).
    path_params = {p.name for p in op.params if p.source is ir.ParamSource.PATH}
    for name in placeholders:
        if name in seen:
            rr.error("path", f"'{{{name}}}' appears more than once in the path")
            ok = False
        elif name not in path_params:
            query = [p for p in op.params if p.name == name]
            hint = (
                " (it is a query param; drop 'source: query')"
                if query
                else f"; add {{name: {name}, type: ...}} to 'params'"
            )
            rr.error("path", f"'{{{name}}}' in the path has no path param{hint}")
            ok = False
        seen.add(name)
    for p in op.params:
        if p.source is ir.ParamSource.PATH and p.name not in seen:
            p.reader.error(
                "name",
                f"path param '{p.name}' does not appear in the path '{rest.path}'"
                f" (add '{{{p.name}}}' to it, or make it 'source: query')",
            )
            ok = False
    if rest.method == "GET" and input_model is not None:
        assert op.input is not None
        ctx.diags.error(op.input[1], op.input[2], "a GET operation cannot take an 'input' body")
        ok = False
    if rest.status == 204 and output is not None:
        ctx.diags.error(
            rr.loc("status") if rr.has("status") else rr.key_loc("method"),
            rr.sub("status"),
            "status 204 means no content, but the operation has an 'output'"
            + ("" if rr.has("status") else f" (set rest.status, e.g. 200, for {rest.method})"),
        )
        ok = False
    return ok
