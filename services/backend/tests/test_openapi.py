"""The OpenAPI document that FastAPI derives from the generated router documents the spec."""

from __future__ import annotations

from httpx2 import AsyncClient


async def test_openapi_documents_operations_and_errors(client: AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    get_user = doc["paths"]["/users/{user_id}"]["get"]
    assert get_user["operationId"] == "get_user"
    assert get_user["responses"]["404"]["description"] == "no such user"
    assert get_user["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    limit = next(p for p in doc["paths"]["/users"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {
        "type": "integer",
        "maximum": 500,
        "minimum": 1,
        "default": 50,
        "title": "Limit",
    }
    assert "201" in doc["paths"]["/users"]["post"]["responses"]
