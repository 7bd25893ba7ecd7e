"""The generated routers and app factory: every operation and declared error over HTTP (with
FastStream's in-memory broker), and the event-driven operation over a real Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
from fastapi.testclient import TestClient
from faststream.redis import TestRedisBroker
from httpx2 import ASGITransport, AsyncClient

from tests.engine.conftest import require_service
from tests.engine.fakes import modules, notes_controller, oddities_controller, users_controller
from tests.engine.generated import load

REDIS_DB = 6
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.fixture
async def app_client(generated: Path) -> AsyncIterator[tuple[AsyncClient, Any, Any]]:
    """The app over an in-memory broker (FastStream's test broker): no Redis needed."""
    m = modules()
    users, notes = users_controller(), notes_controller()
    broker = m["events"].make_broker(REDIS_URL)
    app = m["app"].create_app(
        users=users, notes=notes, oddities=oddities_controller(), broker=broker, group="router"
    )
    async with (
        TestRedisBroker(broker),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://backend") as client,
    ):
        yield client, users, notes


def test_published_events_reach_subscribers_through_redis(generated: Path) -> None:
    """create_user publishes user_registered after the controller returns; on_user_registered,
    subscribed to it in the same app, receives it from a real Redis Stream."""
    require_service("127.0.0.1", 6379, "Redis", "start one with `redis-server --daemonize yes`")
    redis.Redis.from_url(REDIS_URL).flushdb()
    m = modules()
    users = users_controller()
    app = m["app"].create_app(
        users=users,
        notes=notes_controller(),
        oddities=oddities_controller(),
        broker=m["events"].make_broker(REDIS_URL),
        group="router-test",
    )
    body = {
        "email": "ada@example.com",
        "name": "Ada",
        "score": "1.5",
        "external_id": "12345678-1234-5678-1234-567812345678",
    }
    with TestClient(app) as client:
        assert client.post("/users", json=body).status_code == 201
        deadline = time.monotonic() + 10  # a bound on waiting for delivery, not a measurement
        while not users.registered and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [u.email for u in users.registered] == ["ada@example.com"]


async def test_users_operations_and_errors(app_client: tuple[AsyncClient, Any, Any]) -> None:
    client, users, _ = app_client
    body = {
        "email": "ada@example.com",
        "name": "Ada",
        "score": "1.5",
        "external_id": "12345678-1234-5678-1234-567812345678",
    }
    created = await client.post("/users", json=body)
    assert created.status_code == 201
    user = created.json()
    assert user["id"] == 1 and user["role"] == "member"
    conflict = await client.post("/users", json=body)
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "e-mail already registered"}
    assert (await client.get("/users/1")).json() == user
    missing = await client.get("/users/99")
    assert missing.status_code == 404 and missing.json() == {"detail": "no user 99"}
    assert (await client.get("/users", params={"role": "member", "limit": 1})).json() == [user]
    assert (await client.get("/users", params={"limit": 501})).status_code == 422
    assert (await client.get("/users", params={"role": "owner"})).status_code == 422
    patched = await client.patch(
        "/users/1",
        json={"name": "Ada L.", "score": "1.5", "external_id": body["external_id"]},
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Ada L."
    deleted = await client.delete("/users/1")
    assert deleted.status_code == 204 and deleted.content == b""
    # delete_user declares no 404: "no such user" from its controller is a contract violation.
    assert (await client.delete("/users/1")).status_code == 500
    # A method the path does not serve: 405, naming every method it does serve (FastAPI has a
    # route per method, and Starlette's own answer names only the first route's).
    options = await client.options("/users/1")
    assert options.status_code == 405 and options.headers["allow"] == "DELETE, GET, PATCH"
    assert options.json() == {"detail": "Method Not Allowed"}
    assert (await client.get("/health")).json() == {"status": "ok", "service": "backend"}

    # create_user published user_registered, and on_user_registered (subscribed to it in the
    # same app) received it (through the in-memory broker: Redis has a test of its own).
    assert [u.email for u in users.registered] == ["ada@example.com"]


async def test_notes_operations(app_client: tuple[AsyncClient, Any, Any]) -> None:
    client, _, notes = app_client
    note = await client.post("/notes", json={"text": "hello", "status": "closed"})
    assert note.status_code == 201 and note.json()["status"] == "closed"
    assert note.json()["amount"] == "1.50" and note.json()["day"] == "2024-02-29"
    rejected = await client.post("/notes", json={"text": "reject"})
    assert rejected.status_code == 422 and rejected.json() == {"detail": "no thanks"}
    busy = await client.post("/notes", json={"text": "busy"})
    assert busy.status_code == 503 and busy.json() == {"detail": "try again later"}
    found = await client.get(
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
    assert (await client.get("/notes/search")).status_code == 422  # q is required
    assert (await client.get("/notes/count")).json() == 1
    assert (await client.get("/notes/pets/cathy")).json() == {"kind": "cat", "lives": 5}
    assert (await client.get("/notes/pets/" + "x" * 21)).status_code == 422
    replaced = await client.put("/notes/7", json={"text": "new"})
    assert replaced.json()["text"] == "7:new"
    # One exception class per declared status of the domain; raised without a detail, it
    # answers with the description of the operation that raised it.
    read_only = await client.put("/notes/0", json={"text": "new"})
    assert read_only.status_code == 503 and read_only.json() == {"detail": "the store is read-only"}


def test_one_exception_class_per_declared_status(generated: Path) -> None:
    protocol = load("backend.generated.notes.protocol")
    kinds = {
        name: getattr(cls, "status_code")  # noqa: B009 (a class of the generated module)
        for name, cls in vars(protocol).items()
        if isinstance(cls, type)
        and issubclass(cls, protocol.NotesError)
        and cls is not protocol.NotesError
    }
    assert kinds == {"NotesUnprocessableContent": 422, "NotesServiceUnavailable": 503}
    assert protocol.NotesServiceUnavailable.__doc__ == (
        "Service Unavailable (503), declared by `add_note` and `replace_note`."
    )


async def test_openapi_documents_declared_errors(app_client: tuple[AsyncClient, Any, Any]) -> None:
    client, _, _ = app_client
    doc = (await client.get("/openapi.json")).json()
    add = doc["paths"]["/notes"]["post"]
    assert add["operationId"] == "add_note"
    assert add["responses"]["503"]["description"] == "try again later"
    assert add["responses"]["503"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )

    # add_note declares a 422 of its own, and FastAPI answers 422 to a body that does not
    # validate: the document describes both answers, and each one matches it.
    schema = add["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema == {
        "anyOf": [
            {"$ref": "#/components/schemas/ErrorBody"},
            {"$ref": "#/components/schemas/ValidationErrorBody"},
        ],
        "title": "Response 422 Add Note",
    }
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    declared = await client.post("/notes", json={"text": "reject"})
    invalid = await client.post("/notes", json={"text": 5})
    for answer in (declared, invalid):
        assert answer.status_code == 422
        validator.validate(answer.json())
    assert isinstance(invalid.json()["detail"], list)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"detail": 5})
    # FastAPI's own answers are documented too: 404 where a path param could be empty, 400
    # where a body could be unreadable; they are not the operation's to raise.
    pet = doc["paths"]["/notes/pets/{name}"]["get"]["responses"]
    assert (
        pet["404"]["description"]
        == "No route matches the path (a param is empty or spans segments)."
    )
    assert (await client.get("/notes/pets/")).status_code == 404
    assert add["responses"]["400"]["description"] == "The request body could not be read."
    unreadable = await client.post(
        "/notes", content=b"\x80 is not UTF-8", headers={"content-type": "application/json"}
    )
    assert unreadable.status_code == 400
    # An operation without inputs cannot fail validation: its 422 is its own only.
    assert "ValidationErrorBody" not in str(doc["paths"]["/notes/count"]["get"]["responses"])


