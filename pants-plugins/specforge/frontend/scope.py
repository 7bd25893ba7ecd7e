"""Scopes and type resolution (pass 2): every type name defined per scope (`shared` or a
service), clashes reported, and type expressions resolved to IR types."""

from __future__ import annotations

from specforge import ir, namespace
from specforge.errors import Diagnostics, Location, suggest
from specforge.frontend.context import Resolution
from specforge.frontend.raw import RawEnum, RawModel, RawVariant
from specforge.layout import variant_name
from specforge.typeexpr import SCALAR_NAMES, TypeExpr


def define_names(ctx: Resolution) -> None:
    """Register every type name per scope; report clashes (within a scope, and between a
    service's own names and the shared ones)."""

    def define(scope: str, name: str, loc: Location, path: str, thing: object) -> bool:
        what = {RawEnum: "enum", RawVariant: "variant"}.get(type(thing), "model")
        if not type_name_reserved(ctx.diags, name, loc, path, what):
            ctx.rejected_names.add(name)
            return False
        clash = ctx.defined_at.get((scope, name))
        if clash is None and scope != ir.SHARED:
            clash = ctx.defined_at.get((ir.SHARED, name))
        if clash is not None:
            where = f"{clash.file}:{clash.line}"
            ctx.diags.error(loc, path, f"duplicate name '{name}': already defined at {where}")
            return False
        ctx.defined_at[(scope, name)] = loc
        return True

    # Shared definitions first so that a service's clash is reported at the service's file.
    def scope_order(item: RawModel | RawEnum) -> tuple[int, str]:
        return (0 if item.origin.shared else 1, item.origin.file)

    items: list[RawModel | RawEnum] = sorted([*ctx.raw.enums, *ctx.raw.models], key=scope_order)
    # Stable sort keeps declaration order within a file.
    for item in items:
        scope = item.origin.scope
        path = item.path or f"enums.{item.name}"
        if not define(scope, item.name, item.loc, path, item):
            continue
        ctx.raw_by_name[(scope, item.name)] = item
        if isinstance(item, RawModel):
            for v in item.variants:
                vname = variant_name(item.name, v.name)
                if define(scope, vname, v.loc, v.path, v):
                    ctx.variant_names[(scope, vname)] = (item, v)


def type_name_reserved(diags: Diagnostics, name: str, loc: Location, path: str, what: str) -> bool:
    """Report a type name that generated modules reserve; True if it is free."""
    problem = namespace.type_name_problem(name)
    if problem:
        diags.error(loc, path, f"{what} name {problem}; rename the {what}")
        return False
    return True


def lookup(ctx: Resolution, scope: str, name: str) -> tuple[str, str] | None:
    for s in (scope, ir.SHARED):
        if (s, name) in ctx.raw_by_name or (s, name) in ctx.variant_names:
            return (s, name)
    return None


def visible_names(ctx: Resolution, scope: str) -> list[str]:
    return [n for (s, n) in [*ctx.raw_by_name, *ctx.variant_names] if s in (scope, ir.SHARED)]


def resolve_type(
    ctx: Resolution, expr: TypeExpr, scope: str, loc: Location, path: str, *, what: str = "type"
) -> ir.TypeRef | None:
    if expr.is_literal:
        assert expr.literal is not None
        return ir.LiteralType(expr.literal)
    if expr.is_list:
        item = resolve_type(ctx, expr.args[0], scope, loc, path, what=what)
        return ir.ListType(item) if item is not None else None
    if expr.is_dict:
        value = resolve_type(ctx, expr.args[1], scope, loc, path, what=what)
        return ir.DictType(value) if value is not None else None
    if expr.name in SCALAR_NAMES:
        return ir.ScalarType(ir.ScalarKind(expr.name))
    found = lookup(ctx, scope, expr.name)
    if found is None and expr.name in ctx.rejected_names:
        return None  # its definition was rejected; reported there
    if found is None:
        candidates = [*SCALAR_NAMES, *visible_names(ctx, scope)]
        ctx.diags.error(
            loc,
            path,
            f"unknown {what} '{expr.name}'{suggest(expr.name, candidates)}; expected a "
            "scalar (int, float, bool, string, decimal, date, datetime, uuid, bytes), "
            "list[...], dict[string, ...], literal[...], or a model or enum name",
        )
        return None
    if found in ctx.ir_enums:
        return ir.EnumType(ctx.ir_enums[found])
    if found in ctx.ir_models:
        return ir.ModelType(ctx.ir_models[found])
    return None  # the definition itself was invalid (already reported)
