"""Console sign-in: e-mail and password give an API token; signing out revokes it and makes
the agent unavailable for routing; an agent changes their own password here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from desk.agents import (
    SIGN_IN,
    authenticate_password,
    check_password,
    issue_token,
    revoke_token,
    set_password,
)
from desk.api.deps import CurrentAgent, CurrentToken, DeskDep
from desk.errors import Forbidden
from desk.models import Agent
from desk.routing import set_presence

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


@router.post("/login", summary="Sign in with e-mail and password; returns a bearer token")
async def login(body: LoginIn, desk: DeskDep) -> dict[str, Any]:
    async with desk.session() as session:
        agent = await authenticate_password(session, desk, body.email, body.password)
        token = await issue_token(session, agent, SIGN_IN)
        return {
            "token": token,
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "email": agent.email,
                "role": agent.role,
                "language": agent.language,  # the console's language until they choose another
            },
        }


@router.post("/logout", status_code=204, summary="Revoke the token used for this request")
async def logout(desk: DeskDep, agent: CurrentAgent, token: CurrentToken) -> None:
    async with desk.session() as session:
        await revoke_token(session, token, desk.now())
        me = await session.get(Agent, agent.id)
        if me is not None:
            await set_presence(session, desk, me, False)  # nobody routes work to a signed-out agent


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: str = Field(min_length=1, max_length=200)
    new: str = Field(min_length=1, max_length=200)


@router.post(
    "/password",
    status_code=204,
    summary="Change your own password; your other console sessions are signed out",
)
async def change_password(body: PasswordIn, desk: DeskDep, agent: CurrentAgent, token: CurrentToken) -> None:
    async with desk.session() as session:
        me = await session.get(Agent, agent.id)
        assert me is not None
        # 403, not 401: the session is fine, only the old password is wrong.
        if not await check_password(session, desk, me, body.current):
            raise Forbidden("the current password is wrong", code="wrong_password")
        await set_password(session, me, body.new, desk.now(), keep=token)
