"""Ticket services: every write to a ticket goes through these, and each leaves an audit entry."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Button
from desk.agents import find_agent, find_group
from desk.attachments import place_files
from desk.audit import record_event
from desk.catalog import default_group_for, find_category, nested
from desk.chinese import Traditional
from desk.context import Actor, Desk
from desk.conversations import end_handoffs
from desk.errors import InvalidInput, InvalidTransition, NotFound
from desk.i18n import t
from desk.lifecycle import OPEN_STATUSES, check_transition
from desk.metrics import TICKETS_CREATED
from desk.models import PREFIXES, TYPES, Agent, Article, Attachment, Counter, Message, Person, Ticket
from desk.notifications import notify_agent
from desk.notify import send_to_requester
from desk.priority import compute_priority, level
from desk.rules import TicketOps, run_rules
from desk.sla import apply_sla, pause_sla, resume_sla, schedule_escalations
from desk.textindex import snippet

__all__ = [
    "EDITABLE",
    "TICKET_OPS",
    "add_comment",
    "change_ticket",
    "close_as_fixed",
    "close_ticket",
    "confirm_question",
    "create_ticket",
    "get_ticket",
    "known_issue_for",
    "link_to_problem",
    "linked_incidents",
    "next_number",
    "open_known_issue",
    "open_known_issues",
    "record_event",
    "reopen_ticket",
    "requester_ticket",
    "requester_tickets",
    "resolve_ticket",
    "unlink_from_problem",
]

EDITABLE = (
    "status",
    "impact",
    "urgency",
    "category",
    "assignee",
    "group",
    "subject",
    "description",
    "tags",
    "cc",
    "known_issue",
)
MAX_CC = 20
_NOTIFY_TEXT = 200  # characters of a requester's comment quoted in the assignee's notification
TYPE_ALIASES = {"incident": "incident", "inc": "incident", "request": "request", "req": "request",
                "service_request": "request", "problem": "problem", "prb": "problem"}  # fmt: skip


async def next_number(session: AsyncSession, name: str) -> int:
    """The next value of counter ``name``, atomically (one upsert, safe under concurrency)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return int((await session.execute(statement)).scalar_one())


def ticket_type(value: str | None) -> str:
    """Raises:
    InvalidInput: unless ``value`` names a ticket type.
    """
    found = TYPE_ALIASES.get(str(value or "incident").strip().lower())
    if found is None:
        raise InvalidInput(f"type must be one of {', '.join(TYPES)}", code="invalid_type")
    return found


