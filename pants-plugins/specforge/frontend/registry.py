"""The registry's cross-file rules (pass 2): `depends_on` targets and cycles, and service
directories that services.yml does not list."""

from __future__ import annotations

from specforge import layout, namespace
from specforge.errors import Location, suggest
from specforge.frontend.context import Resolution
from specforge.frontend.keys import INFRA_SERVICES, PACKAGE_NAME
from specforge.graph import reaches as graph_reaches
from specforge.reader import is_identifier


def check_registry_references(ctx: Resolution) -> None:
    if ctx.raw.registry is None:
        return
    names = [s.name for s in ctx.raw.registry.services]
    graph: dict[str, set[str]] = {}
    for service, dep, loc, path in ctx.raw.pending_depends:
        if dep not in names and dep not in INFRA_SERVICES:
            ctx.diags.error(
                loc,
                path,
                f"unknown service '{dep}'{suggest(dep, [*names, *INFRA_SERVICES])}; "
                f"expected a service of services.yml or one of: {', '.join(INFRA_SERVICES)}",
            )
        elif dep == service:
            ctx.diags.error(loc, path, f"service '{service}' cannot depend on itself")
        elif service and dep in names:
            # Compose refuses a cycle of depends_on; report the entry that closes one.
            if graph_reaches(graph, dep, service):
                ctx.diags.error(
                    loc,
                    path,
                    f"'{service}' depending on '{dep}' closes a cycle ('{dep}' already "
                    f"depends on '{service}'), which docker compose refuses",
                )
            else:
                graph.setdefault(service, set()).add(dep)


def check_service_directories(ctx: Resolution) -> None:
    """Every `services/<dir>/spec/` belongs to a service of services.yml whose name is a
    usable package name (when services.yml is among the specs)."""
    registered = None
    if ctx.raw.registry is not None and ctx.raw.registry_complete:
        registered = {s.name for s in ctx.raw.registry.services}
    for path in ctx.raw.files:
        service = layout.service_of(path)
        if service is None:
            continue
        loc = Location(path)
        if not (PACKAGE_NAME.match(service) and is_identifier(service)):
            ctx.diags.error(
                loc,
                "",
                f"service directory '{service}' is not a valid package name: use lowercase "
                "letters, digits and '_', starting with a letter (e.g. services/tg_bot/)",
            )
        elif namespace.service_name_problem(service):
            ctx.diags.error(
                loc,
                "",
                f"service directory {namespace.service_name_problem(service)}; rename the service",
            )
        elif registered is not None and service not in registered:
            ctx.diags.error(
                loc,
                "",
                f"service '{service}' is not in services.yml{suggest(service, registered)}; "
                "register it there (./pants sync-services scaffolds it) or move the spec",
            )
