"""The consoles' change feed and its stream: a console hears of a change instead of asking every
three seconds, on both databases, and a stopping server is not held by an open stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, DeliveryError, Inbound, Outbound
from desk.changes import ChangeFeed
from desk.context import Actor, Desk
from desk.conversations import record_inbound
from desk.models import Conversation, OutboxItem
from desk.outbox import deliver_due, enqueue
from desk.people import resolve_person
from desk.tickets import create_ticket
from tests.conftest import Clock
from tests.serving import frontdesk_serve

WAIT = 30.0  # a guard against a hang, not a measure of speed


async def test_the_feed_moves_when_messages_tickets_conversations_or_deliveries_change(
    seeded: Desk, clock: Clock
) -> None:
    feed = ChangeFeed(seeded, interval=0.02)
    assert await feed.wait(feed.version, within=0.1) == 0  # nothing changed
    await feed.watching.wait()

    async def after(change: Callable[[AsyncSession], Awaitable[None]]) -> None:
        seen = feed.version
        waiting = asyncio.create_task(feed.wait(seen, within=WAIT))
        await asyncio.sleep(0)
        async with seeded.session() as s:
            await change(s)
        assert await waiting > seen

    conversation: list[Conversation] = []

    async def message(s: AsyncSession) -> None:
        said = Inbound(Address("telegram", "7"), "7", "打印机坏了", "u-1", name="王伟")
        conversation.append((await record_inbound(s, seeded, said, language="zh")).conversation)

    async def queued(s: AsyncSession) -> None:  # only the conversation's row changes
        row = await s.get(Conversation, conversation[0].id)
        assert row is not None
        row.mode = "queued"

    async def ticket(s: AsyncSession) -> None:
        ann = await resolve_person(s, channel="email", external_id="ann@x.example", email="ann@x.example")
        await create_ticket(s, seeded, Actor("system", None, "test"), requester=ann, subject="T")

    for change in (message, queued, ticket):
        await after(change)

    async def attempt(platform: Platform) -> None:  # through the delivery loop's own bookkeeping
        seen = feed.version
        waiting = asyncio.create_task(feed.wait(seen, within=WAIT))
        await asyncio.sleep(0)
        await deliver_due(seeded, platform)
        assert await waiting > seen

    async with seeded.session() as s:  # a reply waiting to go out (⏳)
        enqueue(s, seeded, Address("telegram", "7"), Outbound("好的"))
    await attempt(Platform(DeliveryError("502 Bad Gateway")))  # ⏳ shows why it has not gone yet
    clock.advance(minutes=10)
    await attempt(Platform(None))  # ⏳ becomes ✓
    async with seeded.session() as s:
        row = await s.scalar(select(OutboxItem).order_by(OutboxItem.id.desc()).limit(1))
        assert row is not None and (row.status, row.attempts) == ("sent", 2)
    feed.close()
    await asyncio.sleep(0)
    assert feed.closed.is_set()
    assert await feed.wait(-1, within=WAIT) == feed.version  # a closed feed answers at once


def test_a_console_stream_hears_of_a_change_and_ends_when_the_server_stops(
    tmp_path: Path, nlu_model: Path
) -> None:
    with frontdesk_serve(tmp_path, nlu_model) as served:
        assert httpx.get(f"{served.url}/api/v1/changes").status_code == 401
        login = httpx.post(
            f"{served.url}/api/v1/auth/login",
            json={"email": "tom.baker@example.com", "password": "frontdesk-demo"},
        )
        bearer = {"Authorization": "Bearer " + login.json()["token"]}
        with (
            httpx.Client(timeout=WAIT) as client,
            client.stream("GET", f"{served.url}/api/v1/changes", headers=bearer) as stream,
        ):
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert [next(lines), next(lines)] == ["retry: 3000", "event: hello"]
            said = httpx.post(
                f"{served.url}/webhooks/rest/webhook", json={"sender": "s-1", "message": "转人工"}
            )
            assert said.status_code == 200
            assert "event: change" in _until(lines, "event: change")
            served.process.terminate()  # with the stream open
            list(lines)  # it ends, rather than holding the server until it gives up waiting
        served.process.wait(timeout=WAIT)  # uvicorn re-raises SIGTERM once it has shut down
        log = served.log.read_text()
        assert "Finished server process" in log and "Traceback" not in log
        assert "timeout graceful shutdown exceeded" not in log  # the stream did not hold it


class Platform:
    """A messaging platform that answers every send with ``error``, or takes it."""

    def __init__(self, error: DeliveryError | None) -> None:
        self.error = error

    def handles(self, channel: str) -> bool:
        return True

    async def send(self, address: Address, message: Outbound) -> str | None:
        if self.error is not None:
            raise self.error
        return "m-1"


def _until(lines: object, wanted: str) -> list[str]:
    seen = []
    for line in lines:  # type: ignore[attr-defined]
        seen.append(line)
        if line == wanted:
            break
    return seen
