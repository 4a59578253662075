"""The summary report (CONTRACT §5.6): volume, response and resolution times, SLA compliance,
satisfaction, deflection and handoffs over a period, with breakdowns.

Periods are half-open, ``[start, end)``. Dates given without a time are midnight in the desk's
default calendar's zone (the office's day), so "2026-11-01 .. 2026-12-01" is November as the
desk lives it. Times are wall-clock minutes; SLA compliance uses the due times stored on each
ticket (business time, pauses included):

- response met: tickets created in the period whose first answer came by ``response_due``;
  those still unanswered count as missed once the due time has passed, and are left out before.
- resolution met: tickets created in the period resolved by ``resolution_due``; unresolved ones
  count as missed once overdue (a pending ticket's clock is stopped, so it is not overdue).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.context import Desk
from desk.errors import InvalidInput
from desk.models import Agent, Conversation, Ticket, TicketEvent
from desk.sla import clock_start

__all__ = ["Period", "parse_period", "report_filename", "summary", "summary_csv"]

WORK_TYPES = ("incident", "request")  # problems are records about incidents, not requests for help


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


def report_filename(desk: Desk, period: Period) -> str:
    """``frontdesk-report-<first day>-to-<last day>.csv``, in the office's days (``to`` is exclusive)."""
    zone = _zone(desk)
    first = period.start.astimezone(zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    return f"frontdesk-report-{first}-to-{last}.csv"


def _zone(desk: Desk) -> ZoneInfo:
    calendar = desk.calendar(None)
    return calendar.tz if calendar is not None else ZoneInfo("UTC")


def _moment(desk: Desk, text: str, what: str) -> datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=_zone(desk)).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{what}: {text!r} is not a date (YYYY-MM-DD) or an ISO time", code="invalid_date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(desk))
    return moment.astimezone(UTC)


def parse_period(desk: Desk, start: str | None, end: str | None) -> Period:
    """The period from ``start`` to ``end`` (default: the 30 days up to now).

    Raises:
        InvalidInput: for a bad date or an end before the start.
    """
    stop = _moment(desk, end, "to") if end else desk.now()
    begin = _moment(desk, start, "from") if start else stop - timedelta(days=30)
    if stop <= begin:
        raise InvalidInput("the period's end must be after its start", code="invalid_period")
    return Period(begin, stop)


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """Nearest-rank p50 and p90, rounded to a tenth of a minute."""
    ordered = sorted(values)

    def rank(q: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)

    return {"p50": rank(0.5), "p90": rank(0.9)}


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _pct(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def _met(done: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    """Met, missed, or not decided yet (``None``: no target, or still running and not due)."""
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if now > due else None


async def summary(session: AsyncSession, desk: Desk, period: Period) -> dict[str, Any]:
    """The §5.6 summary for ``period``. Response and resolution minutes run from when the team
    could start (:func:`~desk.sla.clock_start`): a request's wait for its approver is not the
    team's time."""
    now = desk.now()
    in_period = (Ticket.created_at >= period.start) & (Ticket.created_at < period.end)
    created = list(await session.scalars(select(Ticket).where(in_period, Ticket.type.in_(WORK_TYPES))))
    resolved = list(
        await session.scalars(
            select(Ticket).where(
                Ticket.resolved_at >= period.start,
                Ticket.resolved_at < period.end,
                Ticket.type.in_(WORK_TYPES),
            )
        )
    )
    rated = list(
        await session.scalars(
            select(Ticket).where(
                Ticket.csat_at >= period.start, Ticket.csat_at < period.end, Ticket.csat_score.is_not(None)
            )
        )
    )
    deflected = await session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.closed_reason == "deflected",
            Conversation.closed_at >= period.start,
            Conversation.closed_at < period.end,
        )
    )
    handoffs = await session.scalar(
        select(func.count(TicketEvent.id)).where(
            TicketEvent.action == "handoff", TicketEvent.at >= period.start, TicketEvent.at < period.end
        )
    )
    responses = [_met(t.first_response_at, t.response_due, now) for t in created]
    resolutions = [_met(t.resolved_at, None if t.paused_at else t.resolution_due, now) for t in created]
    scores = [int(t.csat_score) for t in rated if t.csat_score is not None]
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "tickets_created": len(created),
        "tickets_resolved": len(resolved),
        "first_response_minutes": _percentiles(
            [_minutes(clock_start(t), t.first_response_at) for t in created if t.first_response_at]
        ),
        "resolution_minutes": _percentiles(
            [_minutes(clock_start(t), t.resolved_at) for t in resolved if t.resolved_at]
        ),
        "sla_response_met_pct": _pct(responses.count(True), sum(r is not None for r in responses)),
        "sla_resolution_met_pct": _pct(resolutions.count(True), sum(r is not None for r in resolutions)),
        "csat": {
            "avg": round(sum(scores) / len(scores), 2) if scores else None,
            "count": len(scores),
            "distribution": {str(n): scores.count(n) for n in range(1, 6)},
        },
        "deflected": int(deflected or 0),
        "handoffs": int(handoffs or 0),
        "by_channel": _counts(t.channel for t in created),
        "by_category": _counts((t.category_path or "none") for t in created),
        "by_priority": _counts(t.priority for t in created),
        "by_agent": _by_agent(created, resolved, rated),
    }


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _by_agent(
    created: list[Ticket], resolved: list[Ticket], rated: list[Ticket]
) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}

    def row(agent: Agent) -> dict[str, Any]:  # by address, with the name people read
        return rows.setdefault(
            agent.email, {"name": agent.name, "assigned": 0, "resolved": 0, "csat_avg": None}
        )

    for t in created:
        if t.assignee:
            row(t.assignee)["assigned"] += 1
    for t in resolved:
        if t.assignee:
            row(t.assignee)["resolved"] += 1
    scores: dict[str, list[int]] = defaultdict(list)
    for t in rated:
        if t.assignee and t.csat_score is not None:
            row(t.assignee)
            scores[t.assignee.email].append(int(t.csat_score))
    for email, values in scores.items():
        rows[email]["csat_avg"] = round(sum(values) / len(values), 2)
    return dict(sorted(rows.items()))


def summary_csv(report: dict[str, Any]) -> str:
    """The summary as ``metric,value`` rows; nested values are joined with dots."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            writer.writerow([prefix, "" if value is None else value])

    walk("", report)
    return out.getvalue()
