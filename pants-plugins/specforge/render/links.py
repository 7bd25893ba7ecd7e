"""OpenAPI links: how the output of one REST operation feeds the path params of the others of its
domain, so that clients and stateful testers (schemathesis) can follow a create to the get,
update and delete of what it created.

Links name the fields of the answers: the models files defining them are read in full even where
a target only uses them (`specforge.frontend.check_targets`).

A path param is fed by the output model's field of the same name, or, for a param named
`<model>_id` (`user_id` for the model `User` or one of its variants), by its field `id`. The
field must be required, never null and of the param's type; a link is made only when every
path param of the target is fed.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir
from specforge.layout import snake


@dataclass(frozen=True)
class Link:
    target: str  # the operation linked to: the link's name and its operationId
    parameters: tuple[tuple[str, str], ...]  # (path param, runtime expression)


def pointer(name: str) -> str:
    """A JSON Pointer token (RFC 6901) for one key."""
    return name.replace("~", "~0").replace("/", "~1")


def _source(model: ir.Model, param: ir.Param) -> ir.Field | None:
    fields = {f.name: f for f in model.fields}
    field = fields.get(param.name)
    if field is None and param.name == f"{snake(model.variant_of or model.name)}_id":
        field = fields.get("id")
    if field is None or not field.required or field.nullable or field.type != param.type:
        return None
    return field


def links_of(
    op: ir.Operation, operations: tuple[ir.Operation, ...] | list[ir.Operation]
) -> tuple[Link, ...]:
    """The links from the success answer of `op` to the other operations given."""
    output = op.output
    if op.rest is None or not isinstance(output, ir.ModelType) or output.model.is_union:
        return ()
    links: list[Link] = []
    for target in operations:
        params = target.path_params
        if target is op or target.rest is None or not params:
            continue
        fed = [(p, _source(output.model, p)) for p in params]
        if all(f is not None for _, f in fed):
            links.append(
                Link(
                    target.name,
                    tuple((p.name, f"$response.body#/{pointer(f.name)}") for p, f in fed if f),
                )
            )
    return tuple(links)
