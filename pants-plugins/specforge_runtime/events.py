"""The identity of an event: a stable id, the operation that produced it, and its channel.

Every event is published with two headers, `event-id` (a UUID, the same on every redelivery and
every retry of the publish) and `event-operation` (`<service>/<domain>.<operation>` of the
operation that produced it, absent for an event published by hand). Generated subscribers hand
an `EventInfo` to each handler, so that a handler can deduplicate redeliveries by `id`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EVENT_ID_HEADER = "event-id"
EVENT_OPERATION_HEADER = "event-operation"
# Set on a dead letter replayed to one consumer group (see `specforge_runtime.streams`): the
# subscribers of every other group acknowledge it without calling their handlers.
REPLAY_GROUP_HEADER = "event-replay-group"
# What a received id or operation must look like to be taken: printable ASCII without spaces,
# bounded (headers come from whoever can publish on the broker; ids reach logs and terminals).
_ID = re.compile(r"[!-~]{1,128}")
_OPERATION = re.compile(r"[!-~]{1,512}")


def new_event_id() -> str:
    """A new event id: a random UUID, as text."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class EventInfo:
    """What a handler knows about the event it handles, besides its message.

    `id` is stable across redeliveries and publish retries: two deliveries with one id are one
    event. `operation` names the operation whose success published it (`None` when the event
    was published by other code).
    """

    id: str
    channel: str
    operation: str | None = None

    def headers(self) -> dict[str, Any]:
        """The headers that carry this event's identity on the wire (text values, in a dict
        typed as each broker's client takes its headers)."""
        headers: dict[str, Any] = {EVENT_ID_HEADER: self.id}
        if self.operation is not None:
            headers[EVENT_OPERATION_HEADER] = self.operation
        return headers

    @classmethod
    def new(cls, channel: str, operation: str | None = None) -> EventInfo:
        return cls(id=new_event_id(), channel=channel, operation=operation)

    @classmethod
    def from_headers(
        cls,
        headers: Mapping[str, object],
        *,
        channel: str,
        fallback_id: str,
    ) -> EventInfo:
        """The identity of a received event. An event without a usable `event-id` header
        (published by a producer that predates it, or not by specforge's code, or one that is
        not printable ASCII of at most 128 characters) is known by `fallback_id`, the broker's
        own id of the message, which must be stable across its redeliveries."""
        event_id = headers.get(EVENT_ID_HEADER)
        operation = headers.get(EVENT_OPERATION_HEADER)
        return cls(
            id=event_id if isinstance(event_id, str) and _ID.fullmatch(event_id) else fallback_id,
            channel=channel,
            operation=(
                operation
                if isinstance(operation, str) and _OPERATION.fullmatch(operation)
                else None
            ),
        )
