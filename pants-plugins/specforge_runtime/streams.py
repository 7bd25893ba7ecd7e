"""Redis Streams: dead letters, their replay, and retention that never drops what a consumer
group still needs.

**Dead letters.** The generated subscriber of a consumer group counts the deliveries of a
message that fails (its handler raises, or it is not a valid message): after
`$EVENTS_MAX_DELIVERIES` (default 5) it moves the message to the group's dead-letter stream
`<channel>:dead-letters:<group>`, with the error and the delivery count, and acknowledges the
original, in one transaction. `dead_letter_streams()` lists those streams (they are indexed in
the hash `specforge:dead-letters`); `replay()` publishes a dead letter again on its channel,
marked for its group only, so that the other groups' subscribers acknowledge it unhandled.

**Retention.** `trim()` removes the entries of a stream that a policy lets go (beyond the newest
`maxlen`, or older than `max_age`), except those a consumer group of the stream has not
acknowledged: pending ones (delivered, not acknowledged) and undelivered ones. Groups are the
stream's own (`XINFO GROUPS`); a group created later starts at the stream's end, so it needs
none of the older entries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from specforge_runtime.events import (
    EVENT_ID_HEADER,
    EVENT_OPERATION_HEADER,
    REPLAY_GROUP_HEADER,
    EventInfo,
)

if TYPE_CHECKING:
    from faststream.redis import RedisBroker
    from redis.asyncio import Redis as RedisClient
    from redis.typing import EncodableT, FieldT

log = logging.getLogger("specforge.streams")

MAX_DELIVERIES_ENV = "EVENTS_MAX_DELIVERIES"
DEFAULT_MAX_DELIVERIES = 5
RETENTION_MAXLEN_ENV = "EVENTS_RETENTION_MAXLEN"
DEFAULT_RETENTION_MAXLEN = 100_000
RETENTION_MAX_AGE_ENV = "EVENTS_RETENTION_MAX_AGE"  # seconds; unset: no age limit
TRIM_INTERVAL_ENV = "EVENTS_TRIM_INTERVAL"  # seconds between trims by a publishing app
DEFAULT_TRIM_INTERVAL = 60.0
DEAD_LETTERS_INDEX = "specforge:dead-letters"
ERROR_TEXT_LIMIT = 2000
TRIM_BATCH = 10_000  # entries read per trim round to find where the policy cuts


def _env_int(name: str, default: int | None, minimum: int) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"${name} must be an integer or 'none', not {text!r}") from None
    if value < minimum:
        raise ValueError(f"${name} must be at least {minimum}, not {value}")
    return value


def max_deliveries() -> int:
    """How many failed deliveries move a message to the dead letters (`$EVENTS_MAX_DELIVERIES`)."""
    value = _env_int(MAX_DELIVERIES_ENV, DEFAULT_MAX_DELIVERIES, 1)
    return DEFAULT_MAX_DELIVERIES if value is None else value


async def parse_entry(message: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's parser of a stream entry (the generated subscribers' `parser=`); for an
    entry it cannot read (not its envelope, headers that are not a mapping, field names that are
    not UTF-8: anything a client with access to the stream wrote), the entry's raw fields as the
    body, without headers, which then fail validation and reach the dead letters, instead of
    failing before any handler on every delivery."""
    try:
        parsed = await original(message)
        if isinstance(parsed.headers, Mapping):
            return parsed
    except Exception:  # read as raw below
        pass
    fields = {_latin1(k): _latin1(v) for k, v in dict(message.get("data") or {}).items()}
    envelope = json.dumps({"data": json.dumps(fields), "headers": {}}).encode()
    return await original({**message, "data": {b"__data__": envelope}})


