"""The FastStream brokers that generated events code can use: one row per broker, read by the
renderers (which module and class to import, which template writes the events module) and by
the namespace model (which names a broker's code binds, so that spec names cannot shadow them).

Adding a broker: its key in `layout.BrokerKey` (the plugin's `[specforge].broker` option reads
it), its row here, and its template `render/templates/events/<key>.py.j2`.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge.layout import BROKER_KEYS


@dataclass(frozen=True)
class Broker:
    key: str  # the value of `[specforge].broker` and `--broker`
    title: str  # for docstrings
    module: str  # the FastStream module
    class_name: str  # the broker class
    url_env: str  # the environment variable with its URL
    default_url: str
    imports: frozenset[str]  # what its events template imports from `module`
    binds: frozenset[str] = frozenset()  # what else its events template binds at module level
    # Its events module has `declare_consumers()`: publishers create the subscribing services'
    # consumer groups (queues), so that events published before a subscriber starts wait for it.
    declares_consumers: bool = False
    # The generated app trims the streams it publishes (`specforge_runtime.streams`).
    trims_streams: bool = False

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
            declares_consumers=True,
            trims_streams=True,
            imports=frozenset({"RedisBroker", "StreamSub"}),
            binds=frozenset(
                {
                    "socket",
                    "logging",
                    "_log",
                    "_deliver",
                    "RedisStreamMessage",
                    "REPLAY_GROUP_HEADER",
                    "dead_letter",
                    "max_deliveries",
                    "ResponseError",
                    "RedisError",
                    "parse_entry",
                    "decode_body",
                    "entry_id",
                    "Redis",
                    "declare_consumers",
                    "RECLAIM_AFTER_MS_ENV",
                    "READ_BATCH",
                    "DEFAULT_RECLAIM_AFTER_MS",
                    "consumer_name",
                    "reclaim_after_ms",
                }
            ),
        ),
        Broker(
            "rabbit",
            "RabbitMQ",
            "faststream.rabbit",
            "RabbitBroker",
            "RABBIT_URL",
            "amqp://guest:guest@127.0.0.1:5672/",
            imports=frozenset({"ExchangeType", "RabbitBroker", "RabbitExchange", "RabbitQueue"}),
            binds=frozenset({"_exchange", "RabbitMessage", "declare_consumers"}),
            declares_consumers=True,
        ),
        Broker(
            "nats",
            "NATS JetStream",
            "faststream.nats",
            "NatsBroker",
            "NATS_URL",
            "nats://127.0.0.1:4222",
            imports=frozenset({"DeliverPolicy", "JStream", "NatsBroker", "PullSub"}),
            binds=frozenset({"STREAM", "NatsMessage"}),
        ),
        Broker(
            "kafka",
            "Kafka",
            "faststream.kafka",
            "KafkaBroker",
            "KAFKA_URL",
            "127.0.0.1:9092",
            imports=frozenset({"KafkaBroker"}),
            binds=frozenset({"KafkaMessage"}),
        ),
    )
}
assert tuple(BROKERS) == BROKER_KEYS, "every broker key of layout has its row, in order"
