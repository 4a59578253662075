"""Conversations: recording what users send, once, on the conversation of their address."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Inbound
from desk.attachments import store_attachment
from desk.chinese import writes_taiwans_words, writes_traditional
from desk.context import Desk
from desk.errors import InvalidInput, InvalidTransition
from desk.i18n import normalise_language, taiwan_tag, traditional_tag
from desk.models import Agent, Conversation, Message, OutboxItem, Ticket
from desk.people import resolve_person

__all__ = [
    "MODE_TRANSITIONS",
    "Recorded",
    "RefusedFile",
    "delivered_messages",
    "end_handoffs",
    "move_conversation",
    "open_conversation",
    "record_inbound",
    "replied_message",
    "return_to_bot",
    "thread_ticket_id",
    "transcript",
]

log = logging.getLogger(__name__)

# The conversation state machine: bot → queued → agent → bot | closed (see desk.handoff).
MODE_TRANSITIONS: dict[str, frozenset[str]] = {
    "bot": frozenset({"queued", "agent", "closed"}),
    "queued": frozenset({"agent", "bot", "closed"}),
    "agent": frozenset({"bot", "queued", "closed"}),
    "closed": frozenset(),
}


def move_conversation(conversation: Conversation, mode: str) -> None:
    """Raises:
    InvalidTransition: when the state machine has no such move.
    """
    if mode != conversation.mode and mode not in MODE_TRANSITIONS[conversation.mode]:
        raise InvalidTransition(
            f"conversation {conversation.id} is {conversation.mode}; it cannot become {mode}"
        )
    conversation.mode = mode


async def return_to_bot(
    session: AsyncSession,
    desk: Desk,
    conversation: Conversation,
    agent: Agent | None,
    *,
    ticket: Ticket | None = None,
) -> None:
    """Give a waiting or taken conversation back to the bot, which answers the next message
    again from a fresh state. Whatever mirrors it elsewhere (``Desk.release_hooks``) is told who
    released it, or, with ``ticket``, that the ticket it was about is finished."""
    for hook in desk.release_hooks:
        await hook(session, conversation, agent, ticket)
    move_conversation(conversation, "bot")
    conversation.agent_id = None
    conversation.queued_at = None
    conversation.offered_at = None
    session.info["wake_router"] = True
    conversation.state = {}


async def end_handoffs(session: AsyncSession, desk: Desk, ticket: Ticket, agent: Agent | None) -> int:
    """Resolving a ticket ends the human part of the chats about it: each conversation still
    waiting for a person, or with one, goes back to the bot. Otherwise the requester's "Yes,
    it's fixed" or rating, sent while an agent still held the chat, reached nobody, and a chat
    about a resolved ticket stayed in the queue and on the agent's load. Nothing is said to the
    user here; the resolution notice is the word."""
    conversations = (
        await session.scalars(
            select(Conversation)
            .where(Conversation.ticket_id == ticket.id, Conversation.mode.in_(("queued", "agent")))
            .order_by(Conversation.id)
            .with_for_update(of=Conversation)
        )
    ).all()
    for conversation in conversations:
        await return_to_bot(session, desk, conversation, agent, ticket=ticket)
    return len(conversations)


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of :func:`record_inbound`. ``duplicate`` means the platform retried."""

    conversation: Conversation
    message: Message | None
    duplicate: bool = False
    refused: tuple[RefusedFile, ...] = ()  # files that came with it and could not be kept


@dataclass(frozen=True, slots=True)
class RefusedFile:
    """A file not kept with its message: empty, or over ``storage.max_attachment_bytes``
    (``code`` as :func:`desk.attachments.store_attachment` says)."""

    filename: str
    code: str
    limit_bytes: int


