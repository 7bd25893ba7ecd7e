"""Acceptance tests of "events that lose nothing": the transactional outbox, dead letters and
their replay, and retention that keeps what a consumer group still needs, as real processes.

Each test starts its own `redis-server` on a free loopback port (never the machine's), backend
under uvicorn on a SQLite file of the test's directory, and its consumers: the notifications
worker, or `tests/events/consumer.py` (the generated subscriber, recording every delivery).
Eventual conditions are polled with generous deadlines; no assertion rests on a sleep.

The figures of each test are printed as one `FIGURES <test> {json}` line: to see them,
`./pants test --test-output=all tests/events:: -- -s` (or `-rP`).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis
import redis.asyncio

from shared.generated.events import make_broker, publish_user_registered
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo
from specforge_runtime.streams import Retention, trim
from tests.events.harness import (
    BACKEND,
    CHANNEL,
    CONSUMER,
    NOTIFICATIONS,
    Children,
    caught_up,
    child_env,
    consumer_env,
    deliveries,
    entries,
    entry_headers,
    free_port,
    group_ready,
    outbox_rows,
    pending,
    stream_event_ids,
    table_exists,
    users,
)


def figures(test: str, values: dict[str, Any]) -> None:
    print(f"\nFIGURES {test} {json.dumps(values, sort_keys=True)}", flush=True)


def publish(url: str, messages: Sequence[UserRead]) -> list[EventInfo]:
    """Publish `user_registered` events with the generated publisher; their identities."""

    async def run() -> list[EventInfo]:
        broker = make_broker(url)
        await broker.connect()
        try:
            return [await publish_user_registered(broker, m) for m in messages]
        finally:
            await broker.stop()

    return asyncio.run(run())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# -- 1. broker outage ------------------------------------------------------------------------


@dataclass
class Answer:
    index: int
    status: int | None  # None: no answer (a transport error)
    user_id: int | None
    at: float  # time.monotonic() when it came
    error: str = ""


@dataclass
class Burst:
    """`total` POST /users from `clients` threads, each with its own HTTP client."""

    url: str
    total: int
    clients: int
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self) -> int:
        with self.lock:
            return len(self.answers)

    def client(self, k: int) -> None:
        with httpx2.Client(base_url=self.url, timeout=60) as http:
            for i in range(k, self.total, self.clients):
                try:
                    r = http.post("/users", json={"name": f"Outage {i:04d}"})
                    user_id = int(r.json()["id"]) if r.status_code == 201 else None
                    answer = Answer(i, r.status_code, user_id, time.monotonic(), r.text[:200])
                except httpx2.HTTPError as exc:
                    answer = Answer(i, None, None, time.monotonic(), repr(exc))
                with self.lock:
                    self.answers.append(answer)


def test_broker_outage_loses_no_event(children: Children, tmp_path: Path) -> None:
    """1,000 POST /users while the broker goes down for a while and comes back: every create
    answers 201 (its event is in the outbox, not on the broker), and each committed user's
    event reaches the consumers, once per event id (duplicates, if any, repeat an id).

    The outage is a real one: redis-server is stopped with SIGTERM (its shutdown, connections
    refused) and started again on the same port. Redis runs with its append-only file, fsynced
    before each reply (`appendfsync always`): what it acknowledged before the outage (events
    already published, consumer groups and their pending entries, the dedup marks of
    notifications) survives it, as it would for a production broker. Without persistence the
    restart would be a new, empty broker: already-published events would be lost by the broker
    itself, not by the outbox, and FastStream stops a subscriber whose group vanished (NOGROUP).
    SIGSTOP/SIGCONT would not be an outage: connections stay open and calls merely wait.
    """
    total, clients, hold = 1000, 4, 2.0
    server = children.redis(durable=True)
    r = server.client()
    db = tmp_path / "backend.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    common = {"REDIS_URL": server.url, "EVENTS_RECLAIM_AFTER_MS": "1000", "LOG_LEVEL": "WARNING"}
    audit_log = tmp_path / "audit.jsonl"
    audit = children.process(
        "audit", CONSUMER, {**common, **consumer_env(audit_log, {"audit": {"mode": "ok"}})}
    )
    children.process("notifications", NOTIFICATIONS, {**common, "NOTIFICATIONS_KEY": "welcome"})
    backend = children.process(
        "backend", BACKEND, {**common, "DATABASE_URL": sqlite_url(db), "PORT": str(port)}
    )
    backend.wait_http(f"{url}/health")
    audit.wait_log("consumer ready")
    children.eventually(
        lambda: group_ready(r, "audit") and group_ready(r, "notifications"),
        "the consumer groups audit and notifications",
    )

    burst = Burst(url, total, clients)
    with ThreadPoolExecutor(clients) as pool:
        started_at = time.monotonic()
        running = [pool.submit(burst.client, k) for k in range(clients)]
        children.eventually(
            lambda: burst.done() >= total // 4, "a quarter of the burst", interval=0.01
        )
        server.stop()  # the outage starts: the server is gone, connections are refused
        down_at, down_wall, done_at_stop = time.monotonic(), datetime.now(UTC), burst.done()
        # Down for `hold` seconds at least, and until 100 more creates were answered (so that
        # the outage certainly overlaps the burst, on a machine of any speed).
        children.eventually(
            lambda: (
                time.monotonic() - down_at >= hold
                and (burst.done() >= done_at_stop + 100 or burst.done() == total)
            ),
            "100 answers while the broker is down",
        )
        server.start()  # same port, same directory: it loads its append-only file
        up_at, up_wall = time.monotonic(), datetime.now(UTC)
        for f in running:
            f.result()
    outage = up_at - down_at
    ended_at = max(a.at for a in burst.answers)
    answers = sorted(burst.answers, key=lambda a: a.index)
    statuses = Counter(a.status for a in answers)
    during = [a for a in answers if down_at < a.at < up_at]
    failed = [a for a in answers if a.status != 201]
    assert not failed, children.explain(f"creates that did not answer 201: {failed[:10]}")
    assert len(answers) == total
    assert len(during) >= 100 and all(a.status == 201 for a in during)

    # Every create that answered 201 is in the database, and its event in the outbox: one row
    # per committed user, each with its own event id.
    created = {a.user_id: f"Outage {a.index:04d}" for a in answers if a.user_id is not None}
    assert users(db) == created
    rows = outbox_rows(db)
    by_user = {row.user_id: row.event_id for row in rows}
    assert len(rows) == total and by_user.keys() == created.keys()
    assert len({row.event_id for row in rows}) == total
    assert {row.channel for row in rows} == {CHANNEL}
    assert {row.operation for row in rows} == {"backend/users.create_user"}
    outbox_ids = set(by_user.values())
    user_of = {event_id: user_id for user_id, event_id in by_user.items()}

    # Eventually: the relay published every row (it had failed to, during the outage) ...
    children.eventually(
        lambda: all(row.published for row in outbox_rows(db)), "the relay publishes every row"
    )
    published_at = time.monotonic()
    rows = outbox_rows(db)
    retried = sum(1 for row in rows if row.attempts)
    assert retried >= 1, children.explain("the relay never failed: no outage seen by backend")
    # What was recorded while the broker was down waited in the outbox, and went out after.
    held = [row for row in rows if down_wall < row.created_at < up_wall]
    assert held and all(row.published_at and row.published_at > up_wall for row in held)
    backlog_out = max(row.published_at for row in held if row.published_at) - up_wall
    # ... and each consumer group was delivered all of it and acknowledged it all.
    children.eventually(
        lambda: caught_up(r, "audit") and caught_up(r, "notifications"),
        "audit and notifications consume and acknowledge every event",
    )
    consumed_at = time.monotonic()

    # Exactly one distinct event id per committed user; a duplicate delivery repeats an id
    # already delivered, of the same user (never a new id for a user).
    seen = deliveries(audit_log)
    assert all(d.outcome == "ok" for d in seen)
    missing = outbox_ids - {d.event_id for d in seen}
    assert not missing, children.explain(f"{len(missing)} events never delivered: lost")
    assert {d.event_id for d in seen} == outbox_ids, "an event id that is not in the outbox"
    assert all(user_of[d.event_id] == d.user_id for d in seen)
    per_user: dict[int, set[str]] = {}
    for d in seen:
        per_user.setdefault(d.user_id, set()).add(d.event_id)
    assert per_user.keys() == created.keys()
    assert all(len(ids) == 1 for ids in per_user.values())
    audit_duplicates = len(seen) - len(outbox_ids)
    # notifications recorded each user once, with the event id of the user's outbox row.
    assert r.hlen("welcome") == total
    welcomes = {int(k): json.loads(v) for k, v in r.hgetall("welcome").items()}
    assert {u: w["event_id"] for u, w in welcomes.items()} == by_user
    notification_duplicates = int(r.get("welcome:duplicates") or 0)
    # The stream: every outbox event, some maybe twice (a publish whose reply the outage cut
    # off is retried with the same id), none else.
    on_stream = stream_event_ids(r)
    assert set(on_stream) == outbox_ids
    figures(
        "broker_outage",
        {
            "messages": total,
            "answered_201": statuses[201],
            "answered_201_during_outage": len(during),
            "outage_seconds": round(outage, 2),
            "creates_per_second_before_during_after_outage": [
                round(sum(1 for a in answers if a.at <= down_at) / (down_at - started_at)),
                round(len(during) / outage),
                round(sum(1 for a in answers if a.at >= up_at) / max(ended_at - up_at, 1e-3)),
            ],
            "events_recorded_during_outage": len(held),
            "their_publish_done_seconds_after_restart": round(backlog_out.total_seconds(), 2),
            # upper bounds: polled after the burst ended, counted from the broker's restart
            "all_published_seconds_after_restart": round(published_at - up_at, 2),
            "all_consumed_seconds_after_restart": round(consumed_at - up_at, 2),
            "lost": len(missing),
            "stream_entries": len(on_stream),
            "stream_duplicate_entries": len(on_stream) - len(set(on_stream)),
            "audit_deliveries": len(seen),
            "audit_duplicate_deliveries": audit_duplicates,
            "notifications_duplicates": notification_duplicates,
            "outbox_rows_with_failed_attempts": retried,
        },
    )


# -- 2. crash between commit and publish ------------------------------------------------------

# backend whose create_user dies (SIGKILL, no cleanup) right after the user and its event are
# committed: the fault-injection hook of this test (production code has no kill switch). Its
# outbox relay polls once an hour, so only the route's wake-up after create_user returns could
# make it publish; the kill comes first, so the event is certainly unpublished when the process
# dies (with the default poll, a poll landing in that instant could publish it first: a race
# that would not lose the event, but would make "unpublished" a matter of timing).
CRASHING_BACKEND = """\
import os
import signal

