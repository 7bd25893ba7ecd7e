"""`python -m specforge_runtime`: list, show, replay and drop dead letters, and trim streams;
its exit status says what happened."""

from __future__ import annotations

import json
import subprocess
import sys

from redis.asyncio import Redis

from specforge_runtime import streams
from specforge_runtime.events import EventInfo
from tests.runtime.conftest import redis_url

REDIS_URL = redis_url(__name__)


def cli(*args: str, url: str = REDIS_URL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specforge_runtime", "--redis-url", url, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def letter(redis: Redis, n: int) -> tuple[str, EventInfo]:
    event = EventInfo.new("orders.placed", "shop/orders.place")
    stream = await streams.dead_letter(
        redis,
        channel="orders.placed",
        group="billing",
        entry_id=f"{n}-0",
        body=json.dumps({"n": n}).encode(),
        headers={"content-type": "application/json", **event.headers()},
        error=RuntimeError(f"failure {n}"),
        deliveries=5,
    )
    return stream, event


async def test_list_show_replay_and_drop(redis: Redis) -> None:
    stream, first = await letter(redis, 1)
    _, second = await letter(redis, 2)
    _, third = await letter(redis, 3)

    listed = cli("dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f"{stream}\tchannel=orders.placed\tgroup=billing\t3\n"

    shown = cli("dead-letters", "show", stream)
    assert shown.returncode == 0, shown.stderr
    records = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [(r["event_id"], r["body"], r["error"]) for r in records] == [
        (first.id, '{"n": 1}', "RuntimeError: failure 1"),
        (second.id, '{"n": 2}', "RuntimeError: failure 2"),
        (third.id, '{"n": 3}', "RuntimeError: failure 3"),
    ]
    ids = [r["id"] for r in records]

    replayed = cli("dead-letters", "replay", stream, ids[0])
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == (
        f'replayed {ids[0]} (event "{first.id}") to "orders.placed" for group "billing"\n'
    )
    assert await redis.xlen("orders.placed") == 1

    dropped = cli("dead-letters", "drop", stream, ids[1])
    assert (dropped.returncode, dropped.stdout) == (0, f"{stream}: 1 dropped\n")

    missing = cli("dead-letters", "show", stream, ids[1])
    assert missing.returncode == 1
    assert missing.stderr == f"{stream}: no dead letter {ids[1]}\n"

    everything = cli("dead-letters", "replay", stream, "--all")
    assert everything.returncode == 0, everything.stderr
    assert f'(event "{third.id}")' in everything.stdout
    assert await redis.xlen(stream) == 0 and await redis.xlen("orders.placed") == 2


async def test_usage_errors_and_an_unreachable_server(redis: Redis) -> None:
    stream, _ = await letter(redis, 1)
    nothing = cli("dead-letters", "replay", stream)
    assert (nothing.returncode, nothing.stderr) == (2, "replay: name dead letters, or --all\n")
    no_policy = cli("trim", "s")
    assert (no_policy.returncode, no_policy.stderr) == (2, "trim: give --maxlen and/or --max-age\n")
    down = cli("dead-letters", "list", url="redis://user:secret@127.0.0.1:1/0")
    assert down.returncode == 3
    assert down.stderr.startswith("specforge_runtime: cannot reach Redis: ")
    assert "secret" not in down.stderr


async def test_only_recorded_dead_letter_streams_are_touched(redis: Redis) -> None:
    """`replay` and `drop` of a live channel would publish or delete real events: refused, and
    so are letters that do not belong to their stream, and entry ids that are not ids."""
    await redis.xadd("orders.placed", {"n": "1"})
    stream, _ = await letter(redis, 1)
    for action in ("show", "replay", "drop"):
        refused = cli("dead-letters", action, "orders.placed", "1-0")
        assert refused.returncode == 2
        assert refused.stderr == (
            "orders.placed: not a dead-letter stream (see `dead-letters list`)\n"
        )
    assert await redis.xlen("orders.placed") == 1
    bad = cli("dead-letters", "drop", stream, "$(reboot)")
    assert (bad.returncode, bad.stderr) == (2, f"{stream}: not a stream entry id: '$(reboot)'\n")
    # A letter someone added by hand, for another channel: left alone.
    await redis.xadd(stream, {"channel": "x", "group": "y", "body": b"{}"})
    stray = cli("dead-letters", "replay", stream, "--all")
    assert stray.returncode == 1 and "left as it is" in stray.stderr
    assert await redis.xlen(stream) == 1 and await redis.xlen("x") == 0
    # Junk in the index and in letters does not break listing or showing.
    await redis.hset(streams.DEAD_LETTERS_INDEX, "junk", "5")
    await redis.xadd(stream, {"deliveries": "abc", "headers": "not json"})
    assert cli("dead-letters", "list").stdout == (
        f"{stream}\tchannel=orders.placed\tgroup=billing\t2\n"
    )
    shown = cli("dead-letters", "show", stream)
    assert shown.returncode == 0 and len(shown.stdout.splitlines()) == 2
    negative = cli("dead-letters", "show", stream, "--count", "-1")
    assert negative.returncode == 2 and "must be at least 1, not -1" in negative.stderr


async def test_trim(redis: Redis) -> None:
    for i in range(10):
        await redis.xadd("s", {"n": str(i)})
    trimmed = cli("trim", "s", "--maxlen", "4", "--exact")
    assert (trimmed.returncode, trimmed.stdout) == (0, "s: 6 removed\n")
    assert await redis.xlen("s") == 4
