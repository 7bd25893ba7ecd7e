"""The example system end to end, as real processes: a chat command reaches tg_bot, which
creates a user in backend through its generated client; backend publishes `user_registered`;
notifications records one welcome. Then restarts: no user and no event is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

from shared.generated.events import make_broker, publish_command_received, publish_user_registered
from shared.generated.schemas import CommandReceived, UserRead
from tests.integration.conftest import (
    BACKEND,
    NOTIFICATIONS,
    POSTGRES,
    POSTGRES_URL,
    REDIS,
    TG_BOT,
    Process,
    free_port,
    require,
)

WELCOMES = "notifications:welcome"


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def publish(
    redis_url: str, publisher: Callable[[Any, Any], Awaitable[object]], message: object
) -> None:
    async def run() -> None:
        broker = make_broker(redis_url)
        await broker.connect()
        try:
            await publisher(broker, message)
        finally:
            await broker.stop()

    asyncio.run(run())


def reset_postgres() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS users")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_command_to_welcome_and_restarts(
    database: str, tmp_path: Path, processes: list[Process]
) -> None:
    require(REDIS, "Redis", "start one with `redis-server --daemonize yes`")
    redis_db = 9 if database == "sqlite" else 10
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    if database == "postgresql":
        require(POSTGRES, "PostgreSQL", "start it with `pg_ctlcluster <version> main start`")
        reset_postgres()
        database_url = POSTGRES_URL
    else:
        database_url = f"sqlite:///{tmp_path / 'backend.sqlite3'}"
    port = free_port()
    backend_url = f"http://127.0.0.1:{port}"
    common = {"REDIS_URL": redis_url, "EVENTS_RECLAIM_AFTER_MS": "1000", "LOG_LEVEL": "INFO"}

    def backend() -> Process:
        p = Process(
            "backend",
            BACKEND,
            {**common, "PORT": str(port), "DATABASE_URL": database_url},
            tmp_path,
        )
        processes.append(p.start())
        p.wait_http(f"{backend_url}/health")
        return p

    api = backend()
    notifications = Process("notifications", NOTIFICATIONS, common, tmp_path)
    bot = Process("tg_bot", TG_BOT, {**common, "BACKEND_URL": backend_url}, tmp_path)
    processes.extend([notifications.start(), bot.start()])
    for worker in (notifications, bot):
        worker.wait_log("started")

    # 1. A chat command: tg_bot -> backend (generated client) -> user_registered -> welcome.
    publish(
        redis_url,
        publish_command_received,
        CommandReceived(chat_id=4242, text="/start Ada", sent_at=datetime.now(UTC)),
    )
    eventually(lambda: r.hlen(WELCOMES) == 1, "the welcome of Ada")
    users = httpx2.get(f"{backend_url}/users", params={"telegram_id": 4242}).json()
    assert [(u["name"], u["telegram_id"]) for u in users] == [("Ada", 4242)]
    welcome = json.loads(r.hget(WELCOMES, str(users[0]["id"])) or b"{}")
    assert welcome.pop("event_id")  # the id of the user_registered event (notifications dedupes)
    assert welcome == {"user_id": users[0]["id"], "text": "Welcome, Ada!"}
    # The same command again (at-least-once delivery): still one user, one welcome.
    publish(
        redis_url,
        publish_command_received,
        CommandReceived(chat_id=4242, text="/start Ada", sent_at=datetime.now(UTC)),
    )
    bot.wait_log("chat 4242 is user", timeout=30)
    assert r.hlen(WELCOMES) == 1
    assert len(httpx2.get(f"{backend_url}/users").json()) == 1

    # 2. backend restarted mid-test loses no user.
    for i in range(5):
        created = httpx2.post(f"{backend_url}/users", json={"name": f"User {i}"})
        assert created.status_code == 201, created.text
    before = httpx2.get(f"{backend_url}/users").json()
    api.kill()
    api = backend()
    assert httpx2.get(f"{backend_url}/users").json() == before
    eventually(lambda: r.hlen(WELCOMES) == 6, "the welcomes of the 5 new users")

    # 3. notifications killed while events are in flight, then restarted: none is lost.
    total = 500
    in_flight = [
        UserRead(id=10_000 + i, name=f"Burst {i}", created_at=datetime.now(UTC))
        for i in range(total)
    ]

    async def burst() -> None:
        broker = make_broker(redis_url)
        await broker.connect()
        try:
            for user in in_flight:
                await publish_user_registered(broker, user)
        finally:
            await broker.stop()

    asyncio.run(burst())
    eventually(lambda: r.hlen(WELCOMES) > 6, "some burst welcomes", timeout=30)
    notifications.kill()  # SIGKILL: whatever it had read but not acknowledged stays pending
    done_at_kill = r.hlen(WELCOMES) - 6
    restarted = Process("notifications-2", NOTIFICATIONS, common, tmp_path)
    processes.append(restarted.start())
    eventually(lambda: r.hlen(WELCOMES) == 6 + total, f"all {total} burst welcomes", timeout=90)
    ids = {int(k) for k in r.hkeys(WELCOMES)}
    assert {u.id for u in in_flight} <= ids
    print(f"welcomes done when notifications was killed: {done_at_kill} of {total}")
    assert 0 < done_at_kill < total  # killed mid-burst, not before or after it
    pending = r.xpending("users.registered", "notifications")
    eventually(
        lambda: r.xpending("users.registered", "notifications")["pending"] == 0,
        "no pending messages",
        timeout=30,
    )
    del pending