async def create_ticket(
    session: AsyncSession,
    desk: Desk,
    actor: Actor,
    *,
    requester: Person,
    subject: str,
    description: str = "",
    type: str | None = "incident",
    category: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    channel: str = "api",
    group: str | None = None,
    language: str | None = None,
    tags: Sequence[str] = (),
    created_at: datetime | None = None,
    notify: bool = False,
) -> Ticket:
    """Open a ticket: number it, file it, prioritise it, start its SLA clocks, audit it.

    Impact falls back to the category's default, then to ``priority.default_impact``; the
    group to the one given, else the category's (or its ancestors'), else
    ``desk.default_group``. ``created_at`` is for imports: SLA due times count from it.
    With ``notify``, the requester is told the reference and promised times on their channel.

    Raises:
        InvalidInput: for an empty subject, unknown type, impact, urgency, or a future date.
        NotFound: for an unknown category or group.
    """
    kind = ticket_type(type)
    subject = " ".join((subject or "").split())[:300] or " ".join(description.split())[:120]
    if not subject:
        raise InvalidInput("a ticket needs a subject or a description", code="invalid_subject")
    now = desk.now()
    if created_at is not None:
        if created_at.tzinfo is None:
            raise InvalidInput("created_at needs a time zone offset")
        if created_at > now:
            raise InvalidInput("created_at cannot be in the future")
    cat = await find_category(session, category) if category else None
    prio = desk.settings.priority
    impact = level(impact or (cat.default_impact if cat else None) or prio.default_impact, "impact")
    urgency = level(urgency or prio.default_urgency, "urgency")
    owner = await find_group(session, group) if group else await default_group_for(session, desk, cat)
    number = await next_number(session, PREFIXES[kind])
    ticket = Ticket(
        ref=f"{PREFIXES[kind]}-{number}",
        type=kind,
        number=number,
        status="new",
        impact=impact,
        urgency=urgency,
        priority=compute_priority(prio, impact, urgency),
        subject=subject,
        description=description or "",
        channel=channel,
        language=language or requester.language,
        tags=sorted({str(tag).strip().lower() for tag in tags if str(tag).strip()}),
        category=cat,
        requester=requester,
        group=owner,
        created_at=created_at.astimezone(UTC) if created_at else now,
        updated_at=now,
        paused_seconds=0.0,
        reopen_count=0,
    )
    session.add(ticket)
    apply_sla(desk, ticket)
    await session.flush()
    record_event(session, ticket, actor, "created", now, note=f"{ticket.ref} via {channel}")
    TICKETS_CREATED.labels(kind, channel).inc()
    session.info["wake_router"] = True
    await run_rules(session, desk, ticket, "created", TICKET_OPS)
    if notify:
        await send_to_requester(session, desk, ticket, created_message(desk, ticket))
    return ticket


def format_due(desk: Desk, ticket: Ticket, when: datetime | None) -> str:
    """A due time in the group's calendar zone (the requester's office), to the minute."""
    if when is None:
        return t(ticket.language, "time.none")
    calendar = desk.calendar(ticket.group.calendar if ticket.group else None)
    if calendar is None:
        return when.strftime("%Y-%m-%d %H:%M UTC")
    # The zone's name, not its abbreviation: "CST" is China's and also America's Central time.
    return f"{when.astimezone(calendar.tz).strftime('%Y-%m-%d %H:%M')} ({calendar.tz.key})"


def created_message(desk: Desk, ticket: Ticket) -> str:
    return t(
        ticket.language,
        "ticket.created",
        ref=ticket.ref,
        subject=ticket.subject,
        priority=ticket.priority,
        response_due=format_due(desk, ticket, ticket.response_due),
        resolution_due=format_due(desk, ticket, ticket.resolution_due),
    )


async def get_ticket(session: AsyncSession, ref: str) -> Ticket:
    """A ticket by reference (case-insensitive) or numeric id.

    Raises:
        NotFound: when there is none.
    """
    key = ref.strip().upper()
    if key.isdigit():
        ticket = await session.get(Ticket, int(key))
    else:
        ticket = await session.scalar(select(Ticket).where(Ticket.ref == key))
    if ticket is None:
        raise NotFound(f"no ticket {ref!r}")
    return ticket


def _addresses(values: Sequence[Any]) -> list[str]:
    """E-mail addresses for a ticket's ``cc`` ("Name <a@b.c>" or "a@b.c"), lower case, each once.

    Raises:
        InvalidInput: for something that is not an address, or more than :data:`MAX_CC`.
    """
    out: list[str] = []
    for value in values:
        address = email.utils.parseaddr(str(value))[1].strip().lower()
        local, _, domain = address.partition("@")
        if not local or "." not in domain or " " in address or domain.startswith(".") or domain.endswith("."):
            raise InvalidInput(f"cc: {str(value)!r} is not an e-mail address", code="invalid_cc")
        if address not in out:
            out.append(address)
    if len(out) > MAX_CC:
        raise InvalidInput(f"cc: at most {MAX_CC} addresses", code="invalid_cc")
    return out


