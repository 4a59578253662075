"""The signed-in agent's notifications (CONTRACT §5.4 extension)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from desk.api.deps import CurrentAgent, DeskDep
from desk.models import Notification, Ticket
from desk.notifications import list_notifications, mark_read

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _json(n: Notification, refs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "text": n.text,
        "ticket": refs.get(n.ticket_id) if n.ticket_id else None,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@router.get("", summary="My notifications, newest first")
async def mine(desk: DeskDep, agent: CurrentAgent, unread: bool = False) -> dict[str, Any]:
    async with desk.session() as session:
        rows = await list_notifications(session, agent, unread_only=unread)
        refs = {
            t.id: t.ref
            for t in [await session.get(Ticket, i) for i in {n.ticket_id for n in rows if n.ticket_id}]
            if t
        }
        return {"items": [_json(n, refs) for n in rows]}


@router.post("/{notification_id}/read", summary="Mark one notification read")
async def read_one(notification_id: int, desk: DeskDep, agent: CurrentAgent) -> dict[str, int]:
    async with desk.session() as session:
        return {"marked": await mark_read(session, desk, agent, notification_id)}


@router.post("/read", summary="Mark all my notifications read")
async def read_all(desk: DeskDep, agent: CurrentAgent) -> dict[str, int]:
    async with desk.session() as session:
        return {"marked": await mark_read(session, desk, agent)}
