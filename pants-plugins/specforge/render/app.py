"""The app factory of one service: its routers, its event subscribers and `/health`, as a
FastAPI app (`create_app`) and, for event-only workers, a FastStream app (`create_worker`)."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout
from specforge.layout import pascal
from specforge.render.common import Imports, header, render
from specforge.render.events import BROKERS


@dataclass(frozen=True)
class DomainView:
    name: str
    controller: str
    router_module: str
    rest: bool
    subscribes: bool
    publishes: bool


def render_app(project: ir.Project, service: str, broker: str) -> tuple[str, str]:
    imports = Imports()
    domains: list[DomainView] = []
    for d in project.domains_of(service):
        package = layout.domain_package(service, d.name)
        controller = imports.add(f"{package}.protocol", f"{pascal(d.name)}Controller")
        domains.append(
            DomainView(
                name=d.name,
                controller=controller,
                router_module=f"{d.name}_router",
                rest=any(op.rest is not None for op in d.operations),
                subscribes=any(op.subscribe is not None for op in d.operations),
                publishes=any(op.publish_on_success is not None for op in d.operations),
            )
        )
    router_imports = [
        f"from {layout.domain_package(service, d.name)} import router as {d.name}_router"
        for d in domains
    ]
    broker_module, broker_class, url_env, default_url = BROKERS[broker]
    uses_broker = any(d.subscribes or d.publishes for d in domains)
    files = sorted({d.file for d in project.domains_of(service)})
    source = render(
        "app.py.j2",
        header=header(files or f"services/{service}/spec/"),
        service=service,
        imports=imports.lines() + router_imports,
        domains=domains,
        broker_module=broker_module,
        broker_class=broker_class,
        uses_broker=uses_broker,
        events_module=layout.events_module(),
        url_env=url_env,
        default_url=default_url,
    )
    return layout.module_path(layout.app_module(service), service), source
