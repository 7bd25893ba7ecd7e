#!/usr/bin/env python3
"""Runtime overhead of the generated code: a generated route called through the generated client,
against a hand-written FastAPI route called with a raw httpx2 request, in one run on loopback.

Both servers are uvicorn processes serving `GET /users/{user_id}` from the same in-memory user,
answered as the same `UserRead` model; the generated one is backend's `create_app()` (its
declared-errors route class, its 405 handler, its `/health`), the hand-written one a plain
`FastAPI()` route. Both clients validate the answer as a `UserRead` (the generated client does so
itself; the hand-written one calls `UserRead.model_validate`), so that the comparison is of
what the generated code adds, not of validating or not. Rounds alternate between the two, and
each figure is the median of the rounds.

Run it with the Python of the python-default resolve (`./pants export --resolve=python-default`)
after `./pants generate ::`, from the repo root:

    dist/export/python/virtualenvs/python-default/3.11.7/bin/python tests/bench/runtime_bench.py

This is a script, not a test: timings belong in benchmarks, not in assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PATHS = [REPO / "services/backend/src", REPO / "services/tg_bot/src", REPO, REPO / "pants-plugins"]

# Served with the generated app: backend's users domain, with a controller that has one user.
GENERATED_SERVER = """
import datetime as dt, os, uvicorn
from backend.generated.app import create_app
from backend.generated.users.protocol import UsersController, UsersNotFound
from shared.generated.events import make_broker
from shared.generated.schemas import UserRead

USER = UserRead(id=1, name="Ada", created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

class Users(UsersController):
    async def get_user(self, user_id):
        if user_id != 1:
            raise UsersNotFound()
        return USER
    async def create_user(self, payload): raise NotImplementedError
    async def list_users(self, **kwargs): raise NotImplementedError
    async def update_user(self, user_id, payload): raise NotImplementedError
    async def delete_user(self, user_id): raise NotImplementedError

app = create_app(users=Users(), broker=make_broker(os.environ["BENCH_REDIS_URL"]))
uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
"""

# The hand-written equivalent: one FastAPI route, the same model.
HANDWRITTEN_SERVER = """
import datetime as dt, os, uvicorn
from fastapi import FastAPI, HTTPException
from shared.generated.schemas import UserRead

USER = UserRead(id=1, name="Ada", created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
app = FastAPI()

@app.get("/users/{user_id}", response_model=UserRead)
async def get_user(user_id: int) -> UserRead:
    if user_id != 1:
        raise HTTPException(404)
    return USER

uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(code: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join(map(str, PATHS)),
        # A Redis database of its own: the generated app creates its consumers' groups.
        "BENCH_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
    }
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"the server on port {port} did not start")


async def generated_round(port: int, requests: int) -> float:
    from tg_bot.generated.clients import BackendClient

    async with BackendClient(f"http://127.0.0.1:{port}") as client:
        await client.get_user(1)  # connect
        start = time.perf_counter()
        for _ in range(requests):
            await client.get_user(1)
        return requests / (time.perf_counter() - start)


async def handwritten_round(port: int, requests: int) -> float:
    import httpx2

    from shared.generated.schemas import UserRead

    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await client.get("/users/1")  # connect
        start = time.perf_counter()
        for _ in range(requests):
            response = await client.get("/users/1")
            response.raise_for_status()
            UserRead.model_validate(response.json())
        return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.path[:0] = map(str, PATHS)
    generated_port, handwritten_port = free_port(), free_port()
    servers = [start(GENERATED_SERVER, generated_port), start(HANDWRITTEN_SERVER, handwritten_port)]
    try:
        generated, handwritten = [], []
        for _ in range(args.rounds):  # alternating, so that drift hits both alike
            generated.append(asyncio.run(generated_round(generated_port, args.requests)))
            handwritten.append(asyncio.run(handwritten_round(handwritten_port, args.requests)))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    g, h = statistics.median(generated), statistics.median(handwritten)
    print(f"requests per round: {args.requests}, rounds: {args.rounds} (median requests/s)")
    print(f"generated route + generated client:  {g:8.0f} req/s")
    print(f"hand-written route + raw httpx2:     {h:8.0f} req/s")
    print(f"generated / hand-written:            {g / h:8.2f}x")


if __name__ == "__main__":
    main()
