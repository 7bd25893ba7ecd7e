"""How errors show types and names to the spec's author (in the spec's own spelling)."""

from __future__ import annotations

from specforge import ir
from specforge.errors import Location
from specforge.typeexpr import TypeExpr


def type_name(t: ir.TypeRef) -> str:
    """A type in an error message: a model or enum named as such, anything else spelled."""
    if isinstance(t, ir.ModelType):
        return f"the model '{t.model.name}'"
    if isinstance(t, ir.EnumType):
        return f"the enum '{t.enum.name}'"
    return ir.spelled(t)


def expr_text(x: tuple[TypeExpr, Location, str] | None) -> str:
    return str(x[0]) if x else "nothing"
