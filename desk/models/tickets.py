"""Tickets (incidents, service requests, problems), their audit log and reference counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event, false
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from desk.db import Base, utcnow

from .agents import Agent, Group
from .catalog import Category
from .people import Person

__all__ = ["APPROVAL_STATES", "PREFIXES", "STATUSES", "TYPES", "Approval", "Counter", "Ticket", "TicketEvent"]

TYPES = ("incident", "request", "problem")
PREFIXES = {"incident": "INC", "request": "REQ", "problem": "PRB"}
STATUSES = ("new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled")
APPROVAL_STATES = ("requested", "approved", "rejected", "withdrawn")


class Ticket(Base):
    """An ITIL record. ``ref`` is ``<PREFIX>-<number>``, numbered per type from 1.

    Time fields are the facts of the lifecycle (``first_response_at`` is the first public
    answer from an agent); SLA due times derive from the policy in force and are stored so
    that reports and escalations can query them.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"type IN {TYPES!r}", name="type"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_status_assignee", "status", "assignee_id"),
        Index("ix_tickets_queue", "group_id", "status", "priority", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(10))
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="new")
    impact: Mapped[str] = mapped_column(String(10), default="medium")
    urgency: Mapped[str] = mapped_column(String(10), default="medium")
    priority: Mapped[str] = mapped_column(String(2), default="P3")
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20), default="api")
    language: Mapped[str | None] = mapped_column(String(8))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    cc: Mapped[list[Any]] = mapped_column(default=list)  # e-mail addresses copied on public updates
    solution: Mapped[str | None] = mapped_column(Text)

    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    # A problem the bot tells new reporters of its category about (and files their reports under).
    known_issue: Mapped[bool] = mapped_column(default=False, server_default=false())

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    reopen_count: Mapped[int] = mapped_column(default=0)
    assigned_at: Mapped[datetime | None] = mapped_column()
    # Agents who let an assignment lapse or gave the ticket back: routing tries others first.
    passed_over: Mapped[list[Any]] = mapped_column(default=list)

    sla_policy: Mapped[str | None] = mapped_column(String(120))
    response_due: Mapped[datetime | None] = mapped_column()
    resolution_due: Mapped[datetime | None] = mapped_column()
    paused_at: Mapped[datetime | None] = mapped_column()
    paused_seconds: Mapped[float] = mapped_column(default=0.0)
    # The earliest moment an escalation level or time rule may be due (a hint for the scheduler,
    # never later than the truth); ``fired`` names the levels and once-only rules already done.
    next_escalation_at: Mapped[datetime | None] = mapped_column(index=True)
    fired: Mapped[list[Any]] = mapped_column(default=list)

    # A service request that needs someone's yes (``requested``, then ``approved`` or
    # ``rejected``; see desk.approvals): its SLA clocks start at ``sla_start``, the approval.
    approval: Mapped[str | None] = mapped_column(String(12))
    sla_start: Mapped[datetime | None] = mapped_column()

    csat_score: Mapped[int | None] = mapped_column()
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[datetime | None] = mapped_column()
    flagged: Mapped[bool] = mapped_column(default=False)

    requester: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[Agent | None] = relationship(lazy="joined")
    group: Mapped[Group | None] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    problem: Mapped[Ticket | None] = relationship(remote_side=[id], lazy="raise")
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", lazy="raise", order_by="TicketEvent.id"
    )

    @property
    def category_path(self) -> str | None:
        """The category's path (``network/vpn``), or ``None`` when it has none."""
        return self.category.path if self.category is not None else None


class TicketEvent(Base):
    """One line of a ticket's append-only audit log: who changed what, from what, to what.

    Rows are never updated or deleted (the ORM refuses); ``field`` is empty for events that
    are not field changes (``action`` says what happened: created, commented, notified...).
    """

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events", lazy="raise")


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _append_only(_mapper: Mapper[TicketEvent], _conn: Any, target: TicketEvent) -> None:
    raise PermissionError(f"the audit log is append-only (event {target.id})")


class Approval(Base):
    """One ask for a yes to a service request, of one approver (an e-mail address, and the
    person the desk knows by it, if any), answered by following the link sent to them (its
    token is kept only as a SHA-256), in chat, or recorded by an agent on their behalf."""

    __tablename__ = "approvals"
    __table_args__ = (CheckConstraint(f"state IN {APPROVAL_STATES!r}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    approver: Mapped[str] = mapped_column(String(254))
    approver_name: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="requested")
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(254))  # the approver, or the agent on their behalf

    ticket: Mapped[Ticket] = relationship(lazy="joined", innerjoin=True)

    @property
    def who(self) -> str:
        """The approver as people read it: their name, else their address."""
        return self.approver_name or self.approver


class Counter(Base):
    """Named sequences for ticket numbers (``INC``, ``REQ``, ``PRB``)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
