"""tg_bot's worker assembles and starts (against an in-memory broker)."""

from __future__ import annotations

from faststream.redis import RedisBroker, TestRedisBroker

from tg_bot.main import build_worker


async def test_worker_starts() -> None:
    app = build_worker()
    assert isinstance(app.broker, RedisBroker)
    async with TestRedisBroker(app.broker) as broker:
        assert broker is app.broker
