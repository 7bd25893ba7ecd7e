"""Models (pass 2): enums and models built in dependency-free order, variants expanded, and
the nesting depth Pydantic can build a JSON schema for."""

from __future__ import annotations

from dataclasses import replace

from specforge import ir, model_graph, namespace
from specforge.errors import suggest
from specforge.frontend.context import Resolution
from specforge.frontend.fields import build_field, with_py_names
from specforge.frontend.freeze import complete
from specforge.frontend.keys import READONLY_DROPPING_VARIANTS
from specforge.frontend.raw import RawModel
from specforge.frontend.unions import build_union, check_discriminator_py_name
from specforge.layout import variant_name


def build_enums(ctx: Resolution) -> None:
    for e in ctx.raw.enums:
        key = (e.origin.scope, e.name)
        if ctx.raw_by_name.get(key) is e:
            py_names = tuple(namespace.enum_member_py_names(e.values))
            ctx.ir_enums[key] = ir.Enum(
                e.name, e.values, e.origin, e.loc, e.description, py_names=py_names
            )


def build_models(ctx: Resolution) -> None:
    # Create every model shell first, so that references (even recursive ones) can point
    # at their definitions; fields are filled in afterwards.
    raw_models = [m for m in ctx.raw.models if ctx.raw_by_name.get((m.origin.scope, m.name)) is m]
    for m in raw_models:
        key = (m.origin.scope, m.name)
        ctx.ir_models[key] = ir.Model(m.name, m.origin, m.loc, m.description)
        ctx.model_order.append(key)
        for v in m.variants:
            vkey = (m.origin.scope, variant_name(m.name, v.name))
            if vkey in ctx.variant_names:
                ctx.ir_models[vkey] = ir.Model(
                    variant_name(m.name, v.name),
                    m.origin,
                    v.loc,
                    m.description,
                    variant_of=m.name,
                    variant=v.name,
                )
                ctx.model_order.append(vkey)
    for m in raw_models:
        scope = m.origin.scope
        model = ctx.ir_models[(scope, m.name)]
        if m.shallow:
            continue
        if m.union:
            build_union(ctx, m, model)
            continue
        fields: list[ir.Field] = []
        for f in m.fields:
            built = build_field(ctx, f, scope)
            if built is not None:
                fields.append(built)
        complete(model, fields=with_py_names(fields))
        expand_variants(ctx, m, model)
    for m in raw_models:
        if m.union and not m.shallow and m.discriminator is not None:
            check_discriminator_py_name(ctx, m, ctx.ir_models[(m.origin.scope, m.name)])


def expand_variants(ctx: Resolution, m: RawModel, base: ir.Model) -> None:
    names = [f.name for f in m.fields]
    for v in m.variants:
        key = (m.origin.scope, variant_name(m.name, v.name))
        if key not in ctx.ir_models:
            continue
        for ref in [*v.exclude, *v.optional]:
            if ref.value not in names:
                ctx.diags.error(
                    ref.loc,
                    ref.path,
                    f"model '{m.name}' has no field '{ref.value}'{suggest(ref.value, names)}",
                )
        excluded = {n.value for n in v.exclude}
        optional = {n.value for n in v.optional}
        drop_readonly = v.name in READONLY_DROPPING_VARIANTS
        fields: list[ir.Field] = []
        for f in base.fields:
            if f.name in excluded or (drop_readonly and f.readonly):
                continue
            if f.name in optional and f.required | (f.default is not None):
                f = replace(f, required=False, nullable=True, default=None)
            fields.append(f)
        complete(ctx.ir_models[key], fields=tuple(fields))


def check_model_depth(ctx: Resolution) -> None:
    """Models must not nest so deep (through references, cycles included) that Pydantic
    cannot build their JSON schema, which the service's OpenAPI document is made of."""
    models = tuple(ctx.ir_models[k] for k in ctx.model_order)
    too = model_graph.deepest(models)
    if too is None:
        return
    raw = ctx.raw_by_name.get((too.model.origin.scope, too.model.name))
    ctx.diags.error(
        too.model.loc,
        raw.path if isinstance(raw, RawModel) else f"models.{too.model.name}",
        f"model '{too.model.name}' nests models too deeply through its references "
        f"({too.describe()}) for Pydantic to build its JSON schema, and so "
        "the service's OpenAPI document: flatten the structure, or break the chain with "
        "fewer levels of models (about 20 at most)",
    )
