"""E-mail turns, as help-desk users expect from Zendesk or Zammad: a new mail opens a ticket at
once (a mail thread is no place for "which category?" buttons), and a reply in the thread of a
ticket is the requester's comment on it, never a second ticket.

The thread is found from In-Reply-To / References (a message we sent about the ticket, or the
requester's own earlier mail on it), else from a reference in the subject ("[INC-12]"). Either
way only the sender's own tickets count: someone else's reference is treated as no reference.
Ratings, "fixed" / "still broken" after a resolution, "it works now" on an open ticket and status
questions work as in chat, through the same services.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.followup import (
    answer_approval,
    ask_if_fixed,
    confirm,
    contradicts,
    rate_unprompted,
    rating_from,
    says_it_works_now,
    says_yes_it_works,
    show_status,
    survey_answer,
)
from bots.report import (
    FINISHED,
    asks_for_information,
    most_urgent,
    named_categories,
    offer_close,
    open_follow_up,
    open_ticket,
    raise_urgency,
    relevant_articles,
    request_kind_named,
)
from bots.turn import TEMPLATES, Turn, weight
from channels.base import Inbound
from desk.agents import find_agent
from desk.approvals import approvals_waiting_on, decision_in
from desk.context import Actor, Desk
from desk.conversations import replied_message, thread_ticket_id
from desk.errors import NotFound
from desk.lifecycle import OPEN_STATUSES
from desk.models import Attachment, OutboxItem, Ticket
from desk.notifications import notify_agent
from desk.textindex import snippet
from desk.tickets import (
    MAX_CC,
    add_comment,
    get_ticket,
    known_issue_for,
    link_to_problem,
    open_known_issue,
    requester_ticket,
)
from nlu import Parse

__all__ = ["answer_known_issue", "record_bounce", "replied_buttons", "respond_to_mail", "thread_ticket"]

_SUBJECT_REF = re.compile(r"\b(INC|REQ|PRB)-(\d+)\b", re.IGNORECASE)
# "#public" opening an agent's mail reply: it is meant for the requester.
_PUBLIC = re.compile(r"\s*#public\b[ \t]*:?[ \t]*\n?", re.IGNORECASE)
_SCORE = re.compile(r"^\s*([1-5]|[⭐★🌟]{1,5})\s*$")
_SHORT = 80  # weighted characters: a longer mail says more than "status?" or "5"
_DONE = {"affirm", "kb_helpful", "thanks"}
_EMPTY = {"en": "(an e-mail without subject or text)", "zh": "（无主题、无正文的邮件）"}
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)


def _thread_ids(inbound: Inbound | None) -> list[str]:
    """The Message-IDs a mail answers (In-Reply-To / References, or a bounced mail's own)."""
    return (inbound.extra.get("thread") or "").split() if inbound is not None else []


async def replied_buttons(turn: Turn) -> list[dict[str, str]] | None:
    """The options of the desk's mail this one replies to (a number picks one of them, not one
    of the last mail's: the user may answer an older mail); ``None`` when it replies to none of
    ours."""
    replied = await replied_message(turn.session, "email", _thread_ids(turn.inbound))
    return list(replied.buttons or []) if replied is not None else None


async def _threaded(session: AsyncSession, inbound: Inbound | None) -> Ticket | None:
    """The ticket of the mail this one answers, whoever's it is."""
    ticket_id = await thread_ticket_id(session, "email", _thread_ids(inbound))
    return await session.get(Ticket, ticket_id) if ticket_id is not None else None


async def _note_for_the_team(
    session: AsyncSession, desk: Desk, ticket: Ticket, note: str, kind: str, **values: object
) -> None:
    """What came by mail for the people working on ``ticket``, not for its requester: an
    internal note, and its assignee is told (``notify.<kind>``)."""
    await add_comment(session, desk, Actor.system("mail"), ticket, note, public=False, channel="email")
    if ticket.assignee is not None:
        await notify_agent(session, desk, ticket.assignee, ticket, kind, **values)


async def thread_ticket(turn: Turn) -> Ticket | None:
    """The requester's own ticket this mail answers, if any."""
    inbound = turn.inbound
    if inbound is None:
        return None
    ticket = await _threaded(turn.session, inbound)
    if ticket is not None and ticket.requester_id == turn.person.id:
        return ticket
    for match in _SUBJECT_REF.finditer(inbound.subject or ""):
        ticket = await requester_ticket(turn.session, turn.person, f"{match[1]}-{match[2]}")
        if ticket is not None:
            return ticket
    return None


async def record_bounce(session: AsyncSession, desk: Desk, inbound: Inbound) -> Ticket | None:
    """A report that a mail of ours could not be delivered (never answered: it is automatic):
    an internal note on the ticket that mail was about, and its assignee is told, so that nobody
    waits for an answer to a mail the requester never got. The ticket, or ``None`` when the
    report is about no mail of ours."""
    failure = inbound.extra.get("bounce") or ""
    ticket = await _threaded(session, inbound) if failure else None
    if ticket is None:
        return None
    note = TEMPLATES.t(desk.settings.desk.default_language, "mail.bounced", failure=failure)
    await _note_for_the_team(session, desk, ticket, note, "bounced", failure=failure)
    return ticket


async def respond_to_mail(turn: Turn, text: str) -> None:
    """One mail: a reply in a ticket's thread, or a new ticket (or a status question)."""
    turn.state.pop("ticket", None)  # each mail is about its own thread's ticket
    if await _agent_answer(turn, text) or await _approver_answer(turn, text):
        return
    ticket = await thread_ticket(turn)
    if ticket is not None:
        await _reply(turn, ticket, text)
        return
    copied = await _threaded(turn.session, turn.inbound)  # someone else's: the requester copied them in
    if copied is not None and copied.status not in FINISHED and text.strip():
        await _from_a_copied_person(turn, copied, text)
        return
    await _new_mail(turn, text)


async def _agent_answer(turn: Turn, text: str) -> bool:
    """An agent's reply to a notification the desk mailed them: an internal note by that agent
    on the ticket the notification named (its reference leads the subject), or with ``#public``
    first their public comment, which reaches the requester (Zendesk's mail commands, the other
    way round: a mail is internal unless the agent says otherwise), with the mail's files;
    never a ticket of their own.
    Whether the mail was one. An agent's new mail is not: agents have IT problems too."""
    inbound = turn.inbound
    ids = _thread_ids(inbound)
    sender = (turn.person.email or "").lower()
    if inbound is None or not ids or not sender:
        return False
    try:
        agent = await find_agent(turn.session, sender)
    except NotFound:
        return False
    if not agent.active:
        return False
    notified = await turn.session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.channel == "email",
            func.lower(OutboxItem.chat_id) == sender,
            OutboxItem.external_id.in_(ids),
            OutboxItem.message_id.is_(None),  # a notification, not a reply to a request of theirs
        )
    )
    if notified is None:
        return False
    match = _SUBJECT_REF.search(inbound.subject or "")
    ticket: Ticket | None = None
    if match and text.strip():
        with contextlib.suppress(NotFound):  # a ticket since deleted, or a reference they typed
            ticket = await get_ticket(turn.session, f"{match[1]}-{match[2]}")
    if ticket is not None:
        author = Actor("agent", agent.id, agent.name)
        public = _PUBLIC.match(text)
        body = text[public.end() :] if public else text
        files = list(
            await turn.session.scalars(select(Attachment).where(Attachment.message_id == turn.message.id))
        )
        if body.strip() or files:
            await add_comment(
                turn.session,
                turn.desk,
                author,
                ticket,
                body,
                public=bool(public),
                channel="email",
                files=files,
            )
    return True


