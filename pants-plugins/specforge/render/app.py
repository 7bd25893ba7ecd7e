"""The app factory of one service: its routers, its event subscribers and `/health`, as a
FastAPI app (`create_app`) and, for event-only workers, a FastStream app (`create_worker`)."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout, namespace
from specforge.brokers import BROKERS
from specforge.emit.code import Ident, Python
from specforge.render.common import Imports, dotted, header, render


@dataclass(frozen=True)
class ModuleImport:
    """`from <package> import <module> as <alias>`: a domain's router or subscribers module."""

    package: Python
    module: Ident
    alias: Ident


@dataclass(frozen=True)
class DomainView:
    name: Ident  # also the keyword argument of create_app/create_worker
    controller: Ident
    router: Ident | None  # its router module, imported under a private alias (HTTP operations)
    subscribers: Ident | None  # its subscribers module, likewise (subscribed operations)
    publishes: bool  # a route publishes: create_router() takes the broker and the outbox
    subscribers_publish: bool  # an event handler publishes: register_subscribers() takes the outbox


def render_app(project: ir.Project, service: str, broker: str) -> tuple[str, str]:
    domains = project.domains_of(service)
    # (`EventOutbox`, `keep_trimmed` and `prepared` are imported through `imports` itself.)
    imports = Imports(
        reserved=frozenset(
            (namespace.APP_MODULE - {"EventOutbox", "keep_trimmed", "prepared"})
            | {d.name for d in domains}
        )
    )
    views: list[DomainView] = []
    module_imports: list[ModuleImport] = []
    for d in domains:
        package = dotted(layout.domain_package(service, d.name))
        router = subscribers = None
        if any(op.rest is not None for op in d.operations):
            router = Ident(f"_{d.name}_router")
            module_imports.append(ModuleImport(package, Ident("router"), router))
        if any(op.subscribe is not None for op in d.operations):
            subscribers = Ident(f"_{d.name}_subscribers")
            module_imports.append(ModuleImport(package, Ident("subscribers"), subscribers))
        views.append(
            DomainView(
                name=Ident(d.name),
                controller=imports.add(
                    layout.domain_package(service, d.name) + ".protocol",
                    namespace.controller_class(d.name),
                ),
                router=router,
                subscribers=subscribers,
                publishes=any(
                    op.publish_on_success is not None and op.rest is not None for op in d.operations
                ),
                subscribers_publish=any(
                    op.publish_on_success is not None and op.subscribe is not None
                    for op in d.operations
                ),
            )
        )
    # The events the service publishes, declared on its broker for its AsyncAPI document.
    published = sorted(
        {
            op.publish_on_success.name
            for d in domains
            for op in d.operations
            if op.publish_on_success
        }
    )
    events_module = layout.events_module()
    channels = [imports.add(events_module, namespace.event_constant(e)) for e in published]
    b = BROKERS[broker]
    # Where the broker can hold events for consumer groups that have not subscribed yet, the
    # app creates the groups of the services whose specs subscribe to what it publishes.
    consumers = []
    if b.declares_consumers:
        for e, channel in zip(published, channels, strict=True):
            groups = sorted(
                {
                    d.service
                    for d in project.domains
                    for op in d.operations
                    if op.subscribe is not None and op.subscribe.name == e
                }
            )
            if groups:
                consumers.append((channel, groups))
    # Each route path's methods (for 405's `Allow`), `/health` included.
    allow: dict[str, set[str]] = {"/health": {"GET"}}
    for d in domains:
        for op in d.operations:
            if op.rest is not None:
                allow.setdefault(op.rest.full_path, set()).add(op.rest.method.upper())
    files = sorted(d.file for d in domains)
    # An operation that publishes is a route (create_router takes the broker) or an event
    # handler (register_subscribers does).
    uses_broker = any(d.subscribers or d.publishes for d in views)
    # The outbox: create_app takes one when a route or a handler publishes, create_worker when
    # a handler does.
    worker_outbox = any(d.subscribers_publish for d in views)
    app_outbox = worker_outbox or any(d.publishes for d in views)
    # The streams of the events the service publishes are trimmed while it runs (Redis).
    trimmed = b.trims_streams and bool(channels)
    keep_trimmed = imports.add(layout.RUNTIME_STREAMS, "keep_trimmed") if trimmed else None
    app_background = bool(consumers) or trimmed or app_outbox
    worker_background = bool(consumers) or trimmed or worker_outbox
    source = render(
        "app.py.j2",
        header=header(files or layout.spec_dir(service) + "/"),
        service=Ident(service),
        domains=views,
        module_imports=module_imports,
        broker_module=dotted(b.module),
        broker_class=Ident(b.class_name),
        uses_broker=uses_broker,
        subscribes=any(d.subscribers for d in views),
        events_module=dotted(events_module),
        channels=channels,
        app_outbox=app_outbox,
        consumers=consumers,
        trimmed=trimmed,
        keep_trimmed=keep_trimmed,
        prepared=(
            imports.add(layout.RUNTIME_PUBLISHING, "prepared") if consumers and app_outbox else None
        ),
        app_background=app_background,
        worker_background=worker_background,
        worker_outbox=worker_outbox,
        outbox_class=imports.add(layout.RUNTIME_PUBLISHING, "EventOutbox") if app_outbox else None,
        allow=[(path, sorted(methods)) for path, methods in sorted(allow.items())],
        url_env=b.url_env,
        default_url=b.default_url,
        imports=imports,
    )
    return layout.module_path(layout.app_module(service), service), source