async def open_conversation(
    session: AsyncSession, desk: Desk, inbound: Inbound, person_id: int
) -> Conversation:
    """The person's open conversation at this address, or a new one in bot mode."""
    address = inbound.address
    conversation = await session.scalar(
        select(Conversation)
        .where(
            Conversation.channel == address.channel,
            Conversation.chat_id == address.chat_id,
            Conversation.person_id == person_id,
            Conversation.mode != "closed",
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        now = desk.now()
        conversation = Conversation(
            person_id=person_id,
            channel=address.channel,
            chat_id=address.chat_id,
            address=address.to_dict(),
            mode="bot",
            state={},
            created_at=now,
            last_message_at=now,
        )
        session.add(conversation)
        await session.flush()
    elif conversation.address != address.to_dict():
        conversation.address = address.to_dict()  # e.g. a new Slack thread or e-mail Message-ID
    return conversation


async def _heard_from(session: AsyncSession, conversation: Conversation) -> bool:
    """Whether the person has talked to the desk before this conversation (on any channel)."""
    other = select(Conversation.id).where(
        Conversation.person_id == conversation.person_id, Conversation.id != conversation.id
    )
    return await session.scalar(other.limit(1)) is not None


async def record_inbound(
    session: AsyncSession, desk: Desk, inbound: Inbound, *, language: str | None = None
) -> Recorded:
    """Store a user's message on their conversation, with its attachments, exactly once.

    A platform's retry of the same message (same channel and ``external_id``) records nothing
    and comes back with ``duplicate=True``, so callers can stay silent the second time.
    """
    person = await resolve_person(
        session,
        channel=inbound.address.channel,
        external_id=inbound.user_id,
        name=inbound.name,
        email=inbound.email,
        phone=inbound.phone,
        language=language,
    )
    conversation = await open_conversation(session, desk, inbound, person.id)
    traditional = writes_traditional(inbound.text)
    taiwan = writes_taiwans_words(inbound.text) if traditional else None  # Simplified: no phrase lookup
    app = inbound.extra.get("language")
    tag = traditional_tag(app) if traditional is None else None
    if tag is not None and conversation.language is None and not await _heard_from(session, conversation):
        # a file, "hi" from someone new: the app's language. Someone who has written to the desk
        # before keeps the script they wrote in, whatever browser they open a chat from.
        traditional, taiwan = tag, taiwan_tag(app)
    if traditional is not None:
        person.traditional = traditional  # answered in the script they write, from now on
    if taiwan is not None:
        person.taiwan = taiwan  # and in Taiwan's words once they write one
    now = desk.now()
    message = Message(
        conversation_id=conversation.id,
        ticket_id=conversation.ticket_id,
        direction="in",
        author_kind="requester",
        author_id=person.id,
        author_name=person.name,
        channel=inbound.address.channel,
        external_id=inbound.external_id or None,
        text=inbound.text,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        return Recorded(conversation, None, duplicate=True)
    refused: list[RefusedFile] = []
    for file in inbound.attachments:
        try:
            await store_attachment(
                session, desk, file.data, file.filename, file.content_type, message_id=message.id
            )
        except InvalidInput as exc:  # the message is kept all the same, and the sender told
            log.warning(
                "%s from %s: %s not kept: %s", inbound.external_id, inbound.user_id, file.filename, exc
            )
            refused.append(RefusedFile(file.filename, exc.code, desk.settings.storage.max_attachment_bytes))
    conversation.last_message_at = now
    if language:
        conversation.language = normalise_language(language)
    return Recorded(conversation, message, refused=tuple(refused))


async def delivered_messages(session: AsyncSession, channel: str, chat_id: str, after: int) -> list[Message]:
    """Messages that went out through the outbox to this address after message id ``after``
    (for channels whose users fetch rather than receive: REST). Inline replies are not here."""
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(OutboxItem, OutboxItem.message_id == Message.id)
        .where(Conversation.channel == channel, Conversation.chat_id == chat_id, Message.id > after)
        .order_by(Message.id)
        .limit(200)
    )
    return list(await session.scalars(query))


async def transcript(session: AsyncSession, channel: str, chat_id: str, limit: int = 50) -> list[Message]:
    """The last ``limit`` public messages in and out of this address's conversations, oldest
    first: what a web chat reopened in the browser shows again (internal notes are not there)."""
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.channel == channel,
            Conversation.chat_id == chat_id,
            Message.direction.in_(("in", "out")),
            Message.public.is_(True),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(await session.scalars(query))))


async def thread_ticket_id(session: AsyncSession, channel: str, message_ids: Sequence[str]) -> int | None:
    """The ticket a platform thread belongs to: for e-mail, the ticket of the newest message
    among ``message_ids`` (In-Reply-To and References) that we sent or received, else ``None``.
    Callers check that the ticket is the requester's own."""
    ids = [i for i in message_ids if i][:50]
    if not ids:
        return None
    sent = select(Message.id, Message.ticket_id).where(
        Message.id.in_(_sent_with(channel, ids)), Message.ticket_id.is_not(None)
    )
    received = select(Message.id, Message.ticket_id).where(
        Message.channel == channel, Message.external_id.in_(ids), Message.ticket_id.is_not(None)
    )
    rows = [*(await session.execute(sent)), *(await session.execute(received))]
    if not rows:
        return None
    ticket_id: int = max(rows, key=lambda row: int(row[0]))[1]
    return ticket_id


async def replied_message(session: AsyncSession, channel: str, message_ids: Sequence[str]) -> Message | None:
    """The newest message we sent among ``message_ids`` (a mail's In-Reply-To and References):
    the one a reply answers, whose options a numbered answer picks from."""
    ids = [i for i in message_ids if i][:50]
    if not ids:
        return None
    query = (
        select(Message).where(Message.id.in_(_sent_with(channel, ids))).order_by(Message.id.desc()).limit(1)
    )
    replied: Message | None = await session.scalar(query)
    return replied


def _sent_with(channel: str, ids: Sequence[str]) -> Select[int | None]:
    """The ids of the messages we sent on ``channel`` under one of these platform ids."""
    return select(OutboxItem.message_id).where(OutboxItem.channel == channel, OutboxItem.external_id.in_(ids))
