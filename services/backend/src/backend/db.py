"""Persistence for backend: SQLite by default, PostgreSQL when DATABASE_URL points at one."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Dialect, Integer, String, TypeDecorator, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///backend.sqlite3"
# The range of the INTEGER columns of every database backend runs on (SQLite and PostgreSQL
# BIGINT): a key or filter outside it matches no row.
SQL_INTEGER_MIN = -(2**63)
SQL_INTEGER_MAX = 2**63 - 1


def storable(value: int) -> bool:
    """Whether an integer fits the database's INTEGER columns."""
    return SQL_INTEGER_MIN <= value <= SQL_INTEGER_MAX


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every database: stored in UTC, read back aware (SQLite
    keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email", name="users_email_key"),
        UniqueConstraint("telegram_id", name="users_telegram_id_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    telegram_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=lambda: datetime.now(UTC))


def database_url(url: str | None = None) -> str:
    """`url`, else `$DATABASE_URL`, else a SQLite file in the working directory.

    `postgresql://` URLs are served by the psycopg driver, `sqlite://` ones by aiosqlite.
    """
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    for plain, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class Database:
    """An async engine and session factory; creates the schema on first use."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._ready = False
        self._lock = asyncio.Lock()

    async def ensure_schema(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                async with self.engine.begin() as conn:
                    await conn.run_sync(Base.metadata.create_all)
                self._ready = True

    async def dispose(self) -> None:
        await self.engine.dispose()
