"""Migrations build the schema from empty on both databases, and match the models exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from desk.db import sync_url
from desk.migrate import alembic_config, include_name, pending_migrations, upgrade
from desk.models import Base
from tests.conftest import IN_CI, PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip("PostgreSQL unreachable")
    name = f"frontdesk_mig_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL.rpartition('/')[0]}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_upgrade_from_empty_matches_the_models(empty_url: str) -> None:
    assert asyncio.run(pending_migrations(empty_url)) >= 1
    upgrade(empty_url)
    assert asyncio.run(pending_migrations(empty_url)) == 0
    upgrade(empty_url)  # idempotent at head
    engine = create_engine(sync_url(empty_url))
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
                Base.metadata,
            )
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_empty_and_back(empty_url: str) -> None:
    upgrade(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    engine = create_engine(sync_url(empty_url))
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_url)
    assert asyncio.run(pending_migrations(empty_url)) == 0
