"""Typed async HTTP clients for the operations a service consumes: one client class per
producer service, one method per consumed operation, over httpx2.

URLs are built from the operation's path segments: literal segments are string literals, param
segments are the param's value, percent-encoded as one segment at run time; no spec text is ever
put into an f-string or a format string.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from specforge import ir, layout, namespace
from specforge.emit.code import Ident, Python, py, py_join, py_str
from specforge.http_facts import IDEMPOTENT_METHODS
from specforge.render.common import Imports, TypeNamer, header, render
from specforge.render.domain import ErrorView, ParamView, error_views, param_view, text
from specforge.rest_paths import split_path


@dataclass(frozen=True)
class QueryView:
    name: Ident  # the Python name
    wire: str  # the query key
    optional: bool


@dataclass(frozen=True)
class MethodView:
    name: Ident
    doc: str | None
    params: tuple[ParamView, ...]
    returns: Python
    http_method: str
    url: Python  # an expression: the path, from literals and encoded params
    query: tuple[QueryView, ...]
    has_body: bool
    # An external API's body: only the fields the caller set are sent (its document, not the
    # spec language, says what an absent field means; null may not be allowed at all).
    sends_set_fields: bool
    result: Python | None  # how the response becomes the return value
    errors: tuple[ErrorView, ...]


@dataclass(frozen=True)
class ClientView:
    service: Ident
    class_name: Ident
    base_error: Ident
    url_env: str
    methods: tuple[MethodView, ...]
    errors: tuple[ErrorView, ...]


def render_clients(project: ir.Project, manifest: ir.Manifest) -> tuple[str, str]:
    producers = manifest.producers()
    defined: set[str] = set()
    for c in manifest.consumes:
        defined |= {namespace.client_class(c.service), namespace.client_error_class(c.service)}
        defined |= {
            namespace.client_error_subclass(c.service, e.name)
            for op in c.operations
            for e in op.errors
        }
    imports = Imports(reserved=frozenset(defined | (namespace.CLIENTS_MODULE - namespace.IMPORTED)))
    namer = TypeNamer(imports)
    adapters = Adapters()
    clients: list[ClientView] = []
    for producer in producers:
        ops = [
            op
            for consumption in manifest.consumes
            if consumption.service == producer
            for op in consumption.operations
        ]
        errors = error_views(
            ir.error_kinds(ops), functools.partial(namespace.client_error_subclass, producer)
        )
        by_status = {e.status: e for e in errors}
        methods = [
            method_view(op, namer, adapters, tuple(by_status[e.status] for e in op.errors))
            for op in ops
        ]
        clients.append(
            ClientView(
                service=Ident(producer),
                class_name=Ident(namespace.client_class(producer)),
                base_error=Ident(namespace.client_error_class(producer)),
                url_env=namespace.url_env(producer),
                methods=tuple(methods),
                errors=errors,
            )
        )
    type_adapter = imports.add("pydantic", "TypeAdapter") if adapters.names else None
    date_ = imports.add("datetime", "date")
    source = render(
        "clients.py.j2",
        header=header(manifest.file),
        file=manifest.file,
        clients=clients,
        adapters=sorted(adapters.names.items(), key=lambda kv: kv[1]),
        type_adapter=type_adapter,
        date=date_,
        idempotent=list(IDEMPOTENT_METHODS),
        imports=imports,
    )
    return layout.module_path(layout.clients_module(manifest.service), manifest.service), source


def url_expression(op: ir.Operation) -> Python:
    """The request path as an expression: `"/users/" + _segment(user_id) + "/tags"`."""
    assert op.rest is not None
    py_names = {p.name: p.py_name for p in op.path_params}
    parts: list[Python] = []
    literal = ""
    for segment in split_path(op.rest.full_path):
        literal += "/"
        if segment.is_param:
            parts += [py_str(literal), py("_segment({})", Ident(py_names[segment.text]))]
            literal = ""
        else:
            literal += segment.text
    if literal or not parts:
        parts.append(py_str(literal))
    return py_join(" + ", parts)


@dataclass
class Adapters:
    """The module-level `TypeAdapter`s of a clients module, one per result annotation that is
    not a model: `_list_userread_adapter` for `list[UserRead]` (a number is appended to a name
    that is taken)."""

    names: dict[Python, Ident] = field(default_factory=dict)
    bases: dict[str, int] = field(default_factory=dict)

    def name_for(self, annotation: Python) -> Ident:
        if annotation not in self.names:
            words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", annotation) if w]
            base = f"_{'_'.join(words)[:60]}_adapter"
            n = self.bases[base] = self.bases.get(base, 0) + 1
            self.names[annotation] = Ident(base if n == 1 else f"{base}{n}")
        return self.names[annotation]


def method_view(
    op: ir.Operation,
    namer: TypeNamer,
    adapters: Adapters,
    errors: tuple[ErrorView, ...],
) -> MethodView:
    assert op.rest is not None
    params = [param_view(p, namer, router=False) for p in op.path_params]
    if op.input is not None:
        body = namer.annotation(ir.ModelType(op.input))
        params.append(ParamView(Ident("payload"), body, None, False, body))
    params += [param_view(p, namer, router=False) for p in op.query_params]
    query = tuple(
        QueryView(Ident(p.py_name), p.name, optional=not p.required and p.default is None)
        for p in op.query_params
    )
    returns = py("None")
    result = None
    if op.output is not None:
        returns = namer.annotation(op.output)
        if isinstance(op.output, ir.ModelType):
            result = py("{}.model_validate_json(response.content)", returns)
        else:
            result = py("{}.validate_json(response.content)", adapters.name_for(returns))
    return MethodView(
        name=Ident(op.name),
        doc=text(op.summary or op.description),
        params=tuple(params),
        returns=returns,
        http_method=op.rest.method,
        url=url_expression(op),
        query=query,
        has_body=op.input is not None,
        sends_set_fields=op.input is not None and op.input.origin.scope.startswith(ir.EXTERNAL),
        result=result,
        errors=errors,
    )
