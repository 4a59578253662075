"""Saved replies: what agents write again and again, kept once, inserted by a shortcut.

Any agent may use them; supervisors and admins keep them (as Chatwoot's canned responses and
Zendesk's shared macros). A reply's text may hold ``{name}`` (the requester's first name),
``{ref}`` (the ticket's reference) and ``{agent}`` (the writing agent's name), filled in here
(:func:`fill`) for both places agents use them: the console, which inserts the filled text for
the agent to read and edit before sending, and the agent room, where ``!shortcut`` in a thread
sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from desk.context import Desk
from desk.errors import Conflict, InvalidInput, NotFound
from desk.i18n import LANGUAGES
from desk.models import Agent, Conversation, SavedReply, Ticket

__all__ = [
    "PLACEHOLDERS",
    "Filling",
    "create_reply",
    "delete_reply",
    "fill",
    "find_reply",
    "first_name",
    "for_conversation",
    "for_ticket",
    "get_reply",
    "list_replies",
    "unfilled",
    "update_reply",
]

PLACEHOLDERS = ("name", "ref", "agent")
_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_LONGEST = 4000  # as a message an agent writes
_FIELD = re.compile(r"\{([^{}]*)\}")


def _checked(shortcut: str, language: str, text: str) -> tuple[str, str, str]:
    shortcut = shortcut.strip().lstrip("/").lower()
    if not _SHORTCUT.fullmatch(shortcut):
        raise InvalidInput(
            "shortcut must be 1-40 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            code="invalid_shortcut",
        )
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", code="invalid_language")
    text = text.strip()
    if not text or len(text) > _LONGEST:
        raise InvalidInput(f"text must be 1-{_LONGEST} characters", code="invalid_text")
    unknown = sorted({f for f in _FIELD.findall(text) if f not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput(
            f"unknown placeholder {{{unknown[0]}}}: use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
            code="invalid_placeholder",
        )
    return shortcut, language, text


async def create_reply(
    session: AsyncSession, desk: Desk, author: Agent | None, *, shortcut: str, language: str, text: str
) -> SavedReply:
    """Save a reply.

    Raises:
        InvalidInput: a malformed shortcut, an unknown language or placeholder, empty text.
        Conflict: the shortcut already has a reply in that language.
    """
    shortcut, language, text = _checked(shortcut, language, text)
    now = desk.now()
    reply = SavedReply(
        shortcut=shortcut,
        language=language,
        text=text,
        created_by_id=author.id if author else None,
        created_at=now,
        updated_at=now,
    )
    await _save(session, reply, shortcut, language)
    return reply


async def _save(session: AsyncSession, reply: SavedReply, shortcut: str, language: str) -> None:
    """Flush ``reply``; a shortcut that already has a reply in that language is a 409 (the
    unique constraint decides, so two supervisors saving one at the same moment get it too)."""
    try:
        async with session.begin_nested():
            session.add(reply)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"/{shortcut} already has a reply in {language}", code="duplicate_shortcut") from None


async def get_reply(session: AsyncSession, reply_id: int) -> SavedReply:
    reply = await session.get(SavedReply, reply_id)
    if reply is None:
        raise NotFound(f"no saved reply {reply_id}")
    return reply


async def update_reply(
    session: AsyncSession,
    desk: Desk,
    reply: SavedReply,
    *,
    shortcut: str | None = None,
    language: str | None = None,
    text: str | None = None,
) -> SavedReply:
    """Change what is given; the same checks as :func:`create_reply`."""
    shortcut, language, text = _checked(
        reply.shortcut if shortcut is None else shortcut,
        reply.language if language is None else language,
        reply.text if text is None else text,
    )
    reply.shortcut, reply.language, reply.text, reply.updated_at = shortcut, language, text, desk.now()
    await _save(session, reply, shortcut, language)
    return reply


async def delete_reply(session: AsyncSession, reply: SavedReply) -> None:
    await session.delete(reply)
    await session.flush()


async def list_replies(
    session: AsyncSession, *, q: str = "", language: str | None = None, limit: int = 200
) -> list[SavedReply]:
    """Replies by shortcut; ``q`` keeps those whose shortcut starts with it or whose text has
    it (case-insensitive); ``language`` puts that language's first, then the others."""
    query = select(SavedReply)
    q = q.strip().lstrip("/")
    if q:
        pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                SavedReply.shortcut.ilike(f"{pattern}%", escape="\\"),
                SavedReply.text.ilike(f"%{pattern}%", escape="\\"),
            )
        )
    rows = list(await session.scalars(query.order_by(SavedReply.shortcut, SavedReply.language).limit(limit)))
    if language:
        rows.sort(key=lambda r: (r.language != language, r.shortcut))
    return rows


@dataclass(frozen=True, slots=True)
class Filling:
    """What the placeholders become where a reply is used, and the language to offer first."""

    name: str = ""
    ref: str = ""
    agent: str = ""
    language: str | None = None


def first_name(name: str | None) -> str:
    """How a reply greets someone: "Ann Lee" as Ann; a Chinese name, written without spaces,
    whole ("王芳"); no name as nothing."""
    words = (name or "").split()
    return words[0] if words else ""


def fill(text: str, filling: Filling) -> str:
    """``text`` with ``{name}``, ``{ref}`` and ``{agent}`` filled in. One with nothing to fill it
    (a conversation without a ticket, a person known only by a phone number) stays as written,
    for the agent to see and complete rather than send "I'm looking at  now"."""
    return _FIELD.sub(
        lambda m: (getattr(filling, m.group(1)) if m.group(1) in PLACEHOLDERS else "") or m.group(), text
    )


def unfilled(text: str) -> list[str]:
    """The placeholders :func:`fill` could not fill in ``text`` ("{ref}")."""
    return [f"{{{f}}}" for f in dict.fromkeys(_FIELD.findall(text)) if f in PLACEHOLDERS]


async def for_conversation(session: AsyncSession, conversation: Conversation, agent: Agent) -> Filling:
    ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    return Filling(
        name=first_name(conversation.person.name),
        ref=ticket.ref if ticket is not None else "",
        agent=agent.name,
        language=conversation.language,
    )


def for_ticket(ticket: Ticket, agent: Agent) -> Filling:
    return Filling(
        name=first_name(ticket.requester.name),
        ref=ticket.ref,
        agent=agent.name,
        language=ticket.language,
    )


async def find_reply(session: AsyncSession, shortcut: str, language: str | None) -> SavedReply | None:
    """The reply ``shortcut`` names, in ``language`` if it has one, else in another."""
    rows = list(await session.scalars(select(SavedReply).where(SavedReply.shortcut == shortcut.lower())))
    rows.sort(key=lambda r: (r.language != language, r.language))
    return rows[0] if rows else None
