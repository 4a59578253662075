"""After the ticket: status, more information, cancel, reopen, confirmation, survey, handoff.

A user only ever sees their own tickets: a reference that is someone else's gets the same answer
as one that does not exist.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from bots.report import (
    FINISHED,
    WORDY,
    another_kind,
    comment_on,
    draft_category,
    file_held,
    most_urgent,
    named_category,
    offer_close,
    open_follow_up,
    open_for_handoff,
    raise_urgency,
    start_report,
)
from bots.turn import Turn, says_nothing, simple, weight, without_clauses
from channels.base import Button
from desk.approvals import approvals_waiting_on, decide
from desk.chinese import to_simplified
from desk.context import Actor
from desk.handoff import queue_conversation
from desk.i18n import t as desk_t
from desk.lifecycle import OPEN_STATUSES
from desk.models import Approval, Message, Ticket
from desk.surveys import LOW_SCORE, comment_on_rating, rate_ticket
from desk.textindex import mentions, snippet
from desk.tickets import (
    change_ticket,
    close_as_fixed,
    close_ticket,
    confirm_question,
    format_due,
    reopen_ticket,
    requester_ticket,
    requester_tickets,
)
from nlu import Parse

__all__ = [
    "add_info",
    "ask_cancel",
    "ask_if_fixed",
    "ask_rating",
    "awaited_reply",
    "cancel",
    "close_fixed",
    "confirm",
    "contradicts",
    "handoff",
    "has_open_tickets",
    "latest_unrated",
    "linked_ticket",
    "offer_cancel",
    "offer_close",
    "rate_unprompted",
    "rating_from",
    "reopen",
    "resolved_here",
    "says_it_works_now",
    "show_status",
    "survey_answer",
]

_AWAITED = timedelta(days=1)  # how long an agent's question on a ticket waits for the answer in chat
_REF = re.compile(r"\b(INC|REQ|PRB)-?(\d+)\b", re.IGNORECASE)
_STARS = re.compile(r"^[\s⭐★☆🌟]+$")
# A score opening an answer to "how satisfied are you?": "4, took a while", "3/5 ok", "5 - great", "4分".
_LEADING_SCORE = re.compile(
    r"^([1-5])(?:\s*/\s*5|\s*(?:分|星|stars?\b))?(?=$|[\s,，。!！:：;；)）~～-]|\.(?!\d))", re.IGNORECASE
)
# Words that say something still fails, or that it works, in an answer to "did this fix it?" (see
# :func:`contradicts`); idioms with a "no" in them that say all is well do not count.
_FAILS = re.compile(
    r"\b(?:not|no|nope|never|nothing|cannot|cant|unable|still|anymore|longer|fails?|failed|failing|"
    r"errors?|broken|crash\w*|down|offline|stuck|freezes?|frozen|same)\b|n't\b|n’t\b|"
    r"[不没未别]|无法|还是|仍|依然|依旧|又|错误|失败|坏|断|掉线|闪退|蓝屏|死机|卡住|报错|异常|故障",
    re.IGNORECASE,
)
_ALL_WELL = re.compile(
    r"no (?:problems?|issues?|worries)|not a problem|nothing wrong|没问题|没事|没毛病|不错|不客气|没关系",
    re.IGNORECASE,
)
_WORKS = re.compile(
    r"\b(?:works?|working|worked|fine|ok|okay|back|able|can|could|connects?|connected|opens?|"
    r"fixed|solved|sorted|resolved)\b|能|可以|好了|正常|恢复|成功|连上|通了|解决",
    re.IGNORECASE,
)
# A "never mind" (read as a cancellation), and words that ask to cancel outright.
_GIVING_UP = re.compile(
    r"never ?mind|no need(?: any ?more)?|not needed|forget it|算了|不用了|不需要了", re.IGNORECASE
)
_CANCELS = re.compile(r"cancel|withdraw|取消|撤销|撤回", re.IGNORECASE)


def ref_in(turn: Turn) -> str | None:
    """A ticket reference the user wrote (entity, else a pattern), normalised to ``INC-12``."""
    return reference_in(turn.text, turn.parse)


def reference_in(text: str, parse: Parse) -> str | None:
    """:func:`ref_in` of a message read outside a turn."""
    value = parse.entity("ticket_ref")
    match = _REF.search(value or text)
    return f"{match.group(1).upper()}-{match.group(2)}" if match else None


async def _ticket_here(turn: Turn, statuses: tuple[str, ...]) -> Ticket | None:
    """The ticket this conversation is about (the last one it opened or named), in ``statuses``."""
    ref = turn.state.get("ticket")
    ticket = await requester_ticket(turn.session, turn.person, ref) if ref else None
    return ticket if ticket is not None and ticket.status in statuses else None


async def linked_ticket(turn: Turn) -> Ticket | None:
    """The open ticket this conversation is about, if any."""
    return await _ticket_here(turn, OPEN_STATUSES)


async def resolved_here(turn: Turn) -> Ticket | None:
    """The resolved ticket this conversation is about, waiting for "is it fixed?" (until the
    desk closes it for silence)."""
    return await _ticket_here(turn, ("resolved",))


async def awaited_reply(turn: Turn) -> Ticket | None:
    """The open ticket of the user's that an agent last wrote to this conversation about, within
    ``_AWAITED``: what the user says next is most likely the answer ("that worked, outlook
    opens now" after "please try outlook.exe /resetnavpane")."""
    update = await turn.latest(Message.author_kind == "agent", Message.copy_of_id.is_not(None))
    if update is None or update.ticket_id is None or update.created_at < turn.desk.now() - _AWAITED:
        return None
    ticket = await turn.session.get(Ticket, update.ticket_id)
    if ticket is None or ticket.requester_id != turn.person.id or ticket.status not in OPEN_STATUSES:
        return None
    return ticket


async def _named_or_linked(turn: Turn) -> tuple[str | None, Ticket | None]:
    """The ticket the user wrote a reference for, else the conversation's open one."""
    ref = ref_in(turn)
    ticket = await requester_ticket(turn.session, turn.person, ref) if ref else await linked_ticket(turn)
    return ref, ticket


async def _named_or_last_resolved(turn: Turn, ref: str | None) -> Ticket | None:
    """The ticket ``ref`` names, else the requester's most recently resolved one."""
    if ref is not None:
        return await requester_ticket(turn.session, turn.person, ref)
    resolved = await requester_tickets(turn.session, turn.person, ("resolved",), limit=1)
    return resolved[0] if resolved else None


def _when(turn: Turn, ticket: Ticket, value: object) -> str:
    return format_due(turn.desk, ticket, value) if isinstance(value, datetime) else ""


async def show_status(turn: Turn, ref: str | None = None, *, among: list[Ticket] | None = None) -> None:
    """The named ticket (``ref``, else one the user wrote), or those ``among`` the user's, or the
    user's recent ones."""
    ref = ref or ref_in(turn)
    if among:
        tickets = among
    elif ref:
        ticket = await requester_ticket(turn.session, turn.person, ref)
        if ticket is None:
            turn.say(turn.t("status.unknown", ref=ref))
            return
        tickets = [ticket]
    else:
        tickets = await requester_tickets(turn.session, turn.person, (*OPEN_STATUSES, "resolved"))
        if not tickets:
            if turn.state.get("flow") in ("report", "request"):
                # The one being written is not a ticket yet: no "something new?" and its menu.
                turn.say(turn.t("status.none_yet"))
            else:
                turn.say(turn.t("status.none"), turn.menu())
            return
    lines = [] if ref and not among else [turn.t("status.header")]
    for ticket in tickets:
        assignee = turn.t("status.assignee", name=ticket.assignee.name) if ticket.assignee else ""
        due = ""
        if ticket.status in OPEN_STATUSES and ticket.resolution_due is not None:
            due = turn.t("status.due", due=_when(turn, ticket, ticket.resolution_due))
        lines.append(
            turn.t(
                "status.item",
                ref=ticket.ref,
                subject=ticket.subject,
                status=_status_word(turn, ticket),
                assignee=assignee,
                updated=_when(turn, ticket, ticket.updated_at),
                due=due,
            )
        )
        if ticket.status in OPEN_STATUSES and ticket.problem_id is not None:
            # Linked to a problem: many are affected, and the fix of the cause will resolve it.
            problem = await turn.session.get(Ticket, ticket.problem_id)
            if problem is not None and problem.status in OPEN_STATUSES:
                lines.append(turn.t("status.problem", ref=problem.ref))
    turn.say("\n".join(lines))


def _status_word(turn: Turn, ticket: Ticket) -> str:
    """How the ticket stands, in a word: "new", or "awaiting approval" while a request waits
    for its approver's yes (it was "new", and the user asked why nobody came)."""
    if ticket.approval == "requested" and ticket.status in OPEN_STATUSES:
        return turn.t("status.awaiting_approval")
    return desk_t(turn.lang, f"status.{ticket.status}")


# A short question after a thing of the user's: "what about my docking station?", "and my
# laptop request?", "my monitor?", "那我的显示器呢？". What a ticket of theirs is about, they ask
# how it stands; the model read "what about my monitor?" as a new report (0.86).
_ASKS_AFTER_EN = re.compile(
    r"^(?:(?:ok|okay|so|and|also)\s*,?\s+)*(?P<lead>(?:what|how)\s+about\s+|and\s+)?my\s+"
    r"(?P<thing>[a-z0-9][\w\s/+.-]{1,40}?)\s*(?:then\s*)?(?P<asked>[?？]+)?$",
    re.IGNORECASE,
)
_ASKS_AFTER_ZH = re.compile(r"^(?:那|那么|还有)?我的(?P<thing>[^\s？?，,。！!]{1,15}?)呢[？?]*$")
# Words that say "my ticket for": "my laptop request", "我的显示器申请".
_TICKET_WORDS = re.compile(
    r"(?:\s+(?:request|ticket|order|issue|problem|case)s?|的?(?:申请|工单|问题|事情|事))$", re.IGNORECASE
)


async def asked_after(turn: Turn, text: str) -> bool:
    """ "What about my monitor?" where a ticket of the user's (open or just resolved) is about a
    monitor: how that ticket stands (how each stands, if several are). False when the
    message asks after nothing of theirs ("and my keyboard?" with no such ticket)."""
    said = simple(text).strip()
    if (found := _ASKS_AFTER_ZH.match(said)) is None:
        found = _ASKS_AFTER_EN.match(said)
        if found is None or not (found.group("lead") or found.group("asked")):
            return False  # "my monitor" alone is no question
    thing = _TICKET_WORDS.sub("", found.group("thing").strip())
    if not thing:
        return False
    tickets = await requester_tickets(turn.session, turn.person, (*OPEN_STATUSES, "resolved"))
    about = [t for t in tickets if mentions(to_simplified(f"{t.subject}\n{t.description}"), thing)]
    if not about:
        return False
    if len(about) == 1:
        await show_status(turn, about[0].ref)
    else:
        await show_status(turn, among=about)
    return True


async def has_open_tickets(turn: Turn) -> bool:
    return bool(await requester_tickets(turn.session, turn.person, OPEN_STATUSES, limit=1))


# Words that ask to hurry a ticket along, whatever else is said ("can you speed up INC-2?",
# "能帮我催一下吗"); "help me asap" may be a new problem, so those others count with a status
# question only. Either way they are news for whoever works on the ticket.
_HURRY_WORDS = (
    r"speed\s+(?:it\s+|this\s+|that\s+)?up|expedite|hurry|chase|chasing|escalate|urgent(?:ly)?|prioriti[sz]e"
    r"|(?:make|treat)\s+(?:it|this|that)\s+(?:as\s+)?(?:a\s+)?(?:top\s+|high\s+)?priority"
    r"|be\s+(?:a\s+(?:bit|little)\s+|any\s+)?(?:quicker|faster)"  # "can you be quicker"
)
_HURRY_ZH = r"加急|催|加快|优先处理|紧急|快点|快一点|快些|赶紧|抓紧"  # "能不能快点" was not understood
_HURRY = re.compile(rf"\b(?:{_HURRY_WORDS})\b|{_HURRY_ZH}", re.IGNORECASE)
_CHASE = re.compile(
    rf"\b(?:{_HURRY_WORDS}|rush|asap|as\s+soon\s+as\s+possible|sooner|faster)\b"
    rf"|{_HURRY_ZH}|优先|很急|尽快|快点|赶紧|着急|急需|急用|早点",
    re.IGNORECASE,
)


async def pass_on_a_chase(turn: Turn, text: str) -> None:
    """A status question that hurries the ticket along ("can you speed up INC-2? my boss needs
    the report today", "INC-1 能加急吗"): its words go on the ticket (the one named, else the
    conversation's, else the user's only open one), where whoever works on it sees them, and
    the user is told. Before, only the status came back and the words were lost."""
    hurried = _CHASE.search(simple(text)) or turn.parse.entity("urgency") in ("high", "team")
    ticket = await _chased_ticket(turn) if hurried else None
    if ticket is not None:
        await _pass_on(turn, ticket, text)


async def _pass_on(turn: Turn, ticket: Ticket, text: str) -> None:
    """The chase ``text`` on ``ticket``, and the user told who will see it."""
    await comment_on(turn, ticket, text, said=turn.message)
    if ticket.assignee is not None:
        turn.say(turn.t("info.chased.to", ref=ticket.ref, name=ticket.assignee.name))
    else:
        turn.say(turn.t("info.chased", ref=ticket.ref))
    await raise_urgency(turn, ticket, most_urgent(turn.parse))


def says_little_but_hurry(text: str) -> bool:
    """Whether ``text`` asks to hurry and says little else: "this is urgent, please hurry",
    "please expedite", "这个很紧急"; not "I urgently need access to the finance share"."""
    said = simple(text)
    return _HURRY.search(said) is not None and weight(_HURRY.sub("", said)) < WORDY


async def chase(turn: Turn, text: str) -> bool:
    """A chase in words the model reads as something else ("能帮我催一下吗？" as help, 0.92;
    "can you hurry it up?"; "this is urgent, please hurry" as a report, 0.58, that names no
    problem; "please expedite" as an ask for a person, 0.54): the status of the ticket it is
    about, and the words passed on.
    False, and nothing said, without a word that asks to hurry or an open ticket it can be
    about."""
    ticket = await _chased_ticket(turn) if _HURRY.search(simple(text)) else None
    if ticket is None:
        return False
    await _status_and_pass_on(turn, ticket, text)
    return True


async def _status_and_pass_on(turn: Turn, ticket: Ticket, text: str) -> None:
    """How ``ticket`` stands, and the chase ``text`` on it."""
    await show_status(turn, ticket.ref)
    await _pass_on(turn, ticket, text)


async def _chased_ticket(turn: Turn) -> Ticket | None:
    """The open ticket a chase is about: the one named, else the conversation's, else the
    user's only open one."""
    _, ticket = await _named_or_linked(turn)
    if ticket is None and ref_in(turn) is None:
        mine = await requester_tickets(turn.session, turn.person, OPEN_STATUSES, limit=2)
        ticket = mine[0] if len(mine) == 1 else None
    return ticket if ticket is not None and ticket.status in OPEN_STATUSES else None


async def add_info(turn: Turn, text: str) -> None:
    """'add to INC-12: ...' or a follow-up on the linked ticket becomes a comment on it."""
    ref, ticket = await _named_or_linked(turn)
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref) if ref else turn.t("info.none"))
        return
    body = _REF.sub("", text, count=1).lstrip(" :：,，") if ref else text
    if ticket.status in FINISHED:
        await open_follow_up(turn, ticket, body or text)
        return
    await comment_on(turn, ticket, body or text, said=turn.message)
    turn.say(turn.t("info.added", ref=ticket.ref))
    await raise_urgency(turn, ticket, most_urgent(turn.parse))


