"""The SQLAlchemy handle shared by the services (Flask-SQLAlchemy, typed declarative base)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, registry

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def sqlalchemy_url(database_url: str) -> str:
    """A database URL as SQLAlchemy opens it here: PostgreSQL through psycopg 3 (``postgres://`` and
    ``postgresql://`` as hosting platforms and libpq write them), anything else unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    return database_url


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which forgets offsets) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UtcDateTime()})


db = SQLAlchemy(model_class=Base)


def dialect_insert(model: type[Base]) -> Any:
    """An INSERT in the session's database's dialect, which has ON CONFLICT (PostgreSQL's or SQLite's)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def insert_unless_present(model: type[Base], values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the database's dialect: of several people adding the same row at once
    (a unique key), one adds it and the others add nothing, with no error."""
    return dialect_insert(model).values(**values).on_conflict_do_nothing()


def insert_or_replace_where(model: type[Base], values: dict[str, Any], key: list[str], where: Any) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE in the database's dialect: the row is added, or the one
    already holding its key is overwritten where ``where`` holds of it; otherwise nothing changes (rowcount 0).
    A concurrent writer of the same key is waited for and then judged by ``where``, as one statement."""
    statement = dialect_insert(model).values(**values)
    return statement.on_conflict_do_update(index_elements=key, where=where,
                                           set_={name: statement.excluded[name] for name in values})
