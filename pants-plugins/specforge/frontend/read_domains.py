"""Reading a domain spec (`services/<svc>/spec/<domain>.yaml`): its operations, params,
REST bindings and declared errors (pass 1)."""

from __future__ import annotations

from specforge import ir, namespace, rest_paths
from specforge.errors import Location, suggest
from specforge.frontend.keys import IDENTIFIER, SNAKE
from specforge.frontend.raw import LocatedName, RawDomain, RawOperation, RawParam, RawSpecs
from specforge.frontend.read_models import type_expr
from specforge.frontend.shapes import check_shape
from specforge.http_facts import HTTP_METHODS, default_status, status_phrase
from specforge.layout import SpecFile, pascal
from specforge.reader import Reader
from specforge.typeexpr import TypeExpr
from specforge.yamlio import Node, Scalar


def read_domain(raw: RawSpecs, spec: SpecFile, top: Reader) -> None:
    check_shape(top, "domain_file")
    name = top.string("domain", allow_empty=False)
    if name is not None:
        problem = namespace.domain_name_problem(name)
        if not SNAKE.match(name):
            top.error("domain", f"domain name '{name}' must be snake_case, like users")
            name = None
        elif problem:
            top.error("domain", f"domain name {problem}; rename the domain and its file")
            name = None
        elif name != spec.stem:
            top.error(
                "domain",
                f"domain '{name}' is declared in '{spec.stem}.yaml'; the file of a domain is "
                f"named after it (rename the file to '{name}.yaml' or the domain to "
                f"'{spec.stem}')",
            )
    prefix = ""
    tags: tuple[str, ...] = ()
    config = top.mapping("config")
    if config is not None:
        check_shape(config, "domain_config")
        rest = config.mapping("rest")
        if rest is not None:
            check_shape(rest, "domain_rest")
            prefix = rest.string("prefix") or ""
            problem = rest_paths.prefix_problem(prefix)
            if problem is not None:
                # Reported; the prefix is kept, so that its operations' paths are not
                # also reported as lacking one.
                rest.error("prefix", problem)
            tags = tuple(t for t, _, _ in (rest.names("tags", "a tag") or []))
    operations: list[RawOperation] = []
    ops = top.mapping("operations")
    if ops is not None:
        if not ops.node.items:
            top.error("operations", "a domain needs at least one operation")
        for key, value in ops.entries():
            op = read_operation(raw, key, value, ops, prefix)
            if op is not None:
                operations.append(op)
    if name is not None:
        raw.domains.append(RawDomain(spec, name, top.anchor, prefix, tags, operations))


def read_operation(
    raw: RawSpecs, key: Scalar, value: Node, parent: Reader, prefix: str
) -> RawOperation | None:
    name = str(key.value)
    r = parent.child(key, value, "an operation")
    if r is None:
        return None
    if not SNAKE.match(name):
        raw.diags.error(
            key.loc, r.path, f"operation name '{name}' must be snake_case, like get_user"
        )
        return None
    problem = namespace.operation_name_problem(name)
    if problem:
        raw.diags.error(key.loc, r.path, f"operation name {problem}; rename the operation")
        return None
    check_shape(r, "operation")

    def type_of(k: str) -> tuple[TypeExpr, Location, str] | None:
        text = r.string(k, allow_empty=False)
        if text is None:
            return None
        expr = type_expr(raw.diags, text, r.loc(k), r.sub(k))
        return (expr, r.loc(k), r.sub(k)) if expr else None

    params = read_params(raw, r)
    rest, rest_reader = read_rest(raw, r, prefix)
    errors = read_errors(raw, r)
    publish = subscribe = None
    events = r.mapping("events")
    if events is not None:
        check_shape(events, "operation_events")
        if not events.node.items:
            r.error("events", "'events' needs 'subscribe' and/or 'publish_on_success'")
        p = events.string("publish_on_success", allow_empty=False)
        if p is not None:
            publish = LocatedName(
                p, events.loc("publish_on_success"), events.sub("publish_on_success")
            )
        s = events.string("subscribe", allow_empty=False)
        if s is not None:
            subscribe = LocatedName(s, events.loc("subscribe"), events.sub("subscribe"))
    op = RawOperation(
        name=name,
        loc=key.loc,
        reader=r,
        input=type_of("input"),
        output=type_of("output"),
        params=params,
        rest=rest,
        rest_reader=rest_reader,
        errors=errors,
        publish_on_success=publish,
        subscribe=subscribe,
    )
    if not r.has("rest") and not r.has("events"):
        raw.diags.error(
            key.loc,
            r.path,
            f"operation '{name}' has no transport: give it 'rest', "
            "'events: {subscribe: ...}', or both",
        )
    elif not r.has("rest") and events is not None and subscribe is None:
        if events.has("publish_on_success"):
            raw.diags.error(
                key.loc,
                r.path,
                f"operation '{name}' has no transport: 'publish_on_success' only publishes "
                "after the operation runs; add 'rest' or 'events.subscribe' to run it",
            )
    if r.has("errors") and not r.has("rest"):
        r.error(
            "errors",
            "'errors' lists the HTTP answers of a REST operation, and this one has no 'rest' "
            "(an event handler that fails raises, and the event is redelivered)",
            at_key=True,
        )
    if subscribe is not None and not r.has("input"):
        raw.diags.error(
            subscribe.loc,
            subscribe.path,
            "an operation that subscribes to an event needs an 'input': the event's message model",
        )
    return op