async def _approver_answer(turn: Turn, text: str) -> bool:
    """An approver's reply to the desk's ask (its reference in the subject): "Approved" or
    "Reject - no budget this year" as its first words decides it, the rest is the reason the
    requester is told. A reply that says neither is asked again. Whether the mail was one."""
    subject = turn.inbound.subject if turn.inbound is not None else None
    refs = {f"{m[1]}-{m[2]}".upper() for m in _SUBJECT_REF.finditer(subject or "")}
    if not refs:
        return False
    waiting = await approvals_waiting_on(turn.session, turn.person)
    approval = next((a for a in reversed(waiting) if a.ticket.ref in refs), None)
    if approval is None:
        return False
    if (found := decision_in(text)) is None:
        turn.say(turn.t("approval.unclear", ref=approval.ticket.ref))
        return True
    decision, comment = found
    return await answer_approval(turn, approval.ticket.ref, decision, comment)


async def _from_a_copied_person(turn: Turn, ticket: Ticket, text: str) -> None:
    """A reply in a ticket's mail thread from someone other than its requester (copied in, or
    forwarded the thread): kept on that ticket as an internal note, and its assignee is told.
    Not a new ticket (a reply-all would otherwise open duplicates), and not a public comment:
    the agent decides what reaches the requester. The sender gets no answer: the ticket and its
    status are the requester's."""
    who = f"{turn.person.name} <{turn.person.email}>" if turn.person.name else (turn.person.email or "?")
    note = TEMPLATES.t(turn.desk.settings.desk.default_language, "mail.copied", who=who, text=text.strip())
    await _note_for_the_team(turn.session, turn.desk, ticket, note, "copied", by=who)


