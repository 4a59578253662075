"""Reaching a requester on their own channel: a transcript row and an outbox row, one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, Button, Outbound
from desk.attachments import place_files
from desk.chinese import Traditional, to_traditional
from desk.context import Actor, Desk
from desk.models import Attachment, Conversation, Message, Person, Ticket
from desk.outbox import enqueue

__all__ = ["requester_address", "send_to_conversation", "send_to_requester"]


async def requester_address(
    session: AsyncSession, person: Person, ticket: Ticket | None = None
) -> tuple[Address, Conversation | None] | None:
    """Where to reach ``person`` about ``ticket``.

    In order: the latest conversation linked to the ticket; the person's latest conversation
    on any channel; their e-mail; their phone (SMS). ``None`` if there is no way at all.
    """
    query = select(Conversation).where(Conversation.person_id == person.id)
    conversation = None
    if ticket is not None:
        conversation = await session.scalar(
            query.where(Conversation.ticket_id == ticket.id)
            .order_by(Conversation.last_message_at.desc())
            .limit(1)
        )
    if conversation is None:
        conversation = await session.scalar(query.order_by(Conversation.last_message_at.desc()).limit(1))
    if conversation is not None:
        return Address.from_dict(conversation.address), conversation
    if person.email:
        return Address("email", person.email), None
    if person.phone:
        return Address("sms", person.phone), None
    return None


async def send_to_conversation(
    session: AsyncSession,
    desk: Desk,
    conversation: Conversation,
    text: str,
    *,
    buttons: Sequence[Button] = (),
    author: Actor | None = None,
    ticket: Ticket | None = None,
    subject: str | None = None,
    deliver: bool = True,
    files: Sequence[Attachment] = (),
) -> Message:
    """Write ``text`` to a conversation's user: a message row and its delivery, same transaction.

    ``deliver=False`` only records it, for replies the channel returns inline (REST, terminal).
    ``files`` (uploads or files of another message) go with it.

    Without ``ticket``, a chat message is on the ticket the conversation is about, as the user's
    own messages are (:func:`desk.conversations.record_inbound`): the ticket's transcript shows
    both sides. A mail's ticket is its thread, which only the caller knows.
    """
    if ticket is None and conversation.ticket_id is not None and conversation.channel != "email":
        ticket = await session.get(Ticket, conversation.ticket_id)
    return await _send(
        session,
        desk,
        Address.from_dict(conversation.address),
        conversation,
        text,
        buttons=buttons,
        author=author,
        ticket=ticket,
        subject=subject,
        deliver=deliver,
        files=files,
    )


def mail_subject(subject: str | None, ref: str) -> str:
    """A ticket's mail subject: the reference first, then the words (``[INC-12] VPN drops``),
    in every mail of its thread, the bot's answer to the first mail as the desk's later ones: the
    bot appended it ("VPN drops [INC-12]") and the resolution led with it, so mail programs that
    follow a conversation by its subject (Outlook) split one ticket's mails in two (2026-12-07).
    A subject that names the reference already (a reply's "Re: [INC-12] ...") is kept."""
    subject = " ".join((subject or "").split())
    return subject if ref in subject else f"[{ref}] {subject}".strip()


async def send_to_requester(
    session: AsyncSession,
    desk: Desk,
    ticket: Ticket,
    text: str,
    *,
    buttons: Sequence[Button] = (),
    author: Actor | None = None,
    with_cc: bool = False,
    copy_of: Message | None = None,
    files: Sequence[Attachment] = (),
) -> Message | None:
    """Tell a ticket's requester something, on their channel; ``None`` if they cannot be reached.

    E-mail carries the reference in the subject (``[INC-12] ...``) so replies thread back. With
    ``with_cc`` (agents' public comments and resolutions), the people on the ticket's ``cc`` list are
    copied on the mail, as those the requester copied expect. ``copy_of`` is the ticket comment
    this message delivers; ``files`` go with it.
    """
    found = await requester_address(session, ticket.requester, ticket)
    if found is None:
        return None
    address, conversation = found
    return await _send(
        session,
        desk,
        address,
        conversation,
        text,
        buttons=buttons,
        author=author,
        ticket=ticket,
        subject=mail_subject(ticket.subject, ticket.ref),
        cc=tuple(ticket.cc or ()) if with_cc and address.channel == "email" else (),
        copy_of=copy_of,
        files=files,
    )


# Who speaks in the desk's own words (templates, articles): a requester who writes Traditional
# Chinese reads those in Traditional characters. What a person writes goes as written.
_DESK_VOICES = ("bot", "system")


async def _reads_traditional(
    session: AsyncSession, conversation: Conversation | None, ticket: Ticket | None
) -> Traditional:
    person_id = (
        conversation.person_id if conversation is not None else ticket.requester_id if ticket else None
    )
    person = await session.get(Person, person_id) if person_id is not None else None
    return person is not None and person.reads


async def _send(
    session: AsyncSession,
    desk: Desk,
    address: Address,
    conversation: Conversation | None,
    text: str,
    *,
    buttons: Sequence[Button],
    author: Actor | None,
    ticket: Ticket | None,
    subject: str | None,
    deliver: bool = True,
    cc: tuple[str, ...] = (),
    copy_of: Message | None = None,
    files: Sequence[Attachment] = (),
) -> Message:
    author = author or Actor.system()
    if author.kind in _DESK_VOICES and (reads := await _reads_traditional(session, conversation, ticket)):
        taiwan = reads == "tw"
        text = to_traditional(text, taiwan)
        buttons = [Button(to_traditional(b.title, taiwan), b.payload) for b in buttons]
        subject = to_traditional(subject, taiwan) if subject else subject
    now = desk.now()
    message = Message(
        conversation_id=conversation.id if conversation is not None else None,
        ticket_id=ticket.id if ticket is not None else None,
        direction="out",
        author_kind=author.kind,
        author_id=author.id,
        author_name=author.name,
        channel=address.channel,
        text=text,
        buttons=[{"title": b.title, "payload": b.payload} for b in buttons],
        created_at=now,
        copy_of_id=copy_of.id if copy_of is not None else None,
    )
    session.add(message)
    await session.flush()
    placed = await place_files(session, files, message, linked=True) if files else []
    if conversation is not None:
        conversation.last_message_at = now
    if deliver:
        outbound = Outbound(text, tuple(buttons), subject, cc=cc)
        enqueue(session, desk, address, outbound, message_id=message.id, files=placed)
        session.info["wake_outbox"] = True
    return message
