"""Listing tickets: filters agents use every day, newest first, with a keyset cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import find_agent, find_group
from desk.errors import InvalidInput, NotFound
from desk.models import STATUSES, TYPES, Agent, Ticket
from desk.people import find_person

__all__ = ["TicketFilter", "list_tickets"]


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Every field is optional. ``status`` and ``type`` take comma-separated lists;
    ``assignee`` takes an e-mail, an id, ``me`` or ``none``; ``q`` searches reference, subject
    and description."""

    status: str | None = None
    type: str | None = None
    assignee: str | None = None
    group: str | None = None
    requester: str | None = None
    q: str | None = None


def _values(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"{what} must be among {', '.join(allowed)}", code=f"invalid_{what}")
    return values


async def _where(
    session: AsyncSession, query: Select[Ticket], f: TicketFilter, me: Agent | None
) -> Select[Ticket]:
    if f.status:
        query = query.where(Ticket.status.in_(_values(f.status, STATUSES, "status")))
    if f.type:
        query = query.where(Ticket.type.in_(_values(f.type, TYPES, "type")))
    if f.assignee:
        key = f.assignee.strip().lower()
        if key == "none":
            query = query.where(Ticket.assignee_id.is_(None))
        else:
            agent = me if key == "me" and me is not None else await find_agent(session, key)
            query = query.where(Ticket.assignee_id == agent.id)
    if f.group:
        query = query.where(Ticket.group_id == (await find_group(session, f.group)).id)
    if f.requester:
        query = query.where(Ticket.requester_id == (await find_person(session, f.requester)).id)
    if f.q:
        needle = f"%{f.q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Ticket.ref) == f.q.strip().lower(),
                func.lower(Ticket.subject).like(needle),
                func.lower(Ticket.description).like(needle),
            )
        )
    return query


async def list_tickets(
    session: AsyncSession,
    f: TicketFilter,
    *,
    me: Agent | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> tuple[list[Ticket], tuple[datetime, int] | None]:
    """One page of tickets, newest first, and the key to continue after it (``None`` at the end).

    Raises:
        InvalidInput: for an unknown status or type. NotFound: for an unknown agent or group.
    """
    try:
        query = await _where(session, select(Ticket), f, me)
    except NotFound:
        return [], None
    if after is not None:
        when, ident = after
        query = query.where(or_(Ticket.created_at < when, and_(Ticket.created_at == when, Ticket.id < ident)))
    rows = list(
        await session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].created_at, rows[-1].id) if more and rows else None)
