"""Deliveries waiting to leave: written in the same transaction as the message they carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow

__all__ = ["OUTBOX_STATUSES", "OutboxItem"]

OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxItem(Base):
    """One message for one address. Sent after commit, retried with backoff until it goes.

    ``status`` is ``pending`` until delivered (``sent``) or given up on (``failed``: a
    permanent refusal or ``outbox.max_attempts`` reached, with ``last_error`` saying why).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_address", "channel", "chat_id", "status", "id"),
        Index("ix_outbox_tried_at", "tried_at"),  # the consoles' change feed reads its max
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(320))
    address: Mapped[dict[str, Any]] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # The last attempt's outcome was recorded then: sent, a retry planned (``last_error``
    # says why), given up on, or parked for a channel that is off.
    tried_at: Mapped[datetime | None] = mapped_column()