def _copy_in(turn: Turn, ticket: Ticket) -> None:
    """Add the people the requester copied on this mail to the ticket's ``cc`` (they will be
    copied on agents' public comments and the resolution)."""
    copied = (turn.inbound.extra.get("cc") or "").split() if turn.inbound is not None else []
    current = list(ticket.cc or ())
    merged = list(dict.fromkeys([*current, *copied]))[:MAX_CC]
    if merged != current:
        ticket.cc = merged


async def _reply(turn: Turn, ticket: Ticket, text: str) -> None:
    turn.state["ticket"] = ticket.ref
    _copy_in(turn, ticket)
    turn.conversation.ticket_id = ticket.id
    turn.message.ticket_id = ticket.id
    survey = (turn.state.get("flow"), turn.state.get("step"), turn.state.get("survey"))
    asked = survey == ("survey", "score", ticket.ref)  # "4, took a while" to the survey rates it
    score = rating_from(turn, text, asked=asked) if weight(text) < _SHORT else None
    if ticket.status == "resolved" and not _SCORE.match(text):
        score = None  # "great, thanks!" to a resolution confirms it (and then asks for the rating)
    if score is not None and ticket.status in ("resolved", "closed") and ticket.csat_score is None:
        turn.state.update(flow="survey", step="score", survey=ticket.ref)
        await survey_answer(turn, ticket.ref, score, text)
        return
    if survey == ("survey", "comment", ticket.ref):
        await survey_answer(turn, ticket.ref, None, text)  # the comment on the rating
        return
    if ticket.status in FINISHED:
        await _follow_up(turn, ticket, text)
        return
    intent = turn.parse.intent
    if ticket.status == "resolved":
        done, short = intent.name in _DONE or says_yes_it_works(text), weight(text) < _SHORT
        if short and contradicts(text, fixed=done):
            # "Thanks, I can log in to Outlook now!" read as a login problem (0.63) reopened the
            # ticket: a short answer whose words say the opposite of its reading is asked again.
            ask_if_fixed(turn, ticket)
        elif done and short:
            await confirm(turn, ticket.ref, fixed=True)
        else:  # "still broken": news for the team, and the ticket goes back to work
            await _comment(turn, ticket, text)
            await confirm(turn, ticket.ref, fixed=False)
        return
    await _comment(turn, ticket, text)  # a pending ticket resumes: its requester answered
    if weight(text) < _SHORT and says_it_works_now(turn, text):
        # "按文章里说的...现在可以打印了，谢谢！" after the articles in the desk's first answer: the
        # ticket waited, unanswered, for an agent to notice (2026-12-07). Asked, as in chat.
        offer_close(turn, ticket, text)
        return
    if intent.name == "check_status" and intent.confidence >= 0.6 and weight(text) < _SHORT:
        await show_status(turn, ticket.ref)
    # "the whole team is blocked now": the ticket is raised, and the mail back says to what.
    await raise_urgency(turn, ticket, most_urgent(turn.parse))
    # Otherwise no answer: a reply in a ticket's thread is on the ticket, as the requester meant,
    # and a mail back saying so on every reply is noise in their inbox (desks acknowledge the
    # first mail, not each reply).


async def _follow_up(turn: Turn, closed: Ticket, text: str) -> None:
    """A reply to a closed or cancelled ticket: a follow-up ticket with the thread's subject."""
    inbound = turn.inbound
    subject = " ".join((inbound.subject or "").split()) if inbound is not None else ""
    subject = _REPLY_PREFIX.sub("", subject.replace(f"[{closed.ref}]", "")).strip()
    await open_follow_up(turn, closed, text, subject=subject[:120] or None)


