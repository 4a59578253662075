"""Agents, groups and categories: everyone may read, admins may write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.agents import create_agent, create_group, find_agent, issue_token
from desk.api.deps import CurrentAgent, DeskDep, role
from desk.api.schemas import AgentIn, GroupIn, agent_json, group_json
from desk.errors import InvalidInput
from desk.models import Agent, Category, Group

router = APIRouter(prefix="/api/v1", tags=["admin"])


def _agent(agent: Agent) -> dict[str, Any]:
    return {
        **(agent_json(agent) or {}),
        "role": agent.role,
        "active": agent.active,
        "online": agent.online,
        "capacity": agent.capacity,
        "timezone": agent.timezone,
        "skills": agent.skills,
        "groups": [g.name for g in agent.groups],
    }


@router.get("/me", summary="The agent behind the token")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return _agent(agent)


@router.get("/agents", summary="All agents")
async def list_agents(desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await session.scalars(select(Agent).order_by(Agent.name))
        return {"items": [_agent(a) for a in rows]}


@router.post("/agents", status_code=201, summary="Create an agent (admin); returns its first API token")
async def add_agent(body: AgentIn, desk: DeskDep, admin: Agent = Depends(role("admin"))) -> dict[str, Any]:  # noqa: B008
    async with desk.session() as session:
        agent = await create_agent(
            session,
            email=body.email,
            name=body.name,
            role=body.role,
            groups=body.groups,
            password=body.password,
            capacity=body.capacity,
            timezone=body.timezone,
            skills=body.skills,
        )
        token = await issue_token(session, agent, "created by " + admin.email)
        return {**_agent(agent), "token": token}


@router.get("/groups", summary="All groups with their members")
async def list_groups(desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await session.scalars(select(Group).options(selectinload(Group.members)).order_by(Group.name))
        return {
            "items": [
                {
                    **(group_json(g) or {}),
                    "description": g.description,
                    "calendar": g.calendar,
                    "routing": g.routing,
                    "manager": agent_json(g.manager),
                    "members": [agent_json(m) for m in g.members],
                }
                for g in rows
            ]
        }


@router.post("/groups", status_code=201, summary="Create a group (admin)")
async def add_group(body: GroupIn, desk: DeskDep, admin: Agent = Depends(role("admin"))) -> dict[str, Any]:  # noqa: B008
    if body.calendar and body.calendar not in desk.calendars:
        raise InvalidInput(f"no calendar named {body.calendar!r}", code="unknown_calendar")
    async with desk.session() as session:
        group = await create_group(
            session, body.name, description=body.description, calendar=body.calendar, routing=body.routing
        )
        if body.manager:
            group.manager = await find_agent(session, body.manager)
        await session.flush()
        return {**(group_json(group) or {}), "manager": agent_json(group.manager)}


@router.get("/categories", summary="The category tree, flattened by path")
async def list_categories(desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await session.scalars(select(Category).where(Category.active).order_by(Category.path))
        return {
            "items": [
                {
                    "id": c.id,
                    "path": c.path,
                    "name": c.name,
                    "name_zh": c.name_zh,
                    "default_group": group_json(c.default_group),
                    "default_impact": c.default_impact,
                }
                for c in rows
            ]
        }
