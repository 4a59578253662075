"""The auto-close ladder and the scheduler on both databases: each due item handled exactly once."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desk.autoclose import AUTOCLOSE_JOBS, close_silent_resolved
from desk.context import Actor, Desk
from desk.db import Database
from desk.models import OutboxItem, Ticket, TicketEvent
from desk.people import resolve_person
from desk.scheduler import run_due
from desk.tickets import change_ticket, create_ticket, get_ticket, resolve_ticket
from tests.conftest import ROOT, Clock

AGENT = Actor("agent", None, "Agent")


async def make(desk: Desk, n: int, status: str, kind: str = "incident") -> list[str]:
    refs = []
    async with desk.session() as s:
        ann = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        for i in range(n):
            t = await create_ticket(
                s, desk, AGENT, requester=ann, subject=f"Issue {i}", category="printer", type=kind
            )
            await change_ticket(
                s, desk, AGENT, t, {"assignee": "tom.baker@example.com", "status": "in_progress"}
            )
            if status == "resolved":
                await resolve_ticket(s, desk, AGENT, t, "Fixed")
            else:
                await change_ticket(s, desk, AGENT, t, {"status": "pending"})
            refs.append(t.ref)
    return refs


async def actions(desk: Desk, action: str) -> int:
    async with desk.session() as s:
        return int(
            await s.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.action == action)) or 0
        )


async def outbox_texts(desk: Desk) -> list[str]:
    async with desk.session() as s:
        return [o.payload["text"] for o in await s.scalars(select(OutboxItem).order_by(OutboxItem.id))]


async def test_silence_after_resolution_closes_and_asks_for_a_rating(seeded: Desk, clock: Clock) -> None:
    [ref] = await make(seeded, 1, "resolved")
    clock.advance(days=2, hours=23)
    assert await close_silent_resolved(seeded) == 0
    clock.advance(hours=2)
    assert await close_silent_resolved(seeded) == 1
    assert await close_silent_resolved(seeded) == 0  # never twice
    async with seeded.session() as s:
        ticket = await get_ticket(s, ref)
    assert ticket.status == "closed"
    last = (await outbox_texts(seeded))[-1]
    assert ref in last and "1 (bad) to 5 (great)" in last and "still broken" in last
    async with seeded.session() as s:
        item = await s.scalar(select(OutboxItem).order_by(OutboxItem.id.desc()))
    assert item is not None
    assert [b["payload"] for b in item.payload["buttons"]] == [f"/rate {ref} {n}" for n in range(1, 6)]


async def test_a_request_closed_in_silence_is_not_called_broken(seeded: Desk, clock: Clock) -> None:
    [ref] = await make(seeded, 1, "resolved", kind="request")
    clock.advance(days=3, hours=1)
    assert await close_silent_resolved(seeded) == 1
    last = (await outbox_texts(seeded))[-1]
    assert last.startswith(f'{ref} ("Issue 0") is closed: it was done') and "still broken" not in last


async def test_pending_gets_one_reminder_then_closes(seeded: Desk, clock: Clock) -> None:
    [ref] = await make(seeded, 1, "pending")
    clock.advance(days=2, minutes=1)
    for _ in range(3):
        await run_due(seeded, AUTOCLOSE_JOBS)
    assert await actions(seeded, "reminded") == 1
    assert "waiting for your answer" in (await outbox_texts(seeded))[-1]
    clock.advance(days=3)
    await run_due(seeded, AUTOCLOSE_JOBS)
    async with seeded.session() as s:
        ticket = await get_ticket(s, ref)
    assert (ticket.status, ticket.solution) == ("closed", "Closed without a reply from the requester.")
    assert "didn't hear back" in (await outbox_texts(seeded))[-1]
    assert await actions(seeded, "reminded") == 1


async def test_a_ticket_long_overdue_closes_without_a_pointless_reminder(seeded: Desk, clock: Clock) -> None:
    await make(seeded, 1, "pending")
    clock.advance(days=9)  # the scheduler was down for a week
    await run_due(seeded, AUTOCLOSE_JOBS)
    assert await actions(seeded, "reminded") == 0
    assert await actions(seeded, "auto_closed") == 1


async def test_concurrent_schedulers_act_once_per_ticket(seeded: Desk, clock: Clock) -> None:
    await make(seeded, 30, "resolved")
    clock.advance(days=4)
    others = [
        Desk(settings=seeded.settings, db=Database(seeded.settings.database.url), clock=clock)
        for _ in range(3)
    ]
    try:
        done = await asyncio.gather(*(close_silent_resolved(d) for d in others))
    finally:
        for d in others:
            await d.db.dispose()
    assert sum(done) == 30
    assert await actions(seeded, "auto_closed") == 30
    assert len(await outbox_texts(seeded)) == 30 + 30  # one resolution notice and one closing each


@pytest.mark.postgres
async def test_two_serve_processes_share_the_work(pg_seeded: Desk, clock: Clock) -> None:
    seeded = pg_seeded
    await make(seeded, 40, "resolved")
    when = (clock.now + timedelta(days=4)).isoformat()
    script = textwrap.dedent(f"""
        import asyncio, datetime, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.conftest import make_settings
        from desk.context import Desk
        from desk.db import Database
        from desk.scheduler import run_due
        from desk.autoclose import AUTOCLOSE_JOBS
        async def main():
            settings = make_settings({seeded.settings.database.url!r})
            now = datetime.datetime.fromisoformat({when!r})
            desk = Desk(settings=settings, db=Database(settings.database.url), clock=lambda: now)
            print((await run_due(desk, AUTOCLOSE_JOBS))["close_silent_resolved"])
            await desk.db.dispose()
        asyncio.run(main())
    """)
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    counts = [int(out.decode().strip()) for out, _ in outputs]
    assert sum(counts) == 40
    assert await actions(seeded, "auto_closed") == 40
    async with seeded.session() as s:
        closed = await s.scalar(select(func.count(Ticket.id)).where(Ticket.status == "closed"))
    assert closed == 40


async def test_a_failing_job_does_not_stop_the_others(seeded: Desk) -> None:
    async def broken(_desk: Desk) -> int:
        raise RuntimeError("boom")

    async def fine(_desk: Desk) -> int:
        return 3

    assert await run_due(seeded, [broken, fine]) == {"broken": -1, "fine": 3}
