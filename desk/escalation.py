"""Escalation: acting when a ticket's response or resolution time runs out.

Each configured level (``escalation.levels``) is due at a share of the target in business
time (``at: 75%``), optionally plus more business time (``after: 1h``), and then notifies
people, raises the priority, assigns or forwards the ticket. Each level fires once per ticket
and leaves an audit entry. The scheduler finds due tickets by ``next_escalation_at`` (kept by
:mod:`desk.sla` whenever the clocks change) and locks each one while it acts, so several
``serve`` processes fire each level exactly once between them. Time-based business rules
(:mod:`desk.rules`) run from here too.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.audit import record_event
from desk.context import Actor, Desk
from desk.lifecycle import OPEN_STATUSES
from desk.models import Ticket
from desk.notifications import notify_agent, recipients
from desk.routing import forward_ticket
from desk.rules import run_time_rules
from desk.scheduler import each_due
from desk.settings import LEVELS, EscalationLevel
from desk.sla import due_escalations, escalation_point, schedule_escalations
from desk.tickets import TICKET_OPS, change_ticket, format_due

__all__ = ["ESCALATION_JOBS", "escalate", "raised", "time_rules"]


def raised(impact: str, urgency: str) -> dict[str, str]:
    """One step up the matrix: urgency first, then impact; nothing when both are high."""
    if urgency != LEVELS[0]:
        return {"urgency": LEVELS[LEVELS.index(urgency) - 1]}
    if impact != LEVELS[0]:
        return {"impact": LEVELS[LEVELS.index(impact) - 1]}
    return {}


async def _fire(session: AsyncSession, desk: Desk, ticket: Ticket, level: EscalationLevel) -> None:
    actor = Actor.system(f"escalation: {level.name}")
    now = desk.now()
    due = ticket.response_due if level.clock == "response" else ticket.resolution_due
    point = escalation_point(desk, ticket, level)
    ticket.fired = sorted({*(ticket.fired or ()), f"escalation:{level.name}"})
    when = f" + {level.after}" if level.after else ""
    note = f"{level.name}: {level.at}{when} of the {level.clock} target (due {format_due(desk, ticket, due)})"
    record_event(
        session, ticket, actor, "escalated", now, note=note, after=point.isoformat() if point else None
    )
    for agent in await recipients(session, ticket, level.notify):
        await notify_agent(
            session,
            desk,
            agent,
            ticket,
            f"escalation_{level.clock}",
            level=level.name,
            due=format_due(desk, ticket, due),
        )
    if level.raise_priority and (step := raised(ticket.impact, ticket.urgency)):
        await change_ticket(session, desk, actor, ticket, step)
    if level.forward_to and (ticket.group is None or ticket.group.name != level.forward_to):
        await forward_ticket(session, desk, actor, ticket, level.forward_to, f"escalation {level.name}")
    if level.assign_to:
        target = ticket.group.manager if level.assign_to == "group_manager" and ticket.group else None
        key = target.id if target else (None if level.assign_to == "group_manager" else level.assign_to)
        if key is not None:
            await change_ticket(session, desk, actor, ticket, {"assignee": key})


async def escalate(desk: Desk) -> int:
    """Fire every due, unfired escalation level; returns how many fired."""
    query = (
        select(Ticket)
        .where(Ticket.next_escalation_at <= desk.now(), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.next_escalation_at, Ticket.id)
    )

    fired = 0

    async def act(session: AsyncSession, ticket: Ticket) -> bool:
        nonlocal fired
        levels = due_escalations(desk, ticket, desk.now())
        for level in levels:
            await _fire(session, desk, ticket, level)
        schedule_escalations(desk, ticket)
        fired += len(levels)
        return bool(levels)

    await each_due(desk, query, Ticket, act)
    return fired


async def time_rules(desk: Desk) -> int:
    """Business rules that run on time (``on: [time]``)."""
    return await run_time_rules(desk, TICKET_OPS)


ESCALATION_JOBS = (escalate, time_rules)
