"""The API's JSON: request bodies (validated by pydantic) and the ticket representation."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.errors import InvalidInput
from desk.models import Agent, Approval, Group, Message, OutboxItem, Ticket, TicketEvent
from desk.settings import Level
from desk.sla import sla_view

__all__ = [
    "AgentIn",
    "CommentIn",
    "LinkIn",
    "RequesterIn",
    "ResolveIn",
    "TicketIn",
    "TicketPatch",
    "agent_json",
    "decode_cursor",
    "delivery_json",
    "encode_cursor",
    "event_json",
    "group_json",
    "message_json",
    "ticket_json",
    "transcript_json",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequesterIn(_In):
    email: str | None = None
    phone: str | None = None
    name: str | None = None


class TicketIn(_In):
    subject: str = Field(default="", max_length=300)
    description: str = ""
    requester: RequesterIn
    type: Literal["incident", "request", "problem"] = "incident"
    category: str | None = None
    impact: str | None = None
    urgency: str | None = None
    channel: str = "api"
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    created_at: AwareDatetime | None = None
    # A service request that waits for this person's yes (an e-mail address, or a name the
    # desk knows), sent to them at once: see POST /tickets/{ref}/approval.
    approver: str | None = Field(default=None, min_length=3, max_length=254)


class ProblemIn(_In):
    subject: str = Field(max_length=300)
    description: str = ""
    category: str | None = None
    known_issue: bool = False  # tell whoever reports a problem of its category (see TicketPatch)
    impact: str | None = None
    urgency: str | None = None
    group: str | None = None


class TicketPatch(_In):
    status: str | None = None
    impact: str | None = None
    urgency: str | None = None
    category: str | None = None
    assignee: str | int | None = None
    group: str | int | None = None
    subject: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    cc: list[str] | None = None  # e-mail addresses copied on public updates
    known_issue: bool | None = None  # a problem the bot tells new reporters of its category about


class CommentIn(_In):
    body: str = ""  # may be empty when the comment carries files
    public: bool = True
    attachments: list[int] = Field(default_factory=list, max_length=10)  # ids of uploads


class ResolveIn(_In):
    solution: str = Field(min_length=1)
    kb: bool = False


class LinkIn(_In):
    ref: str


class ApprovalIn(_In):
    approver: str = Field(min_length=3, max_length=254)  # an e-mail address, or a name the desk knows


class DecisionIn(_In):
    decision: Literal["approved", "rejected"]
    comment: str = Field(default="", max_length=2000)


class AgentIn(_In):
    email: EmailStr
    name: str = Field(min_length=1)
    role: Literal["agent", "supervisor", "admin"] = "agent"
    groups: list[str] = Field(default_factory=list)
    password: str | None = Field(default=None, min_length=8)
    capacity: int = Field(default=5, ge=0)
    timezone: str = "UTC"
    skills: list[str] = Field(default_factory=list)
    calendar: str | None = None  # the shift; none: the group's
    language: Literal["en", "zh"] = "en"


Strategy = Literal["round_robin", "least_loaded", "skills", "manual"]


class GroupIn(_In):
    name: str = Field(min_length=1)
    description: str = ""
    calendar: str | None = None
    routing: Strategy = "round_robin"
    manager: str | None = None


class GroupPatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=120)  # see desk.agents.rename_group
    description: str | None = None
    calendar: str | None = None
    routing: Strategy | None = None
    manager: str | None = None
    members: list[str] | None = None


class CategoryPatch(_In):
    path: str | None = Field(default=None, max_length=200)  # moves it, and what is inside it
    name: str | None = Field(default=None, min_length=1, max_length=120)
    name_zh: str | None = Field(default=None, max_length=120)
    description: str | None = None
    group: str | None = None  # a group's name or id; null: none (the desk's default group)
    impact: Level | None = None  # the default impact of its tickets; null: medium
    type: Literal["incident", "request"] | None = None  # null: the bot decides
    keywords: list[str] | None = None  # words that name it, in any language ("wifi", "无线")
    skills: list[str] | None = None
    active: bool | None = None  # false: the bot no longer files tickets under it (tickets keep it)


class CategoryIn(CategoryPatch):
    path: str = Field(min_length=1, max_length=200)  # inside its parent: "hardware/headset"


class AgentPatch(_In):
    name: str | None = Field(default=None, min_length=1)
    role: Literal["agent", "supervisor", "admin"] | None = None
    active: bool | None = None
    capacity: int | None = Field(default=None, ge=0)
    timezone: str | None = None
    calendar: str | None = None
    skills: list[str] | None = None
    language: Literal["en", "zh"] | None = None
    groups: list[str] | None = None
    password: str | None = Field(default=None, max_length=200)  # a reset: their sessions end


class PresenceIn(_In):
    online: bool


class AssignIn(_In):
    agent: str | int
    reason: str | None = None


class ForwardIn(_In):
    group: str | int
    reason: str = ""


class BroadcastIn(_In):
    text: str | dict[str, str] = Field(description='one text, or one per language: {"en": ..., "zh": ...}')
    category: str | None = None
    problem: str | None = Field(None, description="only the requesters of this problem's open incidents")


class ReturnIn(_In):
    reason: str = ""


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def agent_json(agent: Agent | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    return {"id": agent.id, "name": agent.name, "email": agent.email}


def group_json(group: Group | None) -> dict[str, Any] | None:
    return None if group is None else {"id": group.id, "name": group.name}


def ticket_json(
    ticket: Ticket,
    now: datetime,
    *,
    events: list[TicketEvent] | None = None,
    approval: Approval | None = None,
) -> dict[str, Any]:
    """The contract's ticket (§5.5), plus ``events`` when given, and its approval: the ask
    ``approval`` when given, else only its state."""
    sla = sla_view(ticket, now)
    requester = ticket.requester
    out: dict[str, Any] = {
        "id": ticket.id,
        "ref": ticket.ref,
        "type": ticket.type,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "category": ticket.category_path,
        "subject": ticket.subject,
        "description": ticket.description,
        "channel": ticket.channel,
        "language": ticket.language,
        "tags": list(ticket.tags),
        "cc": list(ticket.cc or ()),
        "known_issue": ticket.known_issue,
        "requester": {
            "id": requester.id,
            "name": requester.name,
            "email": requester.email,
            "phone": requester.phone,
        },
        "assignee": agent_json(ticket.assignee),
        "group": group_json(ticket.group),
        "solution": ticket.solution,
        "reopen_count": ticket.reopen_count,
        "assigned_at": _iso(ticket.assigned_at),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "cancelled_at": _iso(ticket.cancelled_at),
        "sla": {
            **sla,
            "response_due": _iso(sla["response_due"]),
            "resolution_due": _iso(sla["resolution_due"]),
        },
        "csat": None
        if ticket.csat_score is None
        else {"score": ticket.csat_score, "comment": ticket.csat_comment},
    }
    if approval is not None:
        out["approval"] = approval_view(approval)
    else:
        out["approval"] = {"state": ticket.approval} if ticket.approval else None
    if events is not None:
        out["events"] = [event_json(e) for e in events]
    return out


def approval_view(approval: Approval) -> dict[str, Any]:
    """A ticket's ask for approval, as the ticket JSON's ``approval``."""
    return {
        "state": approval.state,
        "approver": approval.approver,
        "approver_name": approval.approver_name,
        "requested_at": _iso(approval.requested_at),
        "decided_at": _iso(approval.decided_at),
        "decided_by": approval.decided_by,
        "comment": approval.comment,
    }


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _iso(event.at),
        "actor": {"kind": event.actor_kind, "id": event.actor_id, "name": event.actor_name},
        "action": event.action,
        "field": event.field,
        "before": event.before,
        "after": event.after,
        "note": event.note,
    }


async def transcript_json(session: AsyncSession, which: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The messages ``which`` selects (a ticket's, a conversation's), oldest first, each with how
    it went out: the latest outbox row of those that went through the outbox."""
    messages = list(await session.scalars(select(Message).where(which).order_by(Message.id)))
    deliveries: dict[int, OutboxItem] = {}
    if messages:
        rows = await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.message_id.in_([m.id for m in messages]))
            .order_by(OutboxItem.id)
        )
        deliveries = {row.message_id: row for row in rows if row.message_id is not None}
    return [message_json(m, deliveries.get(m.id)) for m in messages]


def delivery_json(item: OutboxItem | None) -> dict[str, Any] | None:
    """How a message to a user fared: ``pending`` (queued or being retried), ``sent`` or
    ``failed`` (given up on; ``error`` says why), so that an agent knows whether it arrived."""
    if item is None:
        return None
    return {
        "status": item.status,
        "attempts": item.attempts,
        "error": item.last_error,
        "sent_at": _iso(item.sent_at),
    }


def message_json(message: Message, delivery: OutboxItem | None = None) -> dict[str, Any]:
    return {
        "delivery": delivery_json(delivery),
        "id": message.id,
        "conversation_id": message.conversation_id,
        "copy_of": message.copy_of_id,
        "direction": message.direction,
        "author": {"kind": message.author_kind, "id": message.author_id, "name": message.author_name},
        "channel": message.channel,
        "text": message.text,
        "buttons": message.buttons,
        "public": message.public,
        "created_at": _iso(message.created_at),
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in message.attachments
        ],
    }


def encode_cursor(created_at: datetime, ident: int) -> str:
    raw = json.dumps([created_at.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raises:
    InvalidInput: for a cursor this API did not hand out.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        return datetime.fromisoformat(when), int(ident)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("invalid cursor", code="invalid_cursor") from None
