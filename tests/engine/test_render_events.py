"""Generated publishers and subscribers, through a real Redis (and RabbitMQ and NATS)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
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


async def settled(stream: str, group: str, timeout: float = 10.0) -> None:
    """Wait until `group` has been delivered the whole stream and acknowledged all of it: its
    handlers have run for every delivery, and nothing is left to deliver or redeliver."""
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(REDIS_URL)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            last = await client.xrevrange(stream, count=1)
            info = {g["name"]: g for g in await client.xinfo_groups(stream)}[group.encode()]
            if last and info["last-delivered-id"] == last[0][0] and info["pending"] == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"group {group} did not settle")
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()


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

        async def handler(message: Any, event: Any, seen: list[Any] = seen) -> None:
            seen.append((message, event))

        ev.subscribe_user_registered(broker, handler, group=name[0])  # groups "a" and "b"
    publisher = ev.make_broker(REDIS_URL)
    for b in (*brokers, publisher):
        await b.start()
    try:
        users = [a_user(s, n) for n in range(1, 5)]
        sent = [
            await ev.publish_user_registered(publisher, user, operation="backend/users.create_user")
            for user in users
        ]
        await wait_for(lambda: len(got["b"]) == 4 and len(got["a1"]) + len(got["a2"]) == 4)
        await settled(ev.USER_REGISTERED, "a")  # no delivery to group a is still in flight
        group_a = got["a1"] + got["a2"]
        assert sorted(u.id for u, _ in group_a) == [1, 2, 3, 4]  # group a: once each
        assert [u for u, _ in got["b"]] == users  # group b: all, typed, in order
        assert all(isinstance(u, s.UserRead) for u, _ in got["b"])
        # Each event's identity reaches every group: its id (a new one per publish) and the
        # operation that produced it.
        assert [e for _, e in got["b"]] == sent
        assert {e.id for _, e in group_a} == {e.id for e in sent}
        assert len({e.id for e in sent}) == 4
        assert {e.operation for e in sent} == {"backend/users.create_user"}
        assert {e.channel for e in sent} == {ev.USER_REGISTERED}
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
        async def handler(message: Any, event: Any) -> None:
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

    async def flaky(message: Any, event: Any) -> None:
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


async def test_a_message_that_keeps_failing_moves_to_the_dead_letters(
    generated: Path, flushed_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `$EVENTS_MAX_DELIVERIES` failed deliveries the event goes to the group's
    dead-letter stream, with its error and count, and the original is acknowledged; replayed,
    it reaches that group only, once its handler works."""
    monkeypatch.setenv("EVENTS_RECLAIM_AFTER_MS", "100")
    monkeypatch.setenv("EVENTS_MAX_DELIVERIES", "3")
    import redis.asyncio as aredis

    from specforge_runtime import streams

    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    attempts: list[str] = []
    handled: dict[str, list[str]] = {"poison": [], "other": []}
    fixed = False

    async def poison(message: Any, event: Any) -> None:
        attempts.append(event.id)
        if not fixed:
            raise ValueError(f"cannot handle user {message.id}")
        handled["poison"].append(event.id)

    async def other(message: Any, event: Any) -> None:
        handled["other"].append(event.id)

    broker = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(broker, poison, group="poison")
    ev.subscribe_user_registered(broker, other, group="other")
    client = aredis.Redis.from_url(REDIS_URL)
    await broker.start()
    try:
        sent = await ev.publish_user_registered(broker, a_user(s, 5), operation="b/u.c")
        dead = "users.registered:dead-letters:poison"
        await wait_for(lambda: len(attempts) == 3, timeout=30)
        for _ in range(200):
            if await client.xlen(dead):
                break
            await asyncio.sleep(0.05)
        [letter] = await streams.dead_letters(client, dead)
        assert (letter.event_id, letter.operation, letter.deliveries, letter.group) == (
            sent.id,
            "b/u.c",
            3,
            "poison",
        )
        assert letter.error == "ValueError: cannot handle user 5"
        assert (await client.xpending(ev.USER_REGISTERED, "poison"))["pending"] == 0
        assert attempts == [sent.id] * 3 and handled == {"poison": [], "other": [sent.id]}

        fixed = True
        await streams.replay(broker, letter)
        # An event published after the replay: "other" handles the stream in order, so a replay
        # it did not skip would reach it before this one.
        after = await ev.publish_user_registered(broker, a_user(s, 6))
        await wait_for(lambda: after.id in handled["other"], timeout=30)
        await wait_for(lambda: handled["poison"] == [sent.id, after.id], timeout=30)
        assert handled == {"poison": [sent.id, after.id], "other": [sent.id, after.id]}
        assert await client.xlen(dead) == 0
    finally:
        await broker.stop()
        await client.aclose()


