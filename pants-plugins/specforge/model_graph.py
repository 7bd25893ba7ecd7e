"""How deep models nest through their references, as Pydantic's JSON Schema generation walks them.

Pydantic builds a model's JSON schema (what FastAPI's OpenAPI document and `/docs` are made of)
by recursing through the models it refers to: about 30 Python frames per model on the way, plus
a few per level of `list[...]`/`dict[...]` around a reference, and a cycle of models is walked
through all of its members. Past Python's recursion limit (1000 frames) the schema, and with it
the service's OpenAPI document, fails with a RecursionError. `check` therefore bounds the cost of
the deepest path of references, so that what passes `check` also serves its OpenAPI document.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir
from specforge.graph import components

#: Frames a model costs on the path, and a level of list/dict nesting around a reference
#: (measured with pydantic 2.14: 30 to 35 per plain model, 6 more per nesting level).
MODEL_COST = 35
NESTING_COST = 6
#: What the deepest path may cost: Python's default limit of 1000 frames, less room for the
#: caller (FastAPI building its OpenAPI document, a test runner).
BUDGET = 700


@dataclass(frozen=True)
class TooDeep:
    model: ir.Model  # where the deepest path starts
    cost: int
    path: tuple[tuple[str, ...], ...]  # the models on it, in order; a cycle as one step

    def describe(self, limit: int = 6) -> str:
        """`A -> B -> {C, D} -> ...`: the path, a cycle of models in braces."""
        steps = [
            s[0] if len(s) == 1 else "{" + ", ".join(s[:3]) + (", ..." if len(s) > 3 else "") + "}"
            for s in self.path
        ]
        shown = " -> ".join(steps[:limit]) + (" -> ..." if len(steps) > limit else "")
        return f"{shown}: {sum(len(s) for s in self.path)} models"


def _edges(model: ir.Model) -> dict[str, int]:
    """The models `model` refers to, with the deepest list/dict nesting around each."""
    out: dict[str, int] = {}
    types: list[tuple[ir.TypeRef, int]] = [(f.type, 0) for f in model.fields]
    types += [(ir.ModelType(m), 0) for m in model.union]
    while types:
        t, depth = types.pop()
        if isinstance(t, ir.ListType):
            types.append((t.item, depth + 1))
        elif isinstance(t, ir.DictType):
            types.append((t.value, depth + 1))
        elif isinstance(t, ir.ModelType):
            out[t.model.name] = max(out.get(t.model.name, 0), depth)
    return out


def deepest(models: tuple[ir.Model, ...]) -> TooDeep | None:
    """The deepest path of references among `models` if it costs more than `BUDGET`."""
    by_name = {m.name: m for m in models}
    edges = {m.name: {n: d for n, d in _edges(m).items() if n in by_name} for m in models}
    component = components(list(by_name), edges)
    # One node per strongly connected component: its members and its cost (all of them).
    members: dict[int, list[str]] = {}
    for name, number in component.items():
        members.setdefault(number, []).append(name)

    def cost_of(name: str) -> int:
        return MODEL_COST + NESTING_COST * max(edges[name].values(), default=0)

    weight = {number: sum(cost_of(n) for n in names) for number, names in members.items()}
    # Components come out of Tarjan's algorithm in reverse topological order: a component's
    # successors are numbered before it.
    best: dict[int, tuple[int, int | None]] = {}  # component -> (cost from here, next one)
    for number in sorted(members):
        following = {component[n] for name in members[number] for n in edges[name]} - {number}
        nxt = max(following, key=lambda x: best[x][0], default=None)
        best[number] = (weight[number] + (best[nxt][0] if nxt is not None else 0), nxt)
    if not best:
        return None
    start = max(best, key=lambda number: (best[number][0], -number))
    if best[start][0] <= BUDGET:
        return None
    path: list[tuple[str, ...]] = []
    c: int | None = start
    while c is not None:
        path.append(tuple(sorted(members[c])))
        c = best[c][1]
    first = by_name[sorted(members[start])[0]]
    return TooDeep(first, best[start][0], tuple(path))
