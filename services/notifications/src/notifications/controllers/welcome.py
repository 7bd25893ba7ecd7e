"""The welcome domain: one welcome notification per registered user, recorded in Redis.

Events arrive at least once, so recording is idempotent, by the event's id: in one Redis
transaction, the handler marks the event id handled (`SET <key>:event:<id> NX`, kept for
`$NOTIFICATIONS_DEDUP_TTL` seconds, default 7 days) and stores the notification in the hash
`$NOTIFICATIONS_KEY` (default `notifications:welcome`) under the user's id with HSETNX. A
redelivered event finds its id marked: it is counted in `<key>:duplicates` and changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Self

from redis.asyncio import Redis

from notifications.generated.welcome.protocol import WelcomeController
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo

log = logging.getLogger("notifications.welcome")

DEFAULT_KEY = "notifications:welcome"
DEFAULT_DEDUP_TTL = 7 * 24 * 3600


def welcome_text(user: UserRead) -> str:
    return f"Welcome, {user.name}!"


class Welcome(WelcomeController):
    """The worker enters it when it starts and exits it when it stops, which closes its Redis
    connections."""

    def __init__(self, redis: Redis, key: str | None = None, dedup_ttl: int | None = None) -> None:
        self.redis = redis
        self.key = key or os.environ.get("NOTIFICATIONS_KEY", DEFAULT_KEY)
        self.dedup_ttl = dedup_ttl or int(
            os.environ.get("NOTIFICATIONS_DEDUP_TTL", DEFAULT_DEDUP_TTL)
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.redis.aclose()

    async def send_welcome(self, payload: UserRead, *, event: EventInfo) -> None:
        record = json.dumps(
            {"user_id": payload.id, "text": welcome_text(payload), "event_id": event.id}
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self.key}:event:{event.id}", 1, nx=True, ex=self.dedup_ttl)
            pipe.hsetnx(self.key, str(payload.id), record)
            first, _ = await pipe.execute()
        if first:
            log.info("welcome sent to user %s (event %s)", payload.id, event.id)
        else:
            await self.redis.incr(f"{self.key}:duplicates")
            log.info("event %s was already handled: user %s", event.id, payload.id)
