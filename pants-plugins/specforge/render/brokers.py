"""The FastStream brokers that generated events code can use: one table, read by every renderer
that imports a broker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Broker:
    key: str  # the value of `[specforge].broker` and `--broker`
    title: str  # for docstrings
    module: str  # the FastStream module
    class_name: str  # the broker class
    url_env: str  # the environment variable with its URL
    default_url: str

    @property
    def template(self) -> str:
        """Its events module template, which extends `events.py.j2`."""
        return f"events/{self.key}.py.j2"


BROKERS = {
    b.key: b
    for b in (
        Broker(
            "redis",
            "Redis Streams",
            "faststream.redis",
            "RedisBroker",
            "REDIS_URL",
            "redis://127.0.0.1:6379",
        ),
        Broker(
            "rabbit",
            "RabbitMQ",
            "faststream.rabbit",
            "RabbitBroker",
            "RABBIT_URL",
            "amqp://guest:guest@127.0.0.1:5672/",
        ),
        Broker(
            "nats",
            "NATS JetStream",
            "faststream.nats",
            "NatsBroker",
            "NATS_URL",
            "nats://127.0.0.1:4222",
        ),
        Broker("kafka", "Kafka", "faststream.kafka", "KafkaBroker", "KAFKA_URL", "127.0.0.1:9092"),
    )
}
