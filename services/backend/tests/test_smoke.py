"""backend answers /health."""

from __future__ import annotations

from httpx2 import ASGITransport, AsyncClient

from backend.main import build_app


async def test_health() -> None:
    transport = ASGITransport(app=build_app())
    async with AsyncClient(transport=transport, base_url="http://backend") as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "backend"}