async def decode_body(message: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's decoder (the generated subscribers' `decoder=`); a body it cannot decode by
    its content type is handed on as bytes, which then fail validation and reach the dead
    letters."""
    try:
        return await original(message)
    except Exception:
        return message.body


def entry_id(raw_message: Mapping[str, Any]) -> str:
    """The stream entry id of a received message; "" when there is none (FastStream's
    in-memory test broker)."""
    ids = raw_message.get("message_ids") or [b""]
    return _latin1(ids[0])


def _latin1(value: object) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def dead_letter_stream(channel: str, group: str) -> str:
    return f"{channel}:dead-letters:{group}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _count(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter: `id` is its entry in the dead-letter stream."""

    id: str
    stream: str
    channel: str
    group: str
    event_id: str | None
    operation: str | None
    entry_id: str  # the original's entry id in `channel`
    deliveries: int
    error: str
    failed_at: str
    body: bytes
    headers: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """Everything but the body, as JSON-ready values."""
        return {
            "id": self.id,
            "stream": self.stream,
            "channel": self.channel,
            "group": self.group,
            "event_id": self.event_id,
            "operation": self.operation,
            "entry_id": self.entry_id,
            "deliveries": self.deliveries,
            "error": self.error,
            "failed_at": self.failed_at,
        }

    @classmethod
    def from_entry(
        cls, stream: str, entry_id: bytes | str, fields: Mapping[bytes | str, bytes | str]
    ) -> DeadLetter:
        f = {_text(k): v for k, v in fields.items()}
        try:
            headers = json.loads(f.get("headers", b"{}"))
        except ValueError:
            headers = {}
        if not isinstance(headers, dict):
            headers = {}
        return cls(
            id=_text(entry_id),
            stream=stream,
            channel=_text(f.get("channel", b"")),
            group=_text(f.get("group", b"")),
            event_id=_text(f["event-id"]) if "event-id" in f else None,
            operation=_text(f["operation"]) if "operation" in f else None,
            entry_id=_text(f.get("entry-id", b"")),
            deliveries=_count(_text(f.get("deliveries", b"0"))),
            error=_text(f.get("error", b"")),
            failed_at=_text(f.get("failed-at", b"")),
            body=_bytes(f.get("body", b"")),
            headers=headers,
        )


async def dead_letter(
    redis: RedisClient,
    *,
    channel: str,
    group: str,
    entry_id: bytes | str,
    body: bytes,
    headers: Mapping[str, Any],
    error: BaseException,
    deliveries: int,
) -> str:
    """Move a failed message of `channel` to `group`'s dead letters and acknowledge it, in one
    transaction. Returns the dead-letter stream."""
    stream = dead_letter_stream(channel, group)
    fields: dict[FieldT, EncodableT] = {
        "channel": channel,
        "group": group,
        "entry-id": _text(entry_id),
        "deliveries": str(deliveries),
        "error": f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT],
        "failed-at": datetime.now(UTC).isoformat(),
        "body": body,
        "headers": json.dumps(dict(headers), default=str),
    }
    event_id = headers.get(EVENT_ID_HEADER)
    if isinstance(event_id, str):
        fields["event-id"] = event_id
    operation = headers.get(EVENT_OPERATION_HEADER)
    if isinstance(operation, str):
        fields["operation"] = operation
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(stream, fields)
        pipe.hset(DEAD_LETTERS_INDEX, stream, json.dumps([channel, group]))
        pipe.xack(channel, group, entry_id)
        await pipe.execute()
    return stream


async def dead_letter_index(redis: RedisClient) -> dict[str, tuple[str, str]]:
    """The dead-letter streams that dead-lettering recorded: stream -> (channel, group). An
    entry that is not what `dead_letter` writes (someone else's) is left out."""
    out: dict[str, tuple[str, str]] = {}
    for stream_b, where in (await redis.hgetall(DEAD_LETTERS_INDEX)).items():
        stream = _text(stream_b)
        try:
            pair = json.loads(where)
        except ValueError:
            continue
        if (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(p, str) and p and p.isascii() and p.isprintable() for p in pair)
            and stream == dead_letter_stream(pair[0], pair[1])
        ):
            out[stream] = (pair[0], pair[1])
    return out


