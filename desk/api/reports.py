"""Reports (CONTRACT §5.6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from desk.api.deps import CurrentAgent, DeskDep
from desk.reports import parse_period, summary

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/summary", summary="Volume, times, SLA compliance, satisfaction, deflection, handoffs")
async def summary_(
    desk: DeskDep,
    agent: CurrentAgent,
    from_: Annotated[
        str | None, Query(alias="from", description="YYYY-MM-DD (the desk's day) or ISO time")
    ] = None,
    to: Annotated[str | None, Query(description="exclusive; default now")] = None,
) -> dict[str, Any]:
    period = parse_period(desk, from_, to)
    async with desk.session() as session:
        return await summary(session, desk, period)
