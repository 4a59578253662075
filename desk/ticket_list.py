"""Listing tickets: filters agents use every day, newest first, with a keyset cursor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import CHANNELS
from desk.agents import find_agent, find_group
from desk.approvals import DECISIONS
from desk.catalog import find_category, subtree
from desk.db import contains_text, newest_first
from desk.errors import InvalidInput, NotFound
from desk.models import STATUSES, TYPES, Agent, Ticket
from desk.people import find_person
from desk.sla import breached_clause
from desk.tickets import get_ticket

__all__ = ["TicketFilter", "list_tickets"]


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Every field is optional. ``status``, ``type``, ``priority`` and ``channel`` take
    comma-separated lists; ``assignee`` takes an e-mail, an id, ``me`` or ``none``; ``category``
    takes a path, name or id and includes the categories inside it (``network`` lists
    ``network/vpn`` tickets too); ``breached`` (``true``/``false``) keeps the tickets that have or
    have not missed a response or resolution target as of now; ``problem`` (a reference) keeps the
    incidents linked to that problem; ``approval`` (``requested``, ``approved``, ``rejected``)
    keeps the service requests whose approval is there; ``q`` searches reference, subject and
    description."""

    status: str | None = None
    type: str | None = None
    assignee: str | None = None
    group: str | None = None
    requester: str | None = None
    q: str | None = None
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    breached: bool | None = None
    problem: str | None = None
    approval: str | None = None


# Where a ticket may have come from: a chat channel, or the API (an agent, an import).
_TICKET_CHANNELS = (*CHANNELS, "api")
_PRIORITY = re.compile(r"^P[1-9]$")


def _values(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"{what} must be among {', '.join(allowed)}", code=f"invalid_{what}")
    return values


async def _where(
    session: AsyncSession, query: Select[Ticket], f: TicketFilter, me: Agent | None, now: datetime
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
    if f.priority:
        wanted = [v.strip().upper() for v in f.priority.split(",") if v.strip()]
        if not all(_PRIORITY.match(v) for v in wanted):
            raise InvalidInput("priority must be among P1, P2, P3, P4", code="invalid_priority")
        query = query.where(Ticket.priority.in_(wanted))
    if f.channel:
        query = query.where(Ticket.channel.in_(_values(f.channel, _TICKET_CHANNELS, "channel")))
    if f.category:
        query = query.where(subtree(Ticket.category_id, await find_category(session, f.category)))
    if f.breached is not None:
        query = query.where(breached_clause(now) if f.breached else ~breached_clause(now))
    if f.problem:
        query = query.where(Ticket.problem_id == (await get_ticket(session, f.problem)).id)
    if f.approval:
        query = query.where(Ticket.approval.in_(_values(f.approval, (*DECISIONS, "requested"), "approval")))
    if f.q:
        query = query.where(
            or_(
                func.lower(Ticket.ref) == f.q.strip().lower(),
                contains_text(f.q, Ticket.subject, Ticket.description),
            )
        )
    return query


async def list_tickets(
    session: AsyncSession,
    f: TicketFilter,
    *,
    me: Agent | None = None,
    now: datetime,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> tuple[list[Ticket], tuple[datetime, int] | None]:
    """One page of tickets, newest first (``breached`` as of ``now``), and the key to continue after it (``None`` at the end).

    Raises:
        InvalidInput: for an unknown status, type, priority or channel. An unknown agent, group,
        requester or category lists nothing.
    """
    try:
        query = await _where(session, select(Ticket), f, me, now)
    except NotFound:
        return [], None
    return await newest_first(session, query, Ticket.created_at, Ticket.id, after, limit)