async def ask_cancel(turn: Turn) -> None:
    """ "Cancel my ticket": the one named, else the one this conversation is about, else the
    user's only open one; with several, which (one button each); with none, that there is none
    (it asked "which ticket?" of a user who had none)."""
    ref, ticket = await _named_or_linked(turn)
    if ticket is None and ref is None:
        mine = await requester_tickets(turn.session, turn.person, OPEN_STATUSES)
        if not mine:
            turn.say(turn.t("status.none"), turn.menu())
            return
        if len(mine) > 1:
            buttons = [Button(f"{t.ref} · {snippet(t.subject, 30)}", f"/cancel {t.ref}") for t in mine]
            turn.say(turn.t("cancel.which"), buttons)
            return
        ticket = mine[0]
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref))
        return
    if ticket.status not in OPEN_STATUSES:
        _cannot_cancel(turn, ticket)
        return
    if _never_mind_it_works(turn.text):
        offer_close(turn, ticket, turn.text)  # "never mind, it's working now": fixed, not unwanted
        return
    offer_cancel(turn, ticket)


def _never_mind_it_works(text: str) -> bool:
    """Whether a "never mind" says that it works now ("never mind, it's working now", "算了，已经
    好了", both read as cancellations): the ticket is closed as fixed, as "it works now" alone
    is, rather than cancelled, which lost how it ended. Not when it asks to cancel outright."""
    if _CANCELS.search(text):
        return False
    fails, works = _reading(_GIVING_UP.sub(" ", text))
    return works and not fails


