"""Shared fixtures: the same desk on SQLite and PostgreSQL, a settable clock, an API client.

PostgreSQL tests use ``FRONTDESK_TEST_POSTGRES_URL`` (default: the local ``test`` database);
each pytest run creates its own database there, migrated once, and truncates it per test.
They skip when PostgreSQL is unreachable, except with ``CI=true``, where they fail instead.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fastapi.dependencies.models as fastapi_dependency_models
import httpx
import psycopg
import pytest
import yaml

from bots.understanding import Understanding
from bots.wiring import Runtime, build_runtime
from desk.agents import create_agent, issue_token
from desk.context import Desk
from desk.db import Database
from desk.migrate import upgrade
from desk.models import Base
from desk.seed import seed_demo
from desk.settings import Settings
from nlu import EmbeddedEngine, load_default_engine
from tests.route_memo import install as remember_route_analysis
from tests.snapshots import SeedSnapshots

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

remember_route_analysis()  # each test's app would analyse the same routes again


class Clock:
    """A settable clock for services (``desk.clock``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def file_config() -> dict[str, Any]:
    """config.yml as it is (a copy to change as a test likes)."""
    return copy.deepcopy(_config_file())


@functools.cache
def _config_file() -> dict[str, Any]:
    """config.yml read once: PyYAML's pure-Python parser took a tenth of a second for it, in each
    of the 1,500 tests that make settings."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return data


def base_config() -> dict[str, Any]:
    """config.yml as the tests run it: a runtime's SMTP listener takes any free port, never 8025."""
    data = file_config()
    data["channels"]["email"]["smtp_port"] = 0
    return data


def make_settings(url: str, **overrides: Any) -> Settings:
    data = base_config()
    data["database"] = {"url": url}
    data.update(overrides)
    return Settings(**data)


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    try:
        admin = psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    name = f"frontdesk_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = _pg_admin_url().rpartition("/")
    url = f"{base}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        # One path for every test of this worker, so that its engine is reused (see database()):
        # the last test's file, and its write-ahead log, make way for a fresh copy.
        template: Path = request.getfixturevalue("sqlite_template")
        path = template.with_name("frontdesk.db")
        for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            old.unlink(missing_ok=True)
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_database")
    empty_tables(url)
    yield url


def empty_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def _apps_forgotten() -> Iterator[None]:
    """FastAPI keeps the last 4,096 dependency callables it classified in module-level LRU caches.
    The desk's routes are closures over their app's desk, so dozens of earlier tests' apps stayed
    alive through them, each with its database engine and that engine's compiled statements: a
    worker grew to 1.4 GB after 160 dialogue tests, and every garbage collection slowed with it.
    In a server there is one app, and nothing to forget."""
    yield
    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached"):
        cached = getattr(fastapi_dependency_models, name, None)
        if cached is not None:
            cached.cache_clear()


@pytest.fixture
def clock() -> Clock:
    # A Wednesday, 10:00 in Shanghai: inside the office calendar's working hours.
    return Clock(datetime(2026, 11, 18, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def desk(settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    d = Desk(settings=settings, db=database(settings.database.url), clock=clock)
    try:
        yield d
    finally:
        await d.db.dispose()


_DATABASES: dict[str, Database] = {}


def database(url: str) -> Database:
    """This worker's :class:`Database` for ``url``, made once and disposed of after each test.

    An engine compiles each SQL statement once and caches it, and that cache was the most of what
    a dialogue test cost: with an engine per test every statement was compiled again, 0.5 s of a
    test's 0.9. Each test still gets its own data (``db_url``: a fresh copy of the migrated SQLite
    file at the same path, or PostgreSQL's tables emptied); tests that need engines of their own,
    as separate processes have, make them."""
    db = _DATABASES.get(url)
    if db is None:
        db = _DATABASES[url] = Database(url)
    return db


@pytest.fixture
async def seeded(desk: Desk, seed_snapshots: SeedSnapshots) -> Desk:
    """The desk with the demo data (seeded by the first test with these settings, then restored)."""
    await seed_snapshots.seed(desk)
    return desk


@pytest.fixture(scope="session")
def seed_snapshots(tmp_path_factory: pytest.TempPathFactory) -> SeedSnapshots:
    return SeedSnapshots(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
async def desk_with(db_url: str, clock: Clock) -> AsyncIterator[Callable[..., Awaitable[Desk]]]:
    """A factory of seeded desks on this test's database with settings overrides
    (``await desk_with(rules=[...])``); each is disposed of after the test."""
    made: list[Desk] = []

    async def make(**overrides: Any) -> Desk:
        d = Desk(settings=make_settings(db_url, **overrides), db=database(db_url), clock=clock)
        made.append(d)
        async with d.session() as session:
            await seed_demo(session, d)
        return d

    yield make
    for d in made:
        await d.db.dispose()


@pytest.fixture
async def pg_seeded(pg_database: str, clock: Clock) -> AsyncIterator[Desk]:
    """PostgreSQL only, seeded: for tests where several processes share one database."""
    empty_tables(pg_database)
    d = Desk(settings=make_settings(pg_database), db=database(pg_database), clock=clock)
    async with d.session() as session:
        await seed_demo(session, d)
    yield d
    await d.db.dispose()


@pytest.fixture(scope="session")
def nlu_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged NLU model's file, trained once per test run (``frontdesk`` processes that
    tests start load it instead of training their own: ``FRONTDESK__NLU__MODEL_PATH``)."""
    path = tmp_path_factory.mktemp("nlu") / "model.npz"
    load_default_engine(path)
    return path


@pytest.fixture(scope="session")
def nlu_engine(nlu_model: Path) -> EmbeddedEngine:
    """The packaged NLU model, trained once per test run."""
    return load_default_engine(nlu_model)


@pytest.fixture
def runtime(seeded: Desk, nlu_engine: EmbeddedEngine) -> Runtime:
    return build_runtime(seeded.settings, seeded, Understanding(seeded.settings.nlu, engine=nlu_engine))


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as c:
        yield c


@pytest.fixture
async def tokens(seeded: Desk) -> dict[str, str]:
    """A bearer header value per role, for agents made just for the test."""
    out: dict[str, str] = {}
    async with seeded.session() as session:
        for role in ("agent", "supervisor", "admin"):
            agent = await create_agent(
                session, email=f"{role}@test.example", name=f"Test {role}", role=role, groups=["Service Desk"]
            )
            out[role] = f"Bearer {await issue_token(session, agent)}"
    return out


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error of an API answer, checked to be the one shape every error has, with no trace."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert "Traceback" not in response.text
    err: dict[str, Any] = body["error"]
    return err
