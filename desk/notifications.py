"""Telling agents what needs them: rows they see in the console, always naming the ticket."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, Outbound
from desk.context import Desk
from desk.errors import NotFound
from desk.i18n import t
from desk.models import Agent, Conversation, Group, Message, Notification, OutboxItem, Ticket
from desk.notify import mail_subject
from desk.outbox import enqueue

__all__ = [
    "first_recipients",
    "list_notifications",
    "mark_read",
    "notify_agent",
    "recipients",
    "tell_of_failed_delivery",
]


async def notify_agent(
    session: AsyncSession, desk: Desk, agent: Agent, ticket: Ticket | None, kind: str, **values: object
) -> Notification:
    """Queue a notification for ``agent`` from the template ``notify.<kind>`` in their language.

    The template gets the ticket's ``ref`` and ``subject`` and any ``values``. An agent who
    works from Slack (``slack_user_id``, recorded when they act in the agent channel) also gets
    it as a direct message from the app, and with outbound mail configured
    (``channels.email.relay_host``, ``notify_agents``) every agent gets it by mail; both go
    through the outbox.
    """
    fields: dict[str, object] = {"ref": ticket.ref, "subject": ticket.subject} if ticket is not None else {}
    note = Notification(
        agent_id=agent.id,
        ticket_id=ticket.id if ticket is not None else None,
        kind=kind,
        text=t(agent.language, f"notify.{kind}", **fields, **values),
        created_at=desk.now(),
    )
    session.add(note)
    await session.flush()
    if agent.slack_user_id and desk.settings.channels.slack.bot_token is not None:
        enqueue(session, desk, Address("slack", agent.slack_user_id), Outbound(note.text))
        session.info["wake_outbox"] = True
    mail = desk.settings.channels.email
    if mail.notify_agents and mail.relay_host and agent.email:
        # The reference leads the subject: an agent's reply to this mail is a note on the ticket
        # (or, starting with #public, their answer to the requester).
        subject = (
            mail_subject(ticket.subject, ticket.ref)
            if ticket is not None
            else t(agent.language, "notify.mail_subject")
        )
        body = note.text
        if ticket is not None:
            # The console opens at the ticket (its address names it): one click from the mail.
            link = desk.link(f"/console#{ticket.ref}")
            footer = t(agent.language, "notify.mail_footer", ref=ticket.ref)
            body = f"{body}\n\n{t(agent.language, 'notify.mail_link', url=link)}\n\n--\n{footer}"
        enqueue(session, desk, Address("email", agent.email), Outbound(body, subject=subject))
        session.info["wake_outbox"] = True
    return note


async def recipients(session: AsyncSession, ticket: Ticket, targets: Sequence[str]) -> list[Agent]:
    """The active agents ``targets`` name for ``ticket``: ``assignee``, ``group_manager``,
    ``group`` (every member of the ticket's group), ``supervisors`` (every supervisor and admin)
    or agents' e-mails; each agent once. Targets that name nobody (no assignee yet, an unknown
    e-mail) are skipped."""
    found: dict[int, Agent] = {}
    for target in targets:
        if target == "supervisors":
            everyone = await session.scalars(select(Agent).order_by(Agent.id))
            agents = [agent for agent in everyone if agent.has_role("supervisor")]
        elif target == "assignee":
            agents = [ticket.assignee] if ticket.assignee else []
        elif target == "group_manager":
            agents = [ticket.group.manager] if ticket.group and ticket.group.manager else []
        elif target == "group":
            agents = (
                list(
                    await session.scalars(
                        select(Agent).join(Group.members).where(Group.id == ticket.group.id)
                    )
                )
                if ticket.group
                else []
            )
        else:
            agents = list(await session.scalars(select(Agent).where(Agent.email == target.strip().lower())))
        for agent in agents:
            if agent.active:
                found.setdefault(agent.id, agent)
    return list(found.values())


async def first_recipients(session: AsyncSession, ticket: Ticket, targets: Sequence[str]) -> list[Agent]:
    """The agents the first of ``targets`` that names somebody names (:func:`recipients`): the
    assignee, else the group's manager, say, for news that is one person's to act on."""
    for target in targets:
        if agents := await recipients(session, ticket, [target]):
            return agents
    return []


async def list_notifications(
    session: AsyncSession, agent: Agent, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    """The agent's notifications, newest first."""
    query = select(Notification).where(Notification.agent_id == agent.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


async def mark_read(
    session: AsyncSession, desk: Desk, agent: Agent, notification_id: int | None = None
) -> int:
    """Mark one notification (or, without an id, all of them) read; returns how many changed.

    Raises:
        NotFound: for an id that is not one of this agent's notifications.
    """
    query = update(Notification).where(Notification.agent_id == agent.id, Notification.read_at.is_(None))
    if notification_id is not None:
        owned = await session.scalar(
            select(Notification.id).where(
                Notification.id == notification_id, Notification.agent_id == agent.id
            )
        )
        if owned is None:
            raise NotFound(f"no notification {notification_id}")
        query = query.where(Notification.id == notification_id)
    result = await session.execute(query.values(read_at=desk.now()))
    return int(getattr(result, "rowcount", 0) or 0)


async def tell_of_failed_delivery(session: AsyncSession, desk: Desk, item: OutboxItem) -> None:
    """A message to a requester that the platform refused for good (a blocked bot, a mailbox
    that does not exist): the assignee of its ticket is told (the group's manager while nobody
    is assigned), so nobody waits for an answer to a message that never arrived. A
    :data:`desk.context.FailureHook`."""
    message = await session.get(Message, item.message_id) if item.message_id is not None else None
    if message is None:
        return
    ticket_id = message.ticket_id
    if ticket_id is None and message.conversation_id is not None:
        conversation = await session.get(Conversation, message.conversation_id)
        ticket_id = conversation.ticket_id if conversation is not None else None
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        return
    told = await first_recipients(session, ticket, ["assignee", "group_manager"])
    error = (item.last_error or "?")[:300]
    for agent in told:
        await notify_agent(session, desk, agent, ticket, "undelivered", channel=item.channel, error=error)
