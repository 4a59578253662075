"""Reports (CONTRACT §5.6)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from desk.api.deps import CurrentAgent, DeskDep
from desk.reports import parse_period, report_filename, summary, summary_csv

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get(
    "/summary",
    summary="Volume, times, SLA compliance, satisfaction, deflection, handoffs",
    response_model=None,
)
async def summary_(
    desk: DeskDep,
    agent: CurrentAgent,
    from_: Annotated[
        str | None, Query(alias="from", description="YYYY-MM-DD (the desk's day) or ISO time")
    ] = None,
    to: Annotated[str | None, Query(description="exclusive; default now")] = None,
    format: Annotated[
        Literal["json", "csv"],
        Query(description="csv: metric,value rows, as `frontdesk report --format csv`"),
    ] = "json",
) -> dict[str, Any] | Response:
    period = parse_period(desk, from_, to)
    async with desk.session() as session:
        report = await summary(session, desk, period)
    if format == "csv":
        name = report_filename(desk, period)
        return Response(
            summary_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
