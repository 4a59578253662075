"""Routing: putting every waiting ticket and conversation in front of the right agent.

A ticket goes to a group (its category's, else the desk's default; see :mod:`desk.catalog`).
Within the group, the group's strategy picks among members who are *available*: active,
online, on shift (their own calendar, else the group's, else the desk's) and under their
capacity (open assigned tickets plus live and offered conversations):

- ``round_robin``: each in turn, in a fixed order, after the one who got the last item;
- ``least_loaded``: the lowest load for their capacity, then in turn;
- ``skills``: those with most of the skills the ticket's category needs, then least loaded;
- ``manual``: nobody; agents pick work from the queue.

When nobody is available the work waits, highest priority first and then oldest, and is
handed out as soon as someone is (after every change that frees an agent, the scheduler is
woken; it also looks on every tick, for shifts that start). A ticket assignment that is not
acknowledged (moved to ``in_progress``) within ``routing.acknowledge_within`` goes back to
the queue, and so does a conversation offered to an agent who does not take it within
``routing.conversation_acknowledge_within``; routing then tries other agents first.
Several ``serve`` processes on one PostgreSQL route each group under an advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import actor_of, find_agent, find_group
from desk.calendar import parse_duration
from desk.catalog import is_default_group
from desk.context import Actor, Desk
from desk.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from desk.models import Agent, Category, Conversation, Group, Ticket
from desk.notifications import notify_agent
from desk.priority import compute_priority
from desk.scheduler import each_due
from desk.tickets import change_ticket, record_event

__all__ = [
    "ROUTING_JOBS",
    "Available",
    "acknowledge_ticket",
    "assign_ticket",
    "available_agents",
    "expire_presence",
    "expire_unacknowledged",
    "forward_ticket",
    "required_skills",
    "return_ticket",
    "route_waiting",
    "set_presence",
    "waiting_queue",
    "withdraw_offer",
]

ROUTER = Actor.system("routing")
LOADED_STATUSES = ("assigned", "in_progress")
_ADVISORY_NAMESPACE = 7_001  # pg_try_advisory_xact_lock(namespace, group id)
_BATCH = 200


@dataclass(slots=True)
class Available:
    """An agent who may take work now, and how much they already have."""

    agent: Agent
    load: int

    @property
    def free(self) -> bool:
        return self.load < self.agent.capacity


def _seconds(value: str) -> float:
    return parse_duration(value).seconds


def required_skills(category: Category | None) -> set[str]:
    """The skills a ticket of ``category`` needs: the nearest category up the tree that names some."""
    node = category
    while node is not None:
        if node.skills:
            return {str(s).casefold() for s in node.skills}
        node = node.parent
    return set()


def on_shift(desk: Desk, agent: Agent, group: Group | None, now: datetime) -> bool:
    """Whether ``agent`` works at ``now``: their calendar, else the group's, else the desk's."""
    calendar = desk.calendar(agent.calendar or (group.calendar if group else None))
    return calendar is None or calendar.is_open(now)


async def loads(session: AsyncSession, agent_ids: Iterable[int]) -> dict[int, int]:
    """Open assigned tickets plus live and offered conversations, per agent."""
    ids = list(agent_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    tickets = await session.execute(
        select(Ticket.assignee_id, func.count(Ticket.id))
        .where(Ticket.assignee_id.in_(ids), Ticket.status.in_(LOADED_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    chats = await session.execute(
        select(Conversation.agent_id, func.count(Conversation.id))
        .where(Conversation.agent_id.in_(ids), Conversation.mode.in_(("agent", "queued")))
        .group_by(Conversation.agent_id)
    )
    for agent_id, n in [*tickets.all(), *chats.all()]:
        if agent_id is not None:
            counts[agent_id] += n
    return counts


async def available_agents(session: AsyncSession, desk: Desk, group: Group) -> list[Available]:
    """The group's members who are active, online and on shift, with their current load."""
    now = desk.now()
    members = await session.scalars(
        select(Agent)
        .join(Group.members)
        .where(Group.id == group.id, Agent.active, Agent.online)
        .order_by(Agent.id)
    )
    present = [a for a in members if on_shift(desk, a, group, now)]
    counted = await loads(session, (a.id for a in present))
    return [Available(a, counted[a.id]) for a in present]