async def change_ticket(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, changes: Mapping[str, Any]
) -> Ticket:
    """Apply field changes, each audited; priority and due times follow impact and urgency.

    Assigning a ``new`` ticket makes it ``assigned``; unassigning an ``assigned`` one makes it
    ``new`` again. A status given in the same call wins over those defaults.

    Raises:
        InvalidInput: for an unknown field or a bad value.
        InvalidTransition: for a status change the lifecycle does not allow (HTTP 409).
        NotFound: for an unknown assignee, group or category.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot change {unknown[0]!r}; editable: {', '.join(EDITABLE)}")
    if ticket.status in ("closed", "cancelled") and set(changes) - {"tags"}:
        raise InvalidTransition(f"{ticket.ref} is {ticket.status}; it can no longer change")
    now = desk.now()
    changed: set[str] = set()

    def audit(field: str, before: object, after: object) -> None:
        changed.add(field)
        record_event(session, ticket, actor, "changed", now, field=field, before=before, after=after)

    for field in ("subject", "description"):
        if field in changes and changes[field] != getattr(ticket, field):
            value = str(changes[field] or "").strip()
            if field == "subject" and not value:
                raise InvalidInput("the subject cannot be empty")
            audit(field, getattr(ticket, field), value)
            setattr(ticket, field, value)
    if "tags" in changes:
        tags = sorted({str(x).strip().lower() for x in changes["tags"] or () if str(x).strip()})
        if tags != ticket.tags:
            audit("tags", ",".join(ticket.tags), ",".join(tags))
            ticket.tags = tags
    if "cc" in changes:
        cc = _addresses(changes["cc"] or ())
        if cc != list(ticket.cc or ()):
            audit("cc", ",".join(ticket.cc or ()), ",".join(cc))
            ticket.cc = cc
    if "known_issue" in changes and bool(changes["known_issue"]) != ticket.known_issue:
        if ticket.type != "problem":
            raise InvalidInput("only a problem (PRB-) is a known issue", code="not_a_problem")
        audit("known_issue", ticket.known_issue, bool(changes["known_issue"]))
        ticket.known_issue = bool(changes["known_issue"])
    reprioritise = False
    for field in ("impact", "urgency"):
        if changes.get(field) is not None:
            value = level(changes[field], field)
            if value != getattr(ticket, field):
                audit(field, getattr(ticket, field), value)
                setattr(ticket, field, value)
                reprioritise = True
    if "category" in changes:
        cat = await find_category(session, changes["category"]) if changes["category"] else None
        if cat is not ticket.category:
            audit("category", ticket.category_path, cat.path if cat else None)
            ticket.category = cat
            reprioritise = True
    if "group" in changes:
        group = await find_group(session, changes["group"]) if changes["group"] else None
        if group is not ticket.group:
            audit("group", ticket.group.name if ticket.group else None, group.name if group else None)
            ticket.group = group
            reprioritise = True
    target_status = changes.get("status")
    if "assignee" in changes:
        agent = await find_agent(session, changes["assignee"]) if changes["assignee"] else None
        if agent is not ticket.assignee:
            audit(
                "assignee", ticket.assignee.email if ticket.assignee else None, agent.email if agent else None
            )
            ticket.assignee = agent
            ticket.assigned_at = now if agent is not None else None
            if agent is not None and not (actor.kind == "agent" and actor.id == agent.id):
                await notify_agent(session, desk, agent, ticket, "assigned", by=actor.name or actor.kind)
            if agent is not None and ticket.status == "new" and target_status != "assigned":
                # Assigning a new ticket makes it assigned; a status given too follows from there.
                await _set_status(session, desk, actor, ticket, "assigned", now)
            elif target_status is None and agent is None and ticket.status in ("assigned", "in_progress"):
                target_status = "new"  # back in the queue: nobody works on it
    if reprioritise:
        priority = compute_priority(desk.settings.priority, ticket.impact, ticket.urgency)
        if priority != ticket.priority:
            audit("priority", ticket.priority, priority)
            ticket.priority = priority
        before = (ticket.response_due, ticket.resolution_due)
        apply_sla(desk, ticket)
        if (ticket.response_due, ticket.resolution_due) != before:
            audit("resolution_due", _iso(before[1]), _iso(ticket.resolution_due))
    if target_status is not None and target_status != ticket.status:
        await _set_status(session, desk, actor, ticket, str(target_status), now)
        changed.add("status")
    ticket.updated_at = now
    await session.flush()
    if changed:
        await _updated(session, desk, ticket, changed)
    return ticket


async def _updated(session: AsyncSession, desk: Desk, ticket: Ticket, changed: set[str]) -> None:
    """After any change: routing may have work to hand out or an agent freed; rules run."""
    session.info["wake_router"] = True
    await run_rules(session, desk, ticket, "updated", TICKET_OPS, changed)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


async def _set_status(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, status: str, now: datetime
) -> None:
    check_transition(ticket.ref, ticket.status, status)
    if status in ("assigned", "in_progress", "pending") and ticket.assignee is None:
        if status != "assigned" and actor.kind == "agent" and actor.id is not None:
            ticket.assignee = await find_agent(session, actor.id)
            ticket.assigned_at = now
            record_event(
                session, ticket, actor, "changed", now, field="assignee", after=ticket.assignee.email
            )
        else:
            raise InvalidTransition(f"{ticket.ref} needs an assignee to be {status}")
    before = ticket.status
    if before == "pending":
        resume_sla(desk, ticket, now)
    if status == "pending":
        pause_sla(desk, ticket, now)
    if before == "resolved" and status in OPEN_STATUSES:
        ticket.resolved_at = None
        ticket.reopen_count += 1
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
    elif status == "cancelled":
        ticket.cancelled_at = now
    ticket.status = status
    record_event(session, ticket, actor, "changed", now, field="status", before=before, after=status)
    schedule_escalations(desk, ticket)
    if status == "resolved":
        by = await find_agent(session, actor.id) if actor.kind == "agent" and actor.id is not None else None
        await end_handoffs(session, desk, ticket, by)


async def add_comment(
    session: AsyncSession,
    desk: Desk,
    actor: Actor,
    ticket: Ticket,
    body: str,
    *,
    public: bool = True,
    channel: str | None = None,
    external_id: str | None = None,
    notify: bool = True,
    said: Message | None = None,
    files: Sequence[Attachment] = (),
) -> Message:
    """A comment on a ticket. An agent's public comment reaches the requester on their channel
    and, the first time, is the ticket's first response (its delivered copy in the requester's
    conversation points back at it, and carries copies of its files); an internal note reaches
    nobody.

    ``said`` is the requester's own message (a chat line, a mail) that this comment is: it joins
    the ticket as it is, with its attachments, instead of being copied. ``files`` are uploads
    (:func:`desk.attachments.take_uploads`) that go on the comment.

    Raises:
        InvalidInput: for a comment with neither a body nor files.
    """
    body = (body or "").strip()
    if not body and not files:
        raise InvalidInput("a comment needs a body")
    now = desk.now()
    from_requester = actor.kind == "requester"
    if said is not None:
        said.ticket_id = ticket.id
        message = said
    else:
        message = Message(
            ticket_id=ticket.id,
            direction="in" if from_requester else ("out" if public else "internal"),
            author_kind=actor.kind,
            author_id=actor.id,
            author_name=actor.name,
            channel=channel or "api",
            external_id=external_id,
            text=body,
            public=public,
            created_at=now,
        )
        session.add(message)
    await session.flush()
    placed = await place_files(session, files, message) if files else []
    note = body[:500] or ", ".join(f.filename for f in placed)
    record_event(session, ticket, actor, "commented" if public else "noted", now, note=note)
    if from_requester and ticket.status == "pending":
        # The answer the ticket waited for: the clock runs again and the assignee hears of it.
        await _set_status(session, desk, actor, ticket, "in_progress" if ticket.assignee else "new", now)
        if ticket.assignee is not None:
            await notify_agent(session, desk, ticket.assignee, ticket, "replied", by=actor.name or "")
    elif from_requester and public and ticket.assignee is not None:
        # News from the requester on a ticket someone works on: they hear of it, as they would
        # of an answer ("still 50.4 after a power cycle" in chat, a reply by mail).
        await notify_agent(
            session,
            desk,
            ticket.assignee,
            ticket,
            "commented",
            by=actor.name or "",
            text=snippet(note, _NOTIFY_TEXT),
        )
    if actor.kind == "agent" and ticket.assignee_id == actor.id and ticket.status == "assigned":
        await _set_status(session, desk, actor, ticket, "in_progress", now)  # working on it acknowledges it
    elif public and actor.kind == "agent" and actor.id is not None and ticket.status == "new":
        # Whoever answers a ticket nobody has takes it, as Zendesk does and Freshdesk's "assign to
        # first responder": it stayed new and unassigned, in the queue for someone else to pick up
        # and answer again, and counted for nobody in the report.
        await _set_status(session, desk, actor, ticket, "in_progress", now)
    if public and actor.kind == "agent":
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if notify:
            hant = ticket.requester.reads
            text = t(ticket.language, "ticket.comment", hant, ref=ticket.ref, author=actor.name, body=body)
            await send_to_requester(
                session, desk, ticket, text, author=actor, with_cc=True, copy_of=message, files=placed
            )
    ticket.updated_at = now
    await _updated(session, desk, ticket, {"reply" if from_requester else "comment"})
    return message


async def resolve_ticket(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, solution: str, *, kb: bool = False
) -> Ticket:
    """Resolve with a solution and ask the requester to confirm (buttons ``/confirm`` and
    ``/reopen`` with the reference). With ``kb``, the solution becomes a draft KB article.

    A problem is raised by the desk, not by someone waiting for it: nobody is asked to confirm it.
    Its fix is what its open incidents were waiting for, so each of them is resolved with the same
    solution and its requester asked, as Zendesk does when a problem ticket is solved.

    Raises:
        InvalidInput: for an empty solution.
        InvalidTransition: if the ticket cannot be resolved from its status.
    """
    solution = (solution or "").strip()
    if not solution:
        raise InvalidInput("a resolution needs a solution")
    now = desk.now()
    unassigned = ticket.assignee_id is None and actor.kind == "agent" and actor.id is not None
    resolver = await session.get(Agent, actor.id) if unassigned else None
    if resolver is not None:
        # Whoever resolves an unassigned ticket is its assignee, as Zendesk does on solving: it
        # counted for no agent in the report, and its rating for nobody (2026-12-07).
        record_event(session, ticket, actor, "changed", now, field="assignee", after=resolver.email)
        ticket.assignee, ticket.assigned_at = resolver, now
    await _set_status(session, desk, actor, ticket, "resolved", now)
    ticket.solution = solution
    ticket.updated_at = now
    if ticket.first_response_at is None and actor.kind == "agent":
        ticket.first_response_at = now
    if kb:
        article = Article(
            title=ticket.subject,
            body=solution,
            tags=list(ticket.tags),
            language=ticket.language or desk.settings.desk.default_language,
            category_id=ticket.category_id,
            status="draft",
            source_ticket_id=ticket.id,
        )
        session.add(article)
        await session.flush()
        record_event(session, ticket, actor, "kb_drafted", now, note=f"KB article {article.id}")
    if ticket.type == "problem":
        for incident in await linked_incidents(session, ticket, OPEN_STATUSES):
            record_event(session, incident, actor, "fixed_by_problem", now, note=ticket.ref)
            await resolve_ticket(session, desk, actor, incident, solution)
        await session.flush()
        await _updated(session, desk, ticket, {"status"})
        return ticket
    lang, hant = ticket.language, ticket.requester.reads
    said, buttons = confirm_question(ticket, lang, hant)
    text = t(lang, said, hant, ref=ticket.ref, solution=solution)
    if await send_to_requester(session, desk, ticket, text, buttons=buttons, author=actor, with_cc=True):
        record_event(session, ticket, actor, "notified", now, note="asked the requester to confirm")
    await session.flush()
    await _updated(session, desk, ticket, {"status"})
    return ticket


def confirm_question(
    ticket: Ticket, lang: str | None, hant: Traditional = False
) -> tuple[str, tuple[Button, Button]]:
    """The template key of "is it fixed?" for a resolved ``ticket`` and its answers' buttons
    (``/confirm`` and ``/reopen`` with the reference). A request is fulfilled, not fixed: "is
    everything in place?" rather than "did this fix it?"."""
    said = "request.resolved" if ticket.type == "request" else "ticket.resolved"
    buttons = (
        Button(t(lang, f"{said}.yes", hant), f"/confirm {ticket.ref}"),
        Button(t(lang, f"{said}.no", hant), f"/reopen {ticket.ref}"),
    )
    return said, buttons


