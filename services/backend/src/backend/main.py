"""The backend service: `create_app()` with its controllers, served by uvicorn.

    ./pants run services/backend:backend        # http://127.0.0.1:8000/docs

Settings come from the environment: HOST and PORT (default 127.0.0.1:8000), DATABASE_URL
(default: SQLite in the working directory) and REDIS_URL (the event broker).

Events go through the transactional outbox: `create_user` records `user_registered` in the
transaction that creates the user, in the table `specforge_outbox` of the same database, and the
app's relay publishes it, retrying while the broker is unreachable.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from backend.controllers.users import Users
from backend.db import Database
from backend.generated.app import create_app
from specforge_runtime.outbox import Outbox


def build_app(database_url: str | None = None) -> FastAPI:
    """The backend app, on the database at `database_url` (default: see `backend.db`)."""
    db = Database(database_url)
    return create_app(users=Users(db), outbox=Outbox(db.engine))


def main() -> None:
    uvicorn.run(
        build_app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        log_level=os.environ.get("LOG_LEVEL", "info"),
    )


if __name__ == "__main__":
    main()
