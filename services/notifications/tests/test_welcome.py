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


async def test_one_welcome_per_user(redis: Redis) -> None:
    welcome = Welcome(redis, key="welcomes")
    user = UserRead(id=7, name="Ada", created_at=datetime.now(UTC))
    for _ in range(3):
        await welcome.send_welcome(user)
    stored = await redis.hgetall("welcomes")
    assert {k: json.loads(v) for k, v in stored.items()} == {
        b"7": {"user_id": 7, "text": "Welcome, Ada!"}
    }
