"""How two versions of a type differ, field by field, in one context (request, response or
event): the findings are rule names of `rules._SHAPE` and where they are."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir


@dataclass(frozen=True)
class Finding:
    rule: str  # a name of rules._SHAPE, without its context
    where: str  # e.g. `UserRead.email`, `list_users.role`
    detail: str


def describe(t: ir.TypeRef) -> str:
    if isinstance(t, ir.ScalarType):
        return t.kind.value
    if isinstance(t, ir.ListType):
        return f"list[{describe(t.item)}]"
    if isinstance(t, ir.DictType):
        return f"dict[string, {describe(t.value)}]"
    if isinstance(t, ir.LiteralType):
        return f"literal[{t.value}]"
    if isinstance(t, ir.ModelType):
        return t.model.name
    return t.enum.name


def optional(f: ir.Field) -> bool:
    """Whether a field may be absent or null (what a reader must cope with)."""
    return not f.required or f.nullable


def compare_types(old: ir.TypeRef, new: ir.TypeRef, where: str) -> list[Finding]:
    return _Comparer().types(old, new, where)


class _Comparer:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()  # models compared already (recursive types)

    def types(self, old: ir.TypeRef, new: ir.TypeRef, where: str) -> list[Finding]:
        if isinstance(old, ir.ListType) and isinstance(new, ir.ListType):
            return self.types(old.item, new.item, f"{where}[]")
        if isinstance(old, ir.DictType) and isinstance(new, ir.DictType):
            return self.types(old.value, new.value, f"{where}{{}}")
        if isinstance(old, ir.EnumType) and isinstance(new, ir.EnumType):
            return enum_values(old.enum.values, new.enum.values, where)
        if isinstance(old, ir.ModelType) and isinstance(new, ir.ModelType):
            return self.models(old.model, new.model, where)
        same = (
            (isinstance(old, ir.ScalarType) and isinstance(new, ir.ScalarType))
            and old.kind is new.kind
        ) or (
            isinstance(old, ir.LiteralType)
            and isinstance(new, ir.LiteralType)
            and old.value == new.value
        )
        if same:
            return []
        return [
            Finding("type-changed", where, f"`{where}` was {describe(old)}, is {describe(new)}")
        ]

    def models(self, old: ir.Model, new: ir.Model, where: str) -> list[Finding]:
        key = (old.name, new.name)
        if key in self.seen:
            return []
        self.seen.add(key)
        if old.union or new.union:
            old_members = [m.name for m in old.union]
            new_members = [m.name for m in new.union]
            if old_members != new_members or old.discriminator != new.discriminator:
                return [
                    Finding(
                        "type-changed",
                        where,
                        f"`{where}` was the union {' | '.join(old_members) or old.name}, is "
                        f"{' | '.join(new_members) or new.name}",
                    )
                ]
            found: list[Finding] = []
            for a, b in zip(old.union, new.union, strict=True):
                found += self.models(a, b, where)
            return found
        found = []
        new_fields = {f.name: f for f in new.fields}
        old_fields = {f.name: f for f in old.fields}
        for f in old.fields:
            at = f"{new.name}.{f.name}"
            g = new_fields.get(f.name)
            if g is None:
                rule = "field-removed-optional" if optional(f) else "field-removed-required"
                found.append(Finding(rule, at, f"`{at}` was removed"))
                continue
            if optional(f) and not optional(g):
                found.append(Finding("field-became-required", at, f"`{at}` became required"))
            elif not optional(f) and optional(g):
                found.append(
                    Finding("field-became-optional", at, f"`{at}` became optional or nullable")
                )
            found += self.types(f.type, g.type, at)
            found += constraints(f.constraints, g.constraints, at)
            both = f.default is not ir.NO_DEFAULT and g.default is not ir.NO_DEFAULT
            if (
                both
                and optional(f) == optional(g)
                and default_key(f.default) != default_key(g.default)
            ):
                found.append(Finding("default-changed", at, f"the default of `{at}` changed"))
        for g in new.fields:
            if g.name not in old_fields:
                at = f"{new.name}.{g.name}"
                rule = "field-added-optional" if optional(g) else "field-added-required"
                kind = "optional" if optional(g) else "required"
                found.append(Finding(rule, at, f"`{at}` was added ({kind})"))
        return found


def default_key(value: object) -> object:
    """A default, comparable across two projects (an enum member by its value)."""
    if isinstance(value, ir.EnumValue):
        return ("enum", value.value)
    if isinstance(value, ir.DefaultMapping):
        return tuple((k, default_key(v)) for k, v in value.items)
    if isinstance(value, tuple):
        return tuple(default_key(v) for v in value)
    if value is ir.NO_DEFAULT:
        return ("no default",)
    return (type(value).__name__, value)


def enum_values(old: tuple[str, ...], new: tuple[str, ...], where: str) -> list[Finding]:
    found = [
        Finding("enum-value-removed", where, f"`{where}` lost the value '{v}'")
        for v in old
        if v not in new
    ]
    found += [
        Finding("enum-value-added", where, f"`{where}` gained the value '{v}'")
        for v in new
        if v not in old
    ]
    return found


# Bounds: (constraint, True when a larger value narrows what is accepted).
_BOUNDS = (
    ("ge", True),
    ("gt", True),
    ("min_length", True),
    ("min_items", True),
    ("le", False),
    ("lt", False),
    ("max_length", False),
    ("max_items", False),
)


def constraints(old: ir.Constraints, new: ir.Constraints, where: str) -> list[Finding]:
    """Each constraint that now accepts less (narrowed) or more (widened) than before."""
    found: list[Finding] = []
    for name, larger_narrows in _BOUNDS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if a is None:
            narrowed = True  # a new bound
        elif b is None:
            narrowed = False  # a bound dropped
        else:
            narrowed = (b > a) == larger_narrows
        rule = "constraint-narrowed" if narrowed else "constraint-widened"
        found.append(Finding(rule, where, f"`{where}`: {name} was {a}, is {b}"))
    for name in ("pattern", "format"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            # A new or different pattern or format may refuse what was accepted.
            rule = "constraint-widened" if b is None else "constraint-narrowed"
            found.append(Finding(rule, where, f"`{where}`: {name} was {a!r}, is {b!r}"))
    return found
