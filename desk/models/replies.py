"""Saved replies: text agents insert into a reply by its shortcut (Chatwoot's canned responses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow

__all__ = ["SavedReply"]


class SavedReply(Base):
    """One saved reply in one language; a shortcut may have one per language (``vpn`` in English
    and in Chinese), and the console offers the one in the conversation's language first."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("shortcut", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
