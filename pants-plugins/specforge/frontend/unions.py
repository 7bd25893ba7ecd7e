"""Discriminated unions (pass 2): members, their literal discriminators, and the Python
name every member gives the discriminator."""

from __future__ import annotations

from specforge import ir, namespace
from specforge.errors import suggest
from specforge.frontend.context import Resolution
from specforge.frontend.freeze import complete
from specforge.frontend.keys import READONLY_DROPPING_VARIANTS
from specforge.frontend.raw import RawField, RawModel, RawVariant
from specforge.frontend.scope import lookup, visible_names
from specforge.layout import snake


def build_union(ctx: Resolution, m: RawModel, model: ir.Model) -> None:
    scope = m.origin.scope
    members: list[ir.Model] = []
    literals: dict[object, str] = {}
    disc = m.discriminator
    for ref in m.union:
        found = lookup(ctx, scope, ref.value)
        if found is None and ref.value in ctx.rejected_names:
            continue  # its definition was rejected; reported there
        if found is None or found not in ctx.ir_models:
            if found is None:
                ctx.diags.error(
                    ref.loc,
                    ref.path,
                    f"unknown model '{ref.value}'"
                    f"{suggest(ref.value, visible_names(ctx, scope))} in union",
                )
            else:
                ctx.diags.error(ref.loc, ref.path, f"'{ref.value}' is an enum, not a model")
            continue
        member = ctx.ir_models[found]
        raw = ctx.raw_by_name.get(found)
        if isinstance(raw, RawModel) and raw.union:
            ctx.diags.error(ref.loc, ref.path, f"'{ref.value}' is itself a union")
            continue
        if member in members:
            ctx.diags.error(ref.loc, ref.path, f"'{ref.value}' is listed twice")
            continue
        members.append(member)
        if disc is None:
            continue
        literal = discriminator_literal(ctx, found, disc.value)
        if literal is None:
            ctx.diags.error(
                ref.loc,
                ref.path,
                f"union member '{ref.value}' lacks the discriminator: it needs a field "
                f"'{disc.value}' of type literal[...], e.g. "
                f'{{{disc.value}: {{type: "literal[{snake(ref.value)}]"}}}}',
            )
            continue
        if literal in literals:
            ctx.diags.error(
                ref.loc,
                ref.path,
                f"union members '{literals[literal]}' and '{ref.value}' share the "
                f"discriminator value '{literal}'",
            )
            continue
        literals[literal] = ref.value
    complete(model, union=tuple(members), discriminator=disc.value if disc else None)


def check_discriminator_py_name(ctx: Resolution, m: RawModel, union: ir.Model) -> None:
    """Pydantic finds a union's discriminator by its Python name, which every member must
    then give the same way (see `namespace.discriminator_py_name`)."""
    assert m.discriminator is not None
    expected = namespace.discriminator_py_name(m.discriminator.value)
    for member in union.union:
        field = member.field(m.discriminator.value)
        if field is not None and field.py_name != expected:
            ctx.diags.error(
                m.discriminator.loc,
                m.discriminator.path,
                f"discriminator '{m.discriminator.value}' is reserved in union member "
                f"'{member.name}': there it must be renamed to '{field.py_name}' in Python, "
                f"elsewhere to '{expected}'; rename the field",
            )
            return


def discriminator_literal(ctx: Resolution, key: tuple[str, str], disc: str) -> object | None:
    raw = ctx.raw_by_name.get(key)
    fields: list[RawField] = []
    if isinstance(raw, RawModel) and raw.shallow:
        return f"<{raw.name}>"  # defined in a file only indexed here: checked there
    if key in ctx.variant_names and ctx.variant_names[key][0].shallow:
        return f"<{key[1]}>"
    variant: RawVariant | None = None
    if isinstance(raw, RawModel):
        fields = raw.fields
    elif key in ctx.variant_names:
        base, variant = ctx.variant_names[key]
        # A variant that drops the field, or makes it optional, has no discriminator.
        if disc in {n.value for n in [*variant.exclude, *variant.optional]}:
            return None
        fields = base.fields
    for f in fields:
        if f.name == disc and f.type is not None and f.type.is_literal:
            if f.reader.boolean("optional") or f.reader.boolean("nullable"):
                return None
            if variant is not None and variant.name in READONLY_DROPPING_VARIANTS:
                if f.reader.boolean("readonly"):
                    return None
            return f.type.literal
    return None
