"""The backend service: `create_app()` with its controllers, served by uvicorn.

    ./pants run services/backend:backend        # http://127.0.0.1:8000/docs

Settings come from the environment: HOST and PORT (default 127.0.0.1:8000), DATABASE_URL
(default: SQLite in the working directory) and REDIS_URL (the event broker).
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from backend.controllers.users import Users
from backend.db import Database
from backend.generated.app import create_app


def build_app(database_url: str | None = None) -> FastAPI:
    """The backend app, on the database at `database_url` (default: see `backend.db`)."""
    return create_app(users=Users(Database(database_url)))


def main() -> None:
    uvicorn.run(
        build_app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        log_level=os.environ.get("LOG_LEVEL", "info"),
    )


if __name__ == "__main__":
    main()
