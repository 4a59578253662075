"""API tokens: every agent sees and revokes their own (console sign-ins and tokens for
integrations) and makes named ones for scripts; an admin does the same for anyone.

A token is shown once, when it is made; afterwards only its first characters, its name and
when it was made and last used. Revoking the token of this very request signs it out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import SIGN_IN, find_agent, find_token, is_token, live_tokens, named_token, require_role
from desk.api.deps import CurrentAgent, CurrentToken, DeskDep
from desk.models import Agent, ApiToken

router = APIRouter(prefix="/api/v1/tokens", tags=["auth"])


def _token(row: ApiToken, current: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": "sign_in" if row.name == SIGN_IN else "api",
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "current": is_token(row, current),
    }


async def _whose(session: AsyncSession, viewer: Agent, key: str | None) -> Agent:
    """The agent ``key`` names (an e-mail or id; an admin's question), else the viewer."""
    if key is None:
        return viewer
    owner = await find_agent(session, key)
    if owner.id != viewer.id:
        require_role(viewer, "admin")
    return owner


@router.get("", summary="Your live API tokens and console sessions (an admin: anyone's, by ?agent=)")
async def list_tokens(
    desk: DeskDep,
    agent: CurrentAgent,
    token: CurrentToken,
    agent_key: Annotated[str | None, Query(alias="agent", description="an agent's e-mail or id")] = None,
) -> dict[str, Any]:
    async with desk.session() as session:
        owner = await _whose(session, agent, agent_key)
        return {"items": [_token(row, token) for row in await live_tokens(session, owner)]}


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)  # what uses it; "console" names sign-ins
    agent: str | None = None  # an admin's token for someone else (an integration's own account)


@router.post("", status_code=201, summary="Make a named API token; the answer is the only time it is shown")
async def new_token(body: TokenIn, desk: DeskDep, agent: CurrentAgent, token: CurrentToken) -> dict[str, Any]:
    async with desk.session() as session:
        owner = await _whose(session, agent, body.agent)
        made, row = await named_token(session, owner, body.name)
        return {**_token(row, token), "token": made, "agent": owner.email}


@router.delete(
    "/{token_id}", status_code=204, summary="Revoke a token; revoking this request's signs you out"
)
async def revoke(token_id: int, desk: DeskDep, agent: CurrentAgent) -> None:
    async with desk.session() as session:
        row = await find_token(session, token_id, agent)
        row.revoked_at = desk.now()
