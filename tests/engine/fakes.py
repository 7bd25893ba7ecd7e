"""In-memory controllers for the generated Protocols of the renderer-test repo."""

from __future__ import annotations

import datetime as dt
import uuid
from types import ModuleType
from typing import Any

from tests.engine.generated import load


def users_controller() -> Any:
    s = load("shared.generated.schemas")
    p = load("backend.generated.users.protocol")

    class Users(p.UsersController):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.rows: dict[int, Any] = {}
            self.registered: list[Any] = []
            self.events: list[Any] = []  # the EventInfo of each event handled
            self.fail_next = 0

        async def create_user(self, payload: Any) -> Any:
            if any(u.email == payload.email for u in self.rows.values()):
                raise p.UsersConflict()
            user = s.UserRead(
                id=len(self.rows) + 1,
                created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                **payload.model_dump(),
            )
            self.rows[user.id] = user
            return user

        async def list_users(self, *, role: Any = None, limit: int = 50, offset: int = 0) -> Any:
            if self.fail_next:
                self.fail_next -= 1
                raise RuntimeError("database unavailable")
            users = [u for u in self.rows.values() if role is None or u.role == role]
            return users[offset : offset + limit]

        async def get_user(self, user_id: int) -> Any:
            if user_id not in self.rows:
                raise p.UsersNotFound(f"no user {user_id}")
            return self.rows[user_id]

        async def update_user(self, user_id: int, payload: Any) -> Any:
            user = await self.get_user(user_id)
            changes = {
                k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None
            }
            self.rows[user_id] = user.model_copy(update=changes)
            return self.rows[user_id]

        async def delete_user(self, user_id: int) -> None:
            await self.get_user(user_id)
            del self.rows[user_id]

        async def on_user_registered(self, payload: Any, *, event: Any = None) -> None:
            self.registered.append(payload)
            self.events.append(event)

    return Users()


def notes_controller() -> Any:
    local = load("backend.generated.schemas")
    shared = load("shared.generated.schemas")
    p = load("backend.generated.notes.protocol")

    class Notes(p.NotesController):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.notes: list[Any] = []
            self.queries: list[dict[str, Any]] = []

        async def add_note(self, payload: Any) -> Any:
            if payload.text == "reject":
                raise p.NotesUnprocessableContent("no thanks")
            if payload.text == "busy":
                raise p.NotesServiceUnavailable()
            self.notes.append(payload)
            return payload

        async def find_notes(
            self,
            *,
            q: str,
            day: Any = None,
            flag: bool = False,
            status: Any = None,
            ref: Any = None,
        ) -> Any:
            self.queries.append({"q": q, "day": day, "flag": flag, "status": status, "ref": ref})
            return [n for n in self.notes if q in n.text]

        async def count_notes(self) -> int:
            return len(self.notes)

        async def pet_of(self, name: str) -> Any:
            if name.startswith("cat"):
                return shared.Pet(shared.Cat(kind="cat", lives=len(name)))
            return shared.Pet(shared.Dog(kind="dog", good=True))

        async def replace_note(self, note_id: int, payload: Any) -> Any:
            if note_id == 0:
                raise p.NotesServiceUnavailable()
            return local.Note(**{**payload.model_dump(), "text": f"{note_id}:{payload.text}"})

    return Notes()


def oddities_controller() -> Any:
    local = load("backend.generated.schemas")
    p = load("backend.generated.oddities.protocol")

    class Oddities(p.OdditiesController):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        async def find_odd(self, str_: str, **query: Any) -> Any:
            self.calls.append({"str": str_, **query})
            if str_ == "none":
                raise p.OdditiesNotFound()
            return local.Odd(class_=str_, secret=query["self_"], int_=query["controller_"])

        async def shape_of(self, payload: Any) -> Any:
            if payload.int_ > 0:
                return local.Shape(local.Circle(class_="circle", radius=payload.int_))
            return local.Shape.model_validate({"class": "square", "side": 1.0})

    return Oddities()


def modules() -> dict[str, ModuleType]:
    return {
        "schemas": load("shared.generated.schemas"),
        "local": load("backend.generated.schemas"),
        "app": load("backend.generated.app"),
        "events": load("shared.generated.events"),
        "clients": load("tg_bot.generated.clients"),
    }


__all__ = ["notes_controller", "oddities_controller", "users_controller", "uuid"]
