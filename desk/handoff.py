"""Human handoff: the conversation state machine ``bot → queued → agent → bot | closed``.

While a conversation is ``queued`` or owned by an agent the bot is silent; agents' messages are
transcript rows plus outbox rows in one transaction, delivered on the user's own channel.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import actor_of
from desk.catalog import desk_default_group
from desk.context import Actor, Desk
from desk.conversations import move_conversation, return_to_bot
from desk.errors import Conflict, InvalidInput, NotFound
from desk.i18n import t
from desk.models import Agent, Attachment, Conversation, Group, Message, Ticket
from desk.notify import send_to_conversation
from desk.routing import available_agents, chat_priority, return_ticket, withdraw_offer
from desk.tickets import change_ticket, record_event

__all__ = [
    "QueueSlot",
    "agent_reply",
    "close_conversation",
    "get_conversation",
    "hand_back_work",
    "queue_conversation",
    "queue_positions",
    "queue_slot",
    "release_conversation",
    "take_over",
]


@dataclass(frozen=True, slots=True)
class QueueSlot:
    """Where a waiting conversation stands: its place in line, and when someone will answer if
    the desk is closed now (``None`` while it is open)."""

    position: int
    opens_at: datetime | None


async def get_conversation(
    session: AsyncSession, conversation_id: int, *, lock: bool = False
) -> Conversation:
    """Raises:
    NotFound: when there is no such conversation.
    """
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update(of=Conversation)
    conversation = await session.scalar(query)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation


async def queue_positions(
    session: AsyncSession, desk: Desk, conversations: Sequence[Conversation]
) -> dict[int, int]:
    """Each conversation's place in line (1 is next): among the conversations waiting for its
    group (one without a group waits for ``desk.default_group``), in the order routing hands
    them out (:func:`desk.routing.waiting_queue`): its ticket's priority first, then the longest
    waiting, then the earlier id. One query for a whole page, reading only their groups' lines."""
    if not conversations:
        return {}
    default = await desk_default_group(session, desk)
    default_id = default.id if default is not None else None

    def line(group_id: int | None) -> int | None:
        return default_id if group_id is None else group_id

    lines = {line(c.group_id) for c in conversations}
    in_lines: ColumnElement[bool] = Conversation.group_id.in_([g for g in lines if g is not None])
    if None in lines or default_id in lines:
        in_lines = or_(in_lines, Conversation.group_id.is_(None))
    rows = await session.execute(
        select(Conversation.id, Conversation.group_id, Conversation.queued_at, Ticket.priority)
        .outerjoin(Ticket, Ticket.id == Conversation.ticket_id)
        .where(Conversation.mode == "queued", Conversation.queued_at.is_not(None), in_lines)
    )
    fallback, now = chat_priority(desk), desk.now()
    keys: dict[int, tuple[str, datetime, int]] = {}
    queues: dict[int | None, list[tuple[str, datetime, int]]] = defaultdict(list)
    for ident, group_id, at, priority in rows:
        keys[ident] = (priority or fallback, at or now, ident)
        queues[line(group_id)].append(keys[ident])
    for queue in queues.values():
        queue.sort()
    return {
        c.id: bisect_left(queues[line(c.group_id)], keys.get(c.id, (fallback, c.queued_at or now, c.id))) + 1
        for c in conversations
    }


async def queue_slot(session: AsyncSession, desk: Desk, conversation: Conversation) -> QueueSlot:
    """The conversation's place among those waiting, and when someone will answer if nobody can
    now: with an agent of its group available, now; else when the group's calendar opens."""
    position = (await queue_positions(session, desk, [conversation]))[conversation.id]
    now = desk.now()
    group = await session.get(Group, conversation.group_id) if conversation.group_id else None
    if group is None:
        group = await desk_default_group(session, desk)
    if group is not None and await available_agents(session, desk, group):
        return QueueSlot(position, None)
    calendar = desk.calendar(group.calendar if group is not None else None)
    opens = None if calendar is None or calendar.is_open(now) else calendar.next_open(now)
    return QueueSlot(position, opens)


async def queue_conversation(
    session: AsyncSession,
    desk: Desk,
    conversation: Conversation,
    *,
    ticket: Ticket | None = None,
    reason: str = "",
) -> QueueSlot:
    """Hand a conversation to the human queue, linked to ``ticket`` when given.

    Raises:
        InvalidTransition: for a closed conversation.
    """
    move_conversation(conversation, "queued")
    now = desk.now()
    conversation.queued_at = conversation.queued_at or now
    conversation.agent_id = None  # waiting for whoever routing offers it to
    conversation.offered_at = None
    session.info["wake_router"] = True
    if ticket is not None:
        conversation.ticket_id = ticket.id
        conversation.group_id = ticket.group_id
        record_event(
            session, ticket, Actor.bot(), "handoff", now, note=reason or "the user asked for a person"
        )
    await session.flush()
    return await queue_slot(session, desk, conversation)


