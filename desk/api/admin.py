"""Agents, groups and categories: everyone may read, admins may write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.agents import (
    check_calendar,
    check_timezone,
    create_agent,
    create_group,
    find_agent,
    find_group,
    issue_token,
    rename_group,
    set_password,
)
from desk.api.deps import CurrentAgent, DeskDep, role
from desk.api.schemas import (
    AgentIn,
    AgentPatch,
    CategoryIn,
    CategoryPatch,
    GroupIn,
    GroupPatch,
    agent_json,
    group_json,
)
from desk.catalog import create_category, delete_category, find_category, move_category, update_category
from desk.handoff import hand_back_work
from desk.models import Agent, Category, Group

router = APIRouter(prefix="/api/v1", tags=["admin"])
AdminAgent = Annotated[Agent, Depends(role("admin"))]


def _agent(agent: Agent) -> dict[str, Any]:
    return {
        **(agent_json(agent) or {}),
        "role": agent.role,
        "active": agent.active,
        "online": agent.online,
        "capacity": agent.capacity,
        "timezone": agent.timezone,
        "calendar": agent.calendar,
        "language": agent.language,
        "skills": agent.skills,
        "last_seen_at": agent.last_seen_at.isoformat() if agent.last_seen_at else None,
        "locked_until": agent.locked_until.isoformat() if agent.locked_until else None,
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
    check_calendar(desk, body.calendar)
    check_timezone(body.timezone)
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
            calendar=body.calendar,
            language=body.language,
        )
        token = await issue_token(session, agent, "created by " + admin.email)
        return {**_agent(agent), "token": token}


@router.patch(
    "/agents/{key}",
    summary="Change an agent's role, capacity, shift calendar, skills, groups or password (admin); "
    "deactivating one gives their open tickets and chats back to the queue",
)
async def patch_agent(key: str, body: AgentPatch, desk: DeskDep, admin: AdminAgent) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    check_calendar(desk, changes.get("calendar"))
    if changes.get("timezone"):
        check_timezone(changes["timezone"])
    async with desk.session() as session:
        agent = await find_agent(session, key)
        leaving = changes.get("active") is False and agent.active
        if "password" in changes:
            # The admin's reset of a forgotten or leaked password: whoever is signed in as them is out.
            await set_password(session, agent, changes.pop("password") or "", desk.now())
        if "groups" in changes:
            agent.groups = [await find_group(session, g) for g in changes.pop("groups") or ()]
        for field, value in changes.items():
            setattr(agent, field, value)
        session.info["wake_router"] = True  # more capacity or a new group may free work at once
        handed = await hand_back_work(session, desk, agent, admin) if leaving else None
        await session.flush()
        return {**_agent(agent), **({"handed_back": handed} if handed is not None else {})}


@router.get("/calendars", summary="The configured working-time calendars (for shifts and groups)")
async def list_calendars(desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    return {"items": [{"name": c.name, "timezone": c.tz.key} for c in desk.calendars.values()]}


@router.get("/groups", summary="All groups with their members")
async def list_groups(desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await session.scalars(select(Group).options(selectinload(Group.members)).order_by(Group.name))
        return {"items": [_group(g) for g in rows]}


def _group(group: Group) -> dict[str, Any]:
    """A group as the admin API shows it, its members loaded."""
    return {
        **(group_json(group) or {}),
        "description": group.description,
        "calendar": group.calendar,
        "routing": group.routing,
        "manager": agent_json(group.manager),
        "members": [agent_json(m) for m in group.members],
    }


@router.post("/groups", status_code=201, summary="Create a group (admin)")
async def add_group(body: GroupIn, desk: DeskDep, admin: Agent = Depends(role("admin"))) -> dict[str, Any]:  # noqa: B008
    check_calendar(desk, body.calendar)
    async with desk.session() as session:
        group = await create_group(
            session, body.name, description=body.description, calendar=body.calendar, routing=body.routing
        )
        if body.manager:
            group.manager = await find_agent(session, body.manager)
        await session.flush()
        return {**(group_json(group) or {}), "manager": agent_json(group.manager)}


@router.patch(
    "/groups/{key}",
    summary="Change a group's name, routing strategy, calendar, manager or members (admin); a group the "
    "configuration names keeps its name (409 group_in_config)",
)
async def patch_group(key: str, body: GroupPatch, desk: DeskDep, admin: AdminAgent) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    check_calendar(desk, changes.get("calendar"))
    async with desk.session() as session:
        group = await find_group(session, key)
        await session.refresh(group, ["members"])
        if "manager" in changes:
            manager = changes.pop("manager")
            group.manager = await find_agent(session, manager) if manager else None
        if "members" in changes:
            group.members = [await find_agent(session, m) for m in changes.pop("members") or ()]
        if "name" in changes:
            await rename_group(session, desk, group, changes.pop("name") or "")
        for field, value in changes.items():
            setattr(group, field, value)
        session.info["wake_router"] = True
        await session.flush()
        return _group(group)


def _category(c: Category) -> dict[str, Any]:
    return {
        "id": c.id,
        "path": c.path,
        "name": c.name,
        "name_zh": c.name_zh,
        "description": c.description,
        "default_group": group_json(c.default_group),
        "default_impact": c.default_impact,
        "default_type": c.default_type,
        "keywords": c.keywords,
        "skills": c.skills,
        "active": c.active,
    }


@router.get(
    "/categories", summary="The category tree, flattened by path (the retired ones too with ?all=true)"
)
async def list_categories(
    desk: DeskDep, agent: CurrentAgent, retired: Annotated[bool, Query(alias="all")] = False
) -> dict[str, Any]:
    async with desk.session() as session:
        query = select(Category).order_by(Category.path)
        rows = await session.scalars(query if retired else query.where(Category.active))
        return {"items": [_category(c) for c in rows]}


@router.post(
    "/categories", status_code=201, summary="Add a category inside an existing one, or at the top (admin)"
)
async def add_category(body: CategoryIn, desk: DeskDep, admin: AdminAgent) -> dict[str, Any]:
    async with desk.session() as session:
        made = await create_category(
            session,
            body.path,
            name=body.name,
            name_zh=body.name_zh,
            description=body.description or "",
            group=await find_group(session, body.group) if body.group else None,
            default_impact=body.impact,
            default_type=body.type,
            keywords=body.keywords,
            skills=body.skills,
        )
        return _category(made)


@router.patch(
    "/categories/{path:path}",
    summary="Change a category's path (moving what is inside it too), names, group, default impact and "
    "type, keywords or skills, or retire it (admin); one the configuration names keeps its path "
    "(409 category_in_config)",
)
async def patch_category(path: str, body: CategoryPatch, desk: DeskDep, admin: AdminAgent) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    async with desk.session() as session:
        category = await find_category(session, path)
        if "group" in changes:  # a group's name or id; empty or null: none
            changes["group"] = await find_group(session, changes["group"]) if changes["group"] else None
        if "path" in changes:
            await move_category(session, desk, category, changes.pop("path") or "")
        update_category(category, changes)
        await session.flush()
        return _category(category)


@router.delete(
    "/categories/{path:path}",
    status_code=204,
    summary="Delete a category nothing is filed under (admin); one with tickets, articles or categories "
    "inside it is retired instead (409 category_in_use)",
)
async def remove_category(path: str, desk: DeskDep, admin: AdminAgent) -> None:
    async with desk.session() as session:
        await delete_category(session, desk, await find_category(session, path))