def _cannot_cancel(turn: Turn, ticket: Ticket) -> None:
    """A ticket no longer open is not cancelled again: "INC-2 is cancelled, so it can't be
    cancelled" answered the second "please cancel INC-2"."""
    if ticket.status == "cancelled":
        turn.say(turn.t("cancel.already", ref=ticket.ref))
        return
    turn.say(turn.t("cancel.cannot", ref=ticket.ref, status=desk_t(turn.lang, f"status.{ticket.status}")))


def offer_cancel(turn: Turn, ticket: Ticket) -> None:
    """Ask whether to cancel ``ticket`` (open), with a button for each answer."""
    buttons = [
        turn.button("cancel.yes", f"/cancel_yes {ticket.ref}"),
        turn.button("cancel.no", f"/keep {ticket.ref}"),
    ]
    turn.say(turn.t("cancel.ask", ref=ticket.ref, subject=ticket.subject), buttons)


async def cancel(turn: Turn, ref: str) -> None:
    ticket = await requester_ticket(turn.session, turn.person, ref)
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref))
        return
    if ticket.status not in OPEN_STATUSES:
        _cannot_cancel(turn, ticket)
        return
    await change_ticket(turn.session, turn.desk, turn.requester, ticket, {"status": "cancelled"})
    turn.say(turn.t("cancel.done", ref=ticket.ref))


