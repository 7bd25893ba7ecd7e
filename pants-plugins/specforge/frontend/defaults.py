"""Defaults (pass 2): a YAML value converted to the Python value of its field's type, then
validated by the generated type's own schema."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from specforge import ir, values
from specforge.errors import suggest
from specforge.frontend.context import Resolution
from specforge.frontend.display import type_name
from specforge.numeric import decimal_problem, int64_problem, number_problem
from specforge.yamlio import Mapping, Node, Scalar, Sequence, kind_of


def convert_default(
    ctx: Resolution,
    node: Node,
    ftype: ir.TypeRef,
    constraints: ir.Constraints,
    path: str,
    what: str = "default",
) -> ir.DefaultValue | ir._NoDefault:
    """The typed default (or example: `what`), or NO_DEFAULT after reporting why the value does
    not fit."""
    try:
        value = typed_value(node, ftype)
    except Misfit as e:
        ctx.diags.error(e.node.loc, path, f"{what} does not fit the type: {e}")
        return ir.NO_DEFAULT
    # The generated type's own validation (pydantic-core), quoted when it says no.
    problem = values.default_problem(value, ftype, constraints, ctx.patterns, what)
    if problem:
        ctx.diags.error(node.loc, path, problem)
        return ir.NO_DEFAULT
    return value


MAX_EXAMPLES = 10


def convert_examples(
    ctx: Resolution,
    node: Node | None,
    ftype: ir.TypeRef,
    constraints: ir.Constraints,
    path: str,
    *,
    nullable: bool,
) -> tuple[ir.DefaultValue, ...]:
    """The `examples` of a field or param (for the API documents): values of its type, each
    checked as a default is, so that no document shows a value the service would reject."""
    if node is None:
        return ()
    if not isinstance(node, Sequence) or not node.items:
        ctx.diags.error(
            node.loc, path, f"expected a list of one or more example values, got {kind_of(node)}"
        )
        return ()
    if len(node.items) > MAX_EXAMPLES:
        ctx.diags.error(node.loc, path, f"at most {MAX_EXAMPLES} examples")
        return ()
    model = _model_in(ftype)
    if model is not None:
        ctx.diags.error(
            node.loc,
            path,
            f"examples are values of scalars, enums and literals, or lists and dicts of them; "
            f"this type holds the model '{model.name}', whose fields can have examples",
        )
        return ()
    examples: list[ir.DefaultValue] = []
    for i, item in enumerate(node.items):
        where = f"{path}[{i}]"
        if isinstance(item, Scalar) and item.value is None:
            if nullable:
                examples.append(None)
            else:
                ctx.diags.error(item.loc, where, "example null needs 'nullable: true'")
            continue
        value = convert_default(ctx, item, ftype, constraints, where, what="example")
        if not isinstance(value, ir._NoDefault):
            examples.append(value)
    return tuple(examples)


def _model_in(t: ir.TypeRef) -> ir.Model | None:
    if isinstance(t, ir.ModelType):
        return t.model
    if isinstance(t, ir.ListType):
        return _model_in(t.item)
    if isinstance(t, ir.DictType):
        return _model_in(t.value)
    return None


class Misfit(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def typed_value(node: Node, t: ir.TypeRef) -> ir.DefaultValue:
    """Convert a YAML value to the Python value of type `t`, or raise Misfit."""
    if isinstance(t, ir.ListType):
        if not isinstance(node, Sequence):
            raise Misfit(node, f"expected a list, got {kind_of(node)}")
        return tuple(typed_value(item, t.item) for item in node.items)
    if isinstance(t, ir.DictType):
        if not isinstance(node, Mapping):
            raise Misfit(node, f"expected a mapping, got {kind_of(node)}")
        items: list[tuple[str, ir.DefaultValue]] = []
        for k, v in node.items:
            if not isinstance(k.value, str):
                raise Misfit(k, f"dict keys must be strings, got {kind_of(k)}")
            items.append((k.value, typed_value(v, t.value)))
        return ir.DefaultMapping(tuple(items))
    if isinstance(t, ir.ModelType):
        raise Misfit(
            node,
            f"a field of model type '{t.model.name}' cannot have a default; make it "
            "'optional: true' instead",
        )
    if not isinstance(node, Scalar) or node.value is None:
        raise Misfit(node, f"expected {type_name(t)}, got {kind_of(node)}")
    value = node.value
    if isinstance(t, ir.LiteralType):
        if value != t.value or type(value) is not type(t.value):
            raise Misfit(node, f"expected {t.value!r} (the literal), got {kind_of(node)}")
        return value
    if isinstance(t, ir.EnumType):
        text = node.text if not isinstance(value, str) else value
        if text not in t.enum.values:
            raise Misfit(
                node,
                f"'{text}' is not a value of enum '{t.enum.name}'"
                f"{suggest(text, t.enum.values)}; expected one of: {', '.join(t.enum.values)}",
            )
        return ir.EnumValue(t.enum, text)
    kind = t.kind
    expected = f"expected {type_name(t)}, got {kind_of(node)}"
    if kind is ir.ScalarKind.BOOL:
        if not isinstance(value, bool):
            raise Misfit(node, expected)
        return value
    if kind is ir.ScalarKind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Misfit(node, expected)
        problem = int64_problem(value, node.text)
        if problem is not None:
            raise Misfit(node, problem)
        return value
    if kind is ir.ScalarKind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Misfit(node, expected)
        problem = number_problem(value, node.text)
        if problem is not None:
            raise Misfit(node, problem)
        return float(value)
    if kind is ir.ScalarKind.DECIMAL:
        if isinstance(value, bool):
            raise Misfit(node, expected)
        if isinstance(value, float) and (problem := number_problem(value, node.text)):
            raise Misfit(node, problem)
        try:
            d = decimal.Decimal(node.text if not isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise Misfit(node, f"expected a decimal number, got {kind_of(node)}") from None
        problem = decimal_problem(d, node.text)
        if problem is not None:
            raise Misfit(node, problem)
        return d
    if not isinstance(value, str):
        raise Misfit(node, expected)
    if kind is ir.ScalarKind.STRING:
        return value
    if kind is ir.ScalarKind.BYTES:
        return value.encode()
    if kind is ir.ScalarKind.DATE:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise Misfit(node, f"expected a date like 2024-01-31, got '{value}'") from None
    if kind is ir.ScalarKind.DATETIME:
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            raise Misfit(
                node, f"expected a datetime like 2024-01-31T12:00:00Z, got '{value}'"
            ) from None
        if stamp.tzinfo is None:
            raise Misfit(node, f"datetimes are timezone-aware; add an offset to '{value}'")
        return stamp
    if kind is ir.ScalarKind.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise Misfit(node, f"expected a UUID, got '{value}'") from None
    raise Misfit(node, expected)  # pragma: no cover
