"""Satisfaction surveys: a 1–5 score and an optional comment per ticket; low scores are flagged."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from desk.context import Actor, Desk
from desk.errors import InvalidInput, InvalidTransition
from desk.models import Ticket
from desk.notifications import notify_agent
from desk.tickets import record_event

__all__ = ["LOW_SCORE", "comment_on_rating", "rate_ticket"]

LOW_SCORE = 2


async def rate_ticket(session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, score: int) -> Ticket:
    """Record the requester's score. A score of :data:`LOW_SCORE` or less flags the ticket for
    the group's manager (``flagged``, and an audit entry naming the manager).

    Raises:
        InvalidInput: for a score outside 1–5. InvalidTransition: before the ticket is resolved.
    """
    if not 1 <= score <= 5:
        raise InvalidInput("a rating is a whole number from 1 to 5", code="invalid_rating")
    if ticket.status not in ("resolved", "closed"):
        raise InvalidTransition(f"{ticket.ref} is {ticket.status}; it can be rated once resolved")
    now = desk.now()
    before = ticket.csat_score
    ticket.csat_score, ticket.csat_at = score, now
    record_event(session, ticket, actor, "rated", now, field="csat", before=before, after=score)
    if score <= LOW_SCORE and not ticket.flagged:
        ticket.flagged = True
        manager = ticket.group.manager if ticket.group is not None else None
        note = f"low satisfaction ({score}/5) for {manager.email if manager else 'the desk manager'}"
        record_event(session, ticket, actor, "flagged", now, note=note)
        if manager is not None:
            await notify_agent(session, desk, manager, ticket, "low_csat", score=score)
    return ticket


async def comment_on_rating(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, comment: str
) -> Ticket:
    """Keep the requester's words with their score."""
    text = (comment or "").strip()[:2000]
    if text:
        ticket.csat_comment = text
        record_event(session, ticket, actor, "rated", desk.now(), field="csat_comment", after=text)
    return ticket