async def close_fixed(turn: Turn, ref: str) -> None:
    """[Yes, close it] to "Glad it works now! Shall I close INC-1 as fixed?" (:func:`offer_close`):
    the ticket is resolved with what the user said and closed. A ticket someone at the desk
    answered asks for a rating, as a confirmed resolution does; one nobody touched does not. If
    the desk resolved it meanwhile, this confirms that resolution."""
    ticket = await requester_ticket(turn.session, turn.person, ref)
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref))
        return
    said = (turn.state.pop("fixed", None) or {}).get(ticket.ref)
    if ticket.status == "resolved":
        await confirm(turn, ticket.ref, fixed=True)
        return
    if ticket.status not in OPEN_STATUSES:
        turn.say(turn.t("fixed.cannot", ref=ticket.ref, status=desk_t(turn.lang, f"status.{ticket.status}")))
        return
    answered = ticket.first_response_at is not None
    await close_as_fixed(turn.session, turn.desk, turn.requester, ticket, said or turn.t("fixed.said"))
    if not answered:
        turn.say(turn.t("fixed.done", ref=ticket.ref))
        return
    turn.say(turn.t("confirm.closed", ref=ticket.ref))
    ask_rating(turn, ticket)


async def reopen(turn: Turn, ref: str | None = None) -> None:
    """Reopen the named or the last resolved ticket.

    "Outlook asks for my password again and again" reads like a reopen; with no ticket named and
    nothing to reopen, a message that describes something (names a category, or has a sentence's
    worth of words) is a new problem. A bare "reopen it" is asked which ticket it means."""
    ref = ref or ref_in(turn)
    ticket = await _named_or_last_resolved(turn, ref)
    if ticket is None and ref is None and await linked_ticket(turn) is not None:
        # "Still not working" while the ticket is open is news for whoever works on it.
        await add_info(turn, turn.text)
        return
    if ticket is None and ref is None and (turn.parse.entity("category") or weight(turn.text) >= WORDY):
        await start_report(turn, turn.text)
        return
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref) if ref else turn.t("reopen.which"))
        return
    if ticket.status in OPEN_STATUSES and not turn.text.startswith("/"):
        # "INC-1 still not fixed, it's been 2 days" of a ticket still open is a chase: where it
        # stands, and the words on it (it was "only a resolved ticket can be reopened. Shall I
        # open a new one?", and the words were lost).
        await _status_and_pass_on(turn, ticket, turn.text)
        return
    if ticket.status != "resolved":
        turn.say(turn.t("reopen.cannot", ref=ticket.ref, status=desk_t(turn.lang, f"status.{ticket.status}")))
        return
    # Why: the words the user was asked about ("is this about INC-1?"), or what they wrote; a
    # button's payload ("/reopen INC-1") says nothing.
    said = turn.state.pop("pending", None) or ("" if turn.text.startswith("/") else turn.text)
    turn.state.pop("pending_parse", None)
    await reopen_ticket(turn.session, turn.desk, turn.requester, ticket, reason=said)
    turn.state["ticket"] = ticket.ref
    turn.say(turn.t("reopen.done", ref=ticket.ref))


