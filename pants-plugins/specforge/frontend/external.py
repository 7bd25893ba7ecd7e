"""External APIs (pass 2): the operations a manifest consumes from an OpenAPI document, as IR
operations that the client renderer turns into a typed client like any other.

Only what a client call needs is taken from the document, and only in the shapes the client
can honour exactly: path and query params of scalar types, a JSON body that is a schema of the
document (`$ref: '#/components/schemas/X'`), an answer that is such a schema, a list of one, a
scalar or nothing, and the 4xx/5xx answers as typed errors. Anything else is an error located in
the document. The schemas themselves become `<svc>.generated.external.<api>`, rendered by
datamodel-code-generator; the IR names them without fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from specforge import ir, namespace
from specforge.errors import suggest
from specforge.frontend.context import Resolution
from specforge.frontend.keys import SNAKE
from specforge.frontend.raw import RawApiConsumption, RawApiDocument, RawApiOperation
from specforge.http_facts import status_phrase
from specforge.layout import pascal
from specforge.reader import Reader
from specforge.rest_paths import path_params, path_problem
from specforge.yamlio import Mapping

SCALARS = {
    "string": ir.ScalarKind.STRING,
    "integer": ir.ScalarKind.INT,
    "number": ir.ScalarKind.FLOAT,
    "boolean": ir.ScalarKind.BOOL,
}
STRING_FORMATS = {
    "uuid": ir.ScalarKind.UUID,
    "date": ir.ScalarKind.DATE,
    "date-time": ir.ScalarKind.DATETIME,
}
JSON = "application/json"
SCHEMA_REF = "#/components/schemas/"


def external_scope(consumer: str, api: str) -> str:
    """The `Origin.scope` of an external API's models (see `render.common.schemas_module_of`)."""
    return f"{ir.EXTERNAL}{consumer}:{api}"


def build_api_consumptions(
    ctx: Resolution, consumer: str, entries: list[RawApiConsumption], services: set[str]
) -> list[ir.Consumption]:
    documents = {(d.spec.service, d.name): d for d in ctx.raw.api_documents}
    consumptions: list[ir.Consumption] = []
    seen: set[str] = set()
    for entry in entries:
        api = entry.api.value
        document = documents.get((consumer, api))
        if document is None:
            known = sorted(name for service, name in documents if service == consumer)
            ctx.diags.error(
                entry.api.loc,
                entry.api.path,
                f"no OpenAPI document services/{consumer}/spec/{api}.openapi.yaml"
                f"{suggest(api, known)}",
            )
            continue
        if api in services:
            ctx.diags.error(
                entry.api.loc,
                entry.api.path,
                f"'{api}' is also a consumed service: both clients would be "
                f"{namespace.client_class(api)}; rename the document",
            )
            continue
        if api in seen:
            ctx.diags.error(
                entry.loc, entry.path, f"'{api}' is already consumed; list all its operations once"
            )
            continue
        seen.add(api)
        models: dict[str, ir.Model] = {}
        ops: list[ir.Operation] = []
        for ref in entry.operations:
            raw_op = document.operations.get(ref.value)
            if raw_op is None:
                ctx.diags.error(
                    ref.loc,
                    ref.path,
                    f"{document.spec.path} has no operation with operationId '{ref.value}'"
                    f"{suggest(ref.value, sorted(document.operations))}",
                )
                continue
            if not SNAKE.match(ref.value):
                ctx.diags.error(
                    ref.loc,
                    ref.path,
                    f"operationId '{ref.value}' is not a Python name in snake_case, which the "
                    "client method is named by",
                )
                continue
            # The client method is checked as a spec operation's name is.
            if problem := namespace.operation_name_problem(ref.value):
                ctx.diags.error(ref.loc, ref.path, f"operationId: {problem}")
                continue
            if any(op.name == ref.value for op in ops):
                ctx.diags.error(ref.loc, ref.path, f"'{ref.value}' is listed twice")
                continue
            op = _operation(ctx, document, raw_op, ref.value, consumer, models)
            if op is not None:
                ops.append(op)
        domain = ir.Domain(
            name=api, service=api, file=document.spec.path, loc=entry.loc, operations=tuple(ops)
        )
        consumptions.append(ir.Consumption(api, domain, tuple(ops), entry.loc, external=True))
    return consumptions


