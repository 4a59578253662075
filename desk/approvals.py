"""Service requests that wait for someone's yes, as ServiceNow's approvals do.

A request type may name the question whose answer is its approver (``bot.requests[].approval``).
The request is filed at once, with its reference, and marked ``approval: requested``: it waits in
its group's list but is not handed out, and its SLA clocks do not run. The approver is sent the
request on their own chat, with buttons, when the desk knows them from one, else by e-mail; either
way with a link to a page where they approve or reject it (the link's token is the credential,
kept only as a SHA-256). An e-mail reply that says "approve" or "reject" does too, and an agent
can record a decision made on the phone. Approved, the request's SLA clocks start
(``sla_start``), it is routed, and the requester is told; rejected, it is cancelled with the
approver's reason, and the requester is told that too.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, Button, Outbound
from desk.agents import token_hash
from desk.audit import logged_since, record_event
from desk.context import Actor, Desk
from desk.errors import InvalidInput, InvalidTransition
from desk.i18n import normalise_language, t
from desk.lifecycle import OPEN_STATUSES
from desk.models import Agent, Approval, Person, Ticket
from desk.notifications import first_recipients, notify_agent
from desk.notify import requester_address, send_to_conversation, send_to_requester
from desk.outbox import enqueue
from desk.people import normalise_email
from desk.scheduler import automation_delay, each_due
from desk.sla import apply_sla
from desk.slots import ADDRESS, APPROVER_BY, APPROVER_BY_ZH, APPROVER_ROLE, APPROVER_ROLE_ZH
from desk.tickets import change_ticket, format_due

__all__ = [
    "APPROVAL_JOBS",
    "DECISIONS",
    "Approver",
    "approval_by_token",
    "approvals_waiting_on",
    "approver_named",
    "current_approval",
    "decide",
    "decision_in",
    "remind_approvers",
    "request_approval",
    "tell_of_silent_approvers",
]

DECISIONS = ("approved", "rejected")
_SYSTEM = Actor.system("approvals")
_ADDRESS = re.compile(ADDRESS)
# What introduces a name: "my manager is Sarah Chen", "approved by Tom Baker", "我的经理是李娜".
# Each lead names a role, so that one language's lead does not stand in for the other's as an
# empty match.
_LEAD = re.compile(
    rf"^\s*(?:(?:(?:it(?:'s| is)|that(?:'s| is))\s+)?(?:(?:my|our)\s+)?(?:{APPROVER_ROLE}|{APPROVER_BY})\b"
    rf"\s*(?:is\b|:)?|(?:我的|我们的?)?(?:{APPROVER_ROLE_ZH}|{APPROVER_BY_ZH})\s*(?:是|为|：|:)?)\s*",
    re.IGNORECASE,
)
# An approver's answer by mail or chat: its first words. A plain "ok" or "fine" is no decision
# ("OK, but let me check with finance first"); "no problem" is a yes, not a no.
_YES = re.compile(
    r"^\s*(?:approved?|yes|agreed?|accepted?|go\s+ahead|lgtm|no\s+(?:problem|objections?)"
    r"|同意|批准|通过|准了|没问题|没有问题)(?![a-z])",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(?:reject(?:ed)?|no(?:pe)?|declined?|denied|deny|not\s+approved|(?:i\s+)?(?:do\s+not|don'?t)\s+approve"
    r"|不同意|不批准?|拒绝|驳回|不行|不可以)(?![a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Approver:
    """Who approves: an e-mail address, with the name and person the desk knows by it."""

    email: str
    name: str | None = None
    person: Person | None = None


def _new_link(approval: Approval) -> str:
    """A new token for ``approval``'s link (the one before stops working); only its hash is kept."""
    token = secrets.token_urlsafe(24)
    approval.token_hash = token_hash(token)
    return token


async def approver_named(session: AsyncSession, said: str) -> Approver | None:
    """The approver an answer names: the e-mail address in it, else the one person (or agent)
    the desk knows by the name it gives ("my manager is Maria Garcia", "李伟"). ``None`` when it
    names none, or several people have that name."""
    if match := _ADDRESS.search(said):
        email = normalise_email(match[0]) or match[0].lower()
        person = await session.scalar(select(Person).where(Person.email == email))
        agent = await session.scalar(select(Agent).where(func.lower(Agent.email) == email))
        name = (
            person.name if person is not None and person.name else agent.name if agent is not None else None
        )
        return Approver(email, name, person)
    name = _LEAD.sub("", said, count=1).strip(" .,;!。，；！")
    if not name or len(name) > 80:
        return None
    people = list(
        await session.scalars(
            select(Person).where(func.lower(Person.name) == name.lower(), Person.email.is_not(None)).limit(2)
        )
    )
    agents = list(await session.scalars(select(Agent).where(func.lower(Agent.name) == name.lower()).limit(2)))
    emails = {p.email for p in people if p.email} | {a.email.lower() for a in agents}
    if len(emails) != 1:
        return None
    email = emails.pop()
    person = next((p for p in people if p.email == email), None)
    if person is None:
        person = await session.scalar(select(Person).where(Person.email == email))
    return Approver(email, person.name if person is not None and person.name else name, person)


