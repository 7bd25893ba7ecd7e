"""The notifications worker: `create_worker()` with its controllers, run by FastStream.

REDIS_URL=redis://127.0.0.1:6379 ./pants run services/notifications:notifications
"""

from __future__ import annotations

import asyncio
import logging
import os

from faststream import FastStream
from redis.asyncio import Redis

from notifications.controllers.welcome import Welcome
from notifications.generated.app import create_worker
from shared.generated.events import BROKER_URL_ENV, DEFAULT_BROKER_URL


def build_worker() -> FastStream:
    redis = Redis.from_url(os.environ.get(BROKER_URL_ENV, DEFAULT_BROKER_URL))
    return create_worker(welcome=Welcome(redis))


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    asyncio.run(build_worker().run())


if __name__ == "__main__":
    main()
