"""The composition root: builds the desk, the channel registry and the HTTP app from settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from bots.registry import ChannelRegistry
from desk.api import create_api
from desk.context import Desk
from desk.db import Database
from desk.migrate import pending_migrations
from desk.outbox import run_delivery
from desk.settings import Settings

__all__ = ["Runtime", "build_runtime", "serve"]

log = logging.getLogger("frontdesk")


@dataclass
class Runtime:
    """Everything one process runs, wired together."""

    settings: Settings
    desk: Desk
    registry: ChannelRegistry
    app: FastAPI
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _register_channels(settings: Settings, registry: ChannelRegistry) -> None:
    ch = settings.channels
    if ch.telegram.token is None:
        registry.mark_off("telegram", "no channels.telegram.token")
    if ch.slack.bot_token is None or ch.slack.signing_secret is None:
        registry.mark_off("slack", "no channels.slack.bot_token or signing_secret")
    if not (ch.sms.account_sid and ch.sms.auth_token and ch.sms.from_number):
        registry.mark_off("sms", "no channels.sms.account_sid, auth_token or from_number")
    if not ch.email.relay_host:
        registry.mark_off("email", "no channels.email.relay_host")


def build_runtime(settings: Settings, desk: Desk | None = None) -> Runtime:
    """Wire one process. Pass ``desk`` to share a database or a clock (tests)."""
    if desk is None:
        db = Database(
            settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size
        )
        desk = Desk(settings=settings, db=db)
    registry = ChannelRegistry()
    _register_channels(settings, registry)
    app = create_api(desk)
    app.state.registry = registry
    return Runtime(settings=settings, desk=desk, registry=registry, app=app)


async def serve(settings: Settings) -> None:
    """The HTTP API and outbox delivery in one process."""
    pending = await pending_migrations(settings.database.url)
    if pending:
        raise SystemExit(f"frontdesk: the database needs {pending} migration(s); run `frontdesk db upgrade`")
    runtime = build_runtime(settings)
    for channel, reason in sorted(runtime.registry.off.items()):
        log.warning("channel %s is off: %s", channel, reason)
    stop = asyncio.Event()
    runtime.tasks.append(
        asyncio.create_task(run_delivery(runtime.desk, runtime.registry, stop), name="outbox")
    )
    config = uvicorn.Config(
        runtime.app, host=settings.http.host, port=settings.http.port, log_level="info", lifespan="off"
    )
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        stop.set()
        await asyncio.gather(*runtime.tasks, return_exceptions=True)
        await runtime.desk.db.dispose()
