"""Conversations with requesters, their transcript, and attachments stored by content hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

from .people import Person

__all__ = ["MODES", "Attachment", "Blob", "Conversation", "Message"]

MODES = ("bot", "queued", "agent", "closed")


class Conversation(Base):
    """A thread with one person on one channel, and who is answering it.

    ``mode`` follows ``bot → queued → agent → bot | closed``. ``address`` is where every reply
    goes (a :class:`channels.base.Address` as a dict). ``state`` is the bot's dialogue state,
    kept here so a restart mid-conversation continues where it was.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(f"mode IN {MODES!r}", name="mode"),
        Index("ix_conversations_mode", "mode", "queued_at"),
        Index("ix_conversations_address", "channel", "chat_id"),
        Index("ix_conversations_updated_at", "updated_at"),  # the consoles' change feed reads its max
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(320))
    address: Mapped[dict[str, Any]] = mapped_column()
    mode: Mapped[str] = mapped_column(String(10), default="bot")
    language: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime | None] = mapped_column()
    # Routing offers a queued conversation to ``agent_id``; taking it over acknowledges it.
    offered_at: Mapped[datetime | None] = mapped_column()
    passed_over: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(String(40))

    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class Message(Base):
    """One line of a transcript, in or out, on a conversation and/or a ticket.

    ``(channel, external_id)`` is unique, so a platform's retry of the same message is
    recognised; ``public`` is false for agents' internal notes on a ticket.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint("direction IN ('in', 'out', 'internal')", name="direction"),
        Index("ix_messages_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # The ticket comment this line repeats as it was delivered (an agent's public comment in the
    # requester's conversation): a ticket's view shows the comment once.
    copy_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(8))
    author_kind: Mapped[str] = mapped_column(String(12))
    author_id: Mapped[int | None] = mapped_column()
    author_name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text, default="")
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(lazy="selectin", order_by="Attachment.id")


class Blob(Base):
    """File content, stored once per SHA-256 whatever the number of messages that carry it."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A named use of a blob on a message or a ticket."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The secret part of the file's link for channels that send links (SMS, web chat), set when
    # the file is first sent to a user; without it the file is reachable only by signed-in agents.
    token: Mapped[str | None] = mapped_column(String(64))
    # The agent who uploaded it for a message of theirs (``POST /api/v1/attachments``): only
    # they can send it. Files that came with a user's message have none.
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
