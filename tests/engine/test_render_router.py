"""The generated routers and app factory under Starlette's TestClient, with a real Redis
broker: every operation, every declared error, and the event-driven operation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.engine.conftest import require_service
from tests.engine.fakes import modules, notes_controller, oddities_controller, users_controller

REDIS_DB = 6
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.fixture
def app_client(generated: Path) -> Iterator[tuple[TestClient, Any, Any]]:
    require_service("127.0.0.1", 6379, "Redis", "start one with `redis-server --daemonize yes`")
    redis.Redis.from_url(REDIS_URL).flushdb()
    m = modules()
    users, notes = users_controller(), notes_controller()
    app = m["app"].create_app(
        users=users,
        notes=notes,
        oddities=oddities_controller(),
        broker=m["events"].make_broker(REDIS_URL),
        group="router-test",
    )
    with TestClient(app) as client:
        yield client, users, notes


def test_users_operations_and_errors(app_client: tuple[TestClient, Any, Any]) -> None:
    client, users, _ = app_client
    body = {
        "email": "ada@example.com",
        "name": "Ada",
        "score": "1.5",
        "external_id": "12345678-1234-5678-1234-567812345678",
    }
    created = client.post("/users", json=body)
    assert created.status_code == 201
    user = created.json()
    assert user["id"] == 1 and user["role"] == "member"
    conflict = client.post("/users", json=body)
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "e-mail already registered"}
    assert client.get("/users/1").json() == user
    missing = client.get("/users/99")
    assert missing.status_code == 404 and missing.json() == {"detail": "no user 99"}
    assert client.get("/users", params={"role": "member", "limit": 1}).json() == [user]
    assert client.get("/users", params={"limit": 501}).status_code == 422
    assert client.get("/users", params={"role": "owner"}).status_code == 422
    patched = client.patch(
        "/users/1",
        json={"name": "Ada L.", "score": "1.5", "external_id": body["external_id"]},
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Ada L."
    deleted = client.delete("/users/1")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.delete("/users/1").status_code == 404
    assert client.get("/health").json() == {"status": "ok", "service": "backend"}

    # create_user published user_registered, and on_user_registered (subscribed to it in the
    # same app) received it through Redis.
    deadline = time.monotonic() + 10
    while not users.registered and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [u.email for u in users.registered] == ["ada@example.com"]


def test_notes_operations(app_client: tuple[TestClient, Any, Any]) -> None:
    client, _, notes = app_client
    note = client.post("/notes", json={"text": "hello", "status": "closed"})
    assert note.status_code == 201 and note.json()["status"] == "closed"
    assert note.json()["amount"] == "1.50" and note.json()["day"] == "2024-02-29"
    rejected = client.post("/notes", json={"text": "reject"})
    assert rejected.status_code == 422 and rejected.json() == {"detail": "no thanks"}
    busy = client.post("/notes", json={"text": "busy"})
    assert busy.status_code == 503 and busy.json() == {"detail": "try again later"}
    found = client.get(
        "/notes/search",
        params={
            "q": "hell",
            "day": "2024-03-01",
            "flag": "true",
            "status": "closed",
            "ref": "12345678-1234-5678-1234-567812345678",
        },
    )
    assert [n["text"] for n in found.json()] == ["hello"]
    query = notes.queries[-1]
    assert query["flag"] is True and str(query["day"]) == "2024-03-01"
    assert query["status"].value == "closed" and str(query["ref"]).startswith("12345678")
    assert client.get("/notes/search").status_code == 422  # q is required
    assert client.get("/notes/count").json() == 1
    assert client.get("/notes/pets/cathy").json() == {"kind": "cat", "lives": 5}
    assert client.get("/notes/pets/" + "x" * 21).status_code == 422
    replaced = client.put("/notes/7", json={"text": "new"})
    assert replaced.json()["text"] == "7:new"


def test_openapi_documents_declared_errors(app_client: tuple[TestClient, Any, Any]) -> None:
    client, _, _ = app_client
    doc = client.get("/openapi.json").json()
    add = doc["paths"]["/notes"]["post"]
    assert add["operationId"] == "add_note"
    assert add["responses"]["503"]["description"] == "try again later"
    assert add["responses"]["503"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
