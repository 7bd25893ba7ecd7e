"""The OpenAPI document that FastAPI derives from the generated router documents the spec, and is
the document that `pants package services/backend:api-docs` builds."""

from __future__ import annotations

import json
from pathlib import Path

from httpx2 import AsyncClient

# Where this test's runtime package dependency puts the document.
PACKAGED = Path("services.backend/api-docs/openapi.json")


async def test_the_app_serves_the_packaged_document(client: AsyncClient) -> None:
    """The app with its real controllers and database serves, byte for byte in content, the
    document built from the spec without them."""
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(PACKAGED.read_text())


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
