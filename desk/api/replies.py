"""Saved replies (CONTRACT §5.4 extension): any agent lists them, supervisors and admins keep them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from desk.api.deps import CurrentAgent, DeskDep, role
from desk.errors import InvalidInput
from desk.handoff import get_conversation
from desk.models import Agent, SavedReply
from desk.replies import (
    PLACEHOLDERS,
    Filling,
    create_reply,
    delete_reply,
    fill,
    for_conversation,
    for_ticket,
    get_reply,
    list_replies,
    update_reply,
)
from desk.tickets import get_ticket

router = APIRouter(prefix="/api/v1/replies", tags=["replies"])
Keeper = Annotated[Agent, Depends(role("supervisor"))]


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shortcut: str = Field(max_length=41)
    language: str = "en"
    text: str = Field(max_length=4000)


class ReplyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shortcut: str | None = Field(default=None, max_length=41)
    language: str | None = None
    text: str | None = Field(default=None, max_length=4000)


def _json(r: SavedReply, filling: Filling | None = None) -> dict[str, Any]:
    out = {
        "id": r.id,
        "shortcut": r.shortcut,
        "language": r.language,
        "text": r.text,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }
    if filling is not None:
        out["filled"] = fill(r.text, filling)
    return out


@router.get(
    "",
    summary="Saved replies; q filters by shortcut or words, lang puts that language first; for a "
    "conversation or ticket, each is also given filled in, in its language first",
)
async def list_all(
    desk: DeskDep,
    agent: CurrentAgent,
    q: Annotated[str, Query(max_length=100)] = "",
    lang: str | None = None,
    conversation: int | None = None,
    ticket: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    if conversation is not None and ticket is not None:
        raise InvalidInput("give a conversation or a ticket, not both", code="invalid_query")
    async with desk.session() as session:
        filling = None
        if conversation is not None:
            filling = await for_conversation(session, await get_conversation(session, conversation), agent)
        elif ticket is not None:
            filling = for_ticket(await get_ticket(session, ticket), agent)
        language = lang or (filling.language if filling else None)
        rows = await list_replies(session, q=q, language=language)
        return {"items": [_json(r, filling) for r in rows], "placeholders": list(PLACEHOLDERS)}


@router.post("", status_code=201, summary="Save a reply (supervisors and admins)")
async def create(body: ReplyIn, desk: DeskDep, agent: Keeper) -> dict[str, Any]:
    async with desk.session() as session:
        reply = await create_reply(
            session, desk, agent, shortcut=body.shortcut, language=body.language, text=body.text
        )
        return _json(reply)


@router.put("/{reply_id}", summary="Change a saved reply (supervisors and admins)")
async def change(reply_id: int, body: ReplyPatch, desk: DeskDep, agent: Keeper) -> dict[str, Any]:
    async with desk.session() as session:
        reply = await update_reply(
            session,
            desk,
            await get_reply(session, reply_id),
            shortcut=body.shortcut,
            language=body.language,
            text=body.text,
        )
        return _json(reply)


@router.delete("/{reply_id}", status_code=204, summary="Delete a saved reply (supervisors and admins)")
async def remove(reply_id: int, desk: DeskDep, agent: Keeper) -> Response:
    async with desk.session() as session:
        await delete_reply(session, await get_reply(session, reply_id))
    return Response(status_code=204)