async def _comment(turn: Turn, ticket: Ticket, text: str) -> None:
    """The reply on the thread's ticket (not on a reference the text happens to mention)."""
    if text.strip():
        await add_comment(
            turn.session, turn.desk, turn.requester, ticket, text, channel="email", said=turn.message
        )


async def _new_mail(turn: Turn, text: str) -> None:
    intent = turn.parse.intent
    short = weight(text) < _SHORT
    if intent.name == "check_status" and intent.confidence >= 0.6 and short:
        await show_status(turn)
        return
    score = rating_from(turn, text) if short else None
    if score is not None and await rate_unprompted(turn, score, text):  # the answer to an auto-close prompt
        return
    await _open(turn, text)


def _in_own_words(parse: Parse, own: str | None) -> Parse:
    """``parse`` with only what the sender's ``own`` words above a forwarded mail say, when there
    are such words: "Is this real?" over a forwarded "Urgent: verify your mailbox now" is no
    urgent matter of theirs (it was filed at the phisher's urgency)."""
    at = parse.text.find(own) if own else -1
    if own is None or at < 0:
        return parse
    return replace(
        parse, entities=tuple(e for e in parse.entities if at <= e.start and e.end <= at + len(own))
    )


async def _open(turn: Turn, text: str) -> Ticket:
    inbound = turn.inbound
    subject = " ".join((inbound.subject or "").split()) if inbound is not None else ""
    # "How do I set up my mail on my iPhone?" is a request for information, as in chat.
    asks = turn.parse.intent.name == "request_service" or asks_for_information(subject, text)
    kind = "request" if asks else "incident"
    kinds = await named_categories(turn)
    category = next(iter(kinds), None)
    if kind == "request" and category is None:
        wanted = request_kind_named(turn.desk.settings.bot.requests, f"{subject} {text}")
        category = wanted.category if wanted is not None else None
    urgency = most_urgent(_in_own_words(turn.parse, inbound.extra.get("forwarder") if inbound else None))
    if not subject and not text.strip():
        subject = _EMPTY.get(turn.lang, _EMPTY["en"])  # a mail with nothing in it still reaches a person
    draft = {
        "text": text.strip() or subject,
        "category": category,
        "urgency": urgency,
        "since": turn.message.id,
    }
    ticket = await open_ticket(turn, draft, kind=kind, subject=subject[:120] or None)
    _copy_in(turn, ticket)
    problem = await known_issue_for(turn.session, [category, *kinds]) if kind == "incident" else None
    if problem is not None:  # during an outage: instead of articles, is it the known issue?
        buttons = [
            turn.button("known.yes", f"/known {problem.ref} {ticket.ref}"),
            turn.button("known.no", f"/not_known {ticket.ref}"),
        ]
        turn.say(turn.t("known.mail_offer", ref=problem.ref, subject=problem.subject), buttons)
        return ticket
    hits = await relevant_articles(turn, f"{subject}\n{text}", kinds or [category])
    if hits:
        lines = [turn.t("kb.intro")]
        for n, hit in enumerate(hits, 1):
            lines.append(turn.t("kb.item", n=n, title=hit.article.title, snippet=snippet(hit.article.body)))
        turn.say("\n".join(lines))
    return ticket


async def answer_known_issue(turn: Turn, arg: str, *, same: bool) -> bool:
    """The answer to "is it the known issue?" in a mail's acknowledgement (``/known PRB-3
    INC-9``, "1" or "yes"; ``/not_known INC-9``): yes files the mailed ticket under the problem,
    whose fix resolves it and tells them, and says so; no changes nothing and gets no mail. The
    answer is on the ticket either way. False for a ticket not theirs, or a yes to a problem no
    longer open and known (fixed meanwhile)."""
    refs = arg.split()
    ticket = await requester_ticket(turn.session, turn.person, refs[-1]) if refs else None
    if ticket is None:
        return False
    turn.state["ticket"] = ticket.ref
    turn.conversation.ticket_id = ticket.id
    turn.message.ticket_id = ticket.id
    if not same:
        return True
    problem = await open_known_issue(turn.session, refs[0])
    if problem is None or ticket.status not in OPEN_STATUSES:
        return False
    if ticket.problem_id != problem.id:
        await link_to_problem(turn.session, turn.desk, turn.requester, problem, ticket)
    turn.say(turn.t("known.linked", ticket=ticket.ref, ref=problem.ref))
    return True
