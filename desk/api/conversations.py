"""Conversation endpoints (CONTRACT §5.4): list, read, take over, write, release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.api.deps import CurrentAgent, DeskDep
from desk.api.schemas import message_json, transcript_json
from desk.attachments import take_uploads
from desk.context import Desk
from desk.errors import InvalidInput
from desk.handoff import agent_reply, get_conversation, queue_positions, release_conversation, take_over
from desk.models import MODES, Agent, Conversation, Group, Message, Ticket
from desk.textindex import snippet

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=4000)  # may be empty when files go
    attachments: list[int] = Field(default_factory=list, max_length=10)  # ids of uploads


_PREVIEW = 140  # characters of the last message shown in a list


async def _last_messages(session: AsyncSession, ids: list[int]) -> dict[int, Message]:
    """The latest public message a person wrote in each of these conversations, the user or an
    agent (one query for a page): the bot's "passing you to a person" says nothing about it."""
    if not ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(
            Message.conversation_id.in_(ids),
            Message.direction != "internal",
            Message.author_kind.in_(("requester", "agent")),
        )
        .group_by(Message.conversation_id)
    )
    rows = await session.scalars(select(Message).where(Message.id.in_(latest)))
    return {m.conversation_id: m for m in rows if m.conversation_id is not None}


def _preview(m: Message) -> dict[str, Any]:
    """What a list shows of a message: who, when, and its first words (or its files' names)."""
    text = m.text.strip() or ", ".join(f"📎 {a.filename}" for a in m.attachments)
    return {
        "direction": m.direction,
        "author": m.author_name or m.author_kind,
        "text": snippet(text, _PREVIEW),
        "at": m.created_at.isoformat(),
    }


@dataclass
class _Known:
    """What a page of conversations refers to, loaded once for the page (the console asks for
    the list every three seconds: one query per row for its ticket, agent and place in line made
    fifty queued conversations take a quarter of a second)."""

    refs: dict[int, str]
    statuses: dict[int, str]
    agents: dict[int, tuple[str, str]]
    groups: dict[int, str]
    positions: dict[int, int]
    last: dict[int, Message]


async def _known(session: AsyncSession, desk: Desk, page: list[Conversation]) -> _Known:
    tickets = {c.ticket_id for c in page if c.ticket_id}
    agents = {c.agent_id for c in page if c.agent_id}
    linked = (
        await session.execute(select(Ticket.id, Ticket.ref, Ticket.status).where(Ticket.id.in_(tickets)))
    ).all()
    people = await session.execute(select(Agent.id, Agent.name, Agent.email).where(Agent.id.in_(agents)))
    groups = {c.group_id for c in page if c.group_id}
    names = await session.execute(select(Group.id, Group.name).where(Group.id.in_(groups)))
    return _Known(
        refs={i: ref for i, ref, _ in linked},
        statuses={i: status for i, _, status in linked},
        agents={i: (name, email) for i, name, email in people},
        groups=dict(names.all()),
        positions=await queue_positions(session, desk, [c for c in page if c.mode == "queued"]),
        last=await _last_messages(session, [c.id for c in page]),
    )


def _json(c: Conversation, known: _Known) -> dict[str, Any]:
    agent = known.agents.get(c.agent_id) if c.agent_id else None
    out: dict[str, Any] = {
        "id": c.id,
        "mode": c.mode,
        "channel": c.channel,
        "language": c.language,
        "person": {
            "id": c.person.id,
            "name": c.person.name,
            "email": c.person.email,
            "phone": c.person.phone,
        },
        "ticket": known.refs.get(c.ticket_id) if c.ticket_id else None,
        "ticket_status": known.statuses.get(c.ticket_id) if c.ticket_id else None,
        "agent": {"id": c.agent_id, "name": agent[0], "email": agent[1]} if agent else None,
        "group": {"id": c.group_id, "name": known.groups[c.group_id]} if c.group_id in known.groups else None,
        "queued_at": c.queued_at.isoformat() if c.queued_at else None,
        "offered_at": c.offered_at.isoformat() if c.offered_at else None,
        "created_at": c.created_at.isoformat(),
        "last_message_at": c.last_message_at.isoformat(),
    }
    if c.id in known.last:
        out["last_message"] = _preview(known.last[c.id])
    if c.mode == "queued":
        out["queue_position"] = known.positions[c.id]
    return out


async def _one(
    session: AsyncSession, desk: Desk, c: Conversation, *, messages: bool = False
) -> dict[str, Any]:
    """One conversation as the API shows it, with its transcript when ``messages``."""
    out = _json(c, await _known(session, desk, [c]))
    if messages:
        out["messages"] = await transcript_json(session, Message.conversation_id == c.id)
    return out


@router.get("", summary="Conversations, most recently active first")
async def list_conversations(
    desk: DeskDep,
    agent: CurrentAgent,
    mode: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    query = select(Conversation)
    if mode:
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}", code="invalid_mode")
        query = query.where(Conversation.mode == mode)
        if mode == "queued":
            query = query.order_by(Conversation.queued_at)
    query = query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    async with desk.session() as session:
        found = list(await session.scalars(query))
        known = await _known(session, desk, found)
        return {"items": [_json(c, known) for c in found]}


@router.get("/{conversation_id}", summary="A conversation with its messages")
async def read(conversation_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        return await _one(session, desk, await get_conversation(session, conversation_id), messages=True)


@router.post("/{conversation_id}/takeover", summary="Take the conversation over from the bot or the queue")
async def takeover(conversation_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        conversation = await get_conversation(session, conversation_id, lock=True)
        await take_over(session, desk, conversation, agent)
        return await _one(session, desk, conversation)


@router.post("/{conversation_id}/messages", status_code=201, summary="Write to the user on their channel")
async def write(conversation_id: int, body: TextIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        conversation = await get_conversation(session, conversation_id, lock=True)
        files = await take_uploads(session, body.attachments, agent.id)
        message = await agent_reply(session, desk, conversation, agent, body.text, files=files)
        await session.refresh(message, ["attachments"])
        return message_json(message)


@router.post("/{conversation_id}/release", summary="Hand the conversation back to the bot")
async def release(conversation_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        conversation = await get_conversation(session, conversation_id, lock=True)
        await release_conversation(session, desk, conversation, agent)
        return await _one(session, desk, conversation)