async def current_approval(session: AsyncSession, ticket: Ticket) -> Approval | None:
    """The ticket's latest ask for approval, whatever became of it."""
    return await session.scalar(
        select(Approval).where(Approval.ticket_id == ticket.id).order_by(Approval.id.desc()).limit(1)
    )


async def approval_by_token(session: AsyncSession, token: str) -> Approval | None:
    """The ask a link's token is for, if any."""
    if not token or len(token) > 200:
        return None
    return await session.scalar(select(Approval).where(Approval.token_hash == token_hash(token)))


async def request_approval(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, approver: Approver
) -> Approval:
    """Ask ``approver`` to approve ``ticket`` (an open request): an earlier ask still waiting is
    withdrawn (the link it sent no longer works), the ticket waits (its SLA clocks stop until
    the approval) and the approver is sent it. The ask.

    Raises:
        InvalidInput: for a ticket that is not an open service request, or a bad address.
        InvalidTransition: for a request already approved or rejected (HTTP 409).
    """
    if ticket.type != "request" or ticket.status not in OPEN_STATUSES:
        raise InvalidInput(f"{ticket.ref} is not an open service request", code="not_a_request")
    if ticket.approval in DECISIONS:
        raise InvalidTransition(f"{ticket.ref} was already {ticket.approval}")
    email = normalise_email(approver.email)
    if not email or not _ADDRESS.fullmatch(email):
        raise InvalidInput(f"not an e-mail address: {approver.email!r}")
    if email == ticket.requester.email:
        raise InvalidInput(
            f"{email} asked for {ticket.ref}: a requester does not approve their own request",
            code="own_request",
        )
    now = desk.now()
    earlier = await current_approval(session, ticket)
    if earlier is not None and earlier.state == "requested":
        earlier.state, earlier.decided_at = "withdrawn", now
    person = approver.person
    if person is None:
        person = await session.scalar(select(Person).where(Person.email == email))
    approval = Approval(
        ticket_id=ticket.id,
        approver=email,
        approver_name=approver.name or (person.name if person is not None else None),
        person_id=person.id if person is not None else None,
        language=normalise_language(
            (person.language if person is not None else None) or ticket.language,
            desk.settings.desk.default_language,
        ),
        requested_at=now,
    )
    token = _new_link(approval)
    session.add(approval)
    approval.ticket = ticket
    ticket.approval = "requested"
    ticket.updated_at = now
    apply_sla(desk, ticket)  # no clocks while it waits
    record_event(session, ticket, actor, "approval_requested", now, field="approval", after=email)
    await session.flush()
    await _ask(session, desk, approval, token, person)
    return approval


async def _ask(
    session: AsyncSession,
    desk: Desk,
    approval: Approval,
    token: str,
    person: Person | None,
    *,
    reminder: bool = False,
) -> None:
    """Send the approver the request: on their latest chat with the desk, with buttons, if they
    have one; else by e-mail. The link works on either. A ``reminder`` says so first."""
    ticket = approval.ticket
    lang = approval.language
    values = {
        "requester": ticket.requester.label,
        "ref": ticket.ref,
        "subject": ticket.subject,
        "description": ticket.description.strip(),
        "url": desk.link(f"/approvals/{token}"),
    }
    found = await requester_address(session, person) if person is not None else None
    conversation = found[1] if found is not None else None
    if conversation is not None and conversation.channel != "email":
        buttons = (
            Button(t(lang, "approval.approve"), f"/approve {ticket.ref}"),
            Button(t(lang, "approval.reject"), f"/reject {ticket.ref}"),
        )
        await send_to_conversation(
            session,
            desk,
            conversation,
            _reminded(lang, t(lang, "approval.ask.chat", **values), reminder),
            buttons=buttons,
            author=_SYSTEM,
            ticket=ticket,  # on the request's transcript: the agents see that it was asked
        )
        return
    subject = t(lang, "approval.ask.subject", ref=ticket.ref, subject=ticket.subject)
    if reminder:
        subject = t(lang, "approval.reminder.subject", subject=subject)
    text = _reminded(lang, t(lang, "approval.ask.mail", **values), reminder)
    enqueue(session, desk, Address("email", approval.approver), Outbound(text, subject=subject))
    session.info["wake_outbox"] = True


def _reminded(lang: str, text: str, reminder: bool) -> str:
    return f"{t(lang, 'approval.reminder')}\n\n{text}" if reminder else text


def _waiting(*conditions: ColumnElement[bool]) -> Select[Approval]:
    """The asks still waiting for an answer, on requests still open, that meet ``conditions``."""
    still_open = select(Ticket.id).where(Ticket.id == Approval.ticket_id, Ticket.status.in_(OPEN_STATUSES))
    return (
        select(Approval)
        .where(Approval.state == "requested", still_open.exists(), *conditions)
        .order_by(Approval.id)
    )


