"""FastStream code for the events of events.yaml: a broker factory, one typed publisher per
published event, and one subscriber registration per subscribed event."""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout
from specforge.render.common import Imports, TypeNamer, docstring, header, render

BROKERS = {
    # broker: (module, class, URL variable, default URL)
    "redis": ("faststream.redis", "RedisBroker", "REDIS_URL", "redis://127.0.0.1:6379"),
    "rabbit": (
        "faststream.rabbit",
        "RabbitBroker",
        "RABBIT_URL",
        "amqp://guest:guest@127.0.0.1:5672/",
    ),
    "nats": ("faststream.nats", "NatsBroker", "NATS_URL", "nats://127.0.0.1:4222"),
    "kafka": ("faststream.kafka", "KafkaBroker", "KAFKA_URL", "127.0.0.1:9092"),
}


@dataclass(frozen=True)
class EventView:
    name: str
    constant: str
    channel: str
    message: str
    description: str | None
    publish: bool
    subscribe: bool


def render_events(project: ir.Project, file: str, broker: str) -> tuple[str, str]:
    module_name, broker_class, url_env, default_url = BROKERS[broker]
    imports = Imports()
    namer = TypeNamer(imports, local_module=layout.events_module())
    events = [
        EventView(
            name=e.name,
            constant=e.name.upper(),
            channel=e.channel,
            message=namer.annotation(ir.ModelType(e.message)),
            description=docstring(e.description),
            publish=e.publish,
            subscribe=e.subscribe,
        )
        for e in project.events_in(file)
    ]
    source = render(
        "events.py.j2",
        header=header(file),
        file=file,
        imports=imports.lines(),
        events=events,
        broker=broker,
        broker_module=module_name,
        broker_class=broker_class,
        url_env=url_env,
        default_url=default_url,
    )
    return layout.module_path(layout.events_module(), None), source
