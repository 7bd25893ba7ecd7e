"""The welcome controller records one notification per user, whatever the redeliveries."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from notifications.controllers.welcome import Welcome
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo

REDIS_DB = 4


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    try:
        await client.ping()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379: start one with `redis-server --daemonize yes`")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


async def test_one_welcome_per_event(redis: Redis) -> None:
    welcome = Welcome(redis, key="welcomes")
    user = UserRead(id=7, name="Ada", created_at=datetime.now(UTC))
    event = EventInfo.new("users.registered", "backend/users.create_user")
    for _ in range(3):  # the event and two redeliveries
        await welcome.send_welcome(user, event=event)
    stored = await redis.hgetall("welcomes")
    assert {k: json.loads(v) for k, v in stored.items()} == {
        b"7": {"user_id": 7, "text": "Welcome, Ada!", "event_id": event.id}
    }
    assert await redis.get("welcomes:duplicates") == b"2"
    assert 0 < await redis.ttl(f"welcomes:event:{event.id}") <= 7 * 24 * 3600


async def test_events_are_deduplicated_by_id_not_by_content(redis: Redis) -> None:
    """Two events (two ids) for one user: both are handled, the first welcome is kept."""
    welcome = Welcome(redis, key="welcomes")
    user = UserRead(id=9, name="Cy", created_at=datetime.now(UTC))
    first, second = EventInfo.new("users.registered"), EventInfo.new("users.registered")
    await welcome.send_welcome(user, event=first)
    await welcome.send_welcome(user, event=second)
    stored = await redis.hget("welcomes", "9")
    assert isinstance(stored, bytes) and json.loads(stored)["event_id"] == first.id
    assert await redis.get("welcomes:duplicates") is None