async def dead_letter_streams(redis: RedisClient) -> list[tuple[str, str, str, int]]:
    """Every dead-letter stream: (stream, channel, group, how many letters it holds)."""
    out = []
    for stream, (channel, group) in sorted((await dead_letter_index(redis)).items()):
        if await redis.type(stream) not in (b"stream", "stream"):
            continue  # gone, or replaced by something that is not a stream
        out.append((stream, channel, group, int(await redis.xlen(stream))))
    return out


async def dead_letters(redis: RedisClient, stream: str, *, count: int = 100) -> list[DeadLetter]:
    """The oldest `count` dead letters of `stream`."""
    return await dead_letters_between(redis, stream, "-", "+", count=count)


async def dead_letters_between(
    redis: RedisClient, stream: str, first: str, last: str, *, count: int
) -> list[DeadLetter]:
    entries = await redis.xrange(stream, first, last, count=count) or []
    return [
        DeadLetter.from_entry(stream, entry_id, fields)
        for entry_id, fields in entries
        if entry_id is not None and fields is not None
    ]


async def dead_letter_by_id(redis: RedisClient, stream: str, letter_id: str) -> DeadLetter | None:
    letters = await dead_letters_between(redis, stream, letter_id, letter_id, count=1)
    return letters[0] if letters else None


def replay_headers(letter: DeadLetter) -> dict[str, Any]:
    """The headers of a replayed dead letter: its own (as text: a header value any client
    wrote), marked for its group only, with an event id: the letter's own, else the stream entry
    that its deliveries were known by (a replay is a new entry)."""
    headers: dict[str, Any] = {
        str(k): v if isinstance(v, str) else json.dumps(v, default=str)
        for k, v in letter.headers.items()
        if k != "correlation_id"
    }
    if EventInfo.from_headers(headers, channel=letter.channel, fallback_id="").id == "":
        headers[EVENT_ID_HEADER] = f"{letter.channel}/{letter.entry_id}"
    headers[REPLAY_GROUP_HEADER] = letter.group
    return headers


async def replay(broker: RedisBroker, letter: DeadLetter) -> None:
    """Publish a dead letter again on its channel, for its group only (the subscribers of the
    other groups acknowledge it without handling it), then delete it from the dead letters.
    A crash in between leaves it in both: replayed again, it is a redelivery of one event id."""
    if not letter.channel or not letter.group:
        raise ValueError(f"dead letter {letter.id} of {letter.stream} names no channel or group")
    await broker.publish(letter.body, stream=letter.channel, headers=replay_headers(letter))
    redis = await broker.connect()
    await redis.xdel(letter.stream, letter.id)


# -- retention ------------------------------------------------------------------------------


def _parse_id(entry_id: bytes | str | None) -> tuple[int, int]:
    if entry_id is None:
        raise ValueError("no entry id")
    ms, _, seq = _text(entry_id).partition("-")
    return int(ms), int(seq or 0)


def _format_id(entry_id: tuple[int, int]) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


def _after(entry_id: tuple[int, int]) -> tuple[int, int]:
    if entry_id[1] >= 2**64 - 1:  # the last sequence of a millisecond
        return (entry_id[0] + 1, 0)
    return (entry_id[0], entry_id[1] + 1)


@dataclass(frozen=True)
class Retention:
    """A retention policy: keep the newest `maxlen` entries, and those younger than `max_age`
    seconds; either may be None (no limit). An entry outside either limit may go, unless a
    consumer group still needs it."""

    maxlen: int | None = DEFAULT_RETENTION_MAXLEN
    max_age: int | None = None

    @classmethod
    def from_env(cls) -> Retention:
        """`$EVENTS_RETENTION_MAXLEN` (default 100000, `none` for no limit) and
        `$EVENTS_RETENTION_MAX_AGE` (seconds; default none)."""
        return cls(
            maxlen=_env_int(RETENTION_MAXLEN_ENV, DEFAULT_RETENTION_MAXLEN, 1),
            max_age=_env_int(RETENTION_MAX_AGE_ENV, None, 1),
        )

    @property
    def keeps_everything(self) -> bool:
        return self.maxlen is None and self.max_age is None


