"""The tg_bot worker: `create_worker()` with its controllers, run by FastStream.

BACKEND_URL=http://127.0.0.1:8000 ./pants run services/tg_bot:tg_bot
"""

from __future__ import annotations

import asyncio
import logging
import os

from faststream import FastStream

from tg_bot.controllers.commands import Commands
from tg_bot.generated.app import create_worker
from tg_bot.generated.clients import BackendClient


def build_worker() -> FastStream:
    backend = BackendClient(os.environ.get("BACKEND_URL", "http://127.0.0.1:8000"))
    return create_worker(commands=Commands(backend))


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    asyncio.run(build_worker().run())


if __name__ == "__main__":
    main()
