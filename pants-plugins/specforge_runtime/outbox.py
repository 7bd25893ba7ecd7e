"""The transactional outbox: the event of a `publish_on_success` operation is written in the same
database transaction as the operation's own writes, and a relay publishes it afterwards.

Without it, a route commits and then publishes: if the broker is down at that moment, or the
process dies between the two, the write stays and its event is lost. With it:

1. The generated route opens an *event scope* for the operation (`stage_event`).
2. The controller, inside its transaction, calls `await record_event(session, result)`: one
   row of the `specforge_outbox` table, in the same transaction as its writes. If the
   transaction rolls back, so does the event.
3. After the controller returns, the route wakes the relay and answers. The relay (started by
   the generated app, `create_app(outbox=...)`) publishes pending rows in order, marks each one
   published, and retries with backoff while the broker is unreachable. Published rows are
   deleted after `keep_published`.

An event is therefore published at least once per committed write: a row published whose mark
was lost (the process died in between) is published again, with the same event id, which is
what consumers deduplicate by (`EventInfo.id`).

A controller that returns without recording the event of an outbox-backed operation breaks the
contract: the route then publishes the event itself (as a service without an outbox does) and
logs the violation.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from specforge_runtime.events import EventInfo, new_event_id
from specforge_runtime.publishing import OutboxError, Publish, current_stage

log = logging.getLogger("specforge.outbox")

# The outbox's own metadata, so that it can be created apart from the service's tables (or
# included in its migrations: `outbox_table.to_metadata(your_metadata)`).
metadata = MetaData()
outbox_table = Table(
    "specforge_outbox",
    metadata,
    # SQLite's INTEGER PRIMARY KEY is its rowid (autoincrement); elsewhere a BIGINT identity.
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("channel", Text, nullable=False),
    Column("operation", Text, nullable=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

# The largest event JSON `record_event` takes: below the default message limits of NATS (1 MiB)
# and Kafka (1 MB), with room for headers. An event no broker would take is refused while its
# transaction can still roll back, rather than blocking the relay after the answer.
DEFAULT_MAX_PAYLOAD = 900_000
# The PostgreSQL advisory lock that one relay holds while it publishes (an arbitrary constant).
RELAY_LOCK_KEY = 0x5F0B0C5


def _now() -> datetime:
    return datetime.now(UTC)


async def record_event(session: AsyncSession | AsyncConnection, message: object) -> EventInfo:
    """Record the event of the operation in flight, `message`, in `session`'s transaction.

    Call it from a controller's `publish_on_success` operation, before the transaction commits,
    with the value the operation returns (a model, or what validates as one). Raises
    `OutboxError` outside such an operation (or after it returned), when the app has no
    outbox, when `message` is not a valid event message, or when its JSON exceeds the
    outbox's `max_payload`.
    """
    staged = current_stage()
    if staged is None or staged.closed:
        raise OutboxError(
            "record_event() is for an operation with `publish_on_success`, called by its "
            "generated route or subscriber, before the operation returns"
        )
    if staged.outbox is None:
        raise OutboxError(
            f"{staged.operation} records its event in an outbox, but the app has none: pass "
            "`outbox=Outbox(engine)` to create_app() or create_worker()"
        )
    try:
        valid = staged.message_type.model_validate(message)
    except ValidationError as exc:
        raise OutboxError(
            f"{staged.operation} publishes {staged.message_type.__name__} on "
            f"{staged.channel!r}, not {type(message).__name__}: {exc}"
        ) from exc
    payload = valid.model_dump_json(by_alias=True)
    if len(payload.encode()) > staged.outbox.max_payload:
        raise OutboxError(
            f"{staged.operation}: the event's JSON is {len(payload.encode())} bytes, more than "
            f"the outbox's max_payload ({staged.outbox.max_payload}); no broker would take it"
        )
    event = EventInfo(id=new_event_id(), channel=staged.channel, operation=staged.operation)
    await session.execute(
        insert(outbox_table).values(
            event_id=event.id,
            channel=event.channel,
            operation=event.operation,
            payload=payload,
            created_at=_now(),
            attempts=0,
        )
    )
    staged.attempts.append(event)
    return event


class Outbox:
    """The outbox table of one database, and its relay.

    `create_table` (default on) creates the table when the relay starts, if it is missing; turn
    it off when migrations own the schema. The relay publishes up to `batch_size` events per
    round, in the order they were recorded, and waits for the next `wake()` or `poll_interval`
    seconds, whichever comes first (the poll finds events recorded by other instances, or left
    by a process that died). While publishing fails it retries the oldest pending event after
    an exponential backoff with jitter, from `retry_initial` to `retry_max` seconds. On
    PostgreSQL, rows being published are locked (`FOR UPDATE SKIP LOCKED`), so that several
    instances share the work instead of publishing twice.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        create_table: bool = True,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        keep_published: timedelta = timedelta(hours=1),
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.engine = engine
        self.create_table = create_table
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.keep_published = keep_published
        self.max_payload = max_payload
        self._wakeup: asyncio.Event | None = None
        self._pruned_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Have the relay look for new events now."""
        if self._wakeup is not None:
            self._wakeup.set()

    async def ensure_table(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all, tables=[outbox_table])

    async def committed(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` are in the outbox table (committed)."""
        if not event_ids:
            return set()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.event_id).where(outbox_table.c.event_id.in_(event_ids))
            )
            return {str(r[0]) for r in rows}

    async def pending(self) -> int:
        """How many recorded events are not published yet."""
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.published_at.is_(None))
            )
        return int(count or 0)

    async def relay_once(self, publish: Publish) -> int:
        """Publish one batch of pending events, in order; returns how many were published.

        Stops at the first event that fails to publish (so that events keep their order),
        counting the attempt on it, and raises that error after marking the ones before it.
        On PostgreSQL, a relay publishes while holding a transaction-scoped advisory lock, so
        that one relay of all the instances on the database publishes at a time, in order (the
        others find the lock taken and publish nothing this round). Elsewhere (SQLite) no
        transaction is held while publishing, which could take long while the broker is
        unreachable (a writer would wait for it): run one relay per database there.
        """
        locking = self.engine.dialect.name == "postgresql"
        query = (
            select(
                outbox_table.c.seq,
                outbox_table.c.event_id,
                outbox_table.c.channel,
                outbox_table.c.operation,
                outbox_table.c.payload,
            )
            .where(outbox_table.c.published_at.is_(None))
            .order_by(outbox_table.c.seq)
            .limit(self.batch_size)
        )
        if locking:
            async with self.engine.begin() as conn:
                locked = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY}
                )
                if not locked:
                    return 0  # another instance's relay is publishing
                rows = (await conn.execute(query)).all()
                count, failure = await self._publish(conn, rows, publish)
        else:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            async with self.engine.begin() as conn:
                count, failure = await self._publish(conn, rows, publish)
        if failure is not None:  # raised after the marks above are committed
            raise failure
        return count

    async def _publish(
        self, conn: AsyncConnection, rows: Sequence[Any], publish: Publish
    ) -> tuple[int, Exception | None]:
        """Publish `rows` in order until one fails; mark the published ones and count the
        attempt on the failed one, in `conn`'s transaction."""
        published: list[int] = []
        failure: Exception | None = None
        for seq, event_id, channel, operation, payload in rows:
            event = EventInfo(id=event_id, channel=channel, operation=operation)
            try:
                await publish(channel, payload.encode(), event)
            except Exception as exc:  # the broker's errors are many; all mean "not now"
                failure = exc
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.seq == seq)
                    .values(
                        attempts=outbox_table.c.attempts + 1,
                        last_error=f"{type(exc).__name__}: {exc}"[:1000],
                    )
                )
                break
            published.append(seq)
        if published:
            await conn.execute(
                update(outbox_table)
                .where(outbox_table.c.seq.in_(published))
                .values(published_at=_now())
            )
        return len(published), failure

    async def prune(self) -> int:
        """Delete events published more than `keep_published` ago; returns how many."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(outbox_table).where(
                    outbox_table.c.published_at < _now() - self.keep_published
                )
            )
        return int(result.rowcount or 0)

    async def run(self, publish: Publish) -> None:
        """Relay until `stop()` (or cancelled); the table must exist (see `running`)."""
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        wakeup = self._wakeup
        delay = self.retry_initial
        failing_since: datetime | None = None
        failures = 0
        while not self._stopping:
            wakeup.clear()
            try:
                count = await self.relay_once(publish)
            except Exception as exc:
                failures += 1
                if failing_since is None:
                    failing_since = _now()
                # The 1st, 2nd, 4th, 8th... failure in a row: an outage is logged, and so is an
                # event that no retry will publish, without flooding the log.
                if failures & (failures - 1) == 0:
                    log.warning(
                        "outbox: publishing failed %d time(s) in a row, retrying with backoff "
                        "(the oldest pending event's last_error says why): %s",
                        failures,
                        exc,
                    )
                # Full jitter: instances that failed together do not retry together. (A
                # wake-up, which `stop()` sends too, ends the wait early.)
                with suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), random.uniform(0, delay))
                delay = min(delay * 2, self.retry_max)
                continue
            if failing_since is not None:
                log.warning(
                    "outbox: publishing again after %.1f s of failures",
                    (_now() - failing_since).total_seconds(),
                )
                failing_since = None
            failures = 0
            delay = self.retry_initial
            if count == self.batch_size:
                continue  # more may be waiting
            await self._maybe_prune()
            with suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), self.poll_interval)

    async def _maybe_prune(self) -> None:
        now = _now()
        if self._pruned_at is None or now - self._pruned_at > timedelta(minutes=1):
            self._pruned_at = now
            try:
                await self.prune()
            except Exception as exc:  # pruning is housekeeping: never stop relaying for it
                log.warning("outbox: pruning published events failed: %s", exc)

    async def start(self, publish: Publish) -> None:
        """Start the relay in a task (creating the table first, see `create_table`)."""
        if self._task is not None:
            raise OutboxError("the outbox's relay is already running")
        if self.create_table:
            await self.ensure_table()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self.run(publish), name="specforge-outbox-relay")

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the relay once the batch it is publishing is published and marked (so that a
        restart does not publish it again), cancelling it after `timeout` seconds (a broker
        that hangs). Events it has not published stay in the table for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        finally:
            self._wakeup = None

    @asynccontextmanager
    async def running(self, publish: Publish) -> AsyncIterator[None]:
        """Run the relay for the duration of the block."""
        await self.start(publish)
        try:
            yield
        finally:
            await self.stop()
