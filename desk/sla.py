"""SLA clocks: due times in business time, pausing while a ticket waits on the requester.

The response clock runs from creation until the first public agent answer. The resolution
clock runs from creation until resolution, but not while the ticket is ``pending``: each
pause adds its business-time length to ``paused_seconds`` and pushes the due time back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_

from desk.calendar import Calendar
from desk.context import Desk
from desk.lifecycle import OPEN_STATUSES
from desk.models import Ticket
from desk.settings import EscalationLevel, SlaPolicy

__all__ = [
    "apply_sla",
    "breached_clause",
    "calendar_for",
    "clock_start",
    "due_escalations",
    "escalation_point",
    "pause_sla",
    "policy_for",
    "resume_sla",
    "schedule_escalations",
    "sla_view",
]


def policy_for(desk: Desk, ticket: Ticket) -> SlaPolicy | None:
    """The first configured policy whose filters (type, category, the requester's department
    or VIP flag) match and that has a target for the ticket's priority. None while the ticket
    waits for approval (:mod:`desk.approvals`): its clocks start when it is approved."""
    if ticket.approval == "requested":
        return None
    category = ticket.category_path
    for policy in desk.settings.sla.policies:
        if policy.types and ticket.type not in policy.types:
            continue
        if policy.categories and not any(
            category == c or (category or "").startswith(c + "/") for c in policy.categories
        ):
            continue
        if policy.departments and (ticket.requester.department or "").casefold() not in {
            d.casefold() for d in policy.departments
        }:
            continue
        if policy.vip is not None and bool(ticket.requester.vip) is not policy.vip:
            continue
        if ticket.priority in policy.targets:
            return policy
    return None


def calendar_for(desk: Desk, ticket: Ticket, policy: SlaPolicy) -> Calendar:
    """The ticket's group's calendar when it has one, else the policy's."""
    group_calendar = ticket.group.calendar if ticket.group is not None else None
    if group_calendar and group_calendar in desk.calendars:
        return desk.calendars[group_calendar]
    return desk.calendars[policy.calendar]


def apply_sla(desk: Desk, ticket: Ticket) -> None:
    """(Re)compute the due times from creation, priority and time paused so far.

    Called on creation and whenever priority, category or group change; a ticket no policy
    covers has no due times.
    """
    policy = policy_for(desk, ticket)
    if policy is None:
        ticket.sla_policy = ticket.response_due = ticket.resolution_due = None
        return
    calendar = calendar_for(desk, ticket, policy)
    target = policy.targets[ticket.priority]
    ticket.sla_policy = policy.name
    start = clock_start(ticket)
    ticket.response_due = calendar.add(start, calendar.business_seconds(target.response))
    resolution = calendar.business_seconds(target.resolution) + ticket.paused_seconds
    ticket.resolution_due = calendar.add(start, resolution)
    schedule_escalations(desk, ticket)


def pause_sla(desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Stop the resolution clock (entering ``pending``)."""
    if ticket.paused_at is None:
        ticket.paused_at = now
    schedule_escalations(desk, ticket)


def resume_sla(desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Restart the resolution clock, adding the paused business time to the budget."""
    if ticket.paused_at is None:
        return
    policy = policy_for(desk, ticket)
    if policy is not None:
        ticket.paused_seconds += calendar_for(desk, ticket, policy).elapsed(ticket.paused_at, now)
    ticket.paused_at = None
    apply_sla(desk, ticket)


def escalation_point(desk: Desk, ticket: Ticket, level: EscalationLevel) -> datetime | None:
    """When ``level`` is due for ``ticket``, or ``None`` while its clock is not running.

    The point is ``at`` percent of the target in business time from creation (plus the time
    paused, for the resolution clock), then ``after`` more business time. The response clock
    stops at the first answer, the resolution clock while pending; both at resolution.
    """
    if ticket.status not in OPEN_STATUSES or (level.priorities and ticket.priority not in level.priorities):
        return None
    policy = policy_for(desk, ticket)
    if policy is None:
        return None
    calendar = calendar_for(desk, ticket, policy)
    target = policy.targets[ticket.priority]
    if level.clock == "response":
        if ticket.first_response_at is not None:
            return None
        budget = level.fraction * calendar.business_seconds(target.response)
    else:
        if ticket.paused_at is not None:
            return None
        budget = level.fraction * calendar.business_seconds(target.resolution) + ticket.paused_seconds
    if level.after:
        budget += calendar.business_seconds(level.after)
    return calendar.add(clock_start(ticket), budget)


def clock_start(ticket: Ticket) -> datetime:
    """When the ticket's SLA clocks started: its creation, or its approval (a request that
    waited for someone's yes)."""
    return ticket.sla_start or ticket.created_at


def due_escalations(desk: Desk, ticket: Ticket, now: datetime) -> list[EscalationLevel]:
    """The levels due at ``now`` that have not fired for ``ticket`` yet, in configured order."""
    fired = set(ticket.fired or ())
    due = []
    for level in desk.settings.escalation.levels:
        point = escalation_point(desk, ticket, level) if f"escalation:{level.name}" not in fired else None
        if point is not None and point <= now:
            due.append(level)
    return due


def schedule_escalations(desk: Desk, ticket: Ticket) -> None:
    """Set ``next_escalation_at`` to the earliest unfired level's point (``None`` if none)."""
    fired = set(ticket.fired or ())
    points = [
        point
        for level in desk.settings.escalation.levels
        if f"escalation:{level.name}" not in fired
        and (point := escalation_point(desk, ticket, level)) is not None
    ]
    ticket.next_escalation_at = min(points, default=None)


def breached_clause(now: datetime) -> ColumnElement[bool]:
    """Whether a ticket missed (or, still open, is past) a target as of ``now``, in SQL: the
    two flags of :func:`sla_view` below as one condition, so that a list filtered on it and each
    ticket's badge agree."""
    response_at = func.coalesce(
        Ticket.first_response_at, Ticket.resolved_at, Ticket.closed_at, Ticket.cancelled_at, now
    )
    resolution_at = func.coalesce(
        Ticket.resolved_at, Ticket.closed_at, Ticket.cancelled_at, Ticket.paused_at, now
    )
    return or_(
        and_(Ticket.response_due.is_not(None), response_at > Ticket.response_due),
        and_(Ticket.resolution_due.is_not(None), resolution_at > Ticket.resolution_due),
    )


def sla_view(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Due times and whether each target is (or was) missed, as of ``now``."""
    answered = ticket.first_response_at
    done = ticket.resolved_at or ticket.closed_at or ticket.cancelled_at
    response_at = answered or done or now
    resolution_at = done or ticket.paused_at or now
    return {
        "policy": ticket.sla_policy,
        "response_due": ticket.response_due,
        "resolution_due": ticket.resolution_due,
        "response_breached": ticket.response_due is not None and response_at > ticket.response_due,
        "resolution_breached": ticket.resolution_due is not None and resolution_at > ticket.resolution_due,
        "paused": ticket.paused_at is not None,
    }