async def confirm(turn: Turn, ref: str | None, *, fixed: bool) -> bool:
    """The requester's answer to "did this fix it?". Returns False if nothing awaited it."""
    ticket = await _named_or_last_resolved(turn, ref)
    if ticket is None:
        if ref is None:
            return False  # nothing was waiting for an answer
        turn.say(turn.t("status.unknown", ref=ref))
        return True
    if ticket.status != "resolved":
        # Already closed (e.g. by a double click): still offer the survey if it is unanswered.
        if ticket.status == "closed" and fixed and ticket.csat_score is None:
            ask_rating(turn, ticket)
            return True
        return False
    if not fixed:
        await reopen_ticket(turn.session, turn.desk, turn.requester, ticket, reason=turn.text)
        turn.reset()
        turn.state["ticket"] = ticket.ref
        turn.say(turn.t("confirm.reopened", ref=ticket.ref))
        return True
    await close_ticket(turn.session, turn.desk, turn.requester, ticket)
    turn.say(turn.t("confirm.closed", ref=ticket.ref))
    ask_rating(turn, ticket)
    return True


def contradicts(text: str, *, fixed: bool) -> bool:
    """Whether the words of a typed answer to "did this fix it?" say the opposite of how the model
    read them: "can log in now, thanks" read as a login problem (0.94) reopened the ticket it
    answered (2026-12-07). Read as fixed, any word of failure ("不能登录了", "still can't") makes
    it doubtful; read as not fixed, words that it works with none of failure do ("printing
    blank pages", with neither, stays a no). Doubtful answers are asked again (:func:`ask_if_fixed`)."""
    if text.startswith("/"):
        return False
    fails, works = _reading(text)
    return fails if fixed else works and not fails


