"""Escalation levels on both databases: due at shares of the targets in business time, paused
while pending, each firing once (also with several schedulers at once), each audited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import find_agent
from desk.context import Actor, Desk
from desk.db import Database
from desk.escalation import escalate, raised
from desk.models import Agent, Notification, Person, TicketEvent
from desk.people import resolve_person
from desk.tickets import add_comment, change_ticket, create_ticket, get_ticket
from tests.conftest import Clock, make_settings

LEVELS = {
    "levels": [
        {"name": "first-answer", "clock": "response", "at": "100%", "notify": ["assignee", "group_manager"]},
        {"name": "warn", "clock": "resolution", "at": "75%", "notify": ["assignee"]},
        {"name": "breach", "clock": "resolution", "at": "100%", "notify": ["group_manager"]},
        {"name": "overdue", "clock": "resolution", "at": "100%", "after": "1h", "raise_priority": True,
         "assign_to": "group_manager"},
    ]
}  # fmt: skip
AGENT = Actor("agent", None, "Agent")


@pytest.fixture
async def esc(desk_with: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_with(escalation=LEVELS)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


async def mailer(s: AsyncSession, address: str = "ann@corp.example") -> Person:
    """Someone who wrote to the desk from ``address``."""
    return await resolve_person(s, channel="email", external_id=address, email=address)


async def ticket(
    desk: Desk, impact: str, urgency: str, assignee: str | None = "tom.baker@example.com"
) -> str:
    async with desk.session() as s:
        ann = await mailer(s)
        t = await create_ticket(
            s,
            desk,
            AGENT,
            requester=ann,
            subject="Printer on fire",
            category="printer",
            impact=impact,
            urgency=urgency,
        )
        if assignee:
            await change_ticket(s, desk, AGENT, t, {"assignee": assignee})
        return t.ref


async def fired(desk: Desk, ref: str) -> list[str]:
    async with desk.session() as s:
        t = await get_ticket(s, ref)
        rows = await s.scalars(
            select(TicketEvent.note)
            .where(TicketEvent.ticket_id == t.id, TicketEvent.action == "escalated")
            .order_by(TicketEvent.id)
        )
        return [str(n).split(":")[0] for n in rows]


async def at(desk: Desk, clock: Clock, when: datetime) -> int:
    clock.now = when
    return await escalate(desk)


async def test_levels_fire_at_their_share_of_business_time_once_each(esc: Desk, clock: Clock) -> None:
    ref = await ticket(esc, "high", "high")  # P1: answer in 15m, resolve in 4h; created Wed 10:00
    assert await at(esc, clock, shanghai(18, 10, 14)) == 0
    assert await at(esc, clock, shanghai(18, 10, 16)) == 1
    assert await fired(esc, ref) == ["first-answer"]
    # 75% of 4 working hours = 3h: 10:00-12:00, lunch, 13:00-14:00.
    assert await at(esc, clock, shanghai(18, 13, 59)) == 0
    assert await at(esc, clock, shanghai(18, 14, 1)) == 1
    assert await at(esc, clock, shanghai(18, 14, 30)) == 0  # once
    assert await at(esc, clock, shanghai(18, 15, 1)) == 1  # breach at 15:00
    assert await fired(esc, ref) == ["first-answer", "warn", "breach"]
    async with esc.session() as s:
        tom = await find_agent(s, "tom.baker@example.com")
        maria = await find_agent(s, "maria.garcia@example.com")  # Service Desk's manager
        notes = {
            (n.agent_id, n.kind)
            for n in await s.scalars(select(Notification).where(Notification.kind.like("escalation%")))
        }
        t = await get_ticket(s, ref)
        assert t.next_escalation_at == shanghai(18, 16)
    assert notes == {
        (tom.id, "escalation_response"), (maria.id, "escalation_response"),
        (tom.id, "escalation_resolution"), (maria.id, "escalation_resolution"),
    }  # fmt: skip


async def test_a_level_may_tell_every_supervisor(
    desk_with: Callable[..., Awaitable[Desk]], clock: Clock
) -> None:
    # The desk's supervisors and admins, whatever group they lead: who hears of a breach that
    # is nobody's in particular (a ticket without a group or manager).
    desk = await desk_with(escalation={"levels": [
        {"name": "breach", "clock": "resolution", "at": "100%", "notify": ["supervisors"]},
    ]})  # fmt: skip
    ref = await ticket(desk, "high", "high", assignee=None)
    assert await at(desk, clock, shanghai(18, 15, 1)) == 1
    async with desk.session() as s:
        rows = await s.execute(
            select(Agent.email).join(Notification, Notification.agent_id == Agent.id).order_by(Agent.email)
        )
        assert (await get_ticket(s, ref)).assignee is None
    assert list(rows.scalars()) == ["li.wei@example.com", "maria.garcia@example.com", "zhang.min@example.com"]


async def test_overdue_raises_priority_and_hands_to_the_manager(esc: Desk, clock: Clock) -> None:
    ref = await ticket(esc, "medium", "medium")  # P3: resolve in 3 working days
    async with esc.session() as s:
        await add_comment(s, esc, Actor("agent", None, "Tom"), await get_ticket(s, ref), "Looking")
    # 3d = 24 working hours from Wed 10:00 -> Mon 10:00 (weekend skipped); +1h -> Mon 11:00.
    # 75% = 18 working hours -> Fri 12:00; 100% -> Mon 10:00: a scheduler back on Monday fires both.
    assert await at(esc, clock, shanghai(23, 10, 30)) == 2
    async with esc.session() as s:
        t = await get_ticket(s, ref)
        assert t.priority == "P3"
    assert await at(esc, clock, shanghai(23, 11, 1)) == 1
    async with esc.session() as s:
        t = await get_ticket(s, ref)
        assert (t.urgency, t.priority) == ("high", "P2")
        assert t.assignee is not None and t.assignee.email == "maria.garcia@example.com"
    assert await fired(esc, ref) == ["warn", "breach", "overdue"]


async def test_pending_pauses_the_resolution_levels(esc: Desk, clock: Clock) -> None:
    ref = await ticket(esc, "high", "high")
    async with esc.session() as s:
        t = await get_ticket(s, ref)
        await add_comment(s, esc, Actor("agent", None, "Tom"), t, "Can you send a photo?")
        clock.now = shanghai(18, 10, 30)
        await change_ticket(s, esc, AGENT, t, {"status": "pending"})
    assert await at(esc, clock, shanghai(18, 15, 0)) == 0  # would have warned at 14:00
    clock.now = shanghai(19, 10, 30)  # back a working day later (8 working hours paused)
    async with esc.session() as s:
        await change_ticket(s, esc, AGENT, await get_ticket(s, ref), {"status": "in_progress"})
    assert await at(esc, clock, shanghai(19, 13, 59)) == 0
    assert await at(esc, clock, shanghai(19, 14, 1)) == 1
    assert await fired(esc, ref) == ["warn"]


async def test_resolved_tickets_and_answered_ones_do_not_escalate(esc: Desk, clock: Clock) -> None:
    ref = await ticket(esc, "high", "high")
    async with esc.session() as s:
        await add_comment(s, esc, Actor("agent", None, "Tom"), await get_ticket(s, ref), "On my way")
    assert await at(esc, clock, shanghai(18, 10, 20)) == 0  # answered in time: no first-answer level


async def test_concurrent_schedulers_fire_each_level_once(esc: Desk, clock: Clock) -> None:
    refs = [await ticket(esc, "high", "high") for _ in range(12)]
    clock.now = shanghai(18, 15, 30)
    others = [
        Desk(settings=esc.settings, db=Database(esc.settings.database.url), clock=clock) for _ in range(3)
    ]
    try:
        counts = await asyncio.gather(*(escalate(d) for d in others))
    finally:
        for d in others:
            await d.db.dispose()
    assert sum(counts) == 12 * 3
    async with esc.session() as s:
        n = await s.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.action == "escalated"))
    assert n == 36
    for ref in refs:
        assert await fired(esc, ref) == ["first-answer", "warn", "breach"]


def test_raising_priority_climbs_urgency_then_impact() -> None:
    assert raised("low", "low") == {"urgency": "medium"}
    assert raised("medium", "high") == {"impact": "high"}
    assert raised("high", "high") == {}


async def test_the_shipped_policy_times_incidents_and_requests_but_not_problems(
    desk_with: Callable[..., Awaitable[Desk]],
) -> None:
    # A problem is the desk's own investigation: it used to get a P3 clock, breach it and
    # escalate like a user's incident. A policy that names problems times them again.
    shipped = await desk_with()
    made = {}
    async with shipped.session() as s:
        ann = await mailer(s)
        for kind in ("incident", "request", "problem"):
            made[kind] = await create_ticket(s, shipped, AGENT, requester=ann, subject="Phones", type=kind)
        assert [made[k].sla_policy for k in ("incident", "request", "problem")] == [
            "standard",
            "standard",
            None,
        ]
        assert (made["problem"].response_due, made["problem"].resolution_due) == (None, None)
    investigations = {"name": "problems", "calendar": "office", "types": ["problem"],
                      "targets": {"P3": {"response": "1d", "resolution": "10d"}}}  # fmt: skip
    standard = make_settings("sqlite://").sla.policies[0].model_dump()
    timed = await desk_with(sla={"policies": [standard, investigations]})
    async with timed.session() as s:
        ann = await mailer(s)
        problem = await create_ticket(s, timed, AGENT, requester=ann, subject="Phones", type="problem")
        assert (problem.sla_policy, problem.response_due) == ("problems", shanghai(19, 10))


async def test_sla_policies_can_target_a_requester_group(desk_with: Callable[..., Awaitable[Desk]]) -> None:
    board = {"name": "board", "calendar": "always", "departments": ["Board"],
             "targets": {"P3": {"response": "30m", "resolution": "8h"}}}  # fmt: skip
    standard = make_settings("sqlite://").sla.policies[0].model_dump()
    desk = await desk_with(sla={"policies": [board, standard]})
    async with desk.session() as s:
        ceo = await mailer(s, "ceo@corp.example")
        ceo.department = "board"
        ann = await mailer(s)
        a = await create_ticket(s, desk, AGENT, requester=ceo, subject="Phone", category="hardware")
        b = await create_ticket(s, desk, AGENT, requester=ann, subject="Phone", category="hardware")
        assert (a.sla_policy, b.sla_policy) == ("board", "standard")
        assert a.response_due == shanghai(18, 10, 30)  # 30 minutes on the always-open calendar
        assert b.response_due == shanghai(18, 15)  # 4 working hours in the office, lunch excluded