async def reopen_ticket(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, reason: str = ""
) -> Ticket:
    """Back to work: ``in_progress`` if someone is assigned, else ``new``.

    Raises:
        InvalidTransition: unless the ticket is resolved.
    """
    if ticket.status != "resolved":
        raise InvalidTransition(f"{ticket.ref} is {ticket.status}; only a resolved ticket can be reopened")
    now = desk.now()
    await _set_status(session, desk, actor, ticket, "in_progress" if ticket.assignee else "new", now)
    if reason:
        record_event(session, ticket, actor, "reopened", now, note=reason)
    ticket.updated_at = now
    await _updated(session, desk, ticket, {"status"})
    return ticket


async def close_ticket(session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket) -> Ticket:
    """Close a resolved ticket (confirmed, or silent long enough).

    Raises:
        InvalidTransition: unless the ticket is resolved.
    """
    now = desk.now()
    await _set_status(session, desk, actor, ticket, "closed", now)
    ticket.updated_at = now
    await _updated(session, desk, ticket, {"status"})
    return ticket


async def close_as_fixed(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, solution: str
) -> Ticket:
    """The requester says the problem of their open ticket is gone ("it works now after a
    reboot"): resolved with their words as the solution and closed at once, as ServiceNow's
    "resolved by caller" and Zendesk's "mark as solved" do. They are not asked to confirm what
    they just said, and the assignee hears of it. Cancelling it instead (what the bot did)
    dropped it from the resolution figures and lost how it was fixed.

    Raises:
        InvalidInput: for an empty solution.
        InvalidTransition: unless the ticket is open.
    """
    solution = (solution or "").strip()
    if not solution:
        raise InvalidInput("a resolution needs a solution")
    if ticket.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"{ticket.ref} is {ticket.status}; only an open ticket can be closed as fixed"
        )
    now = desk.now()
    await _set_status(session, desk, actor, ticket, "resolved", now)
    ticket.solution = solution
    record_event(session, ticket, actor, "fixed_by_requester", now, note=solution[:500])
    if ticket.assignee is not None:
        text = snippet(solution, _NOTIFY_TEXT)
        await notify_agent(session, desk, ticket.assignee, ticket, "fixed", by=actor.name or "", text=text)
    return await close_ticket(session, desk, actor, ticket)