# A yes that opens an answer: "yes it's been fine since this morning", "是的，现在正常了".
_YES_FIRST = re.compile(r"^\s*(?:yes|yeah|yep|yup|sure|indeed|是的|是|对|嗯|恩|好了)\b", re.IGNORECASE)


def says_yes_it_works(text: str) -> bool:
    """Whether a typed answer to "did this fix it?" opens with a yes and says that it works, with
    no word of failure: "yes it's been fine since this morning, thanks" (read as more information,
    0.85) was asked again whether it was fixed."""
    fails, works = _reading(text)
    return works and not fails and _YES_FIRST.match(simple(text)) is not None


def says_it_works_now(turn: Turn, text: str) -> bool:
    """Whether ``text``, about an open ticket with no article offered and no resolution asked
    about, says its problem went away ("It's working now, thanks", "已经好了", "yes it's fine
    now"): the bot then offers to close it as fixed (:func:`bots.report.offer_close`). It asked
    whether the words were more about the ticket, and the ticket stayed in the desk's queue
    (2026-12-06); by mail, it was a comment nobody answered. Not for a doubtful read, words of
    failure ("works now but still slow") or of how urgent it is ("急用" read as helpful)."""
    intent = turn.parse.intent
    helped = intent.name == "kb_helpful" and intent.confidence >= turn.desk.settings.bot.clarify_below
    if turn.parse.entity("urgency") is not None or contradicts(text, fixed=True):
        return False
    return helped or says_yes_it_works(text)


def _reading(text: str) -> tuple[bool, bool]:
    """Whether ``text`` has words of failure, and words that it works (:data:`_FAILS`,
    :data:`_WORKS`; idioms such as "no worries" or "没问题" are neither)."""
    said = _ALL_WELL.sub(" ", simple(text))
    return _FAILS.search(said) is not None, _WORKS.search(said) is not None


def ask_if_fixed(turn: Turn, ticket: Ticket) -> None:
    """Ask again whether ``ticket`` (resolved) is fixed, or for a request done, with the resolution
    notice's buttons, when the answer was unclear."""
    _, buttons = confirm_question(ticket, turn.lang)
    key = "fixed.unclear.request" if ticket.type == "request" else "fixed.unclear"
    turn.say(turn.t(key, ref=ticket.ref), buttons)


