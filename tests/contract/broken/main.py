"""`build_app()` of a service whose answers break its OpenAPI document: a server error, and a
body that is not the documented schema."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    id: int
    name: str


def build_app() -> FastAPI:
    app = FastAPI(title="broken")

    @app.get("/items/{item_id}", response_model=None, responses={200: {"model": Item}})
    async def get_item(item_id: int) -> dict[str, object]:
        return {"id": "not a number"}  # documented as an Item

    @app.get("/crash")
    async def crash() -> dict[str, str]:
        raise RuntimeError("boom")

    return app
