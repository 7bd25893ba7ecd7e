"""The welcome domain: one welcome notification per registered user, recorded in Redis.

Events arrive at least once, so recording is idempotent: the notification is stored in the hash
`$NOTIFICATIONS_KEY` (default `notifications:welcome`) under the user's id with HSETNX, which
keeps the first one and ignores repeats.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Self

from redis.asyncio import Redis

from notifications.generated.welcome.protocol import WelcomeController
from shared.generated.schemas import UserRead

log = logging.getLogger("notifications.welcome")

DEFAULT_KEY = "notifications:welcome"


def welcome_text(user: UserRead) -> str:
    return f"Welcome, {user.name}!"


class Welcome(WelcomeController):
    """The worker enters it when it starts and exits it when it stops, which closes its Redis
    connections."""

    def __init__(self, redis: Redis, key: str | None = None) -> None:
        self.redis = redis
        self.key = key or os.environ.get("NOTIFICATIONS_KEY", DEFAULT_KEY)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.redis.aclose()

    async def send_welcome(self, payload: UserRead) -> None:
        record = json.dumps({"user_id": payload.id, "text": welcome_text(payload)})
        created = await self.redis.hsetnx(self.key, str(payload.id), record)
        if created:
            log.info("welcome sent to user %s", payload.id)
        else:
            log.info("welcome for user %s was already sent", payload.id)
