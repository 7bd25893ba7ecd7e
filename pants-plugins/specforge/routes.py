"""The routes of each service, as FastAPI will match them: no two answer the same request in a
way that depends on the order routers happen to be included, and none hides a route the
generated app serves itself (`/health`, the docs).

Within one domain the generated router orders routes literal-first, so `GET /users/count` is
reached before `GET /users/{user_id}`. Routers of different domains are included one after the
other, so two routes of different domains that can match the same request (each segment equal,
or a parameter on either side) are an error: whichever domain comes first would take them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specforge.rest_paths import split_path

#: Paths the generated FastAPI app serves itself (GET): a route there would never be reached.
APP_ROUTES = ("/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")
_PARAM = "{}"
#: Trie nodes one overlap search may visit (a search that runs out reports nothing).
SEARCH_BUDGET = 20_000


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    domain: str
    operation: str
    where: str  # file:line


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)


@dataclass
class RouteTable:
    """The routes of one service, added one by one; `add` says why a route cannot be added."""

    exact: dict[tuple[str, str], Route] = field(default_factory=dict)
    tries: dict[tuple[str, int], _Node] = field(default_factory=dict)

    def add(self, route: Route) -> str | None:
        try:
            parts = split_path(route.path)
        except ValueError:
            return None  # an invalid prefix, reported where it is written
        segments = [_PARAM if s.is_param else s.text for s in parts]
        key = (route.method, "/".join(segments))
        if key in self.exact:
            same = self.exact[key]
            return (
                f"{route.method} {route.path} is already served by operation "
                f"'{same.operation}' ({same.where})"
            )
        if route.method == "GET" and route.path in APP_ROUTES:
            return (
                f"GET {route.path} is served by the generated app itself ({', '.join(APP_ROUTES)}); "
                "choose another path"
            )
        root = self.tries.setdefault((route.method, len(segments)), _Node())
        other = _overlapping(root, segments, route.domain)
        if other is not None:
            return (
                f"{route.method} {route.path} and {other.method} {other.path} of domain "
                f"'{other.domain}' ({other.where}) can match the same request, and routers of "
                "different domains are tried one after the other, so one would hide the other: "
                "keep routes that overlap in one domain (its router tries literal paths first) "
                "or change one of the paths"
            )
        self.exact[key] = route
        node = root
        for s in segments:
            node = node.children.setdefault(s, _Node())
        node.routes.append(route)
        return None


def _overlapping(root: _Node, segments: list[str], domain: str) -> Route | None:
    """A route of another domain whose path can match a request this one matches."""
    budget = SEARCH_BUDGET
    stack = [(root, 0)]
    while stack and budget > 0:
        node, depth = stack.pop()
        budget -= 1
        if depth == len(segments):
            for other in node.routes:
                if other.domain != domain:
                    return other
            continue
        s = segments[depth]
        if s == _PARAM:
            stack += [(child, depth + 1) for child in node.children.values()]
        else:
            for key in (s, _PARAM):
                if key in node.children:
                    stack.append((node.children[key], depth + 1))
    return None
