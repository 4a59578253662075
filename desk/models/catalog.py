"""The category tree tickets are filed under."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

from .agents import Group

__all__ = ["Category"]


class Category(Base):
    """A node of the category tree, addressed by its ``path`` (e.g. ``network/vpn``).

    ``default_group`` receives new tickets of the category (else its parent's, else the
    desk's default); ``default_impact`` and ``default_type`` fill a ticket that leaves them out;
    ``skills`` are what an agent needs to work its tickets (else its parent's).
    """

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    default_group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    default_impact: Mapped[str | None] = mapped_column(String(10))
    default_type: Mapped[str | None] = mapped_column(String(10))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    skills: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Category | None] = relationship(remote_side=[id], lazy="joined", join_depth=3)
    default_group: Mapped[Group | None] = relationship(lazy="joined")
