"""Saved replies (CONTRACT §5.4 extension): any agent lists them, supervisors and admins keep them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from desk.api.deps import CurrentAgent, DeskDep, role
from desk.models import Agent, SavedReply
from desk.replies import PLACEHOLDERS, create_reply, delete_reply, get_reply, list_replies, update_reply

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


def _json(r: SavedReply) -> dict[str, Any]:
    return {
        "id": r.id,
        "shortcut": r.shortcut,
        "language": r.language,
        "text": r.text,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }


@router.get("", summary="Saved replies; q filters by shortcut or words, lang puts that language first")
async def list_all(
    desk: DeskDep,
    agent: CurrentAgent,
    q: Annotated[str, Query(max_length=100)] = "",
    lang: str | None = None,
) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await list_replies(session, q=q, language=lang)
        return {"items": [_json(r) for r in rows], "placeholders": list(PLACEHOLDERS)}


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