def read_params(raw: RawSpecs, r: Reader) -> list[RawParam]:
    items = r.mapping_items("params", "a param such as {name: x, type: int}")
    if items is None:
        return []
    params: list[RawParam] = []
    seen: dict[str, Location] = {}
    for p in items:
        check_shape(p, "param")
        name = p.string("name", allow_empty=False)
        type_text = p.string("type", allow_empty=False)
        source_text = p.string("source")
        source = ir.ParamSource.PATH
        if source_text is not None:
            try:
                source = ir.ParamSource(source_text)
            except ValueError:
                p.error(
                    "source",
                    f"unknown param source '{source_text}'"
                    f"{suggest(source_text, ('path', 'query'))}; expected path or query",
                )
                continue
        required = None
        if p.has("required"):
            required = p.boolean("required", True)
        if name is None:
            continue
        if not IDENTIFIER.match(name):
            p.error(
                "name",
                f"param name '{name}' is not an identifier (letters, digits and '_', not "
                "starting with a digit)",
            )
            continue
        if name in seen:
            p.error("name", f"duplicate param '{name}' (first at line {seen[name].line})")
            continue
        seen[name] = p.loc("name")
        expr = None
        if type_text is not None:
            expr = type_expr(raw.diags, type_text, p.loc("type"), p.sub("type"))
        if source is ir.ParamSource.PATH:
            if required is False:
                p.error("required", "path params are always required", at_key=True)
            if p.has("default"):
                p.error("default", "path params cannot have a default", at_key=True)
        elif required is True and p.has("default"):
            p.error(
                "default",
                "a required query param cannot have a default; drop 'required: true' or "
                "the default",
                at_key=True,
            )
        params.append(RawParam(name, p.loc("name"), p, expr, source, required))
    return params


def read_rest(raw: RawSpecs, r: Reader, prefix: str) -> tuple[ir.Rest | None, Reader | None]:
    rest = r.mapping("rest")
    if rest is None:
        return None, None
    check_shape(rest, "rest")
    method = rest.string("method")
    if method is None:
        return None, rest
    if method not in HTTP_METHODS:
        rest.error(
            "method",
            f"invalid HTTP method '{method}'{suggest(method.upper(), HTTP_METHODS)}; "
            f"expected one of: {', '.join(HTTP_METHODS)}",
        )
        return None, rest
    path = rest.string("path")
    if rest.has("path") and path is None:
        return None, rest
    path = path or ""
    problem = rest_paths.path_problem(path) or rest_paths.full_path_problem(prefix, path)
    if problem is not None:
        rest.error("path", problem, at_key=not rest.has("path"))
        return None, rest
    status = rest.integer("status")
    if rest.has("status") and status is None:
        return None, rest
    if status is not None and not 200 <= status <= 299:
        rest.error(
            "status",
            f"invalid success status {status}: expected a 2xx status (list other answers "
            "under 'errors')",
        )
        return None, rest
    full = (prefix + path) or "/"
    return ir.Rest(method, path, status or default_status(method), full), rest


def read_errors(raw: RawSpecs, r: Reader) -> list[ir.ErrorResponse]:
    items = r.mapping_items("errors", "an error such as {status: 404, description: ...}")
    if items is None:
        return []
    out: list[ir.ErrorResponse] = []
    seen: dict[int, Location] = {}
    for e in items:
        check_shape(e, "error")
        status = e.integer("status")
        description = e.text("description")
        if status is None:
            continue
        if 200 <= status <= 299:
            e.error(
                "status",
                f"status {status} is a success; 'errors' lists the non-2xx answers "
                "(expected 4xx or 5xx)",
            )
            continue
        if not 400 <= status <= 599:
            e.error("status", f"invalid error status {status}: expected 4xx or 5xx")
            continue
        if status in seen:
            e.error(
                "status", f"duplicate error status {status} (first at line {seen[status].line})"
            )
            continue
        seen[status] = e.loc("status")
        phrase = status_phrase(status)
        out.append(ir.ErrorResponse(status, description or phrase, pascal(phrase), e.loc("status")))
    return out