def ask_rating(turn: Turn, ticket: Ticket) -> None:
    turn.reset()
    turn.state.update(flow="survey", step="score", survey=ticket.ref)
    buttons = [Button("⭐" * n, f"/rate {ticket.ref} {n}") for n in range(1, 6)]
    turn.say(turn.t("csat.ask", ref=ticket.ref), buttons)


async def latest_unrated(turn: Turn) -> Ticket | None:
    """The requester's most recently resolved or closed ticket of the last week without a rating."""
    recent = turn.desk.now() - timedelta(days=7)
    for ticket in await requester_tickets(turn.session, turn.person, ("resolved", "closed"), limit=3):
        done = ticket.closed_at or ticket.resolved_at
        if ticket.csat_score is None and done is not None and done >= recent:
            return ticket
    return None


async def rate_unprompted(turn: Turn, score: int, text: str) -> bool:
    """A rating no survey of the bot's waits for: the answer to the desk's auto-close prompt
    ("4" on SMS), or "5 stars, Tom was quick" to a resolution notice, before confirming it. It
    rates :func:`latest_unrated`; a good score for a resolved ticket also confirms it (closed),
    a low one leaves it open to reopening. False when there is no such ticket."""
    ticket = await latest_unrated(turn)
    if ticket is None:
        return False
    if ticket.status == "resolved" and score > LOW_SCORE:
        await close_ticket(turn.session, turn.desk, turn.requester, ticket)
    turn.state.update(flow="survey", step="score", survey=ticket.ref)
    await survey_answer(turn, ticket.ref, score, text)
    return True


def rating_from(turn: Turn, text: str, *, asked: bool = False) -> int | None:
    """1–5 from a digit, stars, or the NLU's rating entity (words such as "great", "非常满意").
    Where a rating was ``asked`` for, a score that opens the answer counts too ("4, took a
    while but works", "3/5", "4分，有点慢"); elsewhere "3 printers are down" is no rating."""
    stripped = text.strip()
    if stripped in {"1", "2", "3", "4", "5"}:
        return int(stripped)
    if asked and (lead := _LEADING_SCORE.match(stripped)):
        return int(lead.group(1))
    if stripped and _STARS.match(stripped):
        count = sum(stripped.count(s) for s in "⭐★🌟")
        return count if 1 <= count <= 5 else None
    value = turn.parse.entity("rating")
    if value and value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    return None


async def survey_answer(turn: Turn, ref: str, score: int | None, text: str) -> None:
    ticket = await requester_ticket(turn.session, turn.person, ref)
    if ticket is None:
        turn.reset()
        return
    step = turn.state.get("step", "score")
    if score is not None and step == "score":
        await rate_ticket(turn.session, turn.desk, turn.requester, ticket, score)
        key = "csat.low" if score <= LOW_SCORE else "csat.thanks"
        if text.strip() and not text.startswith("/") and turn.says_more_than("rating"):
            # "5 stars, Tom was quick": the words are the comment; asking for one again lost them.
            await comment_on_rating(turn.session, turn.desk, turn.requester, ticket, text)
            _hear_more(turn, ticket)
            turn.say(turn.t(key + ".noted", ref=ticket.ref, score=score))
            return
        turn.state.update(step="comment")
        turn.say(turn.t(key, ref=ticket.ref, score=score), [turn.button("csat.skip_button", "/skip")])
        return
    turn.reset()
    if says_nothing(text):
        turn.say(turn.t("csat.skip"))
        return
    await comment_on_rating(turn.session, turn.desk, turn.requester, ticket, text)
    _hear_more(turn, ticket)
    turn.say(turn.t("csat.comment"))


_MORE_WITHIN = timedelta(minutes=30)  # how long after a comment on a rating the next words add to it
# What words said after a rating's comment may read as, and still be more of it: "the response
# took almost two days" (chatter), "also the engineer was late" (news), "Tom was really helpful".
_MORE_INTENTS = frozenset(["out_of_scope", "oos", "add_info", "kb_helpful", "kb_not_helpful", "rate"])


