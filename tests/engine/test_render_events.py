"""Generated publishers and subscribers, through a real Redis (and RabbitMQ and NATS)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import require_service
from tests.engine.generated import generate, importable, load

REDIS_URL = "redis://127.0.0.1:6379/8"


def a_user(schemas: Any, n: int = 1) -> Any:
    return schemas.UserRead(
        id=n,
        email=f"u{n}@example.com",
        name=f"U{n}",
        score=1,
        external_id=uuid.uuid4(),
        created_at=dt.datetime.now(dt.UTC),
    )


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


@pytest.fixture
async def flushed_redis() -> None:
    require_service("127.0.0.1", 6379, "Redis", "start one with `redis-server --daemonize yes`")
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


async def test_publish_reaches_every_group_once(generated: Path, flushed_redis: None) -> None:
    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    got: dict[str, list[Any]] = {"a1": [], "a2": [], "b": []}
    brokers = [ev.make_broker(REDIS_URL) for _ in got]
    for (name, seen), broker in zip(got.items(), brokers, strict=True):

        async def handler(message: Any, seen: list[Any] = seen) -> None:
            seen.append(message)

        ev.subscribe_user_registered(broker, handler, group=name[0])  # groups "a" and "b"
    publisher = ev.make_broker(REDIS_URL)
    for b in (*brokers, publisher):
        await b.start()
    try:
        users = [a_user(s, n) for n in range(1, 5)]
        for user in users:
            await ev.publish_user_registered(publisher, user)
        await wait_for(lambda: len(got["b"]) == 4 and len(got["a1"]) + len(got["a2"]) == 4)
        await asyncio.sleep(0.3)
        assert sorted(u.id for u in got["a1"] + got["a2"]) == [1, 2, 3, 4]  # group a: once each
        assert [u for u in got["b"]] == users  # group b: all, typed, in order
        assert all(isinstance(u, s.UserRead) for u in got["b"])
    finally:
        for b in (*brokers, publisher):
            await b.stop()


async def test_handlers_of_one_event_in_one_group_each_get_every_event(
    generated: Path, flushed_redis: None
) -> None:
    """Two domains of one service handling one event: one consumer group, one subscriber that
    calls both (two subscribers in the group would split the events between them)."""
    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    calls: list[tuple[str, int]] = []

    def recorder(name: str) -> Any:
        async def handler(message: Any) -> None:
            calls.append((name, message.id))

        return handler

    broker = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(broker, recorder("first"), group="svc")
    ev.subscribe_user_registered(broker, recorder("second"), group="svc")
    assert len(broker.subscribers) == 2  # the group's subscriber and its reclaimer, not four
    await broker.start()
    try:
        for n in (1, 2, 3):
            await ev.publish_user_registered(broker, a_user(s, n))
        await wait_for(lambda: len(calls) == 6)
        assert calls == [(h, n) for n in (1, 2, 3) for h in ("first", "second")]
    finally:
        await broker.stop()


async def test_a_failing_handler_leaves_the_message_pending(
    generated: Path, flushed_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_RECLAIM_AFTER_MS", "300")
    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    attempts: list[int] = []
    done: list[int] = []

    async def flaky(message: Any) -> None:
        attempts.append(message.id)
        if attempts.count(message.id) < 3:
            raise RuntimeError("not yet")
        done.append(message.id)

    broker = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(broker, flaky, group="flaky")
    await broker.start()
    try:
        await ev.publish_user_registered(broker, a_user(s, 7))
        await wait_for(lambda: done == [7])
        assert attempts == [7, 7, 7]
        import redis.asyncio as aredis

        client = aredis.Redis.from_url(REDIS_URL)
        pending = await client.xpending(ev.USER_REGISTERED, "flaky")
        await client.aclose()
        assert pending["pending"] == 0  # acknowledged once the handler returned
    finally:
        await broker.stop()


@pytest.mark.parametrize(
    ("broker", "url", "port", "how"),
    [
        (
            "rabbit",
            "amqp://guest:guest@127.0.0.1:5672/",
            5672,
            "start RabbitMQ with `rabbitmq-server -detached`",
        ),
        ("nats", "nats://127.0.0.1:4222", 4222, "start nats-server with JetStream (`-js`)"),
    ],
)
async def test_other_brokers(broker: str, url: str, port: int, how: str, tmp_path: Path) -> None:
    require_service("127.0.0.1", port, broker, how)
    generate(tmp_path, broker=broker)
    with importable(tmp_path):
        ev, s = load("shared.generated.events"), load("shared.generated.schemas")
        got: list[Any] = []

        async def handler(message: Any) -> None:
            got.append(message)

        consumer = ev.make_broker(url)
        group = f"test-{uuid.uuid4().hex[:8]}"
        ev.subscribe_user_registered(consumer, handler, group=group)
        publisher = ev.make_broker(url)
        await consumer.start()
        await publisher.start()
        try:
            user = a_user(s, 11)
            await ev.publish_user_registered(publisher, user)
            await wait_for(lambda: got == [user], timeout=20)
        finally:
            await publisher.stop()
            await consumer.stop()


def test_every_broker_of_the_option_has_a_renderer() -> None:
    """`[specforge].broker` and `--broker` offer `layout.BROKER_KEYS`; each has its table row."""
    from specforge.brokers import BROKERS
    from specforge.layout import BROKER_KEYS

    assert tuple(BROKERS) == BROKER_KEYS
