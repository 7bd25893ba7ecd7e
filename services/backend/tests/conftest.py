"""Fixtures for backend's tests: a fresh SQLite database, and an in-memory broker or an
isolated Redis database (for the tests that need a real one)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI
from faststream.redis import TestRedisBroker
from httpx2 import ASGITransport, AsyncClient

from backend.main import build_app

# Each test suite that uses Redis owns one of its 16 databases, so suites can run in parallel.
REDIS_DB = 3


def redis_url() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    return f"{base.rstrip('/').rsplit('/', 1)[0] if base.count('/') > 2 else base}/{REDIS_DB}"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url())
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379: start one with `redis-server --daemonize yes`")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app on a fresh SQLite database, its broker in memory (FastStream's test broker)."""
    application = build_app(f"sqlite:///{tmp_path / 'backend.sqlite3'}")
    async with (
        TestRedisBroker(application.state.broker),
        application.router.lifespan_context(application),
    ):
        yield application


@pytest.fixture
async def redis_app(
    tmp_path: Path, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    """The app publishing to this suite's real Redis database."""
    monkeypatch.setenv("REDIS_URL", redis_url())
    application = build_app(f"sqlite:///{tmp_path / 'backend.sqlite3'}")
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://backend") as c:
        yield c


@pytest.fixture
async def redis_client_http(redis_app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=redis_app), base_url="http://backend") as c:
        yield c
