"""A consumer of `users.registered` for the event tests, run as a process:

    python -c "from tests.events.consumer import main; main()"

It subscribes with the generated `subscribe_user_registered()` (the same code as the services'
workers) in each consumer group of `$CONSUMER_GROUPS`, a JSON object of group -> behaviour:

- `mode`: `ok` (the handler returns), `fail` (it always raises: a poison message), or `flaky`
  (it raises on the first delivery, in this process, of the events of users whose id is 3
  modulo 7, and returns on the next);
- `delay`: seconds the handler takes (default 0).

Every call of a handler appends one JSON line to `$CONSUMER_LOG` (group, event id, user id,
operation, outcome, pid) before it returns or raises, so the test sees every delivery,
duplicates included. `consumer ready` is printed once the broker and its subscribers started.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import FastStream

from shared.generated.events import make_broker, subscribe_user_registered
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo

Handler = Callable[[UserRead, EventInfo], Awaitable[None]]


class PoisonedError(RuntimeError):
    """What a failing handler raises."""


def handler(group: str, behaviour: dict[str, Any], log_fd: int) -> Handler:
    mode = str(behaviour.get("mode", "ok"))
    delay = float(behaviour.get("delay", 0))
    if mode not in ("ok", "fail", "flaky"):
        raise ValueError(f"unknown mode {mode!r} of group {group}")
    failed_once: set[str] = set()

    def record(user: UserRead, event: EventInfo, outcome: str) -> None:
        line = {
            "group": group,
            "event_id": event.id,
            "user_id": user.id,
            "operation": event.operation,
            "outcome": outcome,
            "pid": os.getpid(),
        }
        os.write(log_fd, (json.dumps(line) + "\n").encode())  # one write: one whole line

    async def handle(user: UserRead, event: EventInfo) -> None:
        if delay:
            await asyncio.sleep(delay)
        fail = mode == "fail" or (
            mode == "flaky" and user.id % 7 == 3 and event.id not in failed_once
        )
        if fail:
            failed_once.add(event.id)
            record(user, event, "raised")
            raise PoisonedError(f"poisoned handler of {group}: cannot handle user {user.id}")
        record(user, event, "ok")

    return handle


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper())
    groups: dict[str, dict[str, Any]] = json.loads(os.environ["CONSUMER_GROUPS"])
    log_fd = os.open(os.environ["CONSUMER_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    broker = make_broker()
    for group, behaviour in groups.items():
        subscribe_user_registered(broker, handler(group, behaviour, log_fd), group=group)
    app = FastStream(broker)

    @app.after_startup
    async def ready() -> None:
        print("consumer ready", flush=True)

    asyncio.run(app.run())


if __name__ == "__main__":
    main()
