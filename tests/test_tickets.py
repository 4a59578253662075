"""Ticket services on both databases: numbering, lifecycle, audit log, priority, SLA clocks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from desk.context import Actor, Desk
from desk.errors import InvalidInput, InvalidTransition, NotFound
from desk.i18n import t as words
from desk.lifecycle import TRANSITIONS
from desk.models import Agent, Article, OutboxItem, Ticket, TicketEvent
from desk.people import resolve_person
from desk.tickets import add_comment, change_ticket, create_ticket, get_ticket, reopen_ticket, resolve_ticket
from tests.conftest import Clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = Actor("agent", None, "Test Agent")


async def new_ticket(desk: Desk, **kw: object) -> Ticket:
    async with desk.session() as s:
        person = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        args: dict[str, object] = {"subject": "Laptop will not boot", "category": "hardware/laptop"}
        args.update(kw)
        return await create_ticket(s, desk, AGENT, requester=person, **args)  # type: ignore[arg-type]


async def events(desk: Desk, ref: str) -> list[tuple[str, str | None, str | None, str | None]]:
    async with desk.session() as s:
        t = await get_ticket(s, ref)
        rows = await s.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
        )
        return [(e.action, e.field, e.before, e.after) for e in rows]


async def test_references_are_numbered_per_type(seeded: Desk) -> None:
    refs = [
        (await new_ticket(seeded)).ref,
        (await new_ticket(seeded, type="request", subject="New monitor")).ref,
        (await new_ticket(seeded)).ref,
        (await new_ticket(seeded, type="problem", subject="Laptops fail after update")).ref,
    ]
    assert refs == ["INC-1", "REQ-1", "INC-2", "PRB-1"]


async def test_concurrent_creation_never_reuses_a_number(seeded: Desk) -> None:
    made = await asyncio.gather(*(new_ticket(seeded, subject=f"issue {i}") for i in range(12)))
    assert sorted(t.number for t in made) == list(range(1, 13))


async def test_new_ticket_is_filed_prioritised_and_clocked(seeded: Desk) -> None:
    ticket = await new_ticket(seeded, category="network/vpn", impact="high", urgency="high")
    assert ticket.status == "new" and ticket.priority == "P1"
    assert ticket.group is not None and ticket.group.name == "Network"
    # Wednesday 10:00 Shanghai: respond within 15 working minutes, resolve within 4 working hours,
    # which crosses the 12:00-13:00 lunch break.
    assert ticket.response_due == datetime(2026, 11, 18, 10, 15, tzinfo=SHANGHAI)
    assert ticket.resolution_due == datetime(2026, 11, 18, 15, 0, tzinfo=SHANGHAI)
    assert await events(seeded, ticket.ref) == [("created", None, None, None)]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [("high", "high", "P1"), ("high", "medium", "P2"), ("high", "low", "P3"), ("medium", "high", "P2"),
     ("medium", "medium", "P3"), ("medium", "low", "P4"), ("low", "high", "P3"), ("low", "medium", "P4"),
     ("low", "low", "P4")],
)  # fmt: skip
async def test_priority_follows_the_configured_matrix(
    seeded: Desk, impact: str, urgency: str, priority: str
) -> None:
    assert (await new_ticket(seeded, impact=impact, urgency=urgency)).priority == priority


async def test_category_default_impact_applies_when_none_given(seeded: Desk) -> None:
    erp = await new_ticket(seeded, category="erp", subject="Invoices fail")  # ERP: high impact by default
    assert (erp.impact, erp.urgency, erp.priority) == ("high", "medium", "P2")


async def test_bad_input_is_refused_clearly(seeded: Desk) -> None:
    with pytest.raises(InvalidInput, match="impact must be one of"):
        await new_ticket(seeded, impact="catastrophic")
    with pytest.raises(NotFound, match="no category 'quantum'"):
        await new_ticket(seeded, category="quantum")
    with pytest.raises(InvalidInput, match="subject"):
        await new_ticket(seeded, subject="  ", description="")
    with pytest.raises(InvalidInput, match="future"):
        await new_ticket(seeded, created_at=seeded.now() + timedelta(days=1))


async def test_lifecycle_happy_path_with_audit(seeded: Desk, clock: Clock) -> None:
    ticket = await new_ticket(seeded)
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await change_ticket(s, seeded, AGENT, t, {"assignee": "tom.baker@example.com"})
        assert t.status == "assigned"
        await change_ticket(s, seeded, AGENT, t, {"status": "in_progress"})
        await resolve_ticket(s, seeded, AGENT, t, "Replaced the SSD")
        assert t.resolved_at == clock.now and t.solution == "Replaced the SSD"
        await change_ticket(s, seeded, AGENT, t, {"status": "closed"})
        assert t.closed_at == clock.now
    assert [e[1:] for e in await events(seeded, ticket.ref) if e[1] in ("status", "assignee")] == [
        ("assignee", None, "tom.baker@example.com"),
        ("status", "new", "assigned"),
        ("status", "assigned", "in_progress"),
        ("status", "in_progress", "resolved"),
        ("status", "resolved", "closed"),
    ]


@pytest.mark.parametrize("current", sorted(TRANSITIONS))
async def test_every_disallowed_transition_is_a_409(seeded: Desk, current: str) -> None:
    ticket = await new_ticket(seeded, subject=f"from {current}")
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        t.assignee = None
        t.status = current  # placed directly in the state under test
    for target in sorted(set(TRANSITIONS) - TRANSITIONS[current] - {current}):
        async with seeded.session() as s:
            t = await get_ticket(s, ticket.ref)
            with pytest.raises(InvalidTransition) as err:
                await change_ticket(s, seeded, AGENT, t, {"status": target})
            assert err.value.status == 409


async def test_unassigning_returns_to_new_and_in_progress_needs_someone(seeded: Desk) -> None:
    ticket = await new_ticket(seeded)
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        with pytest.raises(InvalidTransition, match="needs an assignee"):
            await change_ticket(s, seeded, Actor.system(), t, {"status": "in_progress"})
        await change_ticket(s, seeded, AGENT, t, {"assignee": "tom.baker@example.com"})
        await change_ticket(s, seeded, AGENT, t, {"assignee": None})
        assert t.status == "new" and t.assignee is None


async def test_reopen_from_resolved_counts_and_clears_resolution(seeded: Desk) -> None:
    ticket = await new_ticket(seeded)
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await change_ticket(
            s, seeded, AGENT, t, {"assignee": "tom.baker@example.com", "status": "in_progress"}
        )
        await resolve_ticket(s, seeded, AGENT, t, "Rebooted")
        await reopen_ticket(s, seeded, Actor("requester", t.requester_id, "Ann"), t, "still broken")
        assert (t.status, t.resolved_at, t.reopen_count) == ("in_progress", None, 1)
        with pytest.raises(InvalidTransition):
            await reopen_ticket(s, seeded, AGENT, t)


async def test_raising_impact_raises_priority_and_pulls_due_times_in(seeded: Desk) -> None:
    ticket = await new_ticket(seeded, impact="low", urgency="low")
    assert ticket.priority == "P4"
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        before = t.resolution_due
        await change_ticket(s, seeded, AGENT, t, {"impact": "high", "urgency": "high"})
        assert t.priority == "P1"
        assert t.resolution_due is not None and before is not None and t.resolution_due < before
        assert t.resolution_due == datetime(2026, 11, 18, 15, 0, tzinfo=SHANGHAI)
    assert ("changed", "priority", "P4", "P1") in await events(seeded, ticket.ref)


async def test_pending_pauses_the_resolution_clock(seeded: Desk, clock: Clock) -> None:
    ticket = await new_ticket(seeded, impact="high", urgency="high")  # resolve by 15:00 the same day
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await change_ticket(s, seeded, AGENT, t, {"assignee": "tom.baker@example.com", "status": "pending"})
    clock.advance(hours=2)  # waits on the user from 10:00 to 12:00: two working hours
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await change_ticket(s, seeded, AGENT, t, {"status": "in_progress"})
        assert t.paused_at is None and t.paused_seconds == 2 * 3600
        assert t.resolution_due == datetime(2026, 11, 18, 17, 0, tzinfo=SHANGHAI)


async def test_agent_public_comment_is_first_response_and_reaches_requester(
    seeded: Desk, clock: Clock
) -> None:
    ticket = await new_ticket(seeded)
    clock.advance(minutes=7)
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await add_comment(s, seeded, AGENT, t, "Internal: check warranty", public=False)
        assert t.first_response_at is None
        await add_comment(s, seeded, AGENT, t, "Please bring it to room 204")
        assert t.first_response_at == clock.now
    async with seeded.session() as s:
        out = list(await s.scalars(select(OutboxItem)))
    assert len(out) == 1  # the internal note reached nobody
    assert out[0].address == {"channel": "email", "chat_id": "ann@corp.example", "thread_id": None}
    assert "room 204" in out[0].payload["text"] and ticket.ref in out[0].payload["subject"]


async def test_an_agent_who_answers_a_ticket_nobody_has_takes_it(seeded: Desk) -> None:
    # It stayed new and unassigned after the answer: in the queue for someone else to take and
    # answer again, and counted for nobody.
    ticket = await new_ticket(seeded)
    async with seeded.session() as s:
        tom = await s.scalar(select(Agent).where(Agent.email == "tom.baker@example.com"))
        assert tom is not None
        actor = Actor("agent", tom.id, tom.name)
        t = await get_ticket(s, ticket.ref)
        await add_comment(s, seeded, actor, t, "Checking the warranty", public=False)
        assert (t.status, t.assignee) == ("new", None)  # a note to colleagues answers nobody
        await add_comment(s, seeded, actor, t, "Please bring it to room 204")
        assert (t.status, t.assignee) == ("in_progress", tom)
    assert ("changed", "assignee", None, "tom.baker@example.com") in await events(seeded, ticket.ref)


async def test_resolution_asks_to_confirm_and_can_draft_a_kb_article(seeded: Desk) -> None:
    ticket = await new_ticket(seeded, language="zh")
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await resolve_ticket(s, seeded, AGENT, t, "已更换硬盘", kb=True)
    async with seeded.session() as s:
        item = await s.scalar(select(OutboxItem))
        article = await s.scalar(select(Article).where(Article.source_ticket_id == ticket.id))
    assert item is not None and ticket.ref in item.payload["text"] and "已解决" in item.payload["text"]
    assert [b["payload"] for b in item.payload["buttons"]] == [
        f"/confirm {ticket.ref}",
        f"/reopen {ticket.ref}",
    ]
    assert article is not None and article.status == "draft" and article.body == "已更换硬盘"


async def test_a_fulfilled_request_asks_whether_everything_is_in_place(seeded: Desk) -> None:
    request = await new_ticket(seeded, type="request", subject="New software: Visio", category="software")
    async with seeded.session() as s:
        await resolve_ticket(s, seeded, AGENT, await get_ticket(s, request.ref), "Visio 2021 installed")
        item = await s.scalar(select(OutboxItem))
    assert item is not None
    assert item.payload["text"] == words(
        "en", "request.resolved", ref=request.ref, solution="Visio 2021 installed"
    )
    assert "Is everything you asked for in place?" in item.payload["text"]
    assert [(b["title"], b["payload"]) for b in item.payload["buttons"]] == [
        ("Yes, all done", f"/confirm {request.ref}"),
        ("No, something's missing", f"/reopen {request.ref}"),
    ]


async def test_the_audit_log_is_append_only(seeded: Desk) -> None:
    ticket = await new_ticket(seeded)
    with pytest.raises(PermissionError, match="append-only"):
        async with seeded.session() as s:
            event = await s.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
            assert event is not None
            event.note = "rewritten history"
    with pytest.raises(PermissionError, match="append-only"):
        async with seeded.session() as s:
            event = await s.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
            await s.delete(event)
    assert await events(seeded, ticket.ref) == [("created", None, None, None)]


async def test_closed_tickets_do_not_change(seeded: Desk) -> None:
    ticket = await new_ticket(seeded)
    async with seeded.session() as s:
        t = await get_ticket(s, ticket.ref)
        await change_ticket(s, seeded, AGENT, t, {"status": "cancelled"})
        with pytest.raises(InvalidTransition, match="no longer change"):
            await change_ticket(s, seeded, AGENT, t, {"impact": "high"})
