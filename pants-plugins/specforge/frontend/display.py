"""How errors show types and names to the spec's author (in the spec's own spelling)."""

from __future__ import annotations

import re

from specforge import ir
from specforge.errors import Location
from specforge.typeexpr import TypeExpr


def type_name(t: ir.TypeRef) -> str:
    if isinstance(t, ir.ScalarType):
        return t.kind.value
    if isinstance(t, ir.ListType):
        return f"list[{type_name(t.item)}]"
    if isinstance(t, ir.DictType):
        return f"dict[string, {type_name(t.value)}]"
    if isinstance(t, ir.LiteralType):
        return f"literal[{t.value}]"
    if isinstance(t, ir.ModelType):
        return f"the model '{t.model.name}'"
    return f"the enum '{t.enum.name}'"


def expr_text(x: tuple[TypeExpr, Location, str] | None) -> str:
    return str(x[0]) if x else "nothing"


def snake(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", text).lower()