import uvicorn

from backend.controllers.users import Users
from backend.db import Database
from backend.generated.app import create_app
from shared.generated.schemas import UserCreate, UserRead
from specforge_runtime.outbox import Outbox


class CrashAfterCommit(Users):
    async def create_user(self, payload: UserCreate) -> UserRead:
        user = await super().create_user(payload)  # the user and its event are committed
        os.kill(os.getpid(), signal.SIGKILL)
        return user


db = Database(os.environ["DATABASE_URL"])
app = create_app(users=CrashAfterCommit(db), outbox=Outbox(db.engine, poll_interval=3600))
uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
"""


def test_crash_after_commit_publishes_on_restart(children: Children, tmp_path: Path) -> None:
    """The process dies between the commit of a user and the publish of its event: the event
    waits in the outbox, and the next backend on the same database publishes it, with the id
    recorded in the transaction."""
    server = children.redis()
    r = server.client()
    db = tmp_path / "backend.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    common = {"REDIS_URL": server.url, "EVENTS_RECLAIM_AFTER_MS": "1000"}
    backend_env = {**common, "DATABASE_URL": sqlite_url(db), "PORT": str(port)}
    children.process("notifications", NOTIFICATIONS, {**common, "NOTIFICATIONS_KEY": "welcome"})
    children.eventually(lambda: group_ready(r, "notifications"), "the notifications group")
    crashing = children.process("backend-crashing", CRASHING_BACKEND, backend_env)
    crashing.wait_http(f"{url}/health")

    with pytest.raises(httpx2.TransportError):  # the connection drops: no answer at all
        httpx2.post(f"{url}/users", json={"name": "Crash"}, timeout=60)
    assert crashing.proc is not None
    assert crashing.proc.wait(30) == -signal.SIGKILL, children.explain("not killed")

    rows = outbox_rows(db)
    assert len(rows) == 1, children.explain(f"outbox: {rows}")
    (row,) = rows
    assert users(db) == {row.user_id: "Crash"}
    assert not row.published and row.attempts == 0  # published_at IS NULL
    assert r.xlen(CHANNEL) == 0, "published before the crash"

    restarted_at = time.monotonic()
    restarted = children.process("backend", BACKEND, backend_env)
    restarted.wait_http(f"{url}/health")
    children.eventually(
        lambda: r.hexists("welcome", str(row.user_id)), "the welcome of the crashed create"
    )
    took = time.monotonic() - restarted_at
    welcome = json.loads(r.hget("welcome", str(row.user_id)) or b"{}")
    assert welcome["event_id"] == row.event_id
    children.eventually(lambda: outbox_rows(db)[0].published, "the row marked published")
    assert stream_event_ids(r) == [row.event_id]
    assert r.hlen("welcome") == 1 and int(r.get("welcome:duplicates") or 0) == 0
    figures(
        "crash_after_commit",
        {"event_id": row.event_id, "welcome_seconds_after_restart": round(took, 2)},
    )


# -- 3. poison message ----------------------------------------------------------------------


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specforge_runtime", "--redis-url", url, *args],
        env=child_env({}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_poison_message_dead_letters_and_replay(children: Children, tmp_path: Path) -> None:
    """A handler that always raises: after 3 deliveries the event moves to the group's dead
    letters and the original is acknowledged; the CLI lists, shows and replays it; the fixed
    handler gets it once, with its id, and the other group does not handle the replay."""
    server = children.redis()
    r = server.client()
    log = tmp_path / "deliveries.jsonl"
    common = {
        "REDIS_URL": server.url,
        "EVENTS_MAX_DELIVERIES": "3",
        "EVENTS_RECLAIM_AFTER_MS": "200",
    }
    poisoned = children.process(
        "consumer-poisoned",
        CONSUMER,
        {**common, **consumer_env(log, {"poison": {"mode": "fail"}, "other": {"mode": "ok"}})},
    )
    poisoned.wait_log("consumer ready")
    children.eventually(lambda: group_ready(r, "poison") and group_ready(r, "other"), "both groups")
    (event,) = publish(server.url, [UserRead(id=42, name="Poison", created_at=datetime.now(UTC))])
    ((original_entry, _),) = entries(r, CHANNEL)
    dead = f"{CHANNEL}:dead-letters:poison"

    children.eventually(lambda: r.xlen(dead) == 1, f"the event in {dead}")
    ((letter_id, fields),) = entries(r, dead)
    assert fields["deliveries"] == b"3"
    assert fields["event-id"].decode() == event.id
    assert fields["entry-id"].decode() == original_entry
    assert (fields["channel"], fields["group"]) == (CHANNEL.encode(), b"poison")
    error = fields["error"].decode()
    assert error == "PoisonedError: poisoned handler of poison: cannot handle user 42", error
    assert json.loads(fields["body"])["id"] == 42
    children.eventually(lambda: pending(r, "poison") == 0, "the original acknowledged")
    children.eventually(lambda: pending(r, "other") == 0, "other acknowledged it")
    calls = deliveries(log)
    assert [(d.group, d.event_id, d.outcome) for d in calls if d.group == "poison"] == [
        ("poison", event.id, "raised")
    ] * 3
    assert [(d.event_id, d.outcome) for d in calls if d.group == "other"] == [(event.id, "ok")]

    # The operator's command line.
    listed = cli(server.url, "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f"{dead}\tchannel={CHANNEL}\tgroup=poison\t1\n"
    shown = cli(server.url, "dead-letters", "show", dead)
    assert shown.returncode == 0, shown.stderr
    (record,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert record["id"] == letter_id and record["event_id"] == event.id
    assert (record["channel"], record["group"], record["stream"]) == (CHANNEL, "poison", dead)
    assert record["deliveries"] == 3 and record["error"] == error
    assert record["entry_id"] == original_entry
    assert json.loads(record["body"])["name"] == "Poison"

    # The handler is fixed: the consumer restarts without the failure, then the replay.
    poisoned.kill()
    fixed = children.process(
        "consumer-fixed",
        CONSUMER,
        {**common, **consumer_env(log, {"poison": {"mode": "ok"}, "other": {"mode": "ok"}})},
    )
    fixed.wait_log("consumer ready")
    replayed = cli(server.url, "dead-letters", "replay", dead, "--all")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == (
        f'replayed {letter_id} (event "{event.id}") to "{CHANNEL}" for group "poison"\n'
    )
    assert r.xlen(dead) == 0
    ((replay_entry, replay_fields),) = entries(r, CHANNEL, count=1, newest_first=True)
    assert replay_entry != original_entry
    headers = entry_headers(replay_fields)  # the same event, marked for poison only
    assert (headers["event-id"], headers["event-replay-group"]) == (event.id, "poison")
    children.eventually(
        lambda: caught_up(r, "poison") and caught_up(r, "other"), "both groups consume the replay"
    )
    calls = deliveries(log)
    after = [d for d in calls if d.group == "poison" and d.outcome == "ok"]
    assert [(d.event_id, d.user_id, d.pid) for d in after] == [
        (event.id, 42, fixed.proc.pid if fixed.proc else 0)
    ]
    assert len([d for d in calls if d.group == "other"]) == 1, "other handled the replay"
    listed = cli(server.url, "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f"{dead}\tchannel={CHANNEL}\tgroup=poison\t0\n"
    figures(
        "poison_message",
        {"deliveries_before_dead_letter": 3, "replayed_deliveries_poison": len(after)},
    )


# -- 4. retention -----------------------------------------------------------------------------


@dataclass
class Trimmer:
    """Trims the stream with `Retention(maxlen)` in a loop, in a thread, until stopped;
    every other call exact (`MINID`), the others approximate (`MINID ~`, the default)."""

    url: str
    maxlen: int
    calls: int = 0
    removed: int = 0
    max_length: int = 0
    errors: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    async def run(self) -> None:
        client = redis.asyncio.Redis.from_url(self.url)
        try:
            while not self.stopping.is_set():
                try:
                    self.max_length = max(self.max_length, await client.xlen(CHANNEL))
                    self.removed += await trim(
                        client,
                        CHANNEL,
                        Retention(maxlen=self.maxlen),
                        approximate=self.calls % 2 == 0,
                    )
                    self.calls += 1
                except Exception as exc:
                    self.errors.append(repr(exc))
                await asyncio.sleep(0.01)
        finally:
            await client.aclose()

    def start(self) -> Trimmer:
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(30)


def test_retention_keeps_unacknowledged_entries(children: Children, tmp_path: Path) -> None:
    """`trim()` called over and over while 5,000 events are published: a slow group that fails
    some first deliveries (pending, reclaimed later), and a group whose consumer is killed in
    the middle (its read entries pending, the rest undelivered) still get every event; once all
    is acknowledged, the stream shrinks to the policy's length."""
    total, maxlen = 5000, 100
    server = children.redis()
    r = server.client()
    for group in ("slow", "idle"):  # both exist before the first event
        r.xgroup_create(CHANNEL, group, id="$", mkstream=True)
    common = {"REDIS_URL": server.url, "EVENTS_RECLAIM_AFTER_MS": "300"}
    slow_log, idle_log = tmp_path / "slow.jsonl", tmp_path / "idle.jsonl"
    slow = children.process(
        "consumer-slow",
        CONSUMER,
        {**common, **consumer_env(slow_log, {"slow": {"mode": "flaky", "delay": 0.001}})},
    )
    idle = children.process(
        "consumer-idle", CONSUMER, {**common, **consumer_env(idle_log, {"idle": {"mode": "ok"}})}
    )
    slow.wait_log("consumer ready")
    idle.wait_log("consumer ready")

    def handled(log: Path) -> set[str]:
        return {d.event_id for d in deliveries(log) if d.outcome == "ok"}

    now = datetime.now(UTC)
    trimmer = Trimmer(server.url, maxlen).start()
    try:
        first = publish(
            server.url,
            [UserRead(id=i, name=f"U{i}", created_at=now) for i in range(1, total // 2 + 1)],
        )
        children.eventually(lambda: len(handled(idle_log)) >= 1000, "idle handles 1,000")
        idle.kill()  # mid-stream: what it read and did not acknowledge stays pending
        idle_handled_before, idle_pending = len(handled(idle_log)), pending(r, "idle")
        second = publish(
            server.url,
            [
                UserRead(id=i, name=f"U{i}", created_at=now)
                for i in range(total // 2 + 1, total + 1)
            ],
        )
        removed_during_load = trimmer.removed
        published = {e.id for e in first + second}
        assert len(published) == total
        restarted = children.process(
            "consumer-idle-2",
            CONSUMER,
            {**common, **consumer_env(idle_log, {"idle": {"mode": "ok"}})},
        )
        restarted.wait_log("consumer ready")
        took = children.eventually(
            lambda: caught_up(r, "slow") and caught_up(r, "idle"),
            "both groups consume and acknowledge every entry",
            timeout=180,
        )
    finally:
        trimmer.stop()
    for group, log in (("slow", slow_log), ("idle", idle_log)):
        lost = published - handled(log)
        assert not lost, children.explain(f"{group} never handled {len(lost)} events: trimmed?")
        assert handled(log) == published
    assert not trimmer.errors, trimmer.errors
    assert trimmer.calls > 0
    slow_calls = deliveries(slow_log)
    raised = sum(1 for d in slow_calls if d.outcome == "raised")
    assert raised == sum(1 for i in range(1, total + 1) if i % 7 == 3)
    # Once everything is acknowledged, the policy applies: the stream, which the groups kept
    # longer than `maxlen` while they needed it, shrinks to `maxlen` exactly.
    assert trimmer.max_length > maxlen
    length_before = r.xlen(CHANNEL)
    removed = asyncio.run(_trim_exact(server.url, maxlen))
    assert r.xlen(CHANNEL) == maxlen, "the stream did not shrink to the policy's length"
    # The operator's command does the same.
    trimmed = cli(server.url, "trim", CHANNEL, "--maxlen", str(maxlen // 2), "--exact")
    assert trimmed.returncode == 0, trimmed.stderr
    assert trimmed.stdout == f"{CHANNEL}: {maxlen - maxlen // 2} removed\n"
    assert r.xlen(CHANNEL) == maxlen // 2
    figures(
        "retention",
        {
            "events": total,
            "trim_calls": trimmer.calls,
            "removed_during_load": removed_during_load,
            "removed_by_trimmer": trimmer.removed,
            "max_stream_length_seen": trimmer.max_length,
            "length_before_final_trim": length_before,
            "removed_by_final_trim": removed,
            "slow_first_deliveries_failed": raised,
            "slow_handler_calls": len(slow_calls),
            "idle_handler_calls": len(deliveries(idle_log)),
            "idle_handled_before_kill": idle_handled_before,
            "idle_pending_at_kill": idle_pending,
            "caught_up_seconds": round(took, 2),
        },
    )


async def _trim_exact(url: str, maxlen: int) -> int:
    client = redis.asyncio.Redis.from_url(url)
    try:
        return await trim(client, CHANNEL, Retention(maxlen=maxlen), approximate=False)
    finally:
        await client.aclose()


# -- without an outbox ----------------------------------------------------------------------

# backend with a controller that commits the user and records no event, and no outbox:
# a service without a database (nothing to keep an outbox in) keeps today's behaviour, the
# route publishes after the controller returns, and a failure to publish is an error answer.
WITHOUT_OUTBOX_BACKEND = """\
import os

import uvicorn

from backend.controllers.users import Users, to_read
from backend.db import Database, UserRow
from backend.generated.app import create_app
from shared.generated.events import make_broker
from shared.generated.schemas import UserCreate, UserRead


class WithoutOutbox(Users):
    async def create_user(self, payload: UserCreate) -> UserRead:
        row = UserRow(name=payload.name, role=payload.role.value, tags=list(payload.tags))
        async with self.db.sessions() as session:
            session.add(row)
            await session.commit()
        return to_read(row)


app = create_app(
    users=WithoutOutbox(Database(os.environ["DATABASE_URL"])),
    broker=make_broker(os.environ["REDIS_URL"]),
    outbox=None,
)
uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
"""


def test_without_outbox_unreachable_broker_is_not_a_success(
    children: Children, tmp_path: Path
) -> None:
    """No outbox (services without a database keep today's behaviour): the route publishes
    after the controller commits; with the broker unreachable (a closed port: nothing listens
    there, no redis-server is needed) the write stays committed and the answer is 500, never a
    201 whose event was lost."""
    db = tmp_path / "backend.sqlite3"
    port, closed = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    backend = children.process(
        "backend-without-outbox",
        WITHOUT_OUTBOX_BACKEND,
        {
            "DATABASE_URL": sqlite_url(db),
            "PORT": str(port),
            "REDIS_URL": f"redis://127.0.0.1:{closed}",
        },
    )
    backend.wait_http(f"{url}/health")
    started = time.monotonic()
    answer = httpx2.post(f"{url}/users", json={"name": "Unpublished"}, timeout=120)
    took = time.monotonic() - started
    assert answer.status_code == 500, children.explain(f"{answer.status_code} {answer.text}")
    assert list(users(db).values()) == ["Unpublished"]  # committed before the publish failed
    assert not table_exists(db, "specforge_outbox")
    backend.wait_log("redis.exceptions.ConnectionError")  # the 500: the publish failed
    figures("without_outbox", {"status": answer.status_code, "answer_seconds": round(took, 2)})


# -- found by these tests, and fixed: a backlog read at once, ids that changed on redelivery --


def test_a_healthy_consumer_with_a_backlog_handles_each_event_once(
    children: Children, tmp_path: Path
) -> None:
    """A backlog (200 events published while the group's consumer is not running), then one
    healthy consumer whose handler takes 20 ms: 4 s of work in one batch, with entries reclaimed
    after 1 s. At-least-once allows a duplicate after a failure or a dead consumer; here nothing
    failed and nothing died, yet most events are handled twice."""
    server = children.redis()
    r = server.client()
    r.xgroup_create(CHANNEL, "backlog", id="$", mkstream=True)
    now = datetime.now(UTC)
    events = publish(
        server.url, [UserRead(id=i, name=f"U{i}", created_at=now) for i in range(1, 201)]
    )
    log = tmp_path / "deliveries.jsonl"
    children.process(
        "consumer",
        CONSUMER,
        {
            "REDIS_URL": server.url,
            "EVENTS_RECLAIM_AFTER_MS": "1000",
            **consumer_env(log, {"backlog": {"mode": "ok", "delay": 0.02}}),
        },
    )
    children.eventually(lambda: caught_up(r, "backlog"), "the backlog consumed")
    calls = Counter(d.event_id for d in deliveries(log))
    assert calls.keys() == {e.id for e in events}
    twice = sum(1 for n in calls.values() if n > 1)
    figures("backlog", {"events": len(events), "handled_more_than_once": twice})
    assert twice == 0, f"{twice} of {len(events)} events handled more than once"


def test_an_event_without_an_id_header_keeps_one_id_across_redeliveries(
    children: Children, tmp_path: Path
) -> None:
    """An event from a producer that predates the `event-id` header (published here with the
    broker's own publish), whose first delivery fails: its redelivery must carry the same
    `EventInfo.id` (`from_headers` promises the broker's id of the message, stable across its
    redeliveries), or deduplication by id cannot work."""
    server = children.redis()
    r = server.client()
    log = tmp_path / "deliveries.jsonl"
    consumer = children.process(
        "consumer",
        CONSUMER,
        {
            "REDIS_URL": server.url,
            "EVENTS_RECLAIM_AFTER_MS": "200",
            "EVENTS_MAX_DELIVERIES": "3",
            # flaky: the first delivery of an event id of user 3 raises, the next one succeeds
            **consumer_env(log, {"legacy": {"mode": "flaky"}}),
        },
    )
    consumer.wait_log("consumer ready")
    body = UserRead(id=3, name="Legacy", created_at=datetime.now(UTC)).model_dump_json()

    async def publish_without_id() -> None:
        broker = make_broker(server.url)
        await broker.connect()
        try:
            await broker.publish(
                body.encode(), stream=CHANNEL, headers={"content-type": "application/json"}
            )
        finally:
            await broker.stop()

    asyncio.run(publish_without_id())
    children.eventually(lambda: caught_up(r, "legacy"), "the event handled or dead-lettered")
    calls = deliveries(log)
    assert [d.outcome for d in calls] == ["raised", "ok"], calls
    assert len({d.event_id for d in calls}) == 1, [d.event_id for d in calls]
