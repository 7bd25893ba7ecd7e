"""Redis Streams: retention never drops what a consumer group has not acknowledged; dead letters
keep the message, its error and its delivery count, and replay goes to one group only."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisStreamMessage
from redis.asyncio import Redis

from specforge_runtime import streams
from specforge_runtime.events import EVENT_ID_HEADER, REPLAY_GROUP_HEADER, EventInfo
from specforge_runtime.streams import Retention
from tests.runtime.conftest import redis_url

REDIS_URL = redis_url(__name__)

STREAM = "things.created"


# (redis-py's annotations of stream replies are wider than what a client without
# decode_responses returns: bytes ids.)


async def add(redis: Redis, n: int) -> list[bytes]:
    return [cast(bytes, await redis.xadd(STREAM, {"n": str(i)})) for i in range(n)]


async def read(redis: Redis, group: str, count: int) -> list[bytes]:
    answer: Any = await redis.xreadgroup(group, "c1", {STREAM: ">"}, count=count)
    return [entry_id for _, entries in answer for entry_id, _ in entries]


async def remaining(redis: Redis) -> list[bytes]:
    entries: Any = await redis.xrange(STREAM)
    return [entry_id for entry_id, _ in entries]


async def test_trimming_keeps_what_a_group_has_not_acknowledged(redis: Redis) -> None:
    ids = await add(redis, 20)
    await redis.xgroup_create(STREAM, "slow", id="0")
    await redis.xgroup_create(STREAM, "idle", id="0")
    delivered = await read(redis, "slow", 10)
    await redis.xack(STREAM, "slow", *delivered[:5])  # 6th to 10th pending, 11th on undelivered
    policy = Retention(maxlen=2)

    # "idle" has read nothing: every entry is undelivered to it.
    assert await streams.trim(redis, STREAM, policy, approximate=False) == 0
    assert await remaining(redis) == ids

    await redis.xack(STREAM, "idle", *await read(redis, "idle", 20))
    # Now "slow" holds the floor: its oldest pending entry, the 6th.
    assert await streams.trim(redis, STREAM, policy, approximate=False) == 5
    assert await remaining(redis) == ids[5:]

    await redis.xack(STREAM, "slow", *delivered[5:])
    # Pending none, last delivered the 10th: the 11th and later are undelivered to "slow".
    assert await streams.trim(redis, STREAM, policy, approximate=False) == 5
    assert await remaining(redis) == ids[10:]

    await redis.xack(STREAM, "slow", *await read(redis, "slow", 20))
    # Everything acknowledged: the policy alone decides, the newest 2 stay.
    assert await streams.trim(redis, STREAM, policy, approximate=False) == 8
    assert await remaining(redis) == ids[-2:]


async def test_a_stream_without_groups_is_trimmed_by_the_policy(redis: Redis) -> None:
    ids = await add(redis, 10)
    assert await streams.trim(redis, STREAM, Retention(maxlen=3), approximate=False) == 7
    assert await remaining(redis) == ids[-3:]
    assert await streams.trim(redis, STREAM, Retention(maxlen=None, max_age=None)) == 0
    assert await streams.trim(redis, "no.such.stream", Retention(maxlen=1)) == 0


async def test_max_age_trims_old_entries(redis: Redis) -> None:
    old = [
        cast(bytes, await redis.xadd(STREAM, {"n": str(i)}, id=f"{1000 + i}-0")) for i in range(3)
    ]
    new = await add(redis, 2)  # ids of now
    policy = Retention(maxlen=None, max_age=3600)
    assert await streams.trim(redis, STREAM, policy, approximate=False) == len(old)
    assert await remaining(redis) == new


def test_retention_and_deliveries_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(streams.RETENTION_MAXLEN_ENV, raising=False)
    assert Retention.from_env() == Retention(maxlen=100_000, max_age=None)
    monkeypatch.setenv(streams.RETENTION_MAXLEN_ENV, "none")
    monkeypatch.setenv(streams.RETENTION_MAX_AGE_ENV, "60")
    assert Retention.from_env() == Retention(maxlen=None, max_age=60)
    monkeypatch.setenv(streams.RETENTION_MAXLEN_ENV, "0")
    with pytest.raises(ValueError, match=r"\$EVENTS_RETENTION_MAXLEN must be at least 1, not 0"):
        Retention.from_env()
    monkeypatch.setenv(streams.MAX_DELIVERIES_ENV, "x")
    with pytest.raises(ValueError, match="must be an integer or 'none', not 'x'"):
        streams.max_deliveries()
    monkeypatch.setenv(streams.MAX_DELIVERIES_ENV, "3")
    assert streams.max_deliveries() == 3


async def test_a_dead_letter_keeps_the_message_and_acknowledges_the_original(
    redis: Redis,
) -> None:
    event = EventInfo.new(STREAM, "svc/things.create_thing")
    entry = cast(bytes, await redis.xadd(STREAM, {"__data__": b"raw"}))
    await redis.xgroup_create(STREAM, "g", id="0")
    await read(redis, "g", 1)
    headers = {"content-type": "application/json", **event.headers()}
    stream = await streams.dead_letter(
        redis,
        channel=STREAM,
        group="g",
        entry_id=entry,
        body=b'{"id": 1}',
        headers=headers,
        error=ValueError("bad\nthing"),
        deliveries=3,
    )
    assert stream == "things.created:dead-letters:g"
    assert (await redis.xpending(STREAM, "g"))["pending"] == 0
    assert await streams.dead_letter_streams(redis) == [(stream, STREAM, "g", 1)]
    [letter] = await streams.dead_letters(redis, stream)
    assert letter.summary() == {
        "id": letter.id,
        "stream": stream,
        "channel": STREAM,
        "group": "g",
        "event_id": event.id,
        "operation": "svc/things.create_thing",
        "entry_id": entry.decode(),
        "deliveries": 3,
        "error": "ValueError: bad\nthing",
        "failed_at": letter.failed_at,
    }
    assert letter.body == b'{"id": 1}' and letter.headers == headers
    assert await streams.dead_letter_by_id(redis, stream, letter.id) == letter
    assert await streams.dead_letter_by_id(redis, stream, "1-1") is None


def test_a_replayed_letter_keeps_an_id_and_text_headers() -> None:
    """A letter without an event id (a foreign producer's) was known by its stream entry: the
    replay, a new entry, carries that id. Header values another client wrote as JSON
    structures are sent as text, which every broker client encodes."""
    letter = streams.DeadLetter(
        id="5-0",
        stream="c:dead-letters:g",
        channel="c",
        group="g",
        event_id=None,
        operation=None,
        entry_id="1-0",
        deliveries=3,
        error="",
        failed_at="",
        body=b"{}",
        headers={"trace": {"span": 1}, "event-id": "\x1b[2J"},
    )
    headers = streams.replay_headers(letter)
    assert headers == {
        "trace": '{"span": 1}',
        "event-id": "c/1-0",
        REPLAY_GROUP_HEADER: "g",
    }


async def test_replay_publishes_for_the_group_only_and_drops_the_letter(redis: Redis) -> None:
    event = EventInfo.new(STREAM)
    stream = await streams.dead_letter(
        redis,
        channel=STREAM,
        group="g",
        entry_id=b"1-1",
        body=b'{"id": 1}',
        headers={"content-type": "application/json", "correlation_id": "x", **event.headers()},
        error=RuntimeError("boom"),
        deliveries=5,
    )
    [letter] = await streams.dead_letters(redis, stream)
    broker = RedisBroker(REDIS_URL)
    await broker.connect()
    try:
        await streams.replay(broker, letter)
    finally:
        await broker.stop()
    assert await streams.dead_letters(redis, stream) == []
    # Read back through FastStream: the body, the event's identity, and the group it is for.
    got: list[tuple[Any, dict[str, Any]]] = []
    consumer = RedisBroker(REDIS_URL)

    @consumer.subscriber(stream=StreamSub(STREAM, last_id="0"))
    async def on(message: Any, raw: RedisStreamMessage) -> None:
        got.append((message, dict(raw.headers)))

    async with consumer:
        await consumer.start()
        for _ in range(1000):  # a deadline: one message is there already
            if got:
                break
            await asyncio.sleep(0.01)
    [(message, headers)] = got
    assert message == {"id": 1}
    assert headers[EVENT_ID_HEADER] == event.id and headers[REPLAY_GROUP_HEADER] == "g"
    assert headers["correlation_id"] != "x"  # FastStream's own, not the dead one's
