"""The auto-close ladder: silence after a resolution closes the ticket; a ticket waiting on the
requester gets one reminder, then closes. Each step tells the requester and is audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Button
from desk.audit import logged_since
from desk.context import Actor, Desk
from desk.i18n import t
from desk.models import Ticket
from desk.notify import send_to_requester
from desk.scheduler import automation_delay, each_due
from desk.tickets import change_ticket, close_ticket, format_due, record_event

__all__ = ["AUTOCLOSE_JOBS", "close_silent_pending", "close_silent_resolved", "remind_pending"]

SYSTEM = Actor.system("auto-close")


def rating_buttons(ref: str) -> tuple[Button, ...]:
    return tuple(Button("⭐" * n, f"/rate {ref} {n}") for n in range(1, 6))


async def close_silent_resolved(desk: Desk) -> int:
    """Close tickets resolved longer ago than ``automation.resolved_close_after``; ask for a rating."""
    cutoff = desk.now() - automation_delay(desk, "resolved_close_after")
    query = (
        select(Ticket).where(Ticket.status == "resolved", Ticket.resolved_at <= cutoff).order_by(Ticket.id)
    )

    async def act(session: AsyncSession, ticket: Ticket) -> bool:
        await close_ticket(session, desk, SYSTEM, ticket)
        record_event(
            session, ticket, SYSTEM, "auto_closed", desk.now(), note="no answer after the resolution"
        )
        said = "request.autoclosed" if ticket.type == "request" else "ticket.autoclosed"
        text = t(ticket.language, said, ref=ticket.ref, subject=ticket.subject)
        await send_to_requester(
            session, desk, ticket, text, buttons=rating_buttons(ticket.ref), author=SYSTEM
        )
        return True

    return await each_due(desk, query, Ticket, act)


async def remind_pending(desk: Desk) -> int:
    """Remind once about tickets pending on the requester longer than ``pending_remind_after``."""
    now = desk.now()
    cutoff = now - automation_delay(desk, "pending_remind_after")
    closing = now - automation_delay(desk, "pending_close_after")  # due to close: no point reminding first
    reminded = logged_since(Ticket.id, "reminded", Ticket.paused_at)
    query = (
        select(Ticket)
        .where(Ticket.status == "pending", Ticket.paused_at <= cutoff, Ticket.paused_at > closing, ~reminded)
        .order_by(Ticket.id)
    )

    async def act(session: AsyncSession, ticket: Ticket) -> bool:
        assert ticket.paused_at is not None
        closes = ticket.paused_at + automation_delay(desk, "pending_close_after")
        text = t(
            ticket.language,
            "ticket.pending_reminder",
            ref=ticket.ref,
            subject=ticket.subject,
            closes=format_due(desk, ticket, closes),
        )
        await send_to_requester(session, desk, ticket, text, author=SYSTEM)
        record_event(session, ticket, SYSTEM, "reminded", desk.now(), note="waiting for the requester")
        return True

    return await each_due(desk, query, Ticket, act)


async def close_silent_pending(desk: Desk) -> int:
    """Resolve and close tickets pending on the requester longer than ``pending_close_after``."""
    cutoff = desk.now() - automation_delay(desk, "pending_close_after")
    query = select(Ticket).where(Ticket.status == "pending", Ticket.paused_at <= cutoff).order_by(Ticket.id)

    async def act(session: AsyncSession, ticket: Ticket) -> bool:
        ticket.solution = ticket.solution or t(ticket.language, "ticket.no_reply")
        await change_ticket(session, desk, SYSTEM, ticket, {"status": "resolved"})
        await close_ticket(session, desk, SYSTEM, ticket)
        record_event(session, ticket, SYSTEM, "auto_closed", desk.now(), note="no answer while pending")
        text = t(ticket.language, "ticket.pending_closed", ref=ticket.ref, subject=ticket.subject)
        await send_to_requester(session, desk, ticket, text, author=SYSTEM)
        return True

    return await each_due(desk, query, Ticket, act)


AUTOCLOSE_JOBS = (close_silent_resolved, remind_pending, close_silent_pending)
