"""The demo data for tests, seeded once per settings and restored for every later test.

:func:`~desk.seed.seed_demo` takes most of a second (a hundred KB articles indexed, groups,
categories, agents), and some 480 tests start from it. The first test with given settings and
clock seeds for real, and the tables it wrote are kept; later tests get the same rows back in
a few milliseconds: SQLite's backup API copies the whole file (the FTS5 table included), and on
PostgreSQL ``COPY`` writes each table's rows back (its generated ``search_vector`` is derived
again) and the id sequences are moved past them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from desk.context import Desk
from desk.models import Base
from desk.seed import seed_demo

__all__ = ["SeedSnapshots"]


class SeedSnapshots:
    """Seeded databases by settings and clock: a file per SQLite snapshot, rows per PostgreSQL one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, dict[str, bytes]] = {}

    async def seed(self, desk: Desk) -> None:
        settings = desk.settings.model_dump_json(exclude={"database"})
        key = f"{settings}@{desk.now().isoformat()}"
        url = make_url(desk.settings.database.url)
        if url.get_backend_name() == "sqlite":
            path = Path(str(url.database))
            await desk.db.dispose()  # nothing pooled holds the file while it is replaced
            if key in self._sqlite:
                await asyncio.to_thread(_sqlite_copy, self._sqlite[key], path)
                return
            await _seed(desk)
            await desk.db.dispose()
            snapshot = self.directory / f"seeded-{len(self._sqlite)}.db"
            await asyncio.to_thread(_sqlite_copy, path, snapshot)
            self._sqlite[key] = snapshot
            return
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        if key in self._postgres:
            await asyncio.to_thread(_pg_restore, dsn, self._postgres[key])
            return
        await _seed(desk)
        self._postgres[key] = await asyncio.to_thread(_pg_take, dsn)


async def _seed(desk: Desk) -> None:
    async with desk.session() as session:
        await seed_demo(session, desk)


def _sqlite_copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _columns(table_name: str) -> str:
    return ", ".join(f'"{c.name}"' for c in Base.metadata.tables[table_name].columns)


def _pg_take(dsn: str) -> dict[str, bytes]:
    rows: dict[str, bytes] = {}
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        for table in Base.metadata.sorted_tables:
            with cursor.copy(f'COPY "{table.name}" ({_columns(table.name)}) TO STDOUT') as copy:
                rows[table.name] = b"".join(bytes(chunk) for chunk in copy)
    return rows


def _pg_restore(dsn: str, rows: dict[str, bytes]) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        for name, data in rows.items():  # in dependency order, as taken
            if data:
                with cursor.copy(f'COPY "{name}" ({_columns(name)}) FROM STDIN') as copy:
                    copy.write(data)
                if "id" in Base.metadata.tables[name].columns:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) FROM \"{name}\""
                        " WHERE pg_get_serial_sequence(%s, 'id') IS NOT NULL",
                        (f'"{name}"', f'"{name}"'),
                    )
