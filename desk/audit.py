"""The tickets' append-only audit log: one line per change, action or notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from desk.context import Actor
from desk.models import Ticket, TicketEvent

__all__ = ["logged_since", "record_event"]

_Column = ColumnElement[Any] | QueryableAttribute[Any]


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


def logged_since(ticket_id: _Column, action: str, since: _Column, until: datetime | None = None) -> Exists:
    """In SQL: whether the ticket ``ticket_id`` names has an ``action`` in its log since
    ``since`` (a reminder already sent since it began to wait, say), and no later than ``until``
    if given (a reminder sent long enough ago)."""
    until_then = (TicketEvent.at <= until,) if until is not None else ()
    return (
        select(TicketEvent.id)
        .where(
            TicketEvent.ticket_id == ticket_id,
            TicketEvent.action == action,
            TicketEvent.at >= since,
            *until_then,
        )
        .exists()
    )