async def link_to_problem(
    session: AsyncSession, desk: Desk, actor: Actor, problem: Ticket, incident: Ticket
) -> None:
    """Record that ``incident`` is caused by ``problem``.

    Raises:
        InvalidInput: unless the first is a problem and the second an incident.
    """
    if problem.type != "problem" or incident.type != "incident":
        raise InvalidInput("link an incident (INC-) to a problem (PRB-)")
    if problem.status == "cancelled":
        raise InvalidTransition(f"{problem.ref} is cancelled; link {incident.ref} to a live problem")
    if incident.problem_id == problem.id:
        return
    now = desk.now()
    before = await session.get(Ticket, incident.problem_id) if incident.problem_id else None
    incident.problem_id = problem.id
    incident.updated_at = problem.updated_at = now
    record_event(
        session, incident, actor, "changed", now, field="problem",
        before=before.ref if before else None, after=problem.ref,
    )  # fmt: skip
    record_event(session, problem, actor, "linked", now, note=incident.ref)
    if before is not None:
        record_event(session, before, actor, "unlinked", now, note=incident.ref)


async def unlink_from_problem(
    session: AsyncSession, desk: Desk, actor: Actor, problem: Ticket, incident: Ticket
) -> None:
    """Undo :func:`link_to_problem` (a wrong guess at the cause).

    Raises:
        NotFound: if ``incident`` is not linked to ``problem``.
    """
    if incident.problem_id != problem.id:
        raise NotFound(f"{incident.ref} is not linked to {problem.ref}")
    now = desk.now()
    incident.problem_id = None
    incident.updated_at = problem.updated_at = now
    record_event(session, incident, actor, "changed", now, field="problem", before=problem.ref)
    record_event(session, problem, actor, "unlinked", now, note=incident.ref)


