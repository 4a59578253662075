"""Knowledge-base articles: what the bot suggests before a ticket is opened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

from .catalog import Category

__all__ = ["ARTICLE_STATUSES", "Article", "KbTerm"]

ARTICLE_STATUSES = ("draft", "published", "archived")


class Article(Base):
    """An answer to a common question. Only ``published`` articles are suggested to users.

    ``helpful``/``not_helpful`` count users' feedback on suggestions; ``source_ticket_id`` is
    the resolved ticket whose solution the article was drafted from, if any.
    """

    __tablename__ = "kb_articles"
    __table_args__ = (CheckConstraint(f"status IN {ARTICLE_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="published")
    helpful: Mapped[int] = mapped_column(default=0)
    not_helpful: Mapped[int] = mapped_column(default=0)
    views: Mapped[int] = mapped_column(default=0)
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # Index terms (desk.textindex). SQLite mirrors them into the FTS5 table kb_fts; PostgreSQL
    # derives a stored tsvector column, search_vector, with a GIN index (migration 0002).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When its content last changed: desk.kb.update_article sets it. A user's vote is no edit (it
    # would move the article up the keepers' list and break an editor's If-Match).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[Category | None] = relationship(lazy="joined")

    @property
    def category_path(self) -> str | None:
        """The category's path (``network/vpn``), or ``None`` when it has none."""
        return self.category.path if self.category is not None else None


class KbTerm(Base):
    """Document frequency of each index term, kept in step with the articles by ``desk.kb``.

    Search uses it to leave out terms too common to tell articles apart, which keeps recall
    fast on large knowledge bases. The row with the empty term counts the indexed articles.
    """

    __tablename__ = "kb_terms"

    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    df: Mapped[int] = mapped_column(default=0)
