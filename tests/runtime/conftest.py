"""A Redis database of the machine's server per runtime test module, flushed around each test."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

# One database per test module: Pants runs the modules as concurrent processes, and each flushes
# its database around every test, so a shared one would lose another module's entries. (Other
# suites use 3, 4, 6 to 10, 12 and 15.)
DATABASES = {"test_cli": 13, "test_streams": 14}


def redis_url(module: str) -> str:
    """The Redis database of the test module named `module` (its `__name__`)."""
    return f"redis://127.0.0.1:6379/{DATABASES[module.rsplit('.', 1)[-1]]}"


@pytest.fixture
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[Redis]:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379: start one with `redis-server --daemonize yes`")
    client = Redis.from_url(redis_url(request.module.__name__))
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
