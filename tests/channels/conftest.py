"""What every channel test needs: a seeded desk wired with one channel, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bots.understanding import Understanding
from bots.wiring import Runtime, build_runtime
from desk.context import Desk
from desk.seed import seed_demo
from nlu import EmbeddedEngine
from tests.conftest import Clock, base_config, database, make_settings
from tests.fakes.platforms import FakeOAuth, serve_fake


@asynccontextmanager
async def channel_runtime(
    db_url: str, clock: Clock, engine: EmbeddedEngine, channel: str, config: dict[str, Any], **settings: Any
) -> AsyncIterator[Runtime]:
    """The process as ``serve`` wires it, with ``channels.<channel>`` set to ``config`` and the
    demo data loaded; closed (channels, then the database) on exit."""
    channels = base_config()["channels"]
    channels[channel] = config
    settings_ = make_settings(db_url, channels=channels, **settings)
    desk = Desk(settings=settings_, db=database(db_url), clock=clock)
    async with desk.session() as s:
        await seed_demo(s, desk)
    runtime = build_runtime(settings_, desk, Understanding(settings_.nlu, engine=engine))
    try:
        yield runtime
    finally:
        await runtime.registry.close()
        runtime.throttle.close()
        await desk.db.dispose()


@asynccontextmanager
async def asgi_client(
    app: FastAPI, base_url: str = "http://desk.test", *, address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to ``app`` in-process from ``address`` (what the server sees as the
    client); app errors come back as 500s, as in serve."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50123))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@pytest.fixture
async def oauth() -> AsyncIterator[FakeOAuth]:
    """The mail provider's OAuth 2.0 token endpoint, for a mailbox that takes no password."""
    async with serve_fake(FakeOAuth()) as running:
        yield running
