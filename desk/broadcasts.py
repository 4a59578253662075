"""Major-incident bulletins: one message to everyone affected, on each person's own channel.

Affected people are the requesters of open incidents and requests: in the category and its
sub-categories, when one is given; of the incidents linked to a problem, when one is given. Each
person gets the bulletin once, in their language when both are given, naming their own open
ticket(s), and each of those tickets records it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.audit import record_event
from desk.catalog import find_category, subtree
from desk.context import Actor, Desk
from desk.errors import InvalidInput
from desk.lifecycle import OPEN_STATUSES
from desk.models import Ticket
from desk.notify import send_to_requester
from desk.tickets import get_ticket

__all__ = ["BroadcastResult", "broadcast"]


@dataclass
class BroadcastResult:
    recipients: int = 0
    unreachable: int = 0
    tickets: list[str] = field(default_factory=list)


async def broadcast(
    session: AsyncSession,
    desk: Desk,
    actor: Actor,
    text: str | Mapping[str, str],
    category: str | None = None,
    problem: str | None = None,
) -> BroadcastResult:
    """Send ``text`` (or ``{"en": ..., "zh": ...}``) to the requesters of open tickets.

    Raises:
        InvalidInput: for an empty text, or a ``problem`` that is no problem. NotFound: for an
        unknown category or problem.
    """
    texts = {"en": text, "zh": text} if isinstance(text, str) else dict(text)
    if set(texts) - {"en", "zh"}:
        raise InvalidInput("give the text, or texts by language: en, zh", code="invalid_text")
    texts = {k: " ".join(str(v).split()) for k, v in texts.items() if str(v).strip()}
    if not texts:
        raise InvalidInput("a bulletin needs text", code="invalid_text")
    query = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), Ticket.type.in_(("incident", "request")))
    if category:
        query = query.where(subtree(Ticket.category_id, await find_category(session, category)))
    if problem:
        cause = await get_ticket(session, problem)
        if cause.type != "problem":
            raise InvalidInput(f"{cause.ref} is no problem (PRB-)", code="invalid_problem")
        query = query.where(Ticket.problem_id == cause.id)
    by_person: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in await session.scalars(query.order_by(Ticket.id)):
        by_person[ticket.requester_id].append(ticket)
    result = BroadcastResult()
    now = desk.now()
    default = desk.settings.desk.default_language
    for tickets in by_person.values():
        first = tickets[0]
        language = first.language or first.requester.language or default
        body = texts.get(language) or texts.get(default) or next(iter(texts.values()))
        refs = ", ".join(t.ref for t in tickets)
        sent = await send_to_requester(session, desk, first, f"[{refs}] {body}", author=actor)
        if sent is None:
            result.unreachable += 1
            continue
        result.recipients += 1
        for ticket in tickets:
            record_event(session, ticket, actor, "broadcast", now, note=body[:500])
            result.tickets.append(ticket.ref)
    return result
