"""The users API end to end in-process: real SQLite; an in-memory broker, and real Redis for
the test of `user_registered`."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from httpx2 import AsyncClient, Response

from shared.generated.events import make_broker, subscribe_user_registered
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo


async def create(client: AsyncClient, **fields: object) -> dict[str, object]:
    response = await client.post("/users", json={"name": "Ada", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_health(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "ok", "service": "backend"}


async def test_create_get_update_delete(client: AsyncClient) -> None:
    user = await create(client, email="ada@example.com", tags=["math"])
    assert user["role"] == "member" and user["tags"] == ["math"]
    assert isinstance(user["id"], int) and user["created_at"]

    got = await client.get(f"/users/{user['id']}")
    assert got.status_code == 200 and got.json() == user

    patched = await client.patch(f"/users/{user['id']}", json={"role": "admin"})
    assert patched.status_code == 200
    assert patched.json() == {**user, "role": "admin"}

    deleted = await client.delete(f"/users/{user['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = await client.get(f"/users/{user['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"no user {user['id']}"}


async def test_declared_errors(client: AsyncClient) -> None:
    await create(client, email="ada@example.com")
    conflict = await client.post("/users", json={"name": "Eve", "email": "ada@example.com"})
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "e-mail or Telegram account already registered"}
    eve = await create(client, email="eve@example.com")
    taken = await client.patch(f"/users/{eve['id']}", json={"email": "ada@example.com"})
    assert taken.status_code == 409  # update_user declares it too
    assert taken.json() == {"detail": "e-mail or Telegram account already registered"}
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, "/users/999", json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, method


async def test_validation_follows_the_spec(client: AsyncClient) -> None:
    assert (await client.post("/users", json={"name": ""})).status_code == 422
    assert (await client.post("/users", json={"name": "x", "email": "nope"})).status_code == 422
    assert (await client.get("/users", params={"limit": 0})).status_code == 422
    assert (await client.get("/users/0")).status_code == 422


def names(response: Response) -> list[str]:
    return [u["name"] for u in response.json()]


async def test_list_filters_and_paging(client: AsyncClient) -> None:
    for i, name in enumerate(["Ada", "Alan", "Grace", "Adele"]):
        await create(client, name=name, telegram_id=100 + i, role="admin" if i % 2 else "member")
    assert names(await client.get("/users")) == ["Ada", "Alan", "Grace", "Adele"]
    assert names(await client.get("/users", params={"role": "admin"})) == ["Alan", "Adele"]
    assert names(await client.get("/users", params={"name_prefix": "Ad"})) == ["Ada", "Adele"]
    assert names(await client.get("/users", params={"telegram_id": 102})) == ["Grace"]
    assert names(await client.get("/users", params={"limit": 2, "offset": 1})) == ["Alan", "Grace"]


async def test_create_publishes_user_registered(
    redis_client_http: AsyncClient, tmp_path: Path
) -> None:
    """Through the outbox: the event recorded with the user is published by the relay, with
    its id and the operation that produced it."""
    received: list[tuple[UserRead, EventInfo]] = []

    async def observe(user: UserRead, event: EventInfo) -> None:
        received.append((user, event))

    observer = make_broker()  # $REDIS_URL: this suite's Redis database
    subscribe_user_registered(observer, observe, group="test-observer")
    await observer.start()
    try:
        user = await create(redis_client_http, name="Grace")
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.05)
    finally:
        await observer.stop()
    assert [u.model_dump(mode="json") for u, _ in received] == [user]
    [(_, event)] = received
    assert event.operation == "backend/users.create_user"
    assert outbox_rows(tmp_path) == [(event.id, "users.registered", 1)]


def outbox_rows(tmp_path: Path) -> list[tuple[str, str, int]]:
    """The outbox's events: id, channel, and whether the relay published it."""
    with sqlite3.connect(tmp_path / "backend.sqlite3") as db:
        return db.execute(
            "SELECT event_id, channel, published_at IS NOT NULL FROM specforge_outbox ORDER BY seq"
        ).fetchall()


async def test_a_create_that_fails_records_no_event(client: AsyncClient, tmp_path: Path) -> None:
    await create(client, name="Ada", email="ada@example.com")
    conflict = await client.post("/users", json={"name": "Ada", "email": "ada@example.com"})
    assert conflict.status_code == 409
    assert [channel for _, channel, _ in outbox_rows(tmp_path)] == ["users.registered"]
