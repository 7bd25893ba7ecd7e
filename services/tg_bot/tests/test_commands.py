"""tg_bot's commands through the generated client, against backend's generated users router
served in-process with an in-memory controller. (Only backend's *spec* is a dependency here,
not its code: changing a backend controller does not retest tg_bot.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from faststream.redis import RedisBroker, TestRedisBroker
from httpx2 import ASGITransport, AsyncClient

from backend.generated.users.protocol import UsersConflict, UsersController, UsersNotFound
from backend.generated.users.router import create_router
from shared.generated.schemas import CommandReceived, Role, UserCreate, UserRead, UserUpdate
from specforge_runtime.events import EventInfo
from tg_bot.controllers.commands import Commands
from tg_bot.generated.clients import BackendClient


class InMemoryUsers(UsersController):
    def __init__(self) -> None:
        self.users: list[UserRead] = []

    async def create_user(self, payload: UserCreate) -> UserRead:
        if any(u.telegram_id == payload.telegram_id for u in self.users):
            raise UsersConflict()
        user = UserRead(
            id=len(self.users) + 1, created_at=datetime.now(UTC), **payload.model_dump()
        )
        self.users.append(user)
        return user

    async def list_users(
        self,
        *,
        role: Role | None = None,
        telegram_id: int | None = None,
        name_prefix: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[UserRead]:
        found = [u for u in self.users if telegram_id is None or u.telegram_id == telegram_id]
        return found[offset : offset + limit]

    async def get_user(self, user_id: int) -> UserRead:
        for u in self.users:
            if u.id == user_id:
                return u
        raise UsersNotFound()

    async def update_user(self, user_id: int, payload: UserUpdate) -> UserRead:
        raise NotImplementedError

    async def delete_user(self, user_id: int) -> None:
        raise NotImplementedError


@pytest.fixture
async def backend() -> AsyncIterator[BackendClient]:
    broker = RedisBroker()
    app = FastAPI()
    app.include_router(create_router(InMemoryUsers(), broker=broker))
    # create_user publishes user_registered: to an in-memory broker here.
    async with TestRedisBroker(broker), AsyncClient(transport=ASGITransport(app=app)) as http:
        yield BackendClient("http://backend", client=http)


EVENT = EventInfo.new("chat.commands")


def command(text: str, chat_id: int = 42) -> CommandReceived:
    return CommandReceived(chat_id=chat_id, text=text, sent_at=datetime.now(UTC))


async def test_start_registers_once(backend: BackendClient) -> None:
    commands = Commands(backend)
    await commands.handle_command(command("/start Ada"), event=EVENT)
    await commands.handle_command(command("/start Ada"), event=EVENT)  # redelivered: no second user
    users = await backend.list_users()
    assert [(u.name, u.telegram_id) for u in users] == [("Ada", 42)]
    assert await commands.whoami(42) == users[0]
    assert await commands.whoami(7) is None


async def test_start_without_a_name(backend: BackendClient) -> None:
    await Commands(backend).handle_command(command("/start", chat_id=9), event=EVENT)
    assert [u.name for u in await backend.list_users()] == ["user9"]


async def test_unknown_commands_are_ignored(backend: BackendClient) -> None:
    await Commands(backend).handle_command(command("/dance"), event=EVENT)
    assert await backend.list_users() == []
