"""The one inbound path for every channel: record, decide, reply through the outbox.

``handle(inbound)`` stores the message once (a platform retry records nothing and gets no
answer), keeps the bot silent while the conversation is queued or with an agent, and otherwise
runs one dialogue turn whose replies are transcript rows plus outbox rows in the same
transaction. Channels that answer inline (REST, the terminal) get the replies back instead of
an outbox row. Messages from one user are processed one at a time, in order.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import weakref
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.dialogue import respond
from bots.followup import reference_in
from bots.mail import record_bounce
from bots.turn import CJK, LATIN_WORD, TEMPLATES, Turn, as_sent
from bots.understanding import Understanding
from channels.base import Button, Inbound, Outbound
from desk.context import Actor, Desk
from desk.conversations import RefusedFile, record_inbound, return_to_bot
from desk.handoff import queue_slot
from desk.i18n import normalise_language
from desk.lifecycle import OPEN_STATUSES
from desk.models import Conversation, Message, Person, Ticket
from desk.notify import mail_subject, send_to_conversation
from desk.tickets import change_ticket, format_due, record_event
from nlu import Parse, detect_language

__all__ = ["BotRouter"]

log = logging.getLogger(__name__)
_KEY = re.compile(r"^[\w-]+$", re.ASCII)
_ADDRESSES = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+", re.IGNORECASE)  # e-mail addresses, links
_REMIND_AFTER = timedelta(minutes=10)  # a user waiting for a person hears where they stand this often
_NEUTRAL = re.compile(r"^[\s\d/⭐★☆🌟!?.,:;+-]*$|^/")  # digits, stars, payloads: no language of their own


class BotRouter:
    """Routes inbound messages to the dialogue. One instance per process."""

    def __init__(self, desk: Desk, understanding: Understanding) -> None:
        self.desk = desk
        self.understanding = understanding
        # A lock per chat, alive while someone holds or waits for it.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle(self, inbound: Inbound, *, inline: bool = False, strict: bool = False) -> list[Outbound]:
        """Process one message; returns the replies when ``inline``, else ``[]`` (outbox).

        ``strict`` lets errors propagate (after logging) instead of answering with an apology:
        for channels that can tell the sender to try again (SMTP's 451), so nothing is lost.
        """
        key = (inbound.address.channel, inbound.address.chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with lock:
                return await self._handle(inbound, inline)
        except Exception:
            log.exception("could not handle a %s message from %s", inbound.address.channel, inbound.user_id)
            if strict:
                raise
            return [Outbound(TEMPLATES.t(self._language(inbound.text, None), "error"))]

    async def handle_inline(self, inbound: Inbound) -> list[Outbound]:
        return await self.handle(inbound, inline=True)

    async def handle_strict(self, inbound: Inbound) -> list[Outbound]:
        return await self.handle(inbound, strict=True)

    def _language(self, text: str, known: str | None) -> str:
        """The language of this message; short or neutral text keeps the conversation's.

        Any Chinese character means Chinese. Latin text switches a Chinese conversation to
        English only when it says something (three words or more): "Visio 2021" in answer to a
        question asked in Chinese is still a Chinese conversation.
        """
        fallback = known or self.desk.settings.desk.default_language
        if text.startswith("/"):  # a payload: only what follows the command can carry language,
            text = text.partition(" ")[2]  # and a single key ("talk_to_human", "INC-2") carries none
            if _KEY.match(text):
                return fallback
        text = _ADDRESSES.sub(" ", text)  # "maria.garcia@example.com" is four words of no language
        if not text.strip() or _NEUTRAL.match(text):
            return fallback
        if CJK.search(text):
            return "zh"
        if known and len(LATIN_WORD.findall(text)) < 3:
            return known
        return detect_language(text)

    async def _handle(self, inbound: Inbound, inline: bool) -> list[Outbound]:
        # Understanding runs before the transaction: a Rasa round trip must not hold locks.
        chat = inbound.address.channel != "email"
        parse, asides = await self.understanding.read(_understood_text(inbound), by_clause=chat)
        problems: tuple[tuple[int, Parse], ...] = ()
        if chat and parse.intent.name == "report_problem":  # two problems told in one message?
            problems = await self.understanding.problems(inbound.text.strip())
        forced = inbound.extra.get("reply_language")  # `frontdesk chat --lang`
        async with self.desk.session() as session:
            recorded = await record_inbound(session, self.desk, inbound)
            if recorded.duplicate or recorded.message is None:
                return []
            if inbound.extra.get("auto"):
                # An out-of-office or a bounce: kept on the conversation, never answered (mail loops).
                log.info("%s from %s is automatic (%s): not answered", inbound.external_id,
                         inbound.user_id, inbound.extra["auto"])  # fmt: skip
                if inbound.extra.get("bounce"):
                    bounced = await record_bounce(session, self.desk, inbound)
                    log.warning("delivery failed (%s), on %s", inbound.extra["bounce"],
                                bounced.ref if bounced else "no ticket of ours")  # fmt: skip
                return []
            conversation = await session.scalar(
                select(Conversation)
                .where(Conversation.id == recorded.conversation.id)
                .with_for_update(of=Conversation)
            )
            assert conversation is not None
            if conversation.mode in ("queued", "agent"):  # a person answers; the console shows it
                answers = _refused(
                    recorded.refused, conversation.language or self._language(inbound.text, None)
                )
                if conversation.mode == "queued" and inbound.address.channel != "email":
                    answer = await _in_line(session, self.desk, conversation, inbound.text, parse)
                    if answer is None:
                        notice = await _still_waiting(session, self.desk, conversation)
                        answer = Outbound(notice) if notice is not None else None
                    answers += [answer] if answer is not None else []
                return await self._say(session, conversation, answers, inline)
            person = await session.get(Person, conversation.person_id)
            assert person is not None
            # The app's or browser's language (Telegram's, REST metadata, an upload's) stands in only
            # while the chat has none yet: the bot answers in the language of the message.
            hinted = normalise_language(inbound.extra.get("language"), "") or None
            known = conversation.language or person.language or hinted
            lang = normalise_language(forced) if forced else self._language(inbound.text, known)
            turn = Turn(
                session=session,
                desk=self.desk,
                conversation=conversation,
                person=person,
                message=recorded.message,
                text=inbound.text.strip(),
                parse=parse,
                asides=asides,
                problems=problems,
                lang=lang,
                # A deep copy: flows change nested dicts (a request's answers, a report's draft)
                # in place, and a shallow copy would share them with the loaded value, so the
                # JSON column would compare equal and the change would never be written.
                state=copy.deepcopy(conversation.state or {}),
                inbound=inbound,
            )
            await respond(turn)
            if conversation.mode != "closed":
                conversation.state = turn.state  # a new dict, so the JSON column is written
            conversation.language = lang
            person.language = person.language or lang
            ticket, subject = None, None
            replies = _refused(recorded.refused, lang) + list(turn.replies)
            if inbound.address.channel == "email" and replies:
                replies = [_one_mail(replies)]  # one mail answers one mail
                survey = turn.state.get("flow") == "survey"  # a rating is about the surveyed ticket
                ref = turn.state.get("survey") if survey else turn.state.get("ticket")
                ticket = await session.scalar(select(Ticket).where(Ticket.ref == ref)) if ref else None
                subject = _mail_subject(inbound.subject, ticket.ref if ticket is not None else None)
            return await self._say(session, conversation, replies, inline, ticket=ticket, subject=subject)

    async def _say(
        self,
        session: AsyncSession,
        conversation: Conversation,
        replies: list[Outbound],
        inline: bool,
        *,
        ticket: Ticket | None = None,
        subject: str | None = None,
    ) -> list[Outbound]:
        """The bot's replies into the transcript: returned as sent when ``inline``, else queued in
        the outbox (and ``[]`` returned)."""
        sent = [
            await send_to_conversation(
                session,
                self.desk,
                conversation,
                reply.text,
                buttons=reply.buttons,
                author=Actor.bot(),
                ticket=ticket,
                subject=subject,
                deliver=not inline,
            )
            for reply in replies
        ]
        return [as_sent(message) for message in sent] if inline else []


def _size(count: int) -> str:
    """``25 MB``, ``500 KB``: a size limit as people say it."""
    mb = count / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{max(1, round(count / 1024))} KB"


def _refused(files: tuple[RefusedFile, ...], lang: str) -> list[Outbound]:
    """What the sender is told of files that came with their message and were not kept."""
    return [
        Outbound(TEMPLATES.t(lang, f"file.{f.code}", name=f.filename, size=_size(f.limit_bytes)))
        for f in files
    ]


async def _in_line(
    session: AsyncSession, desk: Desk, conversation: Conversation, text: str, parse: Parse
) -> Outbound | None:
    """A user waiting for a person who no longer needs one ("never mind, it works now", "算了")
    is asked whether to leave the line; leaving it gives the chat back to the bot and cancels
    the ticket the handoff opened if nobody has taken it up yet. Otherwise an agent picked up a
    solved problem, or, out of hours, the user waited in line all weekend for nothing. ``None``
    for anything else (the words wait for the agent)."""
    lang = conversation.language or desk.settings.desk.default_language
    said = text.strip().lower()
    if said == "/stay":
        return Outbound(TEMPLATES.t(lang, "handoff.staying"))
    if said == "/leave_queue":
        ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
        await return_to_bot(session, desk, conversation, None)
        if ticket is not None and ticket.status == "new" and ticket.assignee_id is None:
            who = Actor.requester(conversation.person)
            record_event(session, ticket, who, "left_queue", desk.now(), note="no longer needed")
            await change_ticket(session, desk, who, ticket, {"status": "cancelled"})
            return Outbound(TEMPLATES.t(lang, "handoff.left_cancelled", ref=ticket.ref))
        key = "handoff.left_open" if ticket is not None and ticket.status in OPEN_STATUSES else "handoff.left"
        return Outbound(TEMPLATES.t(lang, key, ref=ticket.ref if ticket else ""))
    intent = parse.intent
    if (
        intent.name in ("cancel_ticket", "kb_helpful")
        and intent.confidence >= 0.8
        and not reference_in(text, parse)
    ):
        buttons = (
            Button(TEMPLATES.t(lang, "handoff.leave.no"), "/stay"),
            Button(TEMPLATES.t(lang, "handoff.leave.yes"), "/leave_queue"),
        )
        return Outbound(TEMPLATES.t(lang, "handoff.leave"), buttons)
    return None


async def _still_waiting(session: AsyncSession, desk: Desk, conversation: Conversation) -> str | None:
    """What a user who writes while waiting for a person is told, at most every
    ``_REMIND_AFTER``: their words are passed on, and where they stand (their place in line, or
    when the desk opens). Without it, a user handed off on Friday night wrote into silence
    until Monday."""
    last = await session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, Message.author_kind == "bot")
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last is not None and last > desk.now() - _REMIND_AFTER:
        return None  # just told (the handoff itself, or a reminder): stay quiet
    ticket = await session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    slot = await queue_slot(session, desk, conversation)
    lang = conversation.language or desk.settings.desk.default_language
    if slot.opens_at is not None and ticket is not None:
        return TEMPLATES.t(lang, "handoff.still_closed", opens_at=format_due(desk, ticket, slot.opens_at))
    return TEMPLATES.t(lang, "handoff.still_queued", position=slot.position)


def _understood_text(inbound: Inbound) -> str:
    """What the NLU reads: a new mail's subject says as much as its body."""
    subject = (inbound.subject or "").strip()
    if inbound.address.channel == "email" and not inbound.extra.get("thread") and subject not in inbound.text:
        return f"{subject}\n{inbound.text}"
    return inbound.text


def _one_mail(replies: list[Outbound]) -> Outbound:
    buttons = tuple(b for reply in replies for b in reply.buttons)
    return Outbound("\n\n".join(r.text for r in replies), buttons)


def _mail_subject(subject: str | None, ref: str | None) -> str | None:
    """The user's subject with the ticket's reference, so that replies thread back by it."""
    if ref is None:
        return " ".join((subject or "").split()) or None
    return mail_subject(subject, ref)