def choose(
    group: Group, pool: Sequence[Available], skills: set[str], passed_over: Iterable[int] = ()
) -> Available | None:
    """The agent ``group``'s strategy picks among those of ``pool`` with free capacity.

    Turns go round the members in order, after the one the group routed to last; agents in
    ``passed_over`` (who let this item lapse or gave it back) come last. With ``skills`` an
    agent missing a skill is still chosen when nobody has them all, so that work never
    starves; more matching skills win.
    """
    skipped = set(passed_over)
    free = [a for a in pool if a.free]
    if not free or group.routing == "manual":
        return None
    last = group.last_routed_agent_id or 0

    def key(a: Available) -> tuple[float, ...]:
        lapsed = float(a.agent.id in skipped)
        turn = (0 if a.agent.id > last else 1, a.agent.id)
        ratio = a.load / a.agent.capacity if a.agent.capacity else 1.0
        if group.routing == "least_loaded":
            return (lapsed, ratio, *turn)
        if group.routing == "skills":
            have = {str(s).casefold() for s in a.agent.skills or ()}
            return (lapsed, -len(skills & have), ratio, *turn)
        return (lapsed, *turn)

    return min(free, key=key)


async def _lock_group(session: AsyncSession, group: Group) -> bool:
    """Only one process routes a group at a time (PostgreSQL); SQLite has one writer anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    got = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:ns, :id)"), {"ns": _ADVISORY_NAMESPACE, "id": group.id}
    )
    return bool(got)


@dataclass(slots=True)
class _Waiting:
    priority: str
    since: datetime
    ticket: Ticket | None = None
    conversation: Conversation | None = None
    about: str | None = None  # a waiting chat's ticket reference


def chat_priority(desk: Desk) -> str:
    """The priority of a conversation waiting without a ticket: the default impact and urgency's."""
    prio = desk.settings.priority
    return compute_priority(prio, prio.default_impact, prio.default_urgency)


async def waiting_queue(
    session: AsyncSession, desk: Desk, group: Group, *, lock: bool = False
) -> list[_Waiting]:
    """The group's unassigned work, highest priority first, then oldest: new tickets nobody
    has, and queued conversations not offered to anyone (a conversation's priority is its
    ticket's; one without a ticket counts as the default priority)."""
    tickets_query = (
        select(Ticket)
        .where(
            Ticket.group_id == group.id,
            Ticket.status == "new",
            Ticket.assignee_id.is_(None),
            # A request waiting for its approver's yes is not work yet (desk.approvals).
            or_(Ticket.approval.is_(None), Ticket.approval != "requested"),
            # A ticket whose conversation waits for a person goes with the conversation.
            ~select(Conversation.id)
            .where(Conversation.ticket_id == Ticket.id, Conversation.mode == "queued")
            .exists(),
        )
        .order_by(Ticket.priority, Ticket.created_at, Ticket.id)
        .limit(_BATCH)
    )
    in_group = Conversation.group_id == group.id
    if is_default_group(desk, group):
        in_group = in_group | Conversation.group_id.is_(None)
    chats_query = (
        select(Conversation)
        .where(Conversation.mode == "queued", Conversation.agent_id.is_(None), in_group)
        .order_by(Conversation.queued_at, Conversation.id)
        .limit(_BATCH)
    )
    if lock:
        tickets_query = tickets_query.with_for_update(of=Ticket, skip_locked=True)
        chats_query = chats_query.with_for_update(of=Conversation, skip_locked=True)
    items = [_Waiting(t.priority, t.created_at, ticket=t) for t in await session.scalars(tickets_query)]
    chats = list(await session.scalars(chats_query))
    linked = {c.ticket_id for c in chats if c.ticket_id}
    linked_tickets: dict[int, tuple[str, str]] = {}
    if linked:
        rows = await session.execute(
            select(Ticket.id, Ticket.priority, Ticket.ref).where(Ticket.id.in_(linked))
        )
        linked_tickets = {row.id: (row.priority, row.ref) for row in rows}
    default = (chat_priority(desk), None)
    for chat in chats:
        priority, about = linked_tickets.get(chat.ticket_id, default) if chat.ticket_id else default
        items.append(_Waiting(priority, chat.queued_at or chat.created_at, conversation=chat, about=about))
    items.sort(key=lambda w: (w.priority, w.since))
    return items


async def route_waiting(desk: Desk) -> int:
    """Hand out waiting work in every automatically routed group that has someone online, in
    one transaction; returns how many items were handed out."""
    if not desk.settings.routing.auto_assign:
        return 0
    handed = 0
    async with desk.session() as session:
        staffed = Group.members.any(and_(Agent.online, Agent.active))
        groups = list(
            await session.scalars(select(Group).where(Group.routing != "manual", staffed).order_by(Group.id))
        )
        for group in groups:
            if await _lock_group(session, group):
                handed += await _route_group(session, desk, group)
        # Routing's own assignments free nobody: no need to wake the router for them.
        session.info.pop("wake_router", None)
    return handed