async def take_over(
    session: AsyncSession, desk: Desk, conversation: Conversation, agent: Agent
) -> Conversation:
    """An agent takes the conversation from the bot or the queue; the bot falls silent.

    The linked ticket, if unassigned, is assigned to the agent. The user is told who joined.

    Raises:
        Conflict: when another agent already owns it. InvalidTransition: when it is closed.
    """
    if conversation.mode == "agent" and conversation.agent_id not in (None, agent.id):
        raise Conflict(f"conversation {conversation.id} is already with another agent")
    if conversation.mode == "agent" and conversation.agent_id == agent.id:
        return conversation
    move_conversation(conversation, "agent")
    conversation.agent_id = agent.id
    conversation.queued_at = None
    conversation.offered_at = None
    session.info["wake_router"] = True
    ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    if ticket is not None:
        if ticket.assignee_id is None and ticket.status in ("new", "assigned"):
            await change_ticket(session, desk, actor_of(agent), ticket, {"assignee": agent.id})
        if ticket.assignee_id == agent.id and ticket.status == "assigned":
            # Talking to the requester is working on the ticket: the assignment is acknowledged.
            await change_ticket(session, desk, actor_of(agent), ticket, {"status": "in_progress"})
        record_event(
            session, ticket, actor_of(agent), "took_over", desk.now(), note=f"conversation {conversation.id}"
        )
    text = t(conversation.language, "handoff.joined", agent=agent.name)
    await send_to_conversation(session, desk, conversation, text, author=Actor.system(), ticket=ticket)
    return conversation


async def agent_reply(
    session: AsyncSession,
    desk: Desk,
    conversation: Conversation,
    agent: Agent,
    text: str,
    *,
    files: Sequence[Attachment] = (),
) -> Message:
    """An agent writes to the user on the user's channel (and the ticket's first response);
    ``files`` (uploads) go with the text.

    Raises:
        Conflict: unless ``agent`` owns the conversation. InvalidInput: for neither text nor files.
    """
    if conversation.mode != "agent" or conversation.agent_id != agent.id:
        raise Conflict("take the conversation over before writing in it")
    body = (text or "").strip()
    if not body and not files:
        raise InvalidInput("a message needs text")
    ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    message = await send_to_conversation(
        session, desk, conversation, body, author=actor_of(agent), ticket=ticket, files=files
    )
    if ticket is not None and ticket.first_response_at is None:
        ticket.first_response_at = desk.now()
    return message


async def release_conversation(
    session: AsyncSession, desk: Desk, conversation: Conversation, agent: Agent
) -> Conversation:
    """Hand the conversation back to the bot, which answers the next message again.

    Raises:
        Conflict: when another agent owns it.
    """
    if (
        conversation.mode == "agent"
        and conversation.agent_id not in (None, agent.id)
        and not agent.has_role("supervisor")
    ):
        raise Conflict("only the owning agent or a supervisor can release this conversation")
    await return_to_bot(session, desk, conversation, agent)
    text = t(conversation.language, "handoff.released")
    await send_to_conversation(session, desk, conversation, text, author=Actor.bot())
    return conversation


async def close_conversation(
    session: AsyncSession, desk: Desk, conversation: Conversation, reason: str
) -> Conversation:
    """End a conversation; the user's next message starts a new one."""
    move_conversation(conversation, "closed")
    conversation.closed_at = desk.now()
    conversation.closed_reason = reason
    conversation.agent_id = None
    conversation.queued_at = None
    conversation.offered_at = None
    session.info["wake_router"] = True
    return conversation


async def hand_back_work(session: AsyncSession, desk: Desk, leaving: Agent, by: Agent) -> dict[str, int]:
    """An agent who leaves the desk (deactivated) leaves no work stranded: each open ticket of
    theirs goes back to its group's queue (as :func:`~desk.routing.return_ticket` does, with the
    reason), and each chat they hold or are offered goes back in line, its user told. Before,
    their tickets sat assigned to someone who could no longer sign in, and their chats with
    nobody to answer them. Returns how many tickets and chats went back."""
    reason = f"{leaving.name} no longer works on the desk"
    tickets = list(
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.assignee_id == leaving.id, Ticket.status.in_(("assigned", "in_progress", "pending"))
            )
            .order_by(Ticket.id)
        )
    )
    for ticket in tickets:
        await return_ticket(session, desk, by, ticket, reason)
    chats = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.agent_id == leaving.id, Conversation.mode.in_(("agent", "queued")))
            .order_by(Conversation.id)
            .with_for_update(of=Conversation)
        )
    )
    for conversation in chats:
        taken = conversation.mode == "agent"
        withdraw_offer(session, conversation)
        if taken:  # back in line, first of it (it waited already)
            conversation.queued_at = conversation.created_at
            await queue_conversation(session, desk, conversation)
            text = t(conversation.language, "handoff.requeued", agent=leaving.name)
            await send_to_conversation(session, desk, conversation, text, author=Actor.system())
    leaving.online = False
    return {"tickets": len(tickets), "chats": len(chats)}