async def open_known_issue(session: AsyncSession, ref: str) -> Ticket | None:
    """The problem ``ref`` if it is still open and marked as a known issue (a reporter's "yes,
    that's it" to one fixed or unmarked meanwhile finds none)."""
    problem = await session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()))
    if problem is None or not problem.known_issue or problem.status not in OPEN_STATUSES:
        return None
    return problem


async def open_known_issues(session: AsyncSession, limit: int | None = None) -> list[Ticket]:
    """The open problems marked as known issues, the most recently updated first."""
    query = (
        select(Ticket)
        .where(Ticket.type == "problem", Ticket.known_issue, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    return list(await session.scalars(query.limit(limit) if limit else query))


async def known_issue_for(session: AsyncSession, paths: Sequence[str | None]) -> Ticket | None:
    """The open problem marked as a known issue that a report of category ``paths`` may be: of
    the same category, or one inside the other (an ``email`` outage for an ``email/outlook``
    report, and the other way round); the most recently updated if several."""
    wanted = [p for p in paths if p]
    if not wanted:
        return None
    for problem in await open_known_issues(session):
        mine = problem.category_path
        if mine and any(nested(p, mine) for p in wanted):
            return problem
    return None


async def linked_incidents(
    session: AsyncSession, problem: Ticket, statuses: Sequence[str] | None = None
) -> list[Ticket]:
    """The incidents linked to ``problem`` (in ``statuses``, if given), oldest first."""
    query = select(Ticket).where(Ticket.problem_id == problem.id)
    if statuses is not None:
        query = query.where(Ticket.status.in_(statuses))
    return list(await session.scalars(query.order_by(Ticket.id)))


async def requester_ticket(session: AsyncSession, requester: Person, ref: str) -> Ticket | None:
    """The ticket ``ref`` if it is ``requester``'s own; ``None`` otherwise.

    A reference that exists but belongs to someone else gives the same answer as one that does
    not exist, so that nobody can learn about other people's tickets by guessing references.
    """
    ticket = await session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()))
    return ticket if ticket is not None and ticket.requester_id == requester.id else None


async def requester_tickets(
    session: AsyncSession, requester: Person, statuses: Sequence[str], *, limit: int = 5
) -> list[Ticket]:
    """The requester's tickets in ``statuses``, most recently updated first."""
    query = (
        select(Ticket)
        .where(Ticket.requester_id == requester.id, Ticket.status.in_(statuses))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))


TICKET_OPS = TicketOps(change=change_ticket, comment=add_comment)
