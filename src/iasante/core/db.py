"""Database engine and sessions (SQLAlchemy 2). SQLite by default, PostgreSQL when the URL says so.

Every system declares its tables on :class:`Base` in its own ``<system>/db.py`` (table names prefixed by the
system) and ships an Alembic branch in ``<system>/migrations/versions``; ``iasante db upgrade`` applies all heads.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from iasante.core.config import PACKAGE_DIR, get_settings

SYSTEMS = ("ct", "derm", "karyotype", "lag", "drugs", "iot", "challenge")

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


class Base(DeclarativeBase):
    """Declarative base shared by core and system tables (one metadata, one migration history)."""


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC everywhere."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """One pooled engine per URL, created on first use."""
    url = url or get_settings().db_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Forget pooled engines (after the settings change, in tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on any error, so nothing is half-written."""
    session = sessionmaker(bind=get_engine(), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def import_all_tables() -> None:
    """Import every ``<system>/db.py`` so that ``Base.metadata`` knows all tables."""
    importlib.import_module("iasante.core.models")
    for system in SYSTEMS:
        if (PACKAGE_DIR / system / "db.py").exists():
            importlib.import_module(f"iasante.{system}.db")


def migration_locations() -> list[str]:
    """Alembic version folders: core's, then one branch per system that has one."""
    folders = [PACKAGE_DIR / "core" / "migrations" / "versions"]
    folders += [PACKAGE_DIR / s / "migrations" / "versions" for s in SYSTEMS]
    return [str(f) for f in folders if f.is_dir()]


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("version_locations", " ".join(migration_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["url"] = url
    return cfg


def upgrade_database(url: str | None = None) -> None:
    """Apply every migration head (core and all systems); safe to run again."""
    from alembic import command

    command.upgrade(_alembic_config(url or get_settings().db_url), "heads")


def is_missing_schema(exc: BaseException) -> bool:
    """True when a query failed because the database was never upgraded (SQLite or PostgreSQL wording)."""
    from sqlalchemy.exc import DBAPIError

    text = str(getattr(exc, "orig", exc)).lower()
    missing = "no such table" in text or ("relation" in text and "does not exist" in text)
    return isinstance(exc, DBAPIError) and missing


def current_revisions(url: str | None = None) -> set[str]:
    """Revisions the database is at (to check it was upgraded)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