async def _route_group(session: AsyncSession, desk: Desk, group: Group) -> int:
    pool = await available_agents(session, desk, group)
    if not any(a.free for a in pool):
        return 0
    handed = 0
    for item in await waiting_queue(session, desk, group, lock=True):
        if item.ticket is not None:
            picked = choose(group, pool, required_skills(item.ticket.category), item.ticket.passed_over)
            if picked is not None:
                await _assign_routed(session, desk, group, item.ticket, picked)
        else:
            assert item.conversation is not None
            chat = item.conversation
            ticket = await session.get(Ticket, chat.ticket_id) if chat.ticket_id else None
            picked = choose(
                group, pool, required_skills(ticket.category) if ticket else set(), chat.passed_over
            )
            if picked is not None:
                await _offer(session, desk, chat, ticket, picked)
        if picked is not None:
            picked.load += 1
            picked.agent.last_assigned_at = desk.now()
            group.last_routed_agent_id = picked.agent.id
            handed += 1
        if not any(a.free for a in pool):
            break
    return handed


async def _assign_routed(
    session: AsyncSession, desk: Desk, group: Group, ticket: Ticket, picked: Available
) -> None:
    await change_ticket(session, desk, ROUTER, ticket, {"assignee": picked.agent.id})
    note = (
        f"{group.routing} in {group.name}: {picked.agent.email} (load {picked.load}/{picked.agent.capacity})"
    )
    record_event(session, ticket, ROUTER, "routed", desk.now(), note=note)


async def _offer(
    session: AsyncSession, desk: Desk, conversation: Conversation, ticket: Ticket | None, picked: Available
) -> None:
    conversation.agent_id = picked.agent.id
    conversation.offered_at = desk.now()
    who = conversation.person.name or conversation.chat_id
    kind = "offered_ticket" if ticket is not None else "offered"
    await notify_agent(session, desk, picked.agent, ticket, kind, person=who, conversation=conversation.id)
    if ticket is not None:
        record_event(
            session,
            ticket,
            ROUTER,
            "offered",
            desk.now(),
            note=f"conversation {conversation.id} to {picked.agent.email}",
        )


async def expire_unacknowledged(desk: Desk) -> int:
    """Put assignments nobody acknowledged in time back in the queue; returns how many."""
    settings = desk.settings.routing
    handled = 0
    window = _seconds(settings.acknowledge_within)
    if window > 0:
        cutoff = desk.now() - timedelta(seconds=window)
        query = (
            select(Ticket)
            .where(Ticket.status == "assigned", Ticket.assigned_at <= cutoff)
            .order_by(Ticket.id)
        )

        async def bounce(session: AsyncSession, ticket: Ticket) -> bool:
            agent = ticket.assignee
            if agent is None:
                return False
            ticket.passed_over = sorted({*ticket.passed_over, agent.id})
            await change_ticket(session, desk, ROUTER, ticket, {"assignee": None})
            note = f"{agent.email} did not acknowledge it within {settings.acknowledge_within}"
            record_event(session, ticket, ROUTER, "unacknowledged", desk.now(), note=note)
            await notify_agent(
                session, desk, agent, ticket, "unacknowledged", within=settings.acknowledge_within
            )
            return True

        handled += await each_due(desk, query, Ticket, bounce)
    window = _seconds(settings.conversation_acknowledge_within)
    if window > 0:
        cutoff = desk.now() - timedelta(seconds=window)
        chats = (
            select(Conversation)
            .where(
                Conversation.mode == "queued",
                Conversation.agent_id.is_not(None),
                Conversation.offered_at <= cutoff,
            )
            .order_by(Conversation.id)
        )

        async def withdraw(session: AsyncSession, conversation: Conversation) -> bool:
            withdraw_offer(session, conversation)
            return True

        handled += await each_due(desk, chats, Conversation, withdraw)
    return handled


def withdraw_offer(session: AsyncSession, conversation: Conversation) -> None:
    """The chat offered to (or held by) its agent is theirs no more: routing offers it to
    someone else next, never to them again."""
    assert conversation.agent_id is not None
    conversation.passed_over = sorted({*conversation.passed_over, conversation.agent_id})
    conversation.agent_id = None
    conversation.offered_at = None
    session.info["wake_router"] = True


async def expire_presence(desk: Desk) -> int:
    """Mark agents offline whom nobody has seen for ``routing.presence_timeout``."""
    cutoff = desk.now() - timedelta(seconds=_seconds(desk.settings.routing.presence_timeout))
    query = select(Agent).where(Agent.online, (Agent.last_seen_at < cutoff) | Agent.last_seen_at.is_(None))

    async def offline(session: AsyncSession, agent: Agent) -> bool:
        agent.online = False
        return True

    return await each_due(desk, query.order_by(Agent.id), Agent, offline)


