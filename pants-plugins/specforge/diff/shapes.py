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
            Finding("type-changed", where, f"`{where}` was {ir.spelled(old)}, is {ir.spelled(new)}")
        ]

    def models(self, old: ir.Model, new: ir.Model, where: str) -> list[Finding]:
        key = (old.name, new.name)
        if key in self.seen:
            return []
        self.seen.add(key)
        if old.union or new.union:
            return self.unions(old, new, where)
        found: list[Finding] = []
        new_fields = {f.name: f for f in new.fields}
        old_fields = {f.name: f for f in old.fields}
        for f in old.fields:
            at = f"{new.name}.{f.name}"
            g = new_fields.get(f.name)
            if g is None:
                rule = "field-removed-required" if f.required else "field-removed-optional"
                found.append(Finding(rule, at, f"`{at}` was removed"))
                continue
            if not f.required and g.required:
                found.append(Finding("field-became-required", at, f"`{at}` must now be present"))
            elif f.required and not g.required:
                found.append(Finding("field-became-optional", at, f"`{at}` may now be absent"))
            if not f.nullable and g.nullable:
                found.append(Finding("field-became-nullable", at, f"`{at}` may now be null"))
            elif f.nullable and not g.nullable:
                found.append(
                    Finding("field-became-non-nullable", at, f"`{at}` may no longer be null")
                )
            found += self.types(f.type, g.type, at)
            found += constraints(f.constraints, g.constraints, at, integer=is_integer(f.type))
            both = f.default is not ir.NO_DEFAULT and g.default is not ir.NO_DEFAULT
            if both and default_key(f.default) != default_key(g.default):
                found.append(Finding("default-changed", at, f"the default of `{at}` changed"))
        for g in new.fields:
            if g.name not in old_fields:
                at = f"{new.name}.{g.name}"
                rule = "field-added-required" if g.required else "field-added-optional"
                how = "it must be present" if g.required else "it may be absent"
                found.append(Finding(rule, at, f"`{at}` was added ({how})"))
        return found

    def unions(self, old: ir.Model, new: ir.Model, where: str) -> list[Finding]:
        """Members matched by name, in any order (a discriminated union does not depend on it)."""
        if not (old.union and new.union):
            return [Finding("type-changed", where, f"`{where}` was {old.name}, is {new.name}")]
        found: list[Finding] = []
        before = {m.name: m for m in old.union}
        after = {m.name: m for m in new.union}
        for name in before:
            if name not in after:
                found.append(Finding("union-member-removed", where, f"`{where}` lost `{name}`"))
            else:
                found += self.models(before[name], after[name], where)
        for name in after:
            if name not in before:
                found.append(Finding("union-member-added", where, f"`{where}` gained `{name}`"))
        if old.discriminator != new.discriminator:
            found.append(
                Finding(
                    "type-changed",
                    where,
                    f"`{where}`: the discriminator was {old.discriminator}, is {new.discriminator}",
                )
            )
        return found


def is_integer(t: ir.TypeRef) -> bool:
    return isinstance(t, ir.ScalarType) and t.kind is ir.ScalarKind.INT


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
    before, after = set(old), set(new)  # enums may hold many thousands of values
    found = [
        Finding("enum-value-removed", where, f"`{where}` lost the value '{v}'")
        for v in old
        if v not in after
    ]
    found += [
        Finding("enum-value-added", where, f"`{where}` gained the value '{v}'")
        for v in new
        if v not in before
    ]
    return found


Bound = tuple[float, bool]  # (value, exclusive)


def _lower(c: ir.Constraints, integer: bool) -> Bound | None:
    """The lower bound of ge/gt, as one (an int's `gt: 0` is `ge: 1`)."""
    bounds: list[Bound] = []
    if c.ge is not None:
        bounds.append((c.ge, False))
    if c.gt is not None:
        bounds.append((int(c.gt) + 1, False) if integer else (c.gt, True))
    return max(bounds, key=lambda b: (b[0], b[1])) if bounds else None


def _upper(c: ir.Constraints, integer: bool) -> Bound | None:
    bounds: list[Bound] = []
    if c.le is not None:
        bounds.append((c.le, False))
    if c.lt is not None:
        bounds.append((int(c.lt) - 1, False) if integer else (c.lt, True))
    return min(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def _shown(name: str, bound: Bound | None) -> str:
    if bound is None:
        return f"no {name} bound"
    value, exclusive = bound
    op = {
        ("lower", False): ">=",
        ("lower", True): ">",
        ("upper", False): "<=",
        ("upper", True): "<",
    }
    return f"{op[(name, exclusive)]} {value}"


def _compare_bound(name: str, a: Bound | None, b: Bound | None, where: str) -> list[Finding]:
    """Narrowed: the new bound excludes a value the old one accepted."""
    if a == b:
        return []
    if a is None:
        narrowed = True
    elif b is None:
        narrowed = False
    elif name == "lower":
        narrowed = (b[0], b[1]) > (a[0], a[1])
    else:
        narrowed = (b[0], not b[1]) < (a[0], not a[1])
    rule = "constraint-narrowed" if narrowed else "constraint-widened"
    detail = f"`{where}`: {name} bound was {_shown(name, a)}, is {_shown(name, b)}"
    return [Finding(rule, where, detail)]


# Length and item counts: (constraint, True when a larger value narrows what is accepted).
_COUNTS = (("min_length", True), ("min_items", True), ("max_length", False), ("max_items", False))


def constraints(
    old: ir.Constraints, new: ir.Constraints, where: str, *, integer: bool = False
) -> list[Finding]:
    """Each constraint that now refuses a value it accepted (narrowed) or accepts a value it
    refused (widened); a changed pattern or format does both."""
    found = _compare_bound("lower", _lower(old, integer), _lower(new, integer), where)
    found += _compare_bound("upper", _upper(old, integer), _upper(new, integer), where)
    for name, larger_narrows in _COUNTS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        narrowed = True if a is None else False if b is None else (b > a) == larger_narrows
        rule = "constraint-narrowed" if narrowed else "constraint-widened"
        found.append(Finding(rule, where, f"`{where}`: {name} was {a}, is {b}"))
    for name in ("pattern", "format"):
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        detail = f"`{where}`: {name} was {a!r}, is {b!r}"
        if b is not None:  # a new or different one may refuse what was accepted
            found.append(Finding("constraint-narrowed", where, detail))
        if a is not None:  # a dropped or different one may accept what was refused
            found.append(Finding("constraint-widened", where, detail))
    return found
