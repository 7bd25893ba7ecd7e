"""The transactional outbox: events recorded in the writer's transaction, relayed in order,
retried while publishing fails, and nothing recorded outside an operation's scope."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from specforge_runtime.events import EventInfo
from specforge_runtime.outbox import Outbox, outbox_table, record_event
from specforge_runtime.publishing import EventOutbox, OutboxError, prepared, stage_event

OPERATION = "svc/things.create_thing"
CHANNEL = "things.created"


class Thing(BaseModel):
    id: int
    name: str


class Other(BaseModel):
    id: int


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'outbox.sqlite3'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def outbox(engine: AsyncEngine) -> Outbox:
    outbox = Outbox(engine, poll_interval=0.05, retry_initial=0.001, retry_max=0.01)
    _: EventOutbox = outbox  # what the generated app and routes take (checked by mypy)
    await outbox.ensure_table()
    return outbox


async def rows(engine: AsyncEngine) -> list[tuple[str, str, str | None, str, bool, int]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(
                outbox_table.c.event_id,
                outbox_table.c.channel,
                outbox_table.c.operation,
                outbox_table.c.payload,
                outbox_table.c.published_at.is_not(None),
                outbox_table.c.attempts,
            ).order_by(outbox_table.c.seq)
        )
        return [tuple(r) for r in result.all()]  # type: ignore[misc]


async def record(outbox: Outbox, engine: AsyncEngine, thing: Thing) -> EventInfo:
    async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged, engine.begin() as conn:
        event = await record_event(conn, thing)
    assert staged.recorded and staged.event == event
    return event


async def test_an_event_is_recorded_in_the_writers_transaction(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    event = await record(outbox, engine, Thing(id=1, name="a"))
    assert event.channel == CHANNEL and event.operation == OPERATION
    assert await rows(engine) == [(event.id, CHANNEL, OPERATION, '{"id":1,"name":"a"}', False, 0)]
    assert await outbox.pending() == 1


async def test_a_rolled_back_transaction_takes_its_event_with_it(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    with pytest.raises(RuntimeError, match="write failed"):
        async with (
            stage_event(outbox, OPERATION, CHANNEL, Thing),
            engine.begin() as conn,
        ):
            await record_event(conn, Thing(id=1, name="a"))
            raise RuntimeError("write failed")
    assert await rows(engine) == []


async def test_only_the_event_that_committed_counts(
    outbox: Outbox, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """A savepoint rolled back after `record_event` takes the row with it: the route must then
    publish the event itself. A transaction retried after a failed commit records again."""
    async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged, engine.begin() as conn:
        savepoint = await conn.begin_nested()
        await record_event(conn, Thing(id=1, name="a"))
        await savepoint.rollback()
    assert not staged.recorded  # nothing committed: the caller publishes directly
    assert "returned without committing its event" in caplog.text

    async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged:
        for attempt in (1, 2):  # the first attempt's transaction rolls back
            with contextlib.suppress(RuntimeError):
                async with engine.begin() as conn:
                    event = await record_event(conn, Thing(id=attempt, name="a"))
                    if attempt == 1:
                        raise RuntimeError("serialization failure")
    assert staged.event == event and [r[0] for r in await rows(engine)] == [event.id]


async def test_an_event_recorded_after_the_operation_returned_is_refused(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    """A task the controller left running cannot record the event of an operation that already
    answered."""
    late: list[asyncio.Task[EventInfo]] = []

    async def later() -> EventInfo:
        await asyncio.sleep(0)
        async with engine.begin() as conn:
            return await record_event(conn, Thing(id=1, name="a"))

    async with stage_event(outbox, OPERATION, CHANNEL, Thing):
        late.append(asyncio.create_task(later()))  # copies the context, scope included
    with pytest.raises(OutboxError, match="before the operation returns"):
        await late[0]
    assert await rows(engine) == []


async def test_misuse_is_an_outbox_error(outbox: Outbox, engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        with pytest.raises(OutboxError, match="publish_on_success"):
            await record_event(conn, Thing(id=1, name="a"))  # no operation in flight
        async with stage_event(None, OPERATION, CHANNEL, Thing):
            with pytest.raises(OutboxError, match="the app has none"):
                await record_event(conn, Thing(id=1, name="a"))
        small = Outbox(engine, max_payload=10)
        async with stage_event(small, OPERATION, CHANNEL, Thing):
            with pytest.raises(
                OutboxError, match=r"publishes Thing on 'things\.created', not Other"
            ):
                await record_event(conn, Other(id=1))
            with pytest.raises(
                OutboxError, match=r"is 19 bytes, more than the outbox's max_payload \(10\)"
            ):
                await record_event(conn, Thing(id=1, name="a"))
    async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged, engine.begin() as conn:
        # What validates as the message is taken, as FastAPI takes it from a controller.
        await record_event(conn, {"id": 1, "name": "a"})
    assert staged.recorded


async def test_an_operation_that_does_not_record_its_event_is_logged(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "specforge.outbox"):
        async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged:
            pass
    assert not staged.recorded
    assert "contract violation: svc/things.create_thing returned without committing" in caplog.text
    caplog.clear()
    async with stage_event(None, OPERATION, CHANNEL, Thing) as staged:  # no outbox: no word
        pass
    assert caplog.text == ""


async def test_the_relay_publishes_in_order_and_marks_what_it_published(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    events = [await record(outbox, engine, Thing(id=n, name=f"t{n}")) for n in range(3)]
    sent: list[tuple[str, bytes, EventInfo]] = []

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        sent.append((channel, body, event))

    assert await outbox.relay_once(publish) == 3
    assert [e for _, _, e in sent] == events
    assert [b for _, b, _ in sent] == [f'{{"id":{n},"name":"t{n}"}}'.encode() for n in range(3)]
    assert [r[4] for r in await rows(engine)] == [True, True, True]
    assert await outbox.relay_once(publish) == 0  # each event once
    assert len(sent) == 3


async def test_a_failed_publish_stops_the_batch_and_keeps_the_order(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    events = [await record(outbox, engine, Thing(id=n, name="t")) for n in range(3)]
    sent: list[str] = []
    broken = {events[1].id}

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        if event.id in broken:
            raise ConnectionError("broker down")
        sent.append(event.id)

    with pytest.raises(ConnectionError, match="broker down"):
        await outbox.relay_once(publish)
    assert sent == [events[0].id]  # the third waits for the second
    state = await rows(engine)
    assert [(r[4], r[5]) for r in state] == [(True, 0), (False, 1), (False, 0)]
    async with engine.connect() as conn:
        error = await conn.scalar(
            select(outbox_table.c.last_error).where(outbox_table.c.event_id == events[1].id)
        )
    assert error == "ConnectionError: broker down"
    broken.clear()
    assert await outbox.relay_once(publish) == 2
    assert sent == [e.id for e in events]


async def test_the_running_relay_retries_until_publishing_works_again(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    failures = 5
    sent: list[str] = []

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("broker down")
        sent.append(event.id)

    async with outbox.running(publish):
        events = [await record(outbox, engine, Thing(id=n, name="t")) for n in range(4)]
        for _ in range(2000):  # a deadline, not a timing: the relay finishes far sooner
            if await outbox.pending() == 0:
                break
            await asyncio.sleep(0.01)
    assert sent == [e.id for e in events]
    assert failures == 0
    assert await outbox.pending() == 0


async def test_an_event_left_by_a_dead_process_is_published_by_the_next_relay(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    event = await record(outbox, engine, Thing(id=1, name="t"))  # no relay ran
    sent: list[str] = []

    async def publish(channel: str, body: bytes, e: EventInfo) -> None:
        sent.append(e.id)

    fresh = Outbox(engine, poll_interval=0.05)
    async with fresh.running(publish):
        for _ in range(2000):
            if sent:
                break
            await asyncio.sleep(0.01)
    assert sent == [event.id]


async def test_published_events_are_pruned_after_keep_published(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    kept = Outbox(engine, keep_published=timedelta(hours=1))
    old, new = [await record(outbox, engine, Thing(id=n, name="t")) for n in range(2)]

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        pass

    await kept.relay_once(publish)
    async with engine.begin() as conn:  # the first was published two hours ago
        await conn.execute(
            update(outbox_table)
            .where(outbox_table.c.event_id == old.id)
            .values(published_at=datetime.now(UTC) - timedelta(hours=2))
        )
    assert await kept.prune() == 1
    assert [r[0] for r in await rows(engine)] == [new.id]


async def test_stopping_lets_the_batch_in_flight_be_marked(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    """A relay stopped while it publishes finishes the batch and marks it: a restart does not
    publish it again."""
    events = [await record(outbox, engine, Thing(id=n, name="t")) for n in range(3)]
    publishing = asyncio.Event()
    proceed = asyncio.Event()
    sent: list[str] = []

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        publishing.set()
        await proceed.wait()
        sent.append(event.id)

    await outbox.start(publish)
    await publishing.wait()
    stopping = asyncio.create_task(outbox.stop())
    await asyncio.sleep(0)  # the stop request is in before the batch goes on
    proceed.set()
    await stopping
    assert sent == [e.id for e in events]
    assert await outbox.pending() == 0


async def test_a_hanging_publish_is_cancelled_after_the_stop_timeout(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    await record(outbox, engine, Thing(id=1, name="t"))
    publishing = asyncio.Event()

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        publishing.set()
        await asyncio.Event().wait()  # never returns

    await outbox.start(publish)
    await publishing.wait()
    await outbox.stop(timeout=0.01)
    assert await outbox.pending() == 1  # left for the next start


async def test_a_late_commit_publishes_one_event_id_twice_not_two_events(
    outbox: Outbox, engine: AsyncEngine
) -> None:
    """A controller that leaves its transaction to a task which commits after the operation
    returned: nothing committed at the scope's end, so the route publishes the event itself,
    under the recorded id (`fallback_id`), and the relay's later copy has that same id."""
    commit = asyncio.Event()

    async def write() -> None:
        async with engine.begin() as conn:
            await record_event(conn, Thing(id=7, name="late"))
            await commit.wait()

    async with stage_event(outbox, OPERATION, CHANNEL, Thing) as staged:
        task = asyncio.create_task(write())
        while not staged.attempts:
            await asyncio.sleep(0)
    assert not staged.recorded and staged.fallback_id == staged.attempts[0].id
    commit.set()
    await task
    assert [r[0] for r in await rows(engine)] == [staged.fallback_id]


async def test_prepared_publishing_waits_for_its_preparation() -> None:
    """The relay of an app whose broker was down at start-up creates the consumer groups
    before its first publish: a failed preparation fails the publish (retried later)."""
    calls: list[str] = []
    failures = 2

    async def prepare() -> None:
        nonlocal failures
        calls.append("prepare")
        if failures:
            failures -= 1
            raise ConnectionError("broker down")

    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        calls.append(event.id)

    send = prepared(prepare, publish)
    event = EventInfo.new(CHANNEL)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await send(CHANNEL, b"{}", event)
    await send(CHANNEL, b"{}", event)
    await send(CHANNEL, b"{}", event)
    assert calls == ["prepare", "prepare", "prepare", event.id, event.id]


async def test_the_relay_starts_once(outbox: Outbox) -> None:
    async def publish(channel: str, body: bytes, event: EventInfo) -> None:
        pass

    await outbox.start(publish)
    try:
        with pytest.raises(OutboxError, match="already running"):
            await outbox.start(publish)
    finally:
        await outbox.stop()
    await outbox.stop()  # stopping a stopped relay does nothing
