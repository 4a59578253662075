"""Schema migrations through Alembic, configured in code (no alembic.ini to keep in sync)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from desk.db import ensure_sqlite_dir, sync_url

__all__ = ["alembic_config", "include_name", "pending_migrations", "upgrade", "upgrade_async"]


# Objects the migrations create outside the models: the FTS5 table (and its shadow tables) on
# SQLite, the generated tsvector column and its index on PostgreSQL.
_OUTSIDE_MODELS = ("kb_fts", "search_vector", "ix_kb_articles_search_vector")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: leave the search-index objects out of model comparison."""
    return not (name or "").startswith(_OUTSIDE_MODELS)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent at head). Runs its own event loop."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """:func:`upgrade` from inside a running event loop (in a worker thread)."""
    await asyncio.to_thread(upgrade, url, revision)


def _pending(url: str) -> int:
    ensure_sqlite_dir(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    heads = set(script.get_heads())
    if current == heads:
        return 0
    # Count the revisions between what the database has and the heads.
    return sum(1 for _ in script.iterate_revisions(tuple(heads), tuple(current) or "base"))


async def pending_migrations(url: str) -> int:
    """How many migrations ``url`` lacks (0 when it is at head)."""
    return await asyncio.to_thread(_pending, url)
