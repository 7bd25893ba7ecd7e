"""What generated routes and subscribers need to publish an operation's event on success,
without depending on any database library: the event scope (`stage_event`) and the interface
of an outbox (`EventOutbox`). `specforge_runtime.outbox` implements it with SQLAlchemy, and its
`record_event` records the event in the scope of the operation in flight.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from specforge_runtime.events import EventInfo

log = logging.getLogger("specforge.outbox")

# Publishes one stored event: channel, its JSON body, its identity. The generated events module's
# `publish_event` is one (bound to a broker).
Publish = Callable[[str, bytes, EventInfo], Awaitable[None]]


def prepared(prepare: Callable[[], Awaitable[None]], publish: Publish) -> Publish:
    """`publish`, calling `prepare` first until it succeeds once (its error fails the publish,
    which the relay retries): the generated app creates its consumers' groups so before its
    outbox publishes anything, also when the broker was down when the app started."""
    ready = False

    async def publish_prepared(channel: str, body: bytes, event: EventInfo) -> None:
        nonlocal ready
        if not ready:
            await prepare()
            ready = True
        await publish(channel, body, event)

    return publish_prepared


class EventOutbox(Protocol):
    """An outbox as the generated app and routes use it (`specforge_runtime.outbox.Outbox`)."""

    max_payload: int

    def wake(self) -> None:
        """Have the relay look for new events now."""

    async def committed(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` are committed to the outbox."""

    def running(self, publish: Publish) -> AbstractAsyncContextManager[None]:
        """Run the relay for the duration of a block."""

    async def start(self, publish: Publish) -> None:
        """Start the relay."""

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the relay."""


class OutboxError(RuntimeError):
    """A misuse of the outbox by a controller (not a broker or database failure)."""


@dataclass
class StagedEvent:
    """The event of one operation in flight (see `stage_event`)."""

    outbox: EventOutbox | None
    operation: str
    channel: str
    message_type: type[BaseModel]
    # The ids `record_event` inserted, in order (a transaction retried after a failed commit
    # records again); at the scope's end, the one that committed.
    attempts: list[EventInfo] = field(default_factory=list)
    event: EventInfo | None = None  # the event committed to the outbox, known at the end
    closed: bool = False

    @property
    def recorded(self) -> bool:
        return self.event is not None

    @property
    def fallback_id(self) -> str | None:
        """The id to publish the event under when none committed to the outbox (the caller
        publishes it): the last one recorded, so that a transaction that commits late (left
        running by the controller) makes the relay publish a duplicate of one event id, not a
        second event."""
        return self.attempts[-1].id if self.attempts else None


_staged: ContextVar[StagedEvent | None] = ContextVar("specforge_staged_event", default=None)


@asynccontextmanager
async def stage_event(
    outbox: EventOutbox | None, operation: str, channel: str, message_type: type[BaseModel]
) -> AsyncIterator[StagedEvent]:
    """The scope of one `publish_on_success` operation: inside it, `record_event` records the
    operation's event. At its normal end, the scope asks the database which recorded event
    committed (a savepoint or a transaction rolled back after `record_event` takes its row
    with it): that one is `staged.event`, and wakes the relay. When none did, `staged.event`
    is None and the caller publishes the event itself; while the app has an outbox, that is a
    contract violation, logged."""
    staged = StagedEvent(outbox, operation, channel, message_type)
    token = _staged.set(staged)
    try:
        yield staged
    finally:
        staged.closed = True
        _staged.reset(token)
    if outbox is None:
        return
    committed = await outbox.committed([e.id for e in staged.attempts])
    events = [e for e in staged.attempts if e.id in committed]
    if events:
        staged.event = events[-1]
        outbox.wake()
    if len(events) > 1:
        log.error(
            "contract violation: %s committed %d events on %r (one per operation); consumers "
            "get each of them",
            operation,
            len(events),
            channel,
        )
    elif not events:
        log.error(
            "contract violation: %s returned without committing its event on %r in the outbox "
            "(`await record_event(session, result)` in its transaction); published directly, "
            "so the event is lost if the process dies now",
            operation,
            channel,
        )


def current_stage() -> StagedEvent | None:
    """The event scope of the operation in flight, if any."""
    return _staged.get()
