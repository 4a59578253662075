"""Routing endpoints: an agent's availability and the groups' waiting queues."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from desk.agents import find_group
from desk.api.deps import CurrentAgent, DeskDep
from desk.api.schemas import PresenceIn, agent_json, group_json
from desk.models import Agent, Group
from desk.routing import available_agents, set_presence, waiting_queue

router = APIRouter(prefix="/api/v1", tags=["routing"])


@router.put("/me/presence", summary="Become available for new work (online) or stop (offline)")
async def presence(body: PresenceIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        me = await session.get(Agent, agent.id)
        assert me is not None
        await set_presence(session, desk, me, body.online)
        return {"online": me.online, "last_seen_at": me.last_seen_at.isoformat() if me.last_seen_at else None}


@router.get("/queue", summary="Waiting work per group, in the order it will be handed out")
async def queue(desk: DeskDep, agent: CurrentAgent, group: str | None = None) -> dict[str, Any]:
    async with desk.session() as session:
        groups = (
            [await find_group(session, group)]
            if group
            else list(await session.scalars(select(Group).order_by(Group.name)))
        )
        out = []
        for g in groups:
            items = await waiting_queue(session, desk, g)
            available = await available_agents(session, desk, g)
            out.append(
                {
                    "group": group_json(g),
                    "routing": g.routing,
                    "available": [
                        {**(agent_json(a.agent) or {}), "load": a.load, "capacity": a.agent.capacity}
                        for a in available
                    ],
                    "items": [
                        {
                            "kind": "ticket" if w.ticket is not None else "conversation",
                            "ref": w.ticket.ref if w.ticket is not None else None,
                            "conversation": w.conversation.id if w.conversation is not None else None,
                            "about": w.about,  # a waiting chat's ticket
                            "priority": w.priority,
                            "waiting_since": w.since.isoformat(),
                        }
                        for w in items
                    ],
                }
            )
        return {"groups": out}
