"""A Redis database of the machine's server for the runtime tests, flushed around each test."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379: start one with `redis-server --daemonize yes`")
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