async def test_an_undeclared_error_is_a_logged_500(
    app_client: tuple[AsyncClient, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """list_users declares no errors: a domain error raised from it is not passed on as its
    status (which the spec and OpenAPI never promise) but answered 500 and logged."""
    client, users, _ = app_client
    protocol = load("backend.generated.users.protocol")

    async def list_users(**_: Any) -> Any:
        raise protocol.UsersConflict("e-mail taken")

    users.list_users = list_users
    with caplog.at_level("ERROR"):
        answer = await client.get("/users")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error"}
    assert (
        "contract violation: list_users raised UsersConflict (409), which its spec does not "
        "declare; answered 500"
    ) in caplog.text

    # What counts is the status: any domain error with a status the operation declares is
    # that declared error.
    class Gone(protocol.UsersError):  # type: ignore[misc,name-defined]
        status_code = 404

    async def get_user(user_id: int) -> Any:
        raise Gone(f"user {user_id} is gone")

    users.get_user = get_user
    gone = await client.get("/users/3")
    assert gone.status_code == 404 and gone.json() == {"detail": "user 3 is gone"}


def tracked(controller: Any, name: str, log: list[str]) -> Any:
    """The controller, turned into an async context manager that logs its entry and exit."""

    class Tracked(type(controller)):  # type: ignore[misc]
        async def __aenter__(self) -> Any:
            log.append(f"enter {name}")
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            log.append(f"exit {name}")

    controller.__class__ = Tracked
    return controller


async def test_controllers_that_are_context_managers_live_as_long_as_the_app(
    generated: Path,
) -> None:
    """The lifespan hook: the app enters the controllers that are async context managers when
    it starts, in the order of its domains, and exits them in reverse when it stops; the others
    are left alone."""
    m = modules()
    log: list[str] = []
    users = tracked(users_controller(), "users", log)
    oddities = tracked(oddities_controller(), "oddities", log)
    broker = m["events"].make_broker(REDIS_URL)
    app = m["app"].create_app(
        users=users, notes=notes_controller(), oddities=oddities, broker=broker
    )
    async with TestRedisBroker(broker), app.router.lifespan_context(app):
        assert log == ["enter oddities", "enter users"]
        log.append("serving")
    assert log == ["enter oddities", "enter users", "serving", "exit users", "exit oddities"]

    log.clear()
    worker = m["app"].create_worker(
        users=users, notes=notes_controller(), oddities=oddities, broker=broker
    )
    async with worker.lifespan_context():
        log.append("working")
    assert log == ["enter oddities", "enter users", "working", "exit users", "exit oddities"]

    # One object serving two domains is entered once (an httpx client, say, opens only once).
    log.clear()
    both = tracked(oddities_controller(), "both", log)
    app = m["app"].create_app(users=users_controller(), notes=both, oddities=both, broker=broker)
    async with TestRedisBroker(broker), app.router.lifespan_context(app):
        pass
    assert log == ["enter both", "exit both"]
