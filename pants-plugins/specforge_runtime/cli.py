"""`python -m specforge_runtime`: dead letters and retention of Redis Streams, for operators.

    python -m specforge_runtime dead-letters list
    python -m specforge_runtime dead-letters show users.registered:dead-letters:notifications
    python -m specforge_runtime dead-letters replay users.registered:dead-letters:notifications --all
    python -m specforge_runtime dead-letters drop users.registered:dead-letters:notifications 1700000000000-0
    python -m specforge_runtime trim users.registered --maxlen 10000

Under Pants: `./pants run pants-plugins/specforge_runtime:events -- dead-letters list`.
The server is `--redis-url`, else `$REDIS_URL`, else redis://127.0.0.1:6379. `show`, `replay`
and `drop` take only the streams that dead-lettering recorded (those `list` shows), and replay
each letter to the channel and group of its stream. Exit status: 0; 1 when a named dead letter
does not exist, or a letter does not belong to its stream or cannot be replayed (it is left as
it is, and the others are replayed); 2 for a usage
error; 3 when Redis cannot be reached; 4 when Redis refuses a command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from specforge_runtime import streams

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specforge_runtime",
        description="Dead letters and retention of the event streams (Redis Streams).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        help="the Redis server (default: $REDIS_URL, else %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    dl = commands.add_parser("dead-letters", help="list, show, replay or drop dead letters")
    dl_commands = dl.add_subparsers(dest="action", required=True)
    dl_commands.add_parser("list", help="every dead-letter stream, its channel, group and size")
    show = dl_commands.add_parser("show", help="the dead letters of a stream, as JSON lines")
    show.add_argument("stream")
    show.add_argument("ids", nargs="*", help="only these dead letters (default: the oldest)")
    show.add_argument("--count", type=_positive, default=20, help="how many (default: %(default)s)")
    replay = dl_commands.add_parser(
        "replay",
        help="publish dead letters again on their channel, for their group only, then drop them",
    )
    replay.add_argument("stream")
    replay.add_argument("ids", nargs="*")
    replay.add_argument("--all", action="store_true", help="every dead letter of the stream")
    drop = dl_commands.add_parser("drop", help="delete dead letters without replaying them")
    drop.add_argument("stream")
    drop.add_argument("ids", nargs="+")

    trim = commands.add_parser(
        "trim",
        help="trim streams by a retention policy, keeping what a consumer group has not "
        "acknowledged",
    )
    trim.add_argument("streams", nargs="+")
    trim.add_argument(
        "--maxlen", type=_positive, default=None, help="keep at most this many entries"
    )
    trim.add_argument(
        "--max-age", type=_positive, default=None, help="keep entries younger (seconds)"
    )
    trim.add_argument("--exact", action="store_true", help="trim exactly (default: MINID ~)")
    return parser


def _letter_json(letter: streams.DeadLetter) -> str:
    record: dict[str, Any] = letter.summary()
    record["body"] = letter.body.decode("utf-8", "replace")
    return json.dumps(record, sort_keys=True)


async def _letters(
    redis: Redis, stream: str, ids: Sequence[str], count: int
) -> tuple[list[streams.DeadLetter], list[str]]:
    if not ids:
        return await streams.dead_letters(redis, stream, count=count), []
    found, missing = [], []
    for letter_id in ids:
        letter = await streams.dead_letter_by_id(redis, stream, letter_id)
        if letter is None:
            missing.append(letter_id)
        else:
            found.append(letter)
    return found, missing


async def _replay(url: str, letters: Sequence[streams.DeadLetter]) -> int:
    """Replay each letter; one that cannot be replayed is reported and left. Returns how many
    could not be."""
    from faststream.redis import RedisBroker

    broker = RedisBroker(url)
    await broker.connect()
    failed = 0
    try:
        for letter in letters:
            try:
                await streams.replay(broker, letter)
            except (ValueError, TypeError, AttributeError) as exc:
                failed += 1
                print(f"{letter.stream}: {letter.id} not replayed: {exc!r}", file=sys.stderr)
                continue
            # JSON strings: what came off the broker never reaches the terminal raw.
            print(
                f"replayed {letter.id} (event {json.dumps(letter.event_id)}) to "
                f"{json.dumps(letter.channel)} for group {json.dumps(letter.group)}"
            )
    finally:
        await broker.stop()
    return failed


_ENTRY_ID = re.compile(r"[0-9]{1,20}(-[0-9]{1,20})?")


def _usage(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


async def _run(args: argparse.Namespace) -> int:
    redis: Redis = Redis.from_url(args.redis_url)
    try:
        if args.command == "trim":
            policy = streams.Retention(maxlen=args.maxlen, max_age=args.max_age)
            if policy.keeps_everything:
                print("trim: give --maxlen and/or --max-age", file=sys.stderr)
                return 2
            for stream in args.streams:
                removed = await streams.trim(redis, stream, policy, approximate=not args.exact)
                print(f"{stream}: {removed} removed")
            return 0
        if args.action == "list":
            for stream, channel, group, size in await streams.dead_letter_streams(redis):
                print(f"{stream}\tchannel={channel}\tgroup={group}\t{size}")
            return 0
        index = await streams.dead_letter_index(redis)
        if args.stream not in index:
            return _usage(f"{args.stream}: not a dead-letter stream (see `dead-letters list`)")
        bad = [i for i in args.ids if not _ENTRY_ID.fullmatch(i)]
        if bad:
            return _usage(f"{args.stream}: not a stream entry id: {', '.join(map(repr, bad))}")
        if args.action == "drop":
            removed = await redis.xdel(args.stream, *args.ids)
            print(f"{args.stream}: {removed} dropped")
            return 0 if removed == len(set(args.ids)) else 1
        if args.action == "replay" and not args.ids and not args.all:
            print("replay: name dead letters, or --all", file=sys.stderr)
            return 2
        count = 10**9 if args.action == "replay" else args.count
        letters, missing = await _letters(redis, args.stream, args.ids, count)
        for letter_id in missing:
            print(f"{args.stream}: no dead letter {letter_id}", file=sys.stderr)
        if args.action == "show":
            for letter in letters:
                print(_letter_json(letter))
            return 1 if missing else 0
        channel, group = index[args.stream]
        stray = [x for x in letters if (x.channel, x.group) != (channel, group)]
        for letter in stray:
            print(
                f"{args.stream}: {letter.id} is not a dead letter of channel "
                f"{json.dumps(channel)} and group {json.dumps(group)}; left as it is",
                file=sys.stderr,
            )
        failed = await _replay(args.redis_url, [x for x in letters if x not in stray])
        return 1 if missing or stray or failed else 0
    finally:
        await redis.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        # (Not the URL itself: it may hold a password.)
        print(f"specforge_runtime: cannot reach Redis: {exc}", file=sys.stderr)
        return 3
    except RedisError as exc:
        print(f"specforge_runtime: Redis refused: {exc}", file=sys.stderr)
        return 4
    except ValueError as exc:
        print(f"specforge_runtime: {exc}", file=sys.stderr)
        return 2
