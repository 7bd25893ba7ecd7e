"""FastStream code for the events of events.yaml: a broker factory, one typed publisher per
published event, and one subscriber registration per subscribed event."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout, namespace
from specforge.brokers import BROKERS
from specforge.emit.code import Ident, Python
from specforge.render.common import Imports, TypeNamer, header, render


@dataclass(frozen=True)
class EventView:
    name: Ident
    constant: Ident
    publisher: Ident
    subscriber: Ident
    channel: str
    message: Python
    description: str | None
    publish: bool
    subscribe: bool


def render_events(project: ir.Project, file: str, broker: str) -> tuple[str, str]:
    events = project.events_in(file)
    derived = {namespace.event_constant(e.name) for e in events}
    derived |= {namespace.publisher(e.name) for e in events}
    derived |= {namespace.subscriber(e.name) for e in events}
    # The names the template binds itself; an import of one of those gets an alias.
    imports = Imports(reserved=(namespace.EVENTS_MODULE - namespace.IMPORTED) | derived)
    namer = TypeNamer(imports, local_module=layout.events_module())
    views = [
        EventView(
            name=Ident(e.name),
            constant=Ident(namespace.event_constant(e.name)),
            publisher=Ident(namespace.publisher(e.name)),
            subscriber=Ident(namespace.subscriber(e.name)),
            channel=e.channel,
            message=namer.annotation(ir.ModelType(e.message)),
            description=e.description if e.description and e.description.strip() else None,
            publish=e.publish,
            subscribe=e.subscribe,
        )
        for e in events
    ]
    b = BROKERS[broker]
    source = render(
        b.template,
        header=header(file),
        file=file,
        imports=imports,
        events=views,
        subscribed=any(e.subscribe for e in views),
        published=any(e.publish for e in views),
        broker_title=b.title,
        declares_consumers=b.declares_consumers,
        broker_class=Ident(b.class_name),
        url_env=b.url_env,
        default_url=b.default_url,
    )
    return layout.module_path(layout.events_module(), None), source
