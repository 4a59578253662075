"""People who ask for help, and the channel identities they are known by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.chinese import Traditional
from desk.db import Base, utcnow

__all__ = ["Identity", "Person"]


class Person(Base):
    """A requester. One person may be known on Telegram, Slack, e-mail and SMS at once.

    ``email`` is stored lower-case and ``phone`` in E.164 form, each unique when present, so
    that an identity arriving on a new channel with a known address joins the same person.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    # Chinese in Traditional characters (Taiwan, Hong Kong): the desk's words reach them so.
    traditional: Mapped[bool] = mapped_column(default=False, server_default=false())
    # ... with Taiwan's words (印表機, 網路), which they write: the desk's words reach them so too.
    taiwan: Mapped[bool] = mapped_column(default=False, server_default=false())
    department: Mapped[str | None] = mapped_column(String(120))
    vip: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="person", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """What to call them: their name, else their address or number, else their number here."""
        return self.name or self.email or self.phone or f"#{self.id}"

    @property
    def reads(self) -> Traditional:
        """How the desk's Chinese is written for them (see :data:`desk.chinese.Traditional`)."""
        return "tw" if self.traditional and self.taiwan else self.traditional


class Identity(Base):
    """How a person is known on one channel: (channel, external id) is unique."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="identities", lazy="raise")
