"""Small graph algorithms over names, iterative (no recursion proportional to the input)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def reaches(graph: Mapping[str, Iterable[str]], start: str, goal: str) -> bool:
    """Whether `goal` can be reached from `start` along the edges of `graph`."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def components(names: list[str], edges: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, iteratively: name -> component number, numbered
    in reverse topological order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = components = 0
    for root in names:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, list(edges[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                number = components
                components += 1
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
    return component
