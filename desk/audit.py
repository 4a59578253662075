"""The tickets' append-only audit log: one line per change, action or notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from desk.context import Actor
from desk.models import Ticket, TicketEvent

__all__ = ["record_event"]


def record_event(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    action: str,
    at: datetime,
    *,
    field: str | None = None,
    before: object = None,
    after: object = None,
    note: str | None = None,
) -> TicketEvent:
    """Append one line to the ticket's audit log."""
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        field=field,
        before=None if before is None else str(before),
        after=None if after is None else str(after),
        note=note,
    )
    session.add(event)
    return event
