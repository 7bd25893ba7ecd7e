"""The users domain, over SQLAlchemy."""

from __future__ import annotations

from typing import Self

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import Database, UserRow, storable
from backend.generated.users.protocol import UsersConflict, UsersController, UsersNotFound
from shared.generated.schemas import Role, UserCreate, UserRead, UserUpdate
from specforge_runtime.outbox import record_event


def to_read(row: UserRow) -> UserRead:
    return UserRead(
        id=row.id,
        name=row.name,
        email=row.email,
        telegram_id=row.telegram_id,
        role=Role(row.role),
        tags=list(row.tags),
        created_at=row.created_at,
    )


class Users(UsersController):
    """Users in a SQL database (see `backend.db`).

    The app enters it when it starts (which creates the schema) and exits it when it stops
    (which closes the database's connections). `create_user` publishes `user_registered`
    through the transactional outbox: the event is recorded in the transaction that creates
    the user (see `backend.main`).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __aenter__(self) -> Self:
        await self.db.ensure_schema()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.db.dispose()

    async def create_user(self, payload: UserCreate) -> UserRead:
        row = UserRow(
            name=payload.name,
            email=payload.email,
            telegram_id=payload.telegram_id,
            role=payload.role.value,
            tags=list(payload.tags),
        )
        async with self.db.sessions() as session:
            session.add(row)
            try:
                await session.flush()  # assigns the id
                user = to_read(row)
                await record_event(session, user)  # user_registered, in this transaction
                await session.commit()
            except IntegrityError as exc:
                raise UsersConflict() from exc
        return user

    async def list_users(
        self,
        *,
        role: Role | None = None,
        telegram_id: int | None = None,
        name_prefix: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[UserRead]:
        if not storable(offset) or (telegram_id is not None and not storable(telegram_id)):
            return []  # past every row, or a chat no row can hold
        query = select(UserRow).order_by(UserRow.id).limit(limit).offset(offset)
        if role is not None:
            query = query.where(UserRow.role == role.value)
        if telegram_id is not None:
            query = query.where(UserRow.telegram_id == telegram_id)
        if name_prefix:
            escaped = name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(UserRow.name.like(f"{escaped}%", escape="\\"))
        async with self.db.sessions() as session:
            rows = (await session.scalars(query)).all()
        return [to_read(r) for r in rows]

    async def _row(self, session: AsyncSession, user_id: int) -> UserRow:
        """The user's row; `UsersNotFound` when there is none (or the id cannot be a key)."""
        row = await session.get(UserRow, user_id) if storable(user_id) else None
        if row is None:
            raise UsersNotFound(f"no user {user_id}")
        return row

    async def get_user(self, user_id: int) -> UserRead:
        async with self.db.sessions() as session:
            return to_read(await self._row(session, user_id))

    async def update_user(self, user_id: int, payload: UserUpdate) -> UserRead:
        changes = payload.model_dump(exclude_unset=True)
        async with self.db.sessions() as session:
            row = await self._row(session, user_id)
            for key, value in changes.items():
                if value is None:
                    continue  # absent and null both mean: leave as it is
                setattr(row, key, value.value if isinstance(value, Role) else value)
            try:
                await session.commit()
            except IntegrityError as exc:
                raise UsersConflict() from exc
            await session.refresh(row)
        return to_read(row)

    async def delete_user(self, user_id: int) -> None:
        async with self.db.sessions() as session:
            row = await self._row(session, user_id)
            await session.delete(row)
            await session.commit()
