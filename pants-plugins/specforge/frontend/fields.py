"""Fields and params' shared parts (pass 2): a raw field resolved to an `ir.Field`."""

from __future__ import annotations

from dataclasses import replace

from specforge import ir, namespace
from specforge.frontend.constraints import read_constraints
from specforge.frontend.context import Resolution
from specforge.frontend.defaults import convert_default, convert_examples
from specforge.frontend.raw import RawField
from specforge.frontend.scope import resolve_type
from specforge.yamlio import Scalar


def build_field(ctx: Resolution, f: RawField, scope: str) -> ir.Field | None:
    r = f.reader
    if f.type is None:
        return None
    ftype = resolve_type(ctx, f.type, scope, f.type_loc, r.sub("type"))
    if ftype is None:
        return None
    optional = r.boolean("optional")
    nullable = r.boolean("nullable")
    readonly = r.boolean("readonly")
    deprecated = r.boolean("deprecated")
    constraints = read_constraints(ctx, r, ftype, field_keys=True)
    default: ir.DefaultValue | ir._NoDefault = ir.NO_DEFAULT
    if r.has("default") or (r.node.key_node("default") is not None):
        node = r.node.get("default")
        assert node is not None
        if isinstance(node, Scalar) and node.value is None:
            if not (optional or nullable):
                r.error(
                    "default",
                    "default null needs 'optional: true' or 'nullable: true'",
                )
            else:
                default = None
        else:
            value = convert_default(ctx, node, ftype, constraints, r.sub("default"))
            if value is not ir.NO_DEFAULT:
                default = value
    examples = convert_examples(
        ctx,
        r.node.get("examples"),
        ftype,
        constraints,
        r.sub("examples"),
        nullable=nullable or optional,
    )
    required = not optional and default is ir.NO_DEFAULT
    if optional and default is ir.NO_DEFAULT:
        default = None
    return ir.Field(
        name=f.name,
        type=ftype,
        loc=f.loc,
        description=r.text("description"),
        required=required,
        nullable=nullable or optional,
        default=default,
        readonly=readonly,
        deprecated=deprecated,
        constraints=constraints,
        examples=examples,
    )


def with_py_names(fields: list[ir.Field]) -> tuple[ir.Field, ...]:
    """The fields with their Python attribute names (see `namespace.field_py_names`)."""
    referenced: set[str] = set()
    for f in fields:
        referenced.update(referenced_types(f.type))
    py_names = namespace.field_py_names([f.name for f in fields], referenced)
    return tuple(replace(f, py_name=n) for f, n in zip(fields, py_names, strict=True))


def referenced_types(t: ir.TypeRef) -> list[str]:
    """The model and enum names an annotation of `t` refers to."""
    if isinstance(t, ir.ListType):
        return referenced_types(t.item)
    if isinstance(t, ir.DictType):
        return referenced_types(t.value)
    if isinstance(t, ir.ModelType):
        return [t.model.name]
    if isinstance(t, ir.EnumType):
        return [t.enum.name]
    return []