def _hear_more(turn: Turn, ticket: Ticket) -> None:
    """After the words on a rating, the next message, soon, may say more of them."""
    turn.reset()
    turn.state.update(flow="survey", step="more", survey=ticket.ref, since=turn.desk.now().isoformat())


async def more_on_rating(turn: Turn, text: str) -> bool:
    """A message right after the words on a rating that says more of them ("4 stars, but it took
    a while" then "the response took almost two days"): it joins the ticket's comment. It was
    "I can't help with that" and lost. Not a new problem, request or question of its own, nor
    thanks or bye alone, which the bot answers as ever; False for those, with the survey left."""
    ref, since = turn.state.get("survey"), turn.state.get("since")
    turn.reset()
    intent = turn.parse.intent
    if (
        not ref
        or not since
        or turn.desk.now() - datetime.fromisoformat(since) > _MORE_WITHIN
        or intent.name not in _MORE_INTENTS
        or says_nothing(text)
        or (rating_from(turn, text) is not None and not turn.says_more_than("rating"))  # "5": a rating again
        or turn.parse.entity("category")  # "the VPN is still slow": a problem, maybe a new one
    ):
        return False
    ticket = await requester_ticket(turn.session, turn.person, ref)
    if ticket is None:
        return False
    said = "\n".join(part for part in (ticket.csat_comment, text.strip()) if part)
    await comment_on_rating(turn.session, turn.desk, turn.requester, ticket, said)
    turn.say(turn.t("csat.comment"))
    return True


async def handoff(turn: Turn, reason: str) -> None:
    """Move the conversation to the human queue with a ticket linked; tell the user when. The
    conversation's open ticket is the one, unless the message names a problem of another kind
    with its ask ("整个部门都上不了网，转人工" right after a printer ticket), or the ask comes
    while a report of another kind is being written ("VPN连不上" at its articles, then "转人工"):
    that problem gets its own."""
    ticket = await linked_ticket(turn)
    kind = ticket.category_path if ticket is not None else None
    if ticket is not None and (
        another_kind(draft_category(turn), kind)
        or (
            turn.asides
            and without_clauses(turn.text, turn.asides)
            and another_kind(await named_category(turn), kind)
        )
    ):
        ticket = None
    if ticket is None:
        ticket = await open_for_handoff(turn)
    aside = await file_held(turn)  # a request put aside for the problem handed over
    turn.reset()
    turn.state["ticket"] = ticket.ref
    slot = await queue_conversation(turn.session, turn.desk, turn.conversation, ticket=ticket, reason=reason)
    if slot.opens_at is not None:
        turn.say(
            turn.t("handoff.closed", ref=ticket.ref, opens_at=format_due(turn.desk, ticket, slot.opens_at))
        )
    else:
        turn.say(turn.t("handoff.queued", ref=ticket.ref, position=slot.position))
    if aside is not None:
        key = "request.filed_aside" if aside.type == "request" else "report.filed_aside"
        turn.say(turn.t(key, ref=aside.ref, subject=aside.subject))


async def answer_approval(turn: Turn, ref: str, decision: str, comment: str = "") -> bool:
    """[Approve] or [Reject] (``/approve REQ-3``, ``/reject REQ-3 no budget this year``) to the
    desk's ask, by the approver it was sent to: the decision is recorded and the requester told
    (:func:`desk.approvals.decide`). Asked again, it says what was decided; False (a stale
    button) for anyone else, or a reference never sent to them."""
    ref = ref.strip().upper()
    email = (turn.person.email or "").lower()
    if not ref or not email:
        return False
    waiting = [a for a in await approvals_waiting_on(turn.session, turn.person) if a.ticket.ref == ref]
    if not waiting:
        asked = await turn.session.scalar(
            select(Approval)
            .join(Ticket, Approval.ticket_id == Ticket.id)
            .where(Ticket.ref == ref, Approval.approver == email)
            .order_by(Approval.id.desc())
            .limit(1)
        )
        if asked is None:
            return False
        turn.say(turn.t("approval.already", ref=ref, state=turn.t(f"approval.state.{asked.state}")))
        return True
    approval = waiting[-1]
    actor = Actor("approver", turn.person.id, turn.person.name or email)
    ticket = await decide(turn.session, turn.desk, approval, decision, comment=comment, by=email, actor=actor)
    turn.say(turn.t(f"approval.done.{decision}", ref=ref, requester=ticket.requester.label))
    return True
