"""Names the generated code derives from spec names (pass 2): controller, error and client
class names must not collide with each other nor with type names."""

from __future__ import annotations

from specforge import ir, namespace
from specforge.errors import Location
from specforge.frontend.context import Resolution
from specforge.frontend.raw import RawEnum, RawModel
from specforge.layout import pascal


def check_generated_names(ctx: Resolution, manifests: list[ir.Manifest]) -> None:
    """The class names specforge derives from spec names (`UsersController`,
    `UsersNotFound`, `BackendClient`, ...) must not collide with type names (which are
    imported next to them) nor with each other within one generated module."""
    derived: dict[str, str] = {}  # generated class name -> what generates it

    def claim(module: dict[str, str], name: str, what: str, loc: Location, path: str) -> None:
        if name in module:
            ctx.diags.error(
                loc, path, f"'{name}' is reserved: it is already {module[name]}; rename one"
            )
            return
        module[name] = what
        derived.setdefault(name, what)

    pascal_domains: dict[tuple[str, str], str] = {}
    client_modules: dict[str, dict[str, str]] = {}
    client_statuses: dict[str, set[int]] = {}
    for d in ctx.raw.domains:
        service = d.spec.service
        assert service is not None
        twin = pascal_domains.setdefault((service, pascal(d.name)), d.name)
        if twin != d.name:
            ctx.diags.error(
                d.loc,
                "domain",
                f"domain name '{d.name}' is reserved: its classes would be named like those "
                f"of domain '{twin}' ({namespace.controller_class(d.name)}); rename it",
            )
            continue
        where = f"{d.spec.path}:{d.loc.line}"
        protocol: dict[str, str] = {}
        claim(
            protocol,
            namespace.controller_class(d.name),
            f"the controller protocol of domain '{d.name}' ({where})",
            d.loc,
            "domain",
        )
        claim(
            protocol,
            namespace.domain_error_class(d.name),
            f"the error base class of domain '{d.name}' ({where})",
            d.loc,
            "domain",
        )
        client = client_modules.setdefault(service, {})
        kinds: set[int] = set()  # one exception class per declared status of the domain
        client_kinds = client_statuses.setdefault(service, set())  # per status of the service
        for op in d.operations:
            if any(
                op.name in (namespace.publisher(e), namespace.subscriber(e))
                for e in ctx.event_names
            ):
                ctx.diags.error(
                    op.loc,
                    op.reader.path,
                    f"operation name '{op.name}' is reserved: it is the generated function "
                    "of an event of shared/spec/events.yaml; rename the operation",
                )
            for e in op.errors:
                what = f"the exception of error {e.status} of domain '{d.name}' ({where})"
                path = f"{op.reader.path}.errors"
                if e.status not in kinds:
                    kinds.add(e.status)
                    claim(protocol, namespace.error_class(d.name, e.name), what, e.loc, path)
                if e.status not in client_kinds:
                    client_kinds.add(e.status)
                    claim(
                        client,
                        namespace.client_error_subclass(service, e.name),
                        f"the client exception of error {e.status} of service '{service}'",
                        e.loc,
                        path,
                    )
    for m in manifests:
        module: dict[str, str] = {}
        for c in m.consumes:
            names = [namespace.client_class(c.service), namespace.client_error_class(c.service)]
            names += sorted(
                {
                    namespace.client_error_subclass(c.service, e.name)
                    for op in c.operations
                    for e in op.errors
                }
            )
            for name in names:
                if module.get(name, c.service) != c.service:
                    ctx.diags.error(
                        c.loc,
                        "consumes",
                        f"'{name}' is reserved: the client of '{module[name]}' already "
                        "generates a class of that name in this manifest's clients module",
                    )
                    break
                module[name] = c.service
    services = {s for s, _ in pascal_domains}
    if ctx.raw.registry is not None:
        services |= {s.name for s in ctx.raw.registry.services}
    for service in services:
        derived.setdefault(namespace.client_class(service), f"the client class of {service}")
        derived.setdefault(
            namespace.client_error_class(service), f"the client error class of {service}"
        )
    for (scope, name), loc in sorted(ctx.defined_at.items(), key=lambda kv: kv[1]):
        if name not in derived:
            continue
        item = ctx.raw_by_name.get((scope, name))
        path = item.path if isinstance(item, RawModel | RawEnum) else ""
        if (scope, name) in ctx.variant_names:
            path = ctx.variant_names[(scope, name)][1].path
        ctx.diags.error(
            loc,
            path or f"models.{name}",
            f"type name '{name}' is reserved: it is {derived[name]}; rename the type",
        )