async def set_presence(session: AsyncSession, desk: Desk, agent: Agent, online: bool) -> Agent:
    """An agent becomes available (routing may hand them work at once) or unavailable."""
    agent.online = online
    agent.last_seen_at = desk.now()
    if online:
        session.info["wake_router"] = True
    return agent


def _reason(reason: str | None) -> str:
    text_ = " ".join((reason or "").split())
    if not text_:
        raise InvalidInput("give a reason; it goes into the ticket's history", code="reason_required")
    return text_[:500]


async def assign_ticket(
    session: AsyncSession,
    desk: Desk,
    actor: Actor,
    ticket: Ticket,
    agent_key: str | int,
    reason: str | None = None,
) -> Ticket:
    """Assign or reassign ``ticket`` by hand. The agent must be in the ticket's group (forward
    it first otherwise); the agent is told unless they assigned it to themselves.

    Raises:
        NotFound: for an unknown agent. InvalidInput: for an agent outside the group.
        InvalidTransition: for a closed ticket.
    """
    agent = await find_agent(session, agent_key)
    if not agent.active:
        raise InvalidInput(f"{agent.email} is deactivated")
    if ticket.group is not None:
        member = await session.scalar(
            select(Group.id).join(Group.members).where(Group.id == ticket.group.id, Agent.id == agent.id)
        )
        if member is None:
            raise InvalidInput(
                f"{agent.email} is not in {ticket.group.name}; forward the ticket to their group first",
                code="not_in_group",
            )
    before = ticket.assignee.email if ticket.assignee else None
    if before == agent.email:
        return ticket
    await change_ticket(session, desk, actor, ticket, {"assignee": agent.id})
    note = " ".join((reason or "").split()) or None
    record_event(session, ticket, actor, "reassigned" if before else "assigned", desk.now(), note=note)
    return ticket


async def forward_ticket(
    session: AsyncSession, desk: Desk, actor: Actor, ticket: Ticket, group_key: str | int, reason: str | None
) -> Ticket:
    """Send ``ticket`` to another group's queue, unassigned, with a reason.

    Raises:
        InvalidInput: without a reason, or to the group it is in. NotFound: for an unknown group.
    """
    why = _reason(reason)
    group = await find_group(session, group_key)
    if ticket.group is not None and ticket.group.id == group.id:
        raise InvalidInput(f"{ticket.ref} is already with {group.name}")
    changes: dict[str, object] = {"group": group.id, "assignee": None}
    if ticket.status in ("in_progress", "pending", "assigned"):
        changes["status"] = "new"
    await change_ticket(session, desk, actor, ticket, changes)
    ticket.passed_over = []
    record_event(session, ticket, actor, "forwarded", desk.now(), after=group.name, note=why)
    return ticket


async def return_ticket(
    session: AsyncSession, desk: Desk, agent: Agent, ticket: Ticket, reason: str | None
) -> Ticket:
    """The assignee (or a supervisor) gives ``ticket`` back to its group's queue, with a reason.

    Raises:
        InvalidInput: without a reason. Forbidden: for someone else's ticket (unless supervisor).
        InvalidTransition: for a ticket nobody has.
    """
    why = _reason(reason)
    if ticket.assignee is None:
        raise InvalidTransition(f"{ticket.ref} is not assigned to anyone")
    if ticket.assignee.id != agent.id and not agent.has_role("supervisor"):
        raise Forbidden(f"{ticket.ref} is {ticket.assignee.name}'s; only they or a supervisor can return it")
    previous = ticket.assignee
    ticket.passed_over = sorted({*ticket.passed_over, previous.id})
    status = {"status": "new"} if ticket.status in ("in_progress", "pending", "assigned") else {}
    await change_ticket(session, desk, actor_of(agent), ticket, {"assignee": None, **status})
    record_event(session, ticket, actor_of(agent), "returned", desk.now(), before=previous.email, note=why)
    return ticket


async def acknowledge_ticket(session: AsyncSession, desk: Desk, agent: Agent, ticket: Ticket) -> Ticket:
    """The assignee accepts the assignment: the ticket is ``in_progress`` and stays theirs.

    Raises:
        Conflict: for a ticket assigned to someone else. InvalidTransition: unless it is assigned.
    """
    if ticket.assignee is None or ticket.assignee.id != agent.id:
        raise Conflict(f"{ticket.ref} is not assigned to you")
    if ticket.status == "in_progress":
        return ticket
    if ticket.status != "assigned":
        raise InvalidTransition(f"{ticket.ref} is {ticket.status}; only an assigned ticket is acknowledged")
    await change_ticket(session, desk, actor_of(agent), ticket, {"status": "in_progress"})
    return ticket


# route_waiting runs in its own loop (desk.scheduler.run_router), woken by commits.
ROUTING_JOBS = (expire_presence, expire_unacknowledged)
