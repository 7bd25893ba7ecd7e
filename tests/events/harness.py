"""Real processes for the event acceptance tests: a private `redis-server` per test, services
started as `python -c <code>`, their logs kept in files and attached to failures.

Nothing here talks to the machine's own Redis: each test starts a `redis-server` on a free
loopback port, in its own directory, and stops it at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

CHANNEL = "users.registered"
LOG_TAIL = 6000  # characters of each child's log attached to a failure


def require_redis_server() -> str:
    """The `redis-server` executable; skips the test without one (fails it under CI=true)."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no redis-server executable (CI=true)")
        pytest.skip("no redis-server executable: install Redis (`apt-get install redis-server`)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a child: this interpreter's import path (absolute, so that the child
    imports the same code from any directory), unbuffered output, then `extra`."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in sys.path),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class Child:
    """A process of this test (started in its own process group), its output kept in a log."""

    name: str
    log: Path
    proc: subprocess.Popen[bytes] | None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole process group, then reap."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):  # it died in between
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def wait_http(self, url: str, timeout: float = 90) -> None:
        """Wait until `url` answers 200 (the service started), or fail with its log."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{tail(self.output())}")
            try:
                if httpx2.get(url, timeout=2).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer {url}:\n{tail(self.output())}")
            time.sleep(0.1)

    def wait_log(self, text: str, timeout: float = 90) -> None:
        """Wait until `text` is in the output, or fail with it."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if not self.alive() or time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: no {text!r} in its output:\n{tail(self.output())}"
                )
            time.sleep(0.05)

    def _spawn(self, argv: Sequence[str], env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n==== start {time.strftime('%H:%M:%S')} {' '.join(argv)[:200]}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                list(argv), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )


class Process(Child):
    """A service or a consumer, started as `python -c <code>`."""

    def __init__(self, name: str, code: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.code = code
        self.env = child_env(env)
        self.log = log_dir / f"{name}.log"
        self.proc = None

    def start(self) -> Process:
        self._spawn([sys.executable, "-c", self.code], self.env)
        return self


class RedisServer(Child):
    """A private `redis-server` on a free loopback port, in `directory`.

    `durable`: the append-only file on, fsynced before every reply (`appendfsync always`), so
    that a stop and a start keep every write a client was told succeeded (streams, consumer
    groups, their pending entries). Otherwise nothing is persisted (`--save ''`, no AOF).
    """

    def __init__(self, directory: Path, *, durable: bool = False, name: str = "redis") -> None:
        self.name = name
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.durable = durable
        self.port = free_port()
        self.log = directory / f"{name}.log"
        self.proc = None
        self.executable = require_redis_server()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        argv = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.directory),
            "--daemonize",
            "no",
        ]
        if self.durable:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        return argv

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def start(self, timeout: float = 30) -> RedisServer:
        """Start the server and wait until it answers PING (its data loaded)."""
        self._spawn(self.argv(), dict(os.environ))
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            while True:
                if not self.alive():
                    raise AssertionError(f"redis-server exited on start:\n{self.output()}")
                try:
                    if client.ping():
                        return self
                except redis.exceptions.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"redis-server did not answer:\n{self.output()}")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM (Redis' own shutdown: it flushes its append-only file), then reap."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def tail(text: str, limit: int = LOG_TAIL) -> str:
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


class Children:
    """Every process a test started: stopped (SIGKILL to each process group) at its end, and
    their logs, to attach to a failure."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Child] = []

    def add(self, child: Child) -> Child:
        self.started.append(child)
        return child

    def process(self, name: str, code: str, env: dict[str, str]) -> Process:
        p = Process(name, code, env, self.log_dir)
        self.started.append(p)
        return p.start()

    def redis(self, *, durable: bool = False, name: str = "redis") -> RedisServer:
        """A private redis-server, started (on another free port if another process took the
        one it was given in between)."""
        for attempt in range(3):
            server = RedisServer(self.log_dir / name, durable=durable, name=name)
            self.started.append(server)
            try:
                return server.start()
            except AssertionError:
                if attempt == 2 or "Address already in use" not in server.output():
                    raise
        raise AssertionError("unreachable")

    def logs(self) -> str:
        seen: set[Path] = set()
        parts = []
        for child in self.started:
            if child.log in seen:
                continue
            seen.add(child.log)
            parts.append(f"---- {child.name} ({child.log}) ----\n{tail(child.output())}")
        return "\n".join(parts)

    def explain(self, message: str) -> str:
        """`message`, followed by the children's logs (for an assertion's message)."""
        return f"{message}\n\n==== logs of the child processes ====\n{self.logs()}"

    def stop_all(self) -> None:
        for child in reversed(self.started):
            try:
                child.kill()
            except Exception as exc:  # keep stopping the others
                print(f"could not stop {child.name}: {exc}", file=sys.stderr)

    def eventually(
        self, check: Callable[[], bool], what: str, timeout: float = 120, interval: float = 0.1
    ) -> float:
        """Poll `check` until it holds; returns the seconds it took. On timeout, fails with
        `what` and the children's logs. Never an assertion by itself: a deadline, generous."""
        started = time.monotonic()
        deadline = started + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(self.explain(f"timed out after {timeout:.0f} s: {what}"))
            time.sleep(interval)
        return time.monotonic() - started


# -- the consumer's record of deliveries (see consumer.py) ----------------------------------


@dataclass(frozen=True)
class Delivery:
    """One call of a consumer's handler."""

    group: str
    event_id: str
    user_id: int
    operation: str | None
    outcome: str  # "ok" or "raised"
    pid: int


