"""The generated client against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis
import uvicorn

from tests.engine.conftest import require_service
from tests.engine.fakes import modules, notes_controller, oddities_controller, users_controller

REDIS_URL = "redis://127.0.0.1:6379/7"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(generated: Path) -> Iterator[tuple[str, Any, Any, dict[str, Any]]]:
    require_service("127.0.0.1", 6379, "Redis", "start one with `redis-server --daemonize yes`")
    redis.Redis.from_url(REDIS_URL).flushdb()
    m = modules()
    users, notes = users_controller(), notes_controller()
    app = m["app"].create_app(
        users=users,
        notes=notes,
        oddities=oddities_controller(),
        broker=m["events"].make_broker(REDIS_URL),
    )
    port = free_port()
    with Server(app, port):
        yield f"http://127.0.0.1:{port}", users, notes, m


async def test_client_round_trip(served: tuple[str, Any, Any, dict[str, Any]]) -> None:
    url, _, _, m = served
    c, s, local = m["clients"], m["schemas"], m["local"]
    async with c.BackendClient(url) as backend:
        payload = s.UserCreate(
            email="ada@example.com",
            name="Ada",
            score="2",
            external_id="12345678-1234-5678-1234-567812345678",
        )
        user = await backend.create_user(payload)
        assert isinstance(user, s.UserRead) and user.id == 1
        with pytest.raises(c.BackendConflict) as conflict:
            await backend.create_user(payload)
        assert conflict.value.status_code == 409 and "already" in conflict.value.detail
        assert await backend.get_user(1) == user
        with pytest.raises(c.BackendNotFound, match="no user 5"):
            await backend.get_user(5)
        assert await backend.list_users(role=s.Role.member) == [user]
        assert await backend.list_users(role=s.Role.admin) == []
        await backend.delete_user(1)
        # delete_user declares no 404: the controller's "no user" is a contract violation, which
        # the server answers 500 (and the client raises as its base class).
        with pytest.raises(c.BackendError) as gone:
            await backend.delete_user(1)
        assert gone.value.status_code == 500

        note = await backend.add_note(local.Note(text="hello", json="j"))
        assert note.text == "hello" and note.json_ == "j"
        with pytest.raises(c.BackendUnprocessableContent, match="no thanks"):
            await backend.add_note(local.Note(text="reject"))
        found = await backend.find_notes(q="hel", flag=True, status=local.NoteStatus.closed)
        assert [n.text for n in found] == ["hello"]
        assert await backend.count_notes() == 1
        pet = await backend.pet_of("cat x&y?")  # path segments are quoted
        assert isinstance(pet.root, s.Cat) and pet.root.lives == 8
        # `..` would be resolved away by the URL ("/notes/pets/.." is "/notes/"): encoded.
        assert isinstance((await backend.pet_of("..")).root, s.Dog)
        with pytest.raises(ValueError, match="cannot be empty"):
            await backend.pet_of("")
        replaced = await backend.replace_note(3, local.Note(text="x"))
        assert replaced.text == "3:x"


async def test_retries_only_idempotent_methods(generated: Path) -> None:
    """5xx answers are retried, with backoff, for GET, PUT and DELETE only: a scripted server,
    so that nothing depends on timing, load or how a real server handles its connections."""
    c, s = modules()["clients"], modules()["schemas"]
    answers: list[int] = []
    sent: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.method)
        status = answers.pop(0) if answers else 200
        return httpx2.Response(status, json=[] if status == 200 else {"detail": "down"})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        backend = c.BackendClient("http://backend", client=http, backoff=0)
        answers[:] = [500, 503]
        assert await backend.list_users() == []
        assert sent == ["GET", "GET", "GET"]
        sent.clear()
        answers[:] = [500] * 5
        with pytest.raises(c.BackendError) as exc:
            await backend.list_users()
        assert exc.value.status_code == 500 and sent == ["GET"] * 4  # 1 try + 3 retries
        sent.clear()
        answers[:] = [500]
        payload = s.UserCreate(
            email="a@example.com", name="A", score="1", external_id=str(uuid.UUID(int=1))
        )
        with pytest.raises(c.BackendError):
            await backend.create_user(payload)
        assert sent == ["POST"]  # not idempotent: never sent twice


async def test_connect_errors_are_retried_then_raised(generated: Path) -> None:
    c = modules()["clients"]
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        raise httpx2.ConnectError("refused", request=request)

    shared_client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    backend = c.BackendClient("http://backend", client=shared_client, backoff=0.001, retries=2)
    with pytest.raises(httpx2.ConnectError):
        await backend.get_user(1)
    assert calls == 3
    calls = 0
    with pytest.raises(httpx2.ConnectError):
        await backend.create_user(
            modules()["schemas"].UserCreate(
                email="a@b.co",
                name="A",
                score=1,
                external_id="12345678-1234-5678-1234-567812345678",
            )
        )
    assert calls == 1  # POST is not idempotent: no retry
    await backend.aclose()
    assert not shared_client.is_closed  # an injected client is the caller's to close
    await shared_client.aclose()


def test_base_url_comes_from_the_environment(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = modules()["clients"]
    monkeypatch.delenv("BACKEND_URL", raising=False)
    with pytest.raises(ValueError, match="BACKEND_URL"):
        c.BackendClient()
    monkeypatch.setenv("BACKEND_URL", "http://example.invalid:9/")
    client = c.BackendClient()
    assert client.base_url == "http://example.invalid:9"
    asyncio.run(client.aclose())


async def test_idempotent_requests_survive_a_dropped_connection(generated: Path) -> None:
    """A pooled connection that the server closed (as it may after a 5xx) fails the next
    request with a read error: idempotent methods retry it, others do not."""
    c, s = modules()["clients"], modules()["schemas"]
    sent: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.method)
        if len(sent) == 1:
            raise httpx2.ReadError("connection closed by peer", request=request)
        return httpx2.Response(200, json=[])

    transport = httpx2.MockTransport(handler)
    async with httpx2.AsyncClient(transport=transport) as http:
        backend = c.BackendClient("http://backend", client=http, backoff=0)
        assert await backend.list_users() == []
        assert sent == ["GET", "GET"]
        sent.clear()
        payload = s.UserCreate(
            email="a@example.com", name="A", score="1", external_id=str(uuid.UUID(int=1))
        )
        with pytest.raises(httpx2.ReadError):
            await backend.create_user(payload)
        assert sent == ["POST"]