def trim_interval() -> float:
    text = os.environ.get(TRIM_INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_TRIM_INTERVAL
    value = float(text)
    if not value > 0:
        raise ValueError(f"${TRIM_INTERVAL_ENV} must be a positive number of seconds")
    return value


async def _groups_floor(redis: RedisClient, stream: str) -> tuple[int, int] | None:
    """The oldest entry id that some consumer group of `stream` has not acknowledged (every
    entry below it is acknowledged by every group); None when the stream has no group."""
    groups = await redis.xinfo_groups(stream)
    floor: tuple[int, int] | None = None
    for group in groups:
        oldest = _after(_parse_id(group["last-delivered-id"]))
        if int(group["pending"]):
            summary = await redis.xpending(stream, group["name"])
            if summary["min"] is not None:  # else all were acknowledged in between
                oldest = min(oldest, _parse_id(summary["min"]))
        floor = oldest if floor is None else min(floor, oldest)
    return floor


async def _policy_floor(
    redis: RedisClient, stream: str, policy: Retention
) -> tuple[int, int] | None:
    """The oldest entry id the policy keeps; None when it keeps every entry."""
    floor: tuple[int, int] | None = None
    excess = await redis.xlen(stream) - policy.maxlen if policy.maxlen is not None else 0
    if excess > 0:
        # The entry after the `excess` oldest is the oldest to keep: read up to it, not the
        # `maxlen` newest. A large excess goes over several rounds, a bounded read each.
        oldest = await redis.xrange(stream, "-", "+", count=min(excess + 1, TRIM_BATCH)) or []
        ids = [_parse_id(entry_id) for entry_id, _ in oldest]
        if ids:
            floor = ids[-1] if len(ids) == excess + 1 else _after(ids[-1])
    if policy.max_age is not None:
        by_age = (int(time.time() * 1000) - policy.max_age * 1000, 0)
        floor = by_age if floor is None else max(floor, by_age)
    return floor


async def trim(
    redis: RedisClient, stream: str, policy: Retention, *, approximate: bool = True
) -> int:
    """Trim `stream` by `policy`, keeping every entry a consumer group has not acknowledged.
    Returns how many entries were removed. `approximate` (`MINID ~`) lets Redis remove only
    whole internal nodes: cheaper, and it removes at most what an exact trim would."""
    if policy.keeps_everything or not await redis.exists(stream):
        return 0
    floor = await _policy_floor(redis, stream, policy)
    if floor is None:
        return 0
    groups = await _groups_floor(redis, stream)
    if groups is not None:
        floor = min(floor, groups)
    removed = await redis.xtrim(stream, minid=_format_id(floor), approximate=approximate)
    return int(removed)


async def _trim_forever(
    redis: RedisClient, channels: Sequence[str], policy: Retention, interval: float
) -> None:
    while True:
        for channel in channels:
            try:
                removed = await trim(redis, channel, policy)
            except Exception as exc:  # a lost connection: the next round tries again
                log.warning("trimming %s failed: %s", channel, exc)
            else:
                if removed:
                    log.debug("trimmed %d entries of %s", removed, channel)
        await asyncio.sleep(interval)


@asynccontextmanager
async def keep_trimmed(
    broker: RedisBroker,
    channels: Sequence[str],
    policy: Retention | None = None,
    interval: float | None = None,
) -> AsyncIterator[None]:
    """While the block runs, trim `channels` by `policy` (default: `Retention.from_env()`) every
    `interval` seconds (default `$EVENTS_TRIM_INTERVAL`, else 60). The generated app of a
    service runs it for the channels the service publishes. On FastStream's in-memory test
    broker, which holds no streams, it does nothing."""
    from redis.asyncio import Redis

    policy = policy or Retention.from_env()
    redis = await broker.connect()
    if policy.keeps_everything or not isinstance(redis, Redis) or not channels:
        yield
        return
    task = asyncio.create_task(
        _trim_forever(redis, channels, policy, interval or trim_interval()),
        name="specforge-stream-retention",
    )
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