def deliveries(path: Path) -> list[Delivery]:
    """The handler calls a consumer recorded in `path` (JSON lines, one per call)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if not line.endswith("}"):
            continue  # a line being written
        record: dict[str, Any] = json.loads(line)
        out.append(Delivery(**record))
    return out


# -- the backend's database --------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    event_id: str
    channel: str
    operation: str | None
    user_id: int
    created_at: datetime
    published_at: datetime | None
    attempts: int

    @property
    def published(self) -> bool:
        return self.published_at is not None


def _utc(text: str | None) -> datetime | None:
    """A datetime column of SQLite (SQLAlchemy stores UTC without an offset)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _read(path: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query of the SQLite database at `path`."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        rows: list[tuple[Any, ...]] = conn.execute(query).fetchall()
        return rows


def outbox_rows(path: Path) -> list[OutboxRow]:
    """The rows of `specforge_outbox`, in order."""
    rows = _read(
        path,
        "SELECT seq, event_id, channel, operation, payload, created_at, published_at, attempts "
        "FROM specforge_outbox ORDER BY seq",
    )
    out = []
    for seq, event_id, channel, operation, payload, created_at, published_at, attempts in rows:
        created = _utc(created_at)
        assert created is not None
        out.append(
            OutboxRow(
                seq=seq,
                event_id=event_id,
                channel=channel,
                operation=operation,
                user_id=int(json.loads(payload)["id"]),
                created_at=created,
                published_at=_utc(published_at),
                attempts=attempts,
            )
        )
    return out


def users(path: Path) -> dict[int, str]:
    """The users table: id -> name."""
    return {int(i): str(n) for i, n in _read(path, "SELECT id, name FROM users")}


def table_exists(path: Path, table: str) -> bool:
    return bool(
        _read(path, f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
    )


# -- code of the child processes -----------------------------------------------------------

# backend as `./pants run services/backend:backend` serves it (`build_app`: the real
# controllers, the transactional outbox), on DATABASE_URL, publishing to REDIS_URL.
BACKEND = """\
import os

import uvicorn

from backend.main import build_app

uvicorn.run(
    build_app(os.environ["DATABASE_URL"]),
    host="127.0.0.1",
    port=int(os.environ["PORT"]),
    log_level="warning",
)
"""

NOTIFICATIONS = "from notifications.main import main; main()"

CONSUMER = "from tests.events.consumer import main; main()"


def consumer_env(log: Path, groups: dict[str, dict[str, Any]], **extra: str) -> dict[str, str]:
    """The environment of a consumer (see consumer.py): its groups and how each one behaves."""
    return {"CONSUMER_LOG": str(log), "CONSUMER_GROUPS": json.dumps(groups), **extra}


def group_ready(client: redis.Redis, group: str, stream: str = CHANNEL) -> bool:
    """Whether consumer group `group` of `stream` exists (a subscriber has started)."""
    try:
        groups = client.xinfo_groups(stream)
    except redis.exceptions.ResponseError:  # no such stream yet
        return False
    return any(_text(g["name"]) == group for g in groups)


def group_info(client: redis.Redis, group: str, stream: str = CHANNEL) -> dict[str, Any]:
    for g in client.xinfo_groups(stream):
        if _text(g["name"]) == group:
            return {str(k): v for k, v in g.items()}
    raise AssertionError(f"no group {group} on {stream}")


def pending(client: redis.Redis, group: str, stream: str = CHANNEL) -> int:
    return int(client.xpending(stream, group)["pending"])


def caught_up(client: redis.Redis, group: str, stream: str = CHANNEL) -> bool:
    """Whether `group` has been delivered the last entry of `stream` and has acknowledged
    every delivery: from then on its consumers have nothing left to handle (unless more is
    published). A handler records its call before it returns, so its record is complete."""
    last = entries(client, stream, count=1, newest_first=True)
    if not last:
        return False
    info = group_info(client, group, stream)
    delivered = _text(info["last-delivered-id"])
    return delivered == last[0][0] and pending(client, group, stream) == 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


Entry = tuple[str, dict[str, bytes]]


def entries(
    client: redis.Redis,
    stream: str,
    *,
    first: str = "-",
    last: str = "+",
    count: int | None = None,
    newest_first: bool = False,
) -> list[Entry]:
    """Entries of `stream` (XRANGE, or XREVRANGE when `newest_first`): id and fields, as text
    and bytes."""
    if newest_first:
        raw = client.xrevrange(stream, last, first, count=count)
    else:
        raw = client.xrange(stream, first, last, count=count)
    out = []
    for entry_id, fields in raw or []:
        if entry_id is not None and fields is not None:
            out.append((_text(entry_id), {_text(k): _bytes(v) for k, v in fields.items()}))
    return out


def stream_event_ids(client: redis.Redis, stream: str = CHANNEL) -> list[str]:
    """The `event-id` header of every entry of `stream`, in order."""
    out: list[str] = []
    first = "-"
    while True:
        batch = entries(client, stream, first=first, count=1000)
        if first != "-":
            batch = batch[1:]  # the entry the previous batch ended with
        if not batch:
            return out
        out.extend(event_id_of(fields) for _, fields in batch)
        first = batch[-1][0]


def entry_headers(fields: dict[str, bytes]) -> dict[str, Any]:
    """The headers of a stream entry written by FastStream's publisher (its binary envelope:
    headers, then the body)."""
    from faststream.redis.parser import BinaryMessageFormatV1

    _, headers = BinaryMessageFormatV1.parse(fields["__data__"])
    return headers


def event_id_of(fields: dict[str, bytes]) -> str:
    """The `event-id` header of a stream entry."""
    headers = entry_headers(fields)
    event_id = headers.get("event-id")
    assert isinstance(event_id, str), headers
    return event_id
