"""Running the configured business rules (:mod:`desk.rulespec`) against tickets.

Rules run on ``created`` and ``updated`` inside the transaction that made the change (so a
rule's actions commit or roll back with it), and on ``time`` from the scheduler. A rule's own
actions do not trigger rules again. ``time`` rules and rules marked ``once`` act at most once
per ticket (remembered in the ticket's ``fired`` list); each action is audited under the
rule's name. The ticket services are passed in (:mod:`desk.tickets` calls this module), so
that this module does not import them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.audit import record_event
from desk.context import Actor, Desk
from desk.lifecycle import OPEN_STATUSES
from desk.models import Message, Person, Ticket
from desk.notifications import notify_agent, recipients
from desk.notify import send_to_requester
from desk.rulespec import RuleSpec, events_of, matches
from desk.sla import sla_view

__all__ = ["TicketOps", "could_match", "facts_of", "run_rules", "run_time_rules"]

_RUNNING = "rules_running"


@dataclass(frozen=True, slots=True)
class TicketOps:
    """The two ticket services rules act through (given by :mod:`desk.tickets`)."""

    change: Callable[[AsyncSession, Desk, Actor, Ticket, Mapping[str, Any]], Awaitable[Ticket]]
    comment: Callable[..., Awaitable[Message]]


def facts_of(ticket: Ticket, now: datetime, changed: Collection[str] = ()) -> dict[str, Any]:
    """What conditions can test about ``ticket`` at ``now`` (see ``rulespec.FIELDS``)."""
    requester = ticket.requester
    sla = sla_view(ticket, now)
    return {
        "type": ticket.type,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "category": ticket.category_path,
        "group": ticket.group.name if ticket.group else None,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "channel": ticket.channel,
        "language": ticket.language,
        "tags": list(ticket.tags or ()),
        "subject": ticket.subject,
        "description": ticket.description,
        "text": f"{ticket.subject}\n{ticket.description}",
        "requester.email": requester.email,
        "requester.name": requester.name,
        "requester.phone": requester.phone,
        "requester.department": requester.department,
        "requester.vip": bool(requester.vip),
        "age": (now - ticket.created_at).total_seconds(),
        "idle": (now - ticket.updated_at).total_seconds(),
        "response_breached": sla["response_breached"],
        "resolution_breached": sla["resolution_breached"],
        "csat": ticket.csat_score,
        "reopen_count": ticket.reopen_count,
        "changed": sorted(changed),
    }


def _once(rule: RuleSpec, event: str) -> bool:
    return rule.once or event == "time"


async def run_rules(
    session: AsyncSession,
    desk: Desk,
    ticket: Ticket,
    event: str,
    ops: TicketOps,
    changed: Collection[str] = (),
) -> list[str]:
    """Evaluate the rules for ``event`` on ``ticket`` and act on those that match, in order.

    Returns the names of the rules that acted. Rules see the ticket as the previous rules
    left it. Nothing happens while another rule's actions are running in this session.
    """
    rules = events_of(desk.settings.rules, event)
    if not rules or session.info.get(_RUNNING):
        return []
    acted = []
    session.info[_RUNNING] = True
    try:
        for rule in rules:
            key = f"rule:{rule.name}"
            if _once(rule, event) and key in (ticket.fired or ()):
                continue
            if not matches(rule, facts_of(ticket, desk.now(), changed)):
                continue
            await _act(session, desk, ticket, rule, ops)
            if _once(rule, event):
                ticket.fired = sorted({*(ticket.fired or ()), key})
            acted.append(rule.name)
    finally:
        session.info.pop(_RUNNING, None)
    return acted


async def _act(session: AsyncSession, desk: Desk, ticket: Ticket, rule: RuleSpec, ops: TicketOps) -> None:
    actor = Actor.system(f"rule: {rule.name}")
    record_event(session, ticket, actor, "rule", desk.now(), note=rule.name)
    for action in rule.then:
        kind, arg = next(iter(action.items()))
        if kind == "set":
            await ops.change(session, desk, actor, ticket, dict(arg))
        elif kind == "tag":
            tags = [arg] if isinstance(arg, str) else list(arg)
            await ops.change(session, desk, actor, ticket, {"tags": [*ticket.tags, *tags]})
        elif kind == "assign":
            target = ticket.group.manager if arg == "group_manager" and ticket.group else None
            await ops.change(session, desk, actor, ticket, {"assignee": target.id if target else arg})
        elif kind == "group":
            await ops.change(session, desk, actor, ticket, {"group": arg})
        elif kind == "notify":
            targets = arg.get("to") if isinstance(arg, Mapping) else arg
            note = str(arg.get("text") or "") if isinstance(arg, Mapping) else ""
            names = [targets] if isinstance(targets, str) else [str(x) for x in targets or ()]
            for agent in await recipients(session, ticket, names):
                await notify_agent(session, desk, agent, ticket, "rule", rule=rule.name, note=note)
        elif kind == "reply":
            await send_to_requester(session, desk, ticket, _reply_text(desk, ticket, arg), author=actor)
        elif kind == "note":
            await ops.comment(session, desk, actor, ticket, str(arg), public=False, notify=False)


def _reply_text(desk: Desk, ticket: Ticket, arg: str | Mapping[str, str]) -> str:
    """The rule's reply in the ticket's language, placeholders filled, always naming the ticket."""
    if isinstance(arg, Mapping):
        language = ticket.language or desk.settings.desk.default_language
        template = (
            arg.get(language) or arg.get(desk.settings.desk.default_language) or next(iter(arg.values()))
        )
    else:
        template = arg
    values = {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
    }
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        text = template
    return text if ticket.ref in text else f"[{ticket.ref}] {text}"


_COLUMNS = {
    "status": Ticket.status,
    "type": Ticket.type,
    "priority": Ticket.priority,
    "impact": Ticket.impact,
    "urgency": Ticket.urgency,
    "channel": Ticket.channel,
}
_CLOCKS = {"idle": Ticket.updated_at, "age": Ticket.created_at}


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def could_match(rule: RuleSpec, now: datetime) -> ColumnElement[bool]:
    """SQL that every ticket ``rule`` could still act on satisfies: its conditions on plain
    columns (``status``, ``priority`` ...; equality ignores case, as in the rule), its ``idle`` and
    ``age`` lower bounds, ``assignee`` empty or not, ``requester.vip``, and "has not acted on this
    ticket yet". A superset: the rule itself is still checked on each ticket found, so a
    condition this cannot express only widens it."""
    parts: list[ColumnElement[bool]] = []
    for condition in rule.conditions:
        column = _COLUMNS.get(condition.field)
        values = condition.value if condition.op == "in" else [condition.value]
        if column is not None and condition.op in ("is", "in") and all(isinstance(v, str) for v in values):
            parts.append(func.lower(column).in_([v.casefold() for v in values]))
        elif condition.field in _CLOCKS and condition.op in ("gt", "gte"):
            parts.append(_CLOCKS[condition.field] <= now - timedelta(seconds=float(condition.value)))
        elif condition.field == "assignee" and condition.op == "empty":
            parts.append(Ticket.assignee_id.is_(None) if condition.value else Ticket.assignee_id.is_not(None))
        elif (
            condition.field == "requester.vip" and condition.op == "is" and isinstance(condition.value, bool)
        ):
            vip = select(Person.id).where(Person.vip.is_(True))
            parts.append(Ticket.requester_id.in_(vip) if condition.value else Ticket.requester_id.not_in(vip))
    # ``fired`` is a JSON list of names: its text holds the name in quotes once acted (a name JSON
    # would escape is simply not excluded here, and the check on the ticket skips it).
    mark = _like_literal(f'"rule:{rule.name}"')
    parts.append(~func.coalesce(cast(Ticket.fired, String), "").like(f"%{mark}%", escape="\\"))
    return and_(*parts)


async def run_time_rules(desk: Desk, ops: TicketOps) -> int:
    """The ``time`` rules over open tickets; each acts at most once per ticket. Returns how many
    (ticket, rule) actions there were. Matching is re-checked with the ticket locked."""
    rules = events_of(desk.settings.rules, "time")
    if not rules:
        return 0
    acted = 0
    last_id = 0
    started = desk.now()
    # Only tickets some rule could act on are loaded: a rule that has acted on most of a large
    # backlog would otherwise load all of it on every tick (see docs/benchmarks.md, rules).
    candidates = or_(*(could_match(rule, started) for rule in rules))
    while True:
        async with desk.session() as session:
            batch = list(
                await session.scalars(
                    select(Ticket)
                    .where(Ticket.status.in_(OPEN_STATUSES), Ticket.id > last_id, candidates)
                    .order_by(Ticket.id)
                    .limit(500)
                )
            )
            now = desk.now()
            due = [
                t.id
                for t in batch
                if any(
                    f"rule:{r.name}" not in (t.fired or ()) and matches(r, facts_of(t, now)) for r in rules
                )
            ]
        if due:
            async with desk.session() as session:
                query = select(Ticket).where(Ticket.id.in_(due)).order_by(Ticket.id)
                for ticket in await session.scalars(query.with_for_update(of=Ticket, skip_locked=True)):
                    acted += len(await run_rules(session, desk, ticket, "time", ops))
        if len(batch) < 500:
            return acted
        last_id = batch[-1].id