async def test_a_message_that_is_not_a_valid_event_moves_to_the_dead_letters(
    generated: Path, flushed_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message that does not validate never reaches the handler; claimed again, it is
    validated by the reclaiming subscriber and dead-lettered like a failing one."""
    monkeypatch.setenv("EVENTS_RECLAIM_AFTER_MS", "100")
    monkeypatch.setenv("EVENTS_MAX_DELIVERIES", "2")
    import redis.asyncio as aredis

    from specforge_runtime import streams

    ev = load("shared.generated.events")
    called: list[Any] = []

    async def handler(message: Any, event: Any) -> None:
        called.append(message)

    broker = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(broker, handler, group="strict")
    client = aredis.Redis.from_url(REDIS_URL)
    await broker.start()
    try:
        await broker.publish({"id": "not a number"}, stream=ev.USER_REGISTERED)
        dead = "users.registered:dead-letters:strict"
        for _ in range(600):
            if await client.xlen(dead):
                break
            await asyncio.sleep(0.05)
        [letter] = await streams.dead_letters(client, dead)
        assert letter.error.startswith("ValidationError: ")
        assert letter.deliveries == 2 and letter.event_id is None  # not published by specforge
        assert called == []
    finally:
        await broker.stop()
        await client.aclose()


async def test_entries_faststream_cannot_read_reach_the_dead_letters_too(
    generated: Path, flushed_redis: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries written by anyone with access to the stream: headers that are not a mapping,
    field names that are not UTF-8, hostile ids. None may fail before the handler forever
    (which would also pin the stream's retention); each ends in the dead letters, and good
    events keep flowing. An event without a usable id is known by its stream entry, the same
    on every delivery."""
    monkeypatch.setenv("EVENTS_RECLAIM_AFTER_MS", "100")
    monkeypatch.setenv("EVENTS_MAX_DELIVERIES", "2")
    import redis.asyncio as aredis

    from specforge_runtime import streams

    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    seen: list[Any] = []
    failing_ids: list[str] = []

    async def handler(message: Any, event: Any) -> None:
        if message.id == 13:
            failing_ids.append(event.id)
            raise RuntimeError("unlucky")
        seen.append(message.id)

    broker = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(broker, handler, group="tough")
    client = aredis.Redis.from_url(REDIS_URL)
    await broker.start()
    try:
        hostile = [
            {"__data__": b'{"data": "{}", "headers": [1]}'},
            {"__data__": b'{"data": "{}", "headers": "x"}'},
            {b"\xff": b"x"},
        ]
        for fields in hostile:
            await client.xadd(ev.USER_REGISTERED, fields)  # type: ignore[arg-type]
        # A body that its content type does not decode.
        await broker.publish(
            b"{not json", stream=ev.USER_REGISTERED, headers={"content-type": "application/json"}
        )
        user = a_user(s, 13).model_dump(mode="json")
        # No event-id, and a hostile one: both known by the stream entry instead.
        await broker.publish(user, stream=ev.USER_REGISTERED)
        await broker.publish(
            user, stream=ev.USER_REGISTERED, headers={"event-id": "\x1b[2J" + "x" * 10}
        )
        await ev.publish_user_registered(broker, a_user(s, 1))
        dead = "users.registered:dead-letters:tough"
        for _ in range(600):
            if await client.xlen(dead) == 6:
                break
            await asyncio.sleep(0.05)
        letters = await streams.dead_letters(client, dead)
        assert len(letters) == 6, letters
        assert seen == [1]
        assert (await client.xpending(ev.USER_REGISTERED, "tough"))["pending"] == 0
        # Each failing event had one id on both its deliveries: its stream entry.
        assert sorted(Counter(failing_ids).values()) == [2, 2]
        assert all(i.startswith(ev.USER_REGISTERED + "/") for i in failing_ids)
    finally:
        await broker.stop()
        await client.aclose()


async def test_declared_consumer_groups_keep_events_for_subscribers_not_yet_started(
    generated: Path, flushed_redis: None
) -> None:
    """A publisher that declares its consumers' groups before publishing: a subscriber that
    starts afterwards still gets the event (a group it created itself would start at the
    stream's end)."""
    ev, s = load("shared.generated.events"), load("shared.generated.schemas")
    publisher = ev.make_broker(REDIS_URL)
    await publisher.start()
    try:
        await ev.declare_consumers(publisher, {ev.USER_REGISTERED: ("late",)})
        await ev.declare_consumers(publisher, {ev.USER_REGISTERED: ("late",)})  # idempotent
        sent = await ev.publish_user_registered(publisher, a_user(s, 3))
    finally:
        await publisher.stop()
    got: list[Any] = []

    async def handler(message: Any, event: Any) -> None:
        got.append((message.id, event.id))

    consumer = ev.make_broker(REDIS_URL)
    ev.subscribe_user_registered(consumer, handler, group="late")
    await consumer.start()
    try:
        await wait_for(lambda: got == [(3, sent.id)])
    finally:
        await consumer.stop()


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

        async def handler(message: Any, event: Any) -> None:
            got.append((message, event))

        consumer = ev.make_broker(url)
        group = f"test-{uuid.uuid4().hex[:8]}"
        ev.subscribe_user_registered(consumer, handler, group=group)
        publisher = ev.make_broker(url)
        await consumer.start()
        await publisher.start()
        try:
            user = a_user(s, 11)
            sent = await ev.publish_user_registered(publisher, user, operation="a/b.c")
            await wait_for(lambda: got == [(user, sent)], timeout=20)
        finally:
            await publisher.stop()
            await consumer.stop()


async def test_rabbit_declared_queues_keep_events_for_subscribers_not_yet_started(
    tmp_path: Path,
) -> None:
    """On RabbitMQ a fanout exchange drops what no queue is bound to: the publisher declares
    its consumers' durable queues first, so an event waits for a subscriber not yet started."""
    url = "amqp://guest:guest@127.0.0.1:5672/"
    require_service("127.0.0.1", 5672, "rabbit", "start RabbitMQ with `rabbitmq-server -detached`")
    generate(tmp_path, broker="rabbit")
    with importable(tmp_path):
        ev, s = load("shared.generated.events"), load("shared.generated.schemas")
        group = f"late-{uuid.uuid4().hex[:8]}"
        publisher = ev.make_broker(url)
        await publisher.start()
        try:
            await ev.declare_consumers(publisher, {ev.USER_REGISTERED: (group,)})
            sent = await ev.publish_user_registered(publisher, a_user(s, 4))
        finally:
            await publisher.stop()
        got: list[Any] = []

        async def handler(message: Any, event: Any) -> None:
            got.append((message.id, event.id))

        consumer = ev.make_broker(url)
        ev.subscribe_user_registered(consumer, handler, group=group)
        await consumer.start()
        try:
            await wait_for(lambda: got == [(4, sent.id)], timeout=20)
        finally:
            # Durable: the server would keep it after the test.
            queue = await consumer.declare_queue(
                ev.RabbitQueue(ev.USER_REGISTERED + "." + group, durable=True)
            )
            await queue.delete(if_unused=False, if_empty=False)
            await consumer.stop()


def test_every_broker_of_the_option_has_a_renderer() -> None:
    """`[specforge].broker` and `--broker` offer `layout.BROKER_KEYS`; each has its table row."""
    from specforge.brokers import BROKERS
    from specforge.layout import BROKER_KEYS

    assert tuple(BROKERS) == BROKER_KEYS