async def remind_approvers(desk: Desk) -> int:
    """Ask once more, after ``automation.approval_remind_after``, an approver who has not
    answered: with a new link (the first one stops working), on their chat or by mail, and the
    ticket's audit log says so. A request nobody approved otherwise waited unseen."""
    cutoff = desk.now() - automation_delay(desk, "approval_remind_after")
    reminded = logged_since(Approval.ticket_id, "approval_reminded", Approval.requested_at)
    query = _waiting(Approval.requested_at <= cutoff, ~reminded)

    async def act(session: AsyncSession, approval: Approval) -> bool:
        token = _new_link(approval)
        person = await session.get(Person, approval.person_id) if approval.person_id else None
        await _ask(session, desk, approval, token, person, reminder=True)
        record_event(
            session, approval.ticket, _SYSTEM, "approval_reminded", desk.now(), note=approval.approver
        )
        return True

    return await each_due(desk, query, Approval, act)


async def tell_of_silent_approvers(desk: Desk) -> int:
    """Tell the team and the requester when an approver has not answered the reminder either,
    ``automation.approval_remind_after`` after it: the request sat badged in its group's list
    and nobody was told, while the team can ask someone else or record a yes given on the
    phone and the requester can chase their manager. Once per ask."""
    cutoff = desk.now() - automation_delay(desk, "approval_remind_after")
    reminded = logged_since(Approval.ticket_id, "approval_reminded", Approval.requested_at, until=cutoff)
    told = logged_since(Approval.ticket_id, "approval_overdue", Approval.requested_at)
    query = _waiting(reminded, ~told)

    async def act(session: AsyncSession, approval: Approval) -> bool:
        ticket = approval.ticket
        who = approval.who
        asked = format_due(desk, ticket, approval.requested_at)
        for agent in await first_recipients(
            session, ticket, ["assignee", "group_manager", "group", "supervisors"]
        ):
            await notify_agent(session, desk, agent, ticket, "approval_overdue", who=who, asked=asked)
        lang = ticket.language or desk.settings.desk.default_language
        text = t(lang, "approval.overdue", ref=ticket.ref, subject=ticket.subject, who=who, asked=asked)
        await send_to_requester(session, desk, ticket, text)
        record_event(session, ticket, _SYSTEM, "approval_overdue", desk.now(), note=approval.approver)
        return True

    return await each_due(desk, query, Approval, act)


APPROVAL_JOBS = (remind_approvers, tell_of_silent_approvers)


def decision_in(text: str) -> tuple[str, str] | None:
    """The decision an approver's words give ("Approved, thanks", "拒绝，预算不够") and the rest of
    what they say (their reason); ``None`` when they give none."""
    for decision, pattern in (("approved", _YES), ("rejected", _NO)):
        if match := pattern.match(text):
            return decision, text[match.end() :].strip(" \t\n.,;:!，。；：！-—")
    return None


async def decide(
    session: AsyncSession,
    desk: Desk,
    approval: Approval,
    decision: str,
    *,
    comment: str | None = None,
    by: str,
    actor: Actor,
) -> Ticket:
    """Record the approver's ``decision`` (``approved`` or ``rejected``), given by ``by`` (their
    address, or the agent's who records it for them), and tell the requester. Approved, the
    request's clocks start now and it is handed out; rejected, it is cancelled.

    Raises:
        InvalidInput: for another decision.
        InvalidTransition: when the ask was already answered or withdrawn (HTTP 409).
    """
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    ticket = approval.ticket
    if approval.state != "requested":
        raise InvalidTransition(f"the approval of {ticket.ref} was already {approval.state}")
    if ticket.status not in OPEN_STATUSES:
        raise InvalidTransition(f"{ticket.ref} is {ticket.status}; it no longer waits for approval")
    now = desk.now()
    approval.state, approval.decided_at, approval.decided_by = decision, now, by
    approval.comment = (comment or "").strip() or None
    ticket.approval = decision
    record_event(
        session,
        ticket,
        actor,
        decision,
        now,
        field="approval",
        before="requested",
        after=decision,
        note=approval.comment,
    )
    who = approval.who
    lang = ticket.language
    if decision == "approved":
        ticket.sla_start = now
        ticket.updated_at = now
        apply_sla(desk, ticket)
        session.info["wake_router"] = True
        key = "approval.approved" if ticket.response_due is not None else "approval.approved.nosla"
        due = format_due(desk, ticket, ticket.response_due) if ticket.response_due else ""
        text = t(lang, key, ref=ticket.ref, subject=ticket.subject, who=who, response_due=due)
    else:
        await change_ticket(session, desk, actor, ticket, {"status": "cancelled"})
        said = (approval.comment or "").rstrip(".。!！ ")
        reason = t(lang, "approval.reason", comment=said) if said else ""
        text = t(lang, "approval.rejected", ref=ticket.ref, subject=ticket.subject, who=who, reason=reason)
    await send_to_requester(session, desk, ticket, text, author=_SYSTEM)
    await session.flush()
    return ticket


async def approvals_waiting_on(session: AsyncSession, person: Person) -> list[Approval]:
    """The asks still waiting on ``person`` (by their e-mail), oldest first."""
    if not person.email:
        return []
    return list(
        await session.scalars(
            select(Approval)
            .where(Approval.approver == person.email, Approval.state == "requested")
            .order_by(Approval.id)
        )
    )
