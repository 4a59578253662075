"""Conversation endpoints (CONTRACT §5.4): list, read, take over, write, release."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.api.deps import CurrentAgent, DeskDep
from desk.api.schemas import deliveries_of, message_json
from desk.attachments import take_uploads
from desk.context import Desk
from desk.errors import InvalidInput
from desk.handoff import agent_reply, get_conversation, queue_slot, release_conversation, take_over
from desk.models import MODES, Agent, Conversation, Message, Ticket

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
    text = " ".join(m.text.split()) or ", ".join(f"📎 {a.filename}" for a in m.attachments)
    return {
        "direction": m.direction,
        "author": m.author_name or m.author_kind,
        "text": text if len(text) <= _PREVIEW else text[: _PREVIEW - 1].rstrip() + "…",
        "at": m.created_at.isoformat(),
    }


async def _json(
    session: AsyncSession,
    desk: Desk,
    c: Conversation,
    *,
    messages: bool = False,
    last: Message | None = None,
) -> dict[str, Any]:
    ticket = await session.get(Ticket, c.ticket_id) if c.ticket_id else None
    agent = await session.get(Agent, c.agent_id) if c.agent_id else None
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
        "ticket": ticket.ref if ticket else None,
        "agent": {"id": agent.id, "name": agent.name, "email": agent.email} if agent else None,
        "queued_at": c.queued_at.isoformat() if c.queued_at else None,
        "offered_at": c.offered_at.isoformat() if c.offered_at else None,
        "created_at": c.created_at.isoformat(),
        "last_message_at": c.last_message_at.isoformat(),
    }
    if last is not None:
        out["last_message"] = _preview(last)
    if c.mode == "queued":
        out["queue_position"] = (await queue_slot(session, desk, c)).position
    if messages:
        rows = list(
            await session.scalars(select(Message).where(Message.conversation_id == c.id).order_by(Message.id))
        )
        deliveries = await deliveries_of(session, rows)
        out["messages"] = [message_json(m, deliveries.get(m.id)) for m in rows]
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
        last = await _last_messages(session, [c.id for c in found])
        return {"items": [await _json(session, desk, c, last=last.get(c.id)) for c in found]}


@router.get("/{conversation_id}", summary="A conversation with its messages")
async def read(conversation_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        return await _json(session, desk, await get_conversation(session, conversation_id), messages=True)


@router.post("/{conversation_id}/takeover", summary="Take the conversation over from the bot or the queue")
async def takeover(conversation_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        conversation = await get_conversation(session, conversation_id, lock=True)
        await take_over(session, desk, conversation, agent)
        return await _json(session, desk, conversation)


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
        return await _json(session, desk, conversation)