def _operation(
    ctx: Resolution,
    document: RawApiDocument,
    raw_op: RawApiOperation,
    name: str,
    consumer: str,
    models: dict[str, ir.Model],
) -> ir.Operation | None:
    r = raw_op.reader
    problem = path_problem(raw_op.path) if raw_op.path != "/" else None
    if problem:
        r.error("operationId", f"its path {raw_op.path!r} cannot be called: {problem}")
        return None

    def model(schema: Reader | None, where: str) -> ir.Model | None:
        ref = schema.string("$ref") if schema is not None else None
        if (
            ref is None
            or not ref.startswith(SCHEMA_REF)
            or ref[len(SCHEMA_REF) :] not in (document.schemas)
        ):
            at = schema or r
            at.diags.error(
                at.anchor,
                at.path,
                f"{where} must be a schema of the document ($ref: '{SCHEMA_REF}<Name>')",
            )
            return None
        assert schema is not None  # it has the reference
        schema_name = ref[len(SCHEMA_REF) :]
        if schema_name not in models:
            scope = external_scope(consumer, document.name)
            models[schema_name] = ir.Model(
                schema_name, ir.Origin(document.spec.path, scope), schema.key_loc("$ref")
            )
        return models[schema_name]

    params = _params(r, raw_op.path)
    if params is None:
        return None
    body: ir.Model | None = None
    request = r.mapping("requestBody")
    if request is not None:
        body = model(_json_schema(request), "the request body")
        if body is None:
            return None
    status, output, errors = 0, None, []
    responses = r.mapping("responses")
    for key, value in responses.entries() if responses is not None else ():
        text = str(key.value)
        if responses is None or not text.isdigit() or len(text) != 3:
            continue  # `default` or `2XX`: no status the client can type
        code = int(text)
        answer = responses.child(key, value, "a response")
        if answer is None:
            return None
        if 200 <= code < 300 and not status:
            status = code
            schema = _json_schema(answer)
            if schema is not None:
                output = _answer_type(schema, model)
                if output is None:
                    return None
        elif code >= 400:
            phrase = status_phrase(code)
            description = answer.text("description") or phrase
            errors.append(ir.ErrorResponse(code, description, pascal(phrase), answer.anchor))
    if not status:
        r.error("responses", "declare a 2xx answer: the client returns it")
        return None
    return ir.Operation(
        name=name,
        domain=document.name,
        service=document.name,
        loc=r.anchor,
        summary=r.text("summary"),
        description=r.text("description"),
        input=body,
        output=output,
        params=params,
        rest=ir.Rest(raw_op.method, raw_op.path, status, raw_op.path),
        errors=tuple(sorted(errors, key=lambda e: e.status)),
    )


def _json_schema(holder: Reader) -> Reader | None:
    content = holder.mapping("content")
    media = content.mapping(JSON) if content is not None else None
    return media.mapping("schema") if media is not None else None


ModelOf = Callable[[Reader | None, str], ir.Model | None]


def _answer_type(schema: Reader, model: ModelOf) -> ir.TypeRef | None:
    if schema.has("$ref"):
        found = model(schema, "the answer")
        return ir.ModelType(found) if found is not None else None
    if schema.string("type") == "array":
        item = model(schema.mapping("items"), "the answer's items")
        return ir.ListType(ir.ModelType(item)) if item is not None else None
    scalar = _scalar(schema)
    if scalar is None:
        schema.error(
            "type", "the answer must be a schema of the document, a list of one, or a scalar"
        )
    return scalar


def _scalar(schema: Reader) -> ir.ScalarType | None:
    kind = SCALARS.get(schema.string("type") or "")
    if kind is ir.ScalarKind.STRING:
        kind = STRING_FORMATS.get(schema.string("format") or "", kind)
    return ir.ScalarType(kind) if kind is not None else None


def _params(r: Reader, path: str) -> tuple[ir.Param, ...] | None:
    params: list[ir.Param] = []
    for i, node in r.sequence("parameters") or []:
        where = r.sub("parameters") + f"[{i}]"
        if not isinstance(node, Mapping):
            r.diags.error(node.loc, where, "expected a parameter (a mapping)")
            return None
        p = Reader(node, where, r.diags, node.loc)
        name, source = p.string("name", allow_empty=False), p.string("in")
        if name is None or source not in ("path", "query"):
            if p.boolean("required") or source == "path" or name is None:
                p.error("in", "only path and query params (named, inline) can be called")
                return None
            continue  # an optional header or cookie: the client does not send it
        schema = p.mapping("schema")
        scalar = _scalar(schema) if schema is not None else None
        if scalar is None or not SNAKE.match(name):  # a keyword gets a Python name, as in specs
            p.error("schema", f"param '{name}' must be a snake_case name of a scalar type")
            return None
        params.append(
            ir.Param(
                name=name,
                type=scalar,
                source=ir.ParamSource.PATH if source == "path" else ir.ParamSource.QUERY,
                loc=p.anchor,
                required=source == "path" or p.boolean("required"),
                default=ir.NO_DEFAULT if source == "path" or p.boolean("required") else None,
                description=p.text("description"),
            )
        )
    declared = {p.name for p in params if p.source is ir.ParamSource.PATH}
    if set(path_params(path)) != declared:
        r.error("operationId", f"the path params of {path!r} and its path parameters differ")
        return None
    py_names = namespace.param_py_names([p.name for p in params])
    return tuple(replace(p, py_name=n) for p, n in zip(params, py_names, strict=True))
