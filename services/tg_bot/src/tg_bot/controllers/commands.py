"""Chat commands: `/start <name>` registers the chat's user in backend, `/whoami` looks it up.

All calls to backend go through the generated `BackendClient`; there is no hand-written HTTP.
Commands arrive at least once, so `/start` is idempotent: a chat that is already registered
gets its existing user back.
"""

from __future__ import annotations

import logging
from typing import Self

from shared.generated.schemas import CommandReceived, UserCreate, UserRead
from specforge_runtime.events import EventInfo
from tg_bot.generated.clients import BackendClient, BackendConflict
from tg_bot.generated.commands.protocol import CommandsController

log = logging.getLogger("tg_bot.commands")


class Commands(CommandsController):
    """The app enters it when it starts and exits it when it stops, which closes its client of
    backend."""

    def __init__(self, backend: BackendClient) -> None:
        self.backend = backend

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.backend.aclose()

    async def handle_command(self, payload: CommandReceived, *, event: EventInfo) -> None:
        command, _, argument = payload.text.strip().partition(" ")
        if command == "/start":
            user = await self.start(payload.chat_id, argument.strip())
            log.info("chat %s is user %s (%s)", payload.chat_id, user.id, user.name)
        elif command == "/whoami":
            found = await self.whoami(payload.chat_id)
            log.info("chat %s is %s", payload.chat_id, found.name if found else "not registered")
        else:
            log.info("chat %s: unknown command %r", payload.chat_id, command)

    async def start(self, chat_id: int, name: str) -> UserRead:
        try:
            return await self.backend.create_user(
                UserCreate(name=name or f"user{chat_id}", telegram_id=chat_id)
            )
        except BackendConflict:
            existing = await self.whoami(chat_id)
            if existing is None:
                raise
            return existing

    async def whoami(self, chat_id: int) -> UserRead | None:
        users = await self.backend.list_users(telegram_id=chat_id, limit=1)
        return users[0] if users else None
