"""The app factory of one service: its routers, its event subscribers and `/health`, as a
FastAPI app (`create_app`) and, for event-only workers, a FastStream app (`create_worker`)."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout, namespace
from specforge.emit.code import Ident
from specforge.render.brokers import BROKERS
from specforge.render.common import Imports, dotted, header, render


@dataclass(frozen=True)
class DomainView:
    name: Ident  # also the keyword argument of create_app/create_worker
    controller: Ident
    router: Ident  # the router module, imported under a private alias
    rest: bool
    subscribes: bool
    publishes: bool


def render_app(project: ir.Project, service: str, broker: str) -> tuple[str, str]:
    domains = project.domains_of(service)
    imports = Imports(reserved=frozenset(namespace.APP_MODULE | {d.name for d in domains}))
    views: list[DomainView] = []
    router_imports = []
    for d in domains:
        package = layout.domain_package(service, d.name)
        router = Ident(f"_{d.name}_router")
        router_imports.append((dotted(package), router))
        views.append(
            DomainView(
                name=Ident(d.name),
                controller=imports.add(f"{package}.protocol", namespace.controller_class(d.name)),
                router=router,
                rest=any(op.rest is not None for op in d.operations),
                subscribes=any(op.subscribe is not None for op in d.operations),
                # create_router() takes the broker when a route publishes.
                publishes=any(
                    op.publish_on_success is not None and op.rest is not None for op in d.operations
                ),
            )
        )
    b = BROKERS[broker]
    files = sorted(d.file for d in domains)
    # An operation that publishes is a route (create_router takes the broker) or an event
    # handler (register_subscribers does).
    uses_broker = any(d.subscribes or d.publishes for d in views)
    source = render(
        "app.py.j2",
        header=header(files or layout.spec_dir(service) + "/"),
        service=Ident(service),
        domains=views,
        router_imports=router_imports,
        broker_module=dotted(b.module),
        broker_class=Ident(b.class_name),
        uses_broker=uses_broker,
        subscribes=any(d.subscribes for d in views),
        events_module=dotted(layout.events_module()),
        url_env=b.url_env,
        default_url=b.default_url,
        imports=imports,
    )
    return layout.module_path(layout.app_module(service), service), source
