"""Notifications for agents: what needs their attention, shown in the console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow

__all__ = ["Notification"]


class Notification(Base):
    """One thing for one agent to look at, about a ticket; ``read_at`` is set once seen."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_agent_unread", "agent_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
