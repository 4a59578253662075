"""Agents, the groups they work in, and the API tokens they authenticate with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

__all__ = ["ROLES", "Agent", "ApiToken", "Group", "group_members"]

ROLES = ("agent", "supervisor", "admin")

group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
)


class Agent(Base):
    """A person who works tickets. Roles are ordered: agent < supervisor < admin.

    ``capacity`` bounds concurrent live conversations and open assignments; ``calendar``
    (a name from the configuration) and ``timezone`` say when the agent is on shift.
    """

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    online: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int] = mapped_column(default=5)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    calendar: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    skills: Mapped[list[Any]] = mapped_column(default=list)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    last_assigned_at: Mapped[datetime | None] = mapped_column()
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")  # in a row
    locked_until: Mapped[datetime | None] = mapped_column()  # password sign-in refused until then

    groups: Mapped[list[Group]] = relationship(
        secondary=group_members, back_populates="members", lazy="selectin", order_by="Group.name"
    )

    def has_role(self, role: str) -> bool:
        """Whether this agent's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Group(Base):
    """A team that owns tickets: a manager, a calendar for its SLA clock, a routing strategy
    (``round_robin``, ``least_loaded``, ``skills`` or ``manual``; see :mod:`desk.routing`)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL", use_alter=True, name="fk_groups_manager_id_agents")
    )
    calendar: Mapped[str | None] = mapped_column(String(64))
    routing: Mapped[str] = mapped_column(String(20), default="round_robin")
    # Whose turn was last, for round robin (not a foreign key: a deleted agent just loses a turn).
    last_routed_agent_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Agent]] = relationship(
        secondary=group_members, back_populates="groups", lazy="raise", order_by="Agent.name"
    )
    manager: Mapped[Agent | None] = relationship(foreign_keys=[manager_id], lazy="joined")


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    agent: Mapped[Agent] = relationship(lazy="joined")
