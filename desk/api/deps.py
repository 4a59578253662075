"""Request dependencies: the desk runtime and the authenticated agent with a role check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from desk.agents import authenticate_token, require_role
from desk.context import Desk
from desk.errors import Unauthorized
from desk.models import Agent

__all__ = ["CurrentAgent", "CurrentToken", "DeskDep", "get_desk", "role"]

_bearer = HTTPBearer(auto_error=False, description="An API token from `frontdesk agent add`.")


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


async def current_agent(
    desk: DeskDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Agent:
    """The agent behind ``Authorization: Bearer <token>``; 401 if missing or bad."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing bearer token")
    now = desk.now()
    async with desk.session() as session:
        agent = await authenticate_token(session, credentials.credentials, now)
        if agent.last_seen_at is None or now - agent.last_seen_at > timedelta(minutes=1):
            agent.last_seen_at = now
    return agent


CurrentAgent = Annotated[Agent, Depends(current_agent)]


async def current_token(
    agent: CurrentAgent, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    """The bearer token of a request :func:`current_agent` accepted (to revoke or to keep it)."""
    assert credentials is not None  # current_agent already required it
    return credentials.credentials


CurrentToken = Annotated[str, Depends(current_token)]


def role(name: str) -> Callable[[Agent], Awaitable[Agent]]:
    """A dependency that admits agents with role ``name`` or above (403 otherwise)."""

    async def check(agent: CurrentAgent) -> Agent:
        require_role(agent, name)
        return agent

    return check
