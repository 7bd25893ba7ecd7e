"""tg_bot's commands against a real backend app, through the generated client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faststream.redis import TestRedisBroker
from httpx2 import ASGITransport, AsyncClient
from tg_bot.generated.clients import BackendClient

from backend.main import build_app
from shared.generated.schemas import CommandReceived
from tg_bot.controllers.commands import Commands


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[BackendClient]:
    app = build_app(f"sqlite:///{tmp_path / 'backend.sqlite3'}")
    # backend publishes `user_registered`; an in-memory broker stands in for Redis here
    # (tests/integration runs the real thing).
    async with TestRedisBroker(app.state.broker):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport) as http:
            yield BackendClient("http://backend", client=http)


def command(text: str, chat_id: int = 42) -> CommandReceived:
    return CommandReceived(chat_id=chat_id, text=text, sent_at=datetime.now(UTC))


async def test_start_registers_once(backend: BackendClient) -> None:
    commands = Commands(backend)
    await commands.handle_command(command("/start Ada"))
    await commands.handle_command(command("/start Ada"))  # redelivered: no second user
    users = await backend.list_users()
    assert [(u.name, u.telegram_id) for u in users] == [("Ada", 42)]
    assert await commands.whoami(42) == users[0]
    assert await commands.whoami(7) is None


async def test_start_without_a_name(backend: BackendClient) -> None:
    await Commands(backend).handle_command(command("/start", chat_id=9))
    assert [u.name for u in await backend.list_users()] == ["user9"]
