"""The agent room: a chat channel (Slack's ``channels.slack.agent_channel``) where agents see
conversations handed to humans, take them over, answer and hand them back, without the console.

:meth:`AgentRoom.sync`, run every second by ``serve``, posts each newly queued conversation to
the room (who, on which channel, the ticket, the last messages, a "Take over" button); the
post's id, once the outbox has delivered it, is the conversation's thread. The user's later
messages are copied into that thread. Everything the room gets goes through the outbox, so a
platform outage delays it and loses nothing. The mapping lives in the conversation's ``state``
(``agent_room``: room, post, thread, last copied message id); a release, wherever an agent makes
it, is said in the thread (:meth:`AgentRoom.on_release`) and clears it.

:meth:`AgentRoom.handle` takes what agents do in the room as :class:`~channels.base.Inbound`
messages: ``takeover <id>`` (the button) or ``takeover`` in a thread, ``release``,
``resolve: <solution>`` (the ticket is resolved, and the chat goes back to the bot, which asks
the user to confirm and rate), and any other text in a taken thread, which goes to the user on
their own channel, with the files the agent put in it (the user's files come into the thread the
same way). ``!shortcut`` in such a text is a saved reply (:mod:`desk.replies`), in the
conversation's language and filled in; what the user got is then copied into the thread. ``!``
alone lists them; an unknown one sends nothing. (``!``, as Slack's client takes a message
starting with ``/`` for a slash command.) The person is the Frontdesk agent with the e-mail the
platform gives for them. It uses the same services as the agent API (:mod:`desk.handoff`); its
answers are for the acting agent only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, Button, Inbound, Outbound
from desk.agents import actor_of, find_agent
from desk.attachments import store_attachment
from desk.context import Desk
from desk.errors import DeskError, NotFound
from desk.handoff import agent_reply, get_conversation, release_conversation, take_over
from desk.models import Agent, Conversation, Group, Message, OutboxItem, Ticket
from desk.outbox import enqueue
from desk.replies import fill, find_reply, for_conversation, list_replies, unfilled
from desk.textindex import snippet
from desk.tickets import resolve_ticket

__all__ = ["AgentRoom", "run_agent_room"]

log = logging.getLogger(__name__)

KEY = "agent_room"
_ACTIVE = ("queued", "agent")
_COMMAND = re.compile(r"^(take\s*over|release)(?:\s+(\d+))?$", re.IGNORECASE)
# "resolve: what fixed it" (the colon keeps "resolve the DNS by ..." a message to the user)
_RESOLVE = re.compile(r"^(?:resolve|解决)\s*[:：]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_HISTORY = 5
_FROM_ROOM = "agent-room:"  # external_id prefix of agents' messages written in the room itself
# ... and of those with a saved reply filled in, which the thread is shown (it saw only "!vpn")
_SAVED_FROM_ROOM = "agent-room-saved:"
_SAVED = re.compile(r"(?<!\S)!([a-z0-9][a-z0-9_-]{0,39})(?!\S)", re.IGNORECASE)

TEXT = {
    "en": {
        "waiting": "{person} ({channel}) is waiting for a person{group}{ticket}.",
        "group": " in {group}",
        "last": "Last messages:",
        "take": "Take over",
        "release": "Release",
        "taken": "{agent} took this conversation over. Write in this thread to answer {person} on "
        "{channel} (`!` lists the saved replies); type `resolve: what fixed it` to resolve the ticket, "
        "or press Release or type `release` to hand it back to the bot.",
        "taken_elsewhere": "{agent} took this conversation over in the console.",
        "released": "{agent} handed this conversation back to the bot.",
        "finished": "{ref} was resolved{by}; the conversation went back to the bot, which asks for "
        "confirmation and a rating.",
        "by": " by {agent}",
        "left": "{person} no longer needs a person and left the line; the conversation went back to the bot.",
        "no_ticket": "This conversation has no ticket to resolve.",
        "no_solution": "Write what fixed it after the colon, e.g. `resolve: reset the password`; {ref} "
        "was not resolved.",
        "not_agent": "You are not a Frontdesk agent (no active agent has the e-mail {email}).",
        "gone": "This conversation is no longer waiting for a person or with one.",
        "take_first": "Take the conversation over before writing in its thread.",
        "not_taken": "Nobody has taken this conversation over.",
        "saved": "Saved replies; write one in this thread (`!{example}`) to send it to {person}, filled "
        "in:\n{listing}",
        "saved_unknown": "There is no saved reply `!{shortcut}`, so nothing was sent. Saved replies: "
        "{shortcuts}.",
        "saved_none": "There are no saved replies yet.",
        "saved_unfilled": "`!{shortcut}` needs {fields}, which this conversation does not have, so nothing "
        "was sent; write the message yourself.",
    },
    "zh": {
        "waiting": "{person}（{channel}）在等待{group}人工服务{ticket}。",
        "group": "{group}的",
        "last": "最近的消息：",
        "take": "接手",
        "release": "交还",
        "taken": "{agent} 接手了这个会话。在此线程中回复即可通过 {channel} 回答 {person}（输入 `!` 查看快捷回复）；"
        "输入 `解决：解决办法` 解决工单，或点击“交还”、输入 `release` 交还给机器人。",
        "taken_elsewhere": "{agent} 在控制台接手了这个会话。",
        "released": "{agent} 把这个会话交还给了机器人。",
        "finished": "{ref} 已{by}解决；会话已交还给机器人，由它请用户确认并评分。",
        "by": "由 {agent} ",
        "left": "{person} 不再需要人工，已退出排队；会话已交还给机器人。",
        "no_ticket": "这个会话没有可解决的工单。",
        "no_solution": "请在冒号后写明解决办法，例如 `解决：已重置密码`；{ref} 尚未解决。",
        "not_agent": "您不是 Frontdesk 坐席（没有邮箱为 {email} 的在职坐席）。",
        "gone": "这个会话已不在等待人工或人工服务中。",
        "take_first": "请先接手这个会话，再在线程中回复。",
        "not_taken": "还没有人接手这个会话。",
        "saved": "快捷回复；在此线程中输入（如 `!{example}`）即可发给 {person}，占位内容会自动填好：\n{listing}",
        "saved_unknown": "没有快捷回复 `!{shortcut}`，消息未发送。快捷回复：{shortcuts}。",
        "saved_none": "还没有快捷回复。",
        "saved_unfilled": "`!{shortcut}` 需要 {fields}，但这个会话没有，消息未发送；请自己写这条回复。",
    },
}


class AgentRoom:
    """Agents' side of handoffs in one chat room, at ``address`` (a channel, no thread)."""

    def __init__(self, desk: Desk, address: Address) -> None:
        self.desk = desk
        self.address = address
        self.lang = "zh" if desk.settings.desk.default_language == "zh" else "en"

    def _t(self, key: str, lang: str | None = None, **values: object) -> str:
        return TEXT["zh" if lang == "zh" else ("en" if lang else self.lang)][key].format(**values)

    # -- the room's side: announcements and copies ----------------------------------------------

    async def sync(self) -> int:
        """One pass: announce queued conversations, learn their threads, copy users' new
        messages into the threads. Returns how many things it posted or learned."""
        async with self.desk.session() as session:
            # Per active conversation, through the (conversation_id, id) index: never a scan of
            # every message, as this runs every second.
            last_in = (
                select(func.max(Message.id))
                .where(Message.conversation_id == Conversation.id, _mirrored())
                .correlate(Conversation)
                .scalar_subquery()
            )
            rows = (
                await session.execute(
                    select(
                        Conversation.id, Conversation.mode, Conversation.agent_id, Conversation.state, last_in
                    ).where(Conversation.mode.in_(_ACTIVE))
                )
            ).all()
        done = 0
        for conversation_id, mode, agent_id, state, last in rows:
            room = (state or {}).get(KEY)
            due = (
                (not room and mode == "queued")
                or (room and not room.get("thread"))
                or (room and room.get("thread") and (last or 0) > room.get("seen", 0))
                or (room and room.get("thread") and mode == "agent" and room.get("agent") != agent_id)
            )
            if not due:
                continue
            async with self.desk.session() as session:
                conversation = await session.scalar(
                    select(Conversation)
                    .where(Conversation.id == conversation_id, Conversation.mode.in_(_ACTIVE))
                    .with_for_update(of=Conversation, skip_locked=True)
                )
                if conversation is not None:
                    done += await self._sync_one(session, conversation)
        return done

    async def _sync_one(self, session: AsyncSession, conversation: Conversation) -> int:
        room: dict[str, Any] = dict((conversation.state or {}).get(KEY) or {})
        if room and room.get("chat") != self.address.chat_id:
            room = {}  # the room moved: announce again in the new one
        acted = 0
        if not room:
            if conversation.mode != "queued":
                return 0  # taken over in the console before anyone announced it
            text, seen = await self._announcement(session, conversation)
            button = Button(self._t("take"), f"takeover {conversation.id}")
            item = enqueue(session, self.desk, self.address, Outbound(text, (button,)))
            await session.flush()
            room, acted = {"chat": self.address.chat_id, "post": item.id, "seen": seen}, 1
        elif not room.get("thread"):
            post = await session.get(OutboxItem, room.get("post")) if room.get("post") else None
            if post is not None and post.status == "sent" and post.external_id:
                room["thread"], acted = post.external_id, 1
        if room.get("thread"):
            thread = Address(self.address.channel, self.address.chat_id, room["thread"])
            if conversation.mode == "agent" and conversation.agent_id != room.get("agent"):
                # Taken over outside the room (the console, the API): say so before their words.
                agent = await session.get(Agent, conversation.agent_id) if conversation.agent_id else None
                note = self._t("taken_elsewhere", agent=agent.name if agent else "?")
                enqueue(session, self.desk, thread, Outbound(note))
                room["agent"], acted = conversation.agent_id, acted + 1
            new = await session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation.id, _mirrored(), Message.id > room.get("seen", 0)
                )
                .order_by(Message.id)
            )
            for message in new:
                said = Outbound(f"{message.author_name or '?'}: {message.text}")
                enqueue(session, self.desk, thread, said, files=message.attachments)
                room["seen"], acted = message.id, acted + 1
        conversation.state = {**(conversation.state or {}), KEY: room}
        if acted:
            session.info["wake_outbox"] = True
        return acted

    async def _announcement(self, session: AsyncSession, conversation: Conversation) -> tuple[str, int]:
        ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
        person = conversation.person
        who = person.label
        about = f" — {ticket.ref}: {ticket.subject}" if ticket is not None else ""
        recent = list(
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id.desc())
                .limit(_HISTORY)
            )
        )[::-1]
        group = await session.get(Group, conversation.group_id) if conversation.group_id else None
        line = self._t("group", group=group.name) if group is not None else ""
        lines = [self._t("waiting", person=who, channel=conversation.channel, group=line, ticket=about)]
        if recent:
            lines.append(self._t("last"))
            lines += [f"> {m.author_name or m.author_kind}: {m.text}" for m in recent]
        return "\n".join(lines), await self._last_in(session, conversation)

    # -- the agents' side ----------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Act on an agent's click or message in the room; the replies are for them alone."""
        try:
            async with self.desk.session() as session:
                return await self._act(session, inbound)
        except DeskError as exc:
            return [Outbound(exc.message)]

    async def _act(self, session: AsyncSession, inbound: Inbound) -> list[Outbound]:
        command = _COMMAND.match(inbound.text.strip())
        verb = command.group(1).lower().replace(" ", "") if command else None
        if command and command.group(2):
            conversation: Conversation | None = await get_conversation(
                session, int(command.group(2)), lock=True
            )
        else:
            conversation = await self._by_thread(session, inbound.address.thread_id)
        if conversation is None:
            return [Outbound(self._t("gone"))] if verb else []  # agents talking among themselves
        email = (inbound.email or "").lower()
        agent = None
        if email:
            with contextlib.suppress(NotFound):
                agent = await find_agent(session, email)
        if agent is None or not agent.active:
            return [Outbound(self._t("not_agent", email=email or "?"))]
        if self.address.channel == "slack" and agent.slack_user_id != inbound.user_id:
            await self._remember_slack_user(session, agent, inbound.user_id)
        lang = agent.language
        if verb == "takeover":
            if conversation.mode == "agent" and conversation.agent_id == agent.id:
                return []  # a repeated click
            await take_over(session, self.desk, conversation, agent)
            room = dict((conversation.state or {}).get(KEY) or {})
            room["chat"] = self.address.chat_id
            room["thread"] = room.get("thread") or inbound.address.thread_id
            room.setdefault("seen", await self._last_in(session, conversation))
            room["agent"] = agent.id
            conversation.state = {**(conversation.state or {}), KEY: room}
            if room["thread"]:
                note = self._t("taken", lang, agent=agent.name, person=conversation.person.name or "?",
                               channel=conversation.channel)  # fmt: skip
                release = Button(self._t("release", lang), f"release {conversation.id}")
                self._post(session, room["thread"], Outbound(note, (release,)))
            return []
        if conversation.mode != "agent":
            return [Outbound(self._t("not_taken" if verb == "release" else "take_first", lang))]
        thread = ((conversation.state or {}).get(KEY) or {}).get("thread") or inbound.address.thread_id
        if verb == "release":
            if not ((conversation.state or {}).get(KEY) or {}).get("thread") and thread:
                # Released from a thread the room never learnt (its post is still in the outbox).
                self._post(session, thread, Outbound(self._t("released", lang, agent=agent.name)))
            await release_conversation(session, self.desk, conversation, agent)  # on_release says it
            return []
        if conversation.agent_id != agent.id:
            return [Outbound(self._t("take_first", lang))]
        if resolving := _RESOLVE.match(inbound.text.strip()):
            ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
            if ticket is None:
                return [Outbound(self._t("no_ticket", lang))]
            solution = resolving.group(1).strip()
            if not solution:
                return [Outbound(self._t("no_solution", lang, ref=ticket.ref))]
            # The user is asked to confirm and rate; the chat goes back to the bot (on_release says so).
            await resolve_ticket(session, self.desk, actor_of(agent), ticket, solution)
            return []
        said = inbound.text
        if said.strip() == "!" or _SAVED.search(said):
            filled = await self._saved(session, conversation, agent, said)
            if isinstance(filled, Outbound):
                return [filled]
            said, prefix = filled, _SAVED_FROM_ROOM
        else:
            prefix = _FROM_ROOM
        idents = [f"{p}{inbound.external_id}" for p in (_FROM_ROOM, _SAVED_FROM_ROOM)]
        if await session.scalar(select(Message.id).where(Message.external_id.in_(idents))) is not None:
            return []  # the platform retried the agent's message
        files = [
            await store_attachment(session, self.desk, f.data, f.filename, f.content_type)
            for f in inbound.attachments
        ]
        message = await agent_reply(session, self.desk, conversation, agent, said, files=files)
        message.external_id = f"{prefix}{inbound.external_id}"
        await session.flush()
        return []

    async def _saved(
        self, session: AsyncSession, conversation: Conversation, agent: Agent, said: str
    ) -> str | Outbound:
        """``said`` with each ``!shortcut`` replaced by its saved reply, filled in for this
        conversation; or, for ``!`` alone or a shortcut with no reply, what to tell the agent."""
        filling = await for_conversation(session, conversation, agent)
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(m.group(1).lower() for m in _SAVED.finditer(said)))  # none for "!"
        for shortcut in wanted:
            reply = await find_reply(session, shortcut, filling.language)
            if reply is None:
                break
            found[shortcut] = fill(reply.text, filling)
            if missing := unfilled(found[shortcut]):
                # Sent as is, the user would read "{ref}": the agent writes it out instead.
                return Outbound(
                    self._t("saved_unfilled", agent.language, shortcut=shortcut, fields=", ".join(missing))
                )
        if wanted and len(found) == len(wanted):
            return _SAVED.sub(lambda m: found[m.group(1).lower()], said)
        # "!" alone, or a shortcut with no reply: what there is, read only now.
        every = await list_replies(session, language=filling.language)  # the user's language first
        known = sorted({r.shortcut for r in every})
        if not known:
            return Outbound(self._t("saved_none", agent.language))
        if wanted:
            unknown = wanted[len(found)]
            shortcuts = ", ".join(f"`!{k}`" for k in known)
            return Outbound(self._t("saved_unknown", agent.language, shortcut=unknown, shortcuts=shortcuts))
        person = conversation.person.name or conversation.person.email or "?"
        first = {r.shortcut: r for r in reversed(every)}  # each shortcut in the language it is sent in
        listing = "\n".join(f"`!{k}` {snippet(fill(first[k].text, filling), 60)}" for k in known)
        return Outbound(self._t("saved", agent.language, example=known[0], person=person, listing=listing))

    async def on_release(
        self, session: AsyncSession, conversation: Conversation, agent: Agent | None, ticket: Ticket | None
    ) -> None:
        """Say in the conversation's thread that it went back to the bot, wherever the agent
        released it (the room, the console, the API), because its ticket was resolved, or
        because the user left the line (no agent, no ticket); registered in ``Desk.release_hooks``."""
        room = (conversation.state or {}).get(KEY) or {}
        if not (room.get("thread") and room.get("chat") == self.address.chat_id):
            return
        lang = agent.language if agent is not None else None
        if ticket is not None:
            by = self._t("by", lang, agent=agent.name) if agent is not None else ""
            text = self._t("finished", lang, ref=ticket.ref, by=by)
        elif agent is not None:
            text = self._t("released", lang, agent=agent.name)
        else:
            text = self._t("left", lang, person=conversation.person.name or "?")
        self._post(session, room["thread"], Outbound(text))

    async def _remember_slack_user(self, session: AsyncSession, agent: Agent, user_id: str) -> None:
        """Record who the agent is on Slack, so that their notifications reach them there too
        (a Slack account moves to the agent whose e-mail it now carries)."""
        await session.execute(
            update(Agent)
            .where(Agent.slack_user_id == user_id, Agent.id != agent.id)
            .values(slack_user_id=None)
        )
        agent.slack_user_id = user_id

    def _post(self, session: AsyncSession, thread: str, message: Outbound) -> None:
        enqueue(session, self.desk, Address(self.address.channel, self.address.chat_id, thread), message)
        session.info["wake_outbox"] = True

    async def _by_thread(self, session: AsyncSession, thread: str | None) -> Conversation | None:
        if not thread:
            return None
        candidates = await session.scalars(select(Conversation).where(Conversation.mode.in_(_ACTIVE)))
        for conversation in candidates:
            room = (conversation.state or {}).get(KEY) or {}
            if room.get("thread") == thread and room.get("chat") == self.address.chat_id:
                return await get_conversation(session, conversation.id, lock=True)
        return None

    async def _last_in(self, session: AsyncSession, conversation: Conversation) -> int:
        last = await session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation.id, _mirrored())
        )
        return int(last or 0)


def _mirrored() -> ColumnElement[bool]:
    """The messages the room copies into a thread: the user's, and agents' written elsewhere."""
    elsewhere = or_(Message.external_id.is_(None), ~Message.external_id.startswith(_FROM_ROOM))
    return or_(Message.direction == "in", and_(Message.author_kind == "agent", elsewhere))


async def run_agent_room(room: AgentRoom, stop: asyncio.Event) -> None:
    """Run :meth:`AgentRoom.sync` every outbox poll interval until ``stop`` is set."""
    poll = room.desk.settings.outbox.poll_seconds
    while not stop.is_set():
        try:
            await room.sync()
        except Exception:
            log.exception("agent room pass failed; retrying in %ss", poll)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)
