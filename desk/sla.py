"""SLA clocks: due times in business time, pausing while a ticket waits on the requester.

The response clock runs from creation until the first public agent answer. The resolution
clock runs from creation until resolution, but not while the ticket is ``pending``: each
pause adds its business-time length to ``paused_seconds`` and pushes the due time back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk.calendar import Calendar
from desk.context import Desk
from desk.models import Ticket
from desk.settings import SlaPolicy

__all__ = ["apply_sla", "calendar_for", "pause_sla", "policy_for", "resume_sla", "sla_view"]


def policy_for(desk: Desk, ticket: Ticket) -> SlaPolicy | None:
    """The first configured policy whose type/category filters match and has the priority."""
    category = ticket.category.path if ticket.category is not None else None
    for policy in desk.settings.sla.policies:
        if policy.types and ticket.type not in policy.types:
            continue
        if policy.categories and not any(
            category == c or (category or "").startswith(c + "/") for c in policy.categories
        ):
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
    ticket.response_due = calendar.add(ticket.created_at, calendar.business_seconds(target.response))
    resolution = calendar.business_seconds(target.resolution) + ticket.paused_seconds
    ticket.resolution_due = calendar.add(ticket.created_at, resolution)


def pause_sla(desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Stop the resolution clock (entering ``pending``)."""
    if ticket.paused_at is None:
        ticket.paused_at = now


def resume_sla(desk: Desk, ticket: Ticket, now: datetime) -> None:
    """Restart the resolution clock, adding the paused business time to the budget."""
    if ticket.paused_at is None:
        return
    policy = policy_for(desk, ticket)
    if policy is not None:
        ticket.paused_seconds += calendar_for(desk, ticket, policy).elapsed(ticket.paused_at, now)
    ticket.paused_at = None
    apply_sla(desk, ticket)


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
