"""What the bot says: one turn at a time, from the dialogue state and what the NLU understood.

Order of precedence: a numbered reply, or a button's title typed out, picks one of the last
buttons; ``/commands`` (button payloads, which users may also type) act directly; a flow waiting
for free text takes it (a "never mind" drops a report or request still being written); then the
intent decides. Two misunderstandings in a row hand the conversation to a person.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select

from bots import followup, mail, report
from bots.turn import (
    TEMPLATES,
    Turn,
    asks,
    asks_to_send_files,
    buttons_of,
    introduced_name,
    says_no_more,
    says_nothing,
    says_only_social,
    simple,
    weight,
)
from channels.base import Button
from desk.i18n import LANGUAGES
from desk.kb import Hit
from desk.lifecycle import OPEN_STATUSES
from desk.models import Attachment, Message, Ticket
from desk.tickets import requester_ticket, requester_tickets
from nlu import OOS_INTENT, IntentScore, Parse

__all__ = ["respond"]

log = logging.getLogger(__name__)

_CHATTER = {"out_of_scope", OOS_INTENT}
# What a reply to an agent's update may be read as ("yes it works now" as kb_helpful, "still
# broken" as report_problem): not a greeting, a status or cancel, or an ask for a person.
_ANSWERS = {
    "report_problem",
    "request_service",
    "add_info",
    "affirm",
    "deny",
    "kb_helpful",
    "kb_not_helpful",
    OOS_INTENT,
}
_DETAIL = 20  # weighted characters: words the model cannot place that say this much are a detail
# Intents that interrupt a flow waiting for free text (others are taken as the answer).
_INTERRUPT = {"talk_to_human", "check_status", "cancel_ticket"}
_SOCIAL = {"greet", "thanks", "goodbye", "affirm"}  # no answer to a request's question, said alone
_SURE_HUMAN = 0.8  # an ask for a person read less surely may be a question an article answers
# Readings below which a message that only hurries is a chase of the open ticket: any report
# ("this is urgent, please hurry", 0.58), any thanks ("麻烦快一点", 0.80), an ask for a person read
# unsurely. A request is one when it names no kind of request ("hurry up please", 0.92).
_CHASED_BELOW = {"report_problem": math.inf, "thanks": math.inf, "talk_to_human": _SURE_HUMAN}
# Questions answered in the user's own words, where a new problem can be mistaken for the answer.
_FREE_TEXT = {("request", "answer"), ("report", "description")}
_ANOTHER = re.compile(
    r"\b(also|too|either|another|actually|as well|btw|by the way|plus)\b|另外|还有|也|顺便|对了",
    re.IGNORECASE,
)


def _says_another(text: str) -> bool:
    """Whether ``text`` has words that add a new topic ("also", "too", "另外", "也")."""
    return _ANOTHER.search(simple(text)) is not None


_SURE_TOPIC = 0.9  # a problem or request read this surely, said instead of an urgency, is one of its own
_NOT_A_WORD = re.compile(r"[^\w]+")
# Buttons that answer a yes-or-no question: "是的" / "no" picks one (their titles say more).
_YES_NO = (("/cancel_yes", "/keep"), ("/fixed", "/keep"), ("/known", "/not_known"), ("/approve", "/reject"))
_ANSWERS_ASIDE = {command for pair in _YES_NO for command in pair}
_TITLE_MATCH = 88  # rapidfuzz ratio: "i cant work" is "I can't work"; "yes" is not "Yes, fixed"
_LONGEST_TITLE = 60  # longer messages are sentences, not a typed button


async def _last_buttons(turn: Turn) -> list[dict[str, str]]:
    """The buttons of the last message the user got, whoever sent it: the bot, or the desk (a
    resolution notice asking "fixed?", a rating prompt). None once the user has answered it.
    A mail's are those of the desk's mail it replies to. Read once a turn: picking the option
    typed, and what answers "is it fixed?", ask it again."""
    if "last_buttons" not in turn.memo:
        turn.memo["last_buttons"] = await _read_last_buttons(turn)
    found: list[dict[str, str]] = turn.memo["last_buttons"]
    return found


async def _read_last_buttons(turn: Turn) -> list[dict[str, str]]:
    if turn.conversation.channel == "email":
        replied = await mail.replied_buttons(turn)
        if replied is not None:
            return replied
    recent = await turn.session.scalars(
        select(Message)
        .where(Message.conversation_id == turn.conversation.id, Message.id < turn.message.id)
        .order_by(Message.id.desc())
        .limit(10)
    )
    for message in recent:
        if message.direction == "in":
            break  # the user already answered whatever came before
        if message.buttons:
            return list(message.buttons)
    return []


def _words(text: str) -> str:
    """Lower case letters, digits and Han characters; punctuation and emoji are not words."""
    return " ".join(_NOT_A_WORD.sub(" ", text.casefold()).split())


async def _pick_option(turn: Turn) -> str:
    """The payload the user means, or their text as it is.

    '2' after buttons means the second button (how SMS and e-mail users answer). Typing a
    button's title, give or take case, punctuation and a typo ("slows me down", "i cant work",
    "没有解决"), means that button: on SMS the titles are all there is to read."""
    text = turn.text.strip()
    if (
        text.startswith("/")
        or len(text) > _LONGEST_TITLE
        or (text.isdigit() and turn.state.get("flow") == "survey")
    ):
        return turn.text
    buttons = await _last_buttons(turn)
    if text.isdigit():
        return str(buttons[int(text) - 1]["payload"]) if 1 <= int(text) <= len(buttons) else turn.text
    yes_no = _yes_or_no(turn, buttons)
    if yes_no is not None:
        return yes_no
    typed = _words(text)
    scored = (
        [(fuzz.ratio(typed, _words(str(b["title"]))), str(b["payload"])) for b in buttons] if typed else []
    )
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] >= _TITLE_MATCH else turn.text


def _yes_or_no(turn: Turn, buttons: list[dict[str, str]]) -> str | None:
    """The button a plain yes or no picks when the last question was a yes-or-no one ("Cancel
    INC-2?" [Yes, cancel it] [No, keep it]: "是的" cancels, "不用了" keeps it)."""
    intent = turn.parse.intent
    if intent.name not in ("affirm", "deny") or intent.confidence < 0.8 or len(buttons) != 2:
        return None
    payloads = [str(b["payload"]) for b in buttons]
    if _a_yes_or_no(payloads):
        return payloads[0] if intent.name == "affirm" else payloads[1]
    return None


def _a_yes_or_no(payloads: Sequence[str]) -> bool:
    """Whether buttons with these payloads ask a yes-or-no question of :data:`_YES_NO`."""
    commands = [p.split(" ")[0] for p in payloads]
    return any(commands == [yes, no] for yes, no in _YES_NO)


async def respond(turn: Turn) -> None:
    """Fill ``turn.replies`` (never empty) and update ``turn.state``."""
    await _respond(turn)
    # A request put aside for a new problem, once that is done; a report, once the desk's
    # question answered meanwhile is.
    if (asked := await report.resume_held(turn)) is not None:
        await _ask_again(turn, asked)


async def _respond(turn: Turn) -> None:
    text = await _pick_option(turn)
    if turn.state.get("flow") in ("report", "request") and await _answers_the_desk(turn, text):
        await report.pause(turn)  # its question is asked again once the desk's is answered
    if not text.startswith("/meant "):
        turn.state.pop("unsure", None)  # the clarifying question was left unanswered: its buttons go stale
    if text.startswith("/"):
        name, _, arg = text[1:].strip().partition(" ")
        handler = _COMMANDS.get(name.lower())
        if handler is not None:
            where = _where(turn)
            if await handler(turn, arg.strip()):
                turn.state["misses"] = 0
                if f"/{name.lower()}" in _ANSWERS_ASIDE and _still_at(turn, where):
                    await _ask_again(turn)  # "Cancel INC-1?" answered: the report goes on
            else:
                await _stale_button(turn)
            return
        text = text[1:].strip()  # "/Marketing shared folder", typed: words, not a button
    if turn.conversation.channel == "email":  # a mail is a ticket or a reply on one, no chat flows
        await mail.respond_to_mail(turn, text)
        return
    if not text and turn.inbound is not None and turn.inbound.attachments:
        await _files_alone(turn)
        return
    if not (turn.inbound is not None and turn.inbound.attachments) and asks_to_send_files(text):
        await _how_to_send_files(turn)
        return
    if await _flow(turn, text):
        turn.state["misses"] = 0
        return
    where = _where(turn)
    await _intent(turn, text)
    asked_aside = bool(turn.replies) and _a_yes_or_no([b.payload for b in turn.replies[-1].buttons])
    if _still_at(turn, where) and not asked_aside:
        # "what's the status?" while writing a report: then the report goes on. A question of
        # its own ("Cancel INC-1?") is answered first: its yes or no comes back to the report.
        await _ask_again(turn)
    if not turn.replies:  # a safety net: the bot never answers with nothing
        turn.say(turn.t("misunderstood"), turn.menu())


_SENDS_FILES_BY = ("rest", "telegram", "slack", "sms")


async def _how_to_send_files(turn: Turn) -> None:
    """ "Can I send you a screenshot?", "我可以发个截图吗": yes, and how on this channel, and where
    it will go. It was taken as news ("Noted, I've added that to your report", "Added to
    INC-1") or as a problem to report ("Which area is the problem?"). A report or request being
    written waits on its question, asked again."""
    channel = turn.conversation.channel
    how = turn.t(f"files.how.{channel if channel in _SENDS_FILES_BY else 'other'}")
    if turn.state.get("flow") in ("report", "request"):
        turn.say(turn.t("files.how", how=how, where=turn.t("files.how.report")))
        await _ask_again(turn)
        return
    ticket = await _ticket_of_message(turn)
    where = turn.t("files.how.ticket", ref=ticket.ref) if ticket is not None else turn.t("files.how.new")
    turn.say(turn.t("files.how", how=how, where=where))


async def _ticket_of_message(turn: Turn) -> Ticket | None:
    """The open ticket the message (and files sent with it) went to, if the chat is on one."""
    if turn.message.ticket_id is None:
        return None
    ticket = await turn.session.get(Ticket, turn.message.ticket_id)
    return ticket if ticket is not None and ticket.status in OPEN_STATUSES else None


async def _files_alone(turn: Turn) -> None:
    """Files sent without a word: a screenshot of the error, often before saying what is wrong.
    They were "not understood" (twice, and the user was handed to a person). In a report or
    request they are kept with it and its question comes again; otherwise the bot asks what the
    problem is, and a report begun within half an hour takes them along
    (:func:`bots.report.files_before`)."""
    names = ", ".join(
        await turn.session.scalars(
            select(Attachment.filename).where(Attachment.message_id == turn.message.id)
        )
    )
    if turn.state.get("flow") in ("report", "request"):
        if names:
            turn.say(turn.t("files.kept", names=names))
        await _ask_again(turn)
    elif names and (ticket := await _ticket_of_message(turn)) is not None:  # the files are on it
        turn.say(turn.t("files.added", names=names, ref=ticket.ref))
    if names and not turn.replies:
        turn.state.setdefault("files_since", turn.message.id)  # the first of several
        turn.say(turn.t("files.what", names=names), turn.menu())
    elif not turn.replies:  # none kept: the router said why; what next
        turn.say(turn.t("help"), turn.menu())


def _where(turn: Turn) -> tuple[Any, Any, Any]:
    """The flow and step of what is being written, and the message it began at."""
    flow = turn.state.get("flow")
    written = turn.state.get("draft" if flow == "report" else "request") or {}
    return flow, turn.state.get("step"), written.get("since")


def _still_at(turn: Turn, where: tuple[Any, Any, Any]) -> bool:
    """Whether a report or request was being written at ``where`` (:func:`_where`) and still is:
    the message was an aside, and the question it waits on is to be asked again. Not a new
    report at the same step: "my printer is jammed" while the password articles waited got the
    printer articles, then the password articles again, "Now, back to my question" (2026-12-07)."""
    return where[0] in ("report", "request") and _where(turn) == where


async def _ask_again(turn: Turn, asked_in: int | None = None) -> None:
    """The question a report or request waits on, again, after a message that interrupted it (a
    status, a cancellation asked about): without it, "You have no open tickets" and the menu read
    as if the report were gone, and the user's next words answered a question no longer in view.
    Where the articles were offered is the bot's last message, or message ``asked_in``."""
    if (question := await report.question_now(turn)) is not None:
        text, buttons = question
        turn.say(turn.t("flow.resume", question=text), buttons)
        return
    # The articles, as they were offered (or asked again already).
    asked = await _last_asked(turn) if asked_in is None else await turn.session.get(Message, asked_in)
    if asked is not None and asked.text and asked.author_kind == "bot":
        turn.say(turn.t("flow.resume", question=_unresumed(asked.text)), buttons_of(asked))


_RESUMED = tuple(
    TEMPLATES.t(lang, "flow.resume", traditional, question="")
    for lang in LANGUAGES
    for traditional in (False, True, "tw")
)


def _unresumed(text: str) -> str:
    """The question in a message that asked it again: without "Now, back to my question: "."""
    while prefix := next((p for p in _RESUMED if p and text.startswith(p)), ""):
        text = text[len(prefix) :]
    return text


async def _last_asked(turn: Turn) -> Message | None:
    """The bot's last message in this conversation: in a flow, the question it waits on."""
    return await turn.latest(Message.direction == "out", Message.author_kind == "bot")


# A bot button's payload ("/urgency high"), which users may also type: the handler acts and says
# True, or says False when the button no longer applies (a question already answered), which
# makes it stale rather than words ("/not_solved" added to a ticket as the user's news).
_Handler = Callable[[Turn, str], Awaitable[bool]]
_COMMANDS: dict[str, _Handler] = {}


def _command(name: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _COMMANDS[name] = handler
        return handler

    return register


def _in_flow(turn: Turn, flow: str, step: str | None = None) -> bool:
    return turn.state.get("flow") == flow and (step is None or turn.state.get("step") == step)


@_command("start")
async def _start(turn: Turn, arg: str) -> bool:
    """What Telegram sends when someone opens the bot: a greeting and what it can do."""
    await _act(turn, "greet", "")
    return True


@_command("report")
async def _report(turn: Turn, arg: str) -> bool:
    if _in_flow(turn, "report", "split"):
        # "One at a time" to two problems told at once: the first now, the second after it.
        first, second, parse = turn.state["split"]
        since = turn.state.get("since")
        if arg == first:
            turn.state["held"] = {"report": second, "parse": parse}
        await report.start_report(turn, arg, since=since)
        return True
    # "A new problem" to "is that your answer?": the new report began with the words asked about,
    # read as they were (typed, "A new problem" named no category, and the report asked for one).
    asked = turn.state.get("pending") == arg and turn.state.get("pending_at")
    if asked and _in_flow(turn, "request"):
        turn.state["request"].pop("doubted", None)  # the words are the new report's, not the request's
    if asked and (said := turn.state.get("pending_parse")):
        turn.parse = Parse.from_rasa(said)
        if _asks_for_service(turn, arg):
            # "I need adobe acrobat pro installed" asked about at a mouse report: a request, with
            # its questions; it became an incident asked how badly it hurts (2026-12-07).
            await report.start_request(turn, arg, since=asked)
            return True
    await report.start_report(turn, arg, since=asked or None)
    return True


@_command("request")
async def _request(turn: Turn, arg: str) -> bool:
    await (report.choose_request(turn, arg) if arg else report.start_request(turn, ""))
    return True


@_command("status")
async def _status(turn: Turn, arg: str) -> bool:
    await followup.show_status(turn)
    return True


@_command("human")
async def _human(turn: Turn, arg: str) -> bool:
    await followup.handoff(turn, "the user asked for a person")
    return True


@_command("solved")
async def _solved(turn: Turn, arg: str) -> bool:
    return arg.isdigit() and await report.solved_later(turn, int(arg))


@_command("not_solved")
async def _not_solved(turn: Turn, arg: str) -> bool:
    if not _in_flow(turn, "report", "kb"):
        return False
    await report.kb_verdict(turn, None)
    return True


@_command("category")
async def _category(turn: Turn, arg: str) -> bool:
    if not _in_flow(turn, "report"):
        return False
    if arg == report.UNSURE:
        report.skip(turn.state["draft"], "category")
    else:
        turn.state["draft"]["category"] = arg
    await report.continue_report(turn)
    return True


@_command("urgency")
async def _urgency(turn: Turn, arg: str) -> bool:
    # Only while asked: tapped again at "please describe it", an earlier answer's buttons filed
    # the report at once with the new level and lost the words being asked about (2026-12-07).
    if not _in_flow(turn, "report", "urgency") or arg not in report.URGENCY:
        return False
    turn.state["draft"]["urgency"] = arg
    await report.continue_report(turn)
    return True


@_command("add")
async def _add(turn: Turn, arg: str) -> bool:
    if not arg or not turn.state.get("draft", {}).get("text"):
        return False  # nothing waits to be added: a stale button
    await report.add_to_existing(turn, arg)
    return True


@_command("known")
async def _known(turn: Turn, arg: str) -> bool:
    if turn.conversation.channel == "email":
        return await mail.answer_known_issue(turn, arg, same=True)
    if not arg or not _in_flow(turn, "report"):
        return False
    if not await report.join_known_issue(turn, arg):
        await _not_known(turn, "")  # fixed meanwhile: the report goes on as any other
    return True


@_command("not_known")
async def _not_known(turn: Turn, arg: str) -> bool:
    if turn.conversation.channel == "email":
        return await mail.answer_known_issue(turn, arg, same=False)
    if not _in_flow(turn, "report"):
        return False
    draft = turn.state["draft"]
    if not await report.suggest_articles(turn, draft["text"]):
        await report.continue_report(turn)
    return True


@_command("new")
async def _new(turn: Turn, arg: str) -> bool:
    if not _in_flow(turn, "report"):
        return False
    await report.continue_report(turn)
    return True


@_command("cancel")
async def _cancel(turn: Turn, arg: str) -> bool:
    if not arg:
        return False
    await followup.ask_cancel(turn)  # "are you sure?" about the ticket the button names
    return True


@_command("cancel_yes")
async def _cancel_yes(turn: Turn, arg: str) -> bool:
    if not arg:
        return False
    await followup.cancel(turn, arg)
    return True


@_command("approve")
async def _approve(turn: Turn, arg: str) -> bool:
    """[Approve] to the desk's ask for approval of a request (:mod:`desk.approvals`)."""
    ref, _, comment = arg.partition(" ")
    return await followup.answer_approval(turn, ref, "approved", comment)


@_command("reject")
async def _reject(turn: Turn, arg: str) -> bool:
    """[Reject], or "/reject REQ-3 no budget this year" with the reason the requester is told."""
    ref, _, comment = arg.partition(" ")
    return await followup.answer_approval(turn, ref, "rejected", comment)


@_command("fixed")
async def _fixed(turn: Turn, arg: str) -> bool:
    if not arg:
        return False
    await followup.close_fixed(turn, arg.upper())
    return True


@_command("keep")
async def _keep(turn: Turn, arg: str) -> bool:
    if not arg:
        return False
    turn.say(turn.t("cancel.kept", ref=arg.upper()))
    return True


@_command("confirm")
async def _confirm(turn: Turn, arg: str) -> bool:
    if not arg:
        return False
    if not await followup.confirm(turn, arg, fixed=True):
        await followup.show_status(turn)
    return True


@_command("reopen")
async def _reopen(turn: Turn, arg: str) -> bool:
    await followup.reopen(turn, arg or None)
    return True


@_command("rate")
async def _rate(turn: Turn, arg: str) -> bool:
    ref, _, score = arg.partition(" ")
    if not ref or not score.strip().isdigit():
        return False
    turn.state.update(flow="survey", step="score", survey=ref.upper())
    await followup.survey_answer(turn, ref, int(score), "")
    return True


@_command("answer")
async def _answer(turn: Turn, arg: str) -> bool:
    """ "It's my answer": what they wrote answers the question after all."""
    if not turn.state.get("pending"):
        return False
    pending = turn.state.pop("pending")
    turn.state.pop("pending_at", None)
    if said := turn.state.pop("pending_parse", None):
        turn.parse = Parse.from_rasa(said)  # the words asked about, as they were read
    if _in_flow(turn, "request"):
        await report.answer_request(turn, pending, insisted=True)
    else:
        await _describe(turn, pending)
    return True


@_command("skip")
async def _skip(turn: Turn, arg: str) -> bool:
    if not _in_flow(turn, "survey") or _in_flow(turn, "survey", "more"):
        return False  # after the comment, nothing waits for one: a stale button
    await followup.survey_answer(turn, turn.state["survey"], None, "skip")
    return True


async def _stale_button(turn: Turn) -> None:
    """A button of an earlier question, tapped again (or late, in a chat scrolled back): say so,
    and ask again what is being asked now, with its buttons; with nothing being asked, the menu."""
    turn.say(turn.t("button.stale"))
    if turn.state.get("flow"):
        last = await _last_asked(turn)
        if last is not None and last.text:
            turn.say(last.text, buttons_of(last))
            return
    turn.say(turn.t("help"), turn.menu())


async def _flow(turn: Turn, text: str) -> bool:
    """A flow waiting for free text takes this message, unless it clearly asks for something else."""
    flow, step = turn.state.get("flow"), turn.state.get("step")
    intent = turn.parse.intent
    for key in ("pending", "pending_at", "pending_parse"):  # an "answer or new problem?" left unanswered
        turn.state.pop(key, None)
    if _drops_the_draft(turn, flow, step):
        turn.reset()
        turn.say(turn.t("flow.dropped"), turn.menu())
        return True
    if _fixed_meanwhile(turn, flow, step):
        turn.reset()
        turn.say(turn.t("flow.fixed"))
        return True
    if (
        (flow, step) == ("survey", "score")
        and _refuses(turn)
        and followup.rating_from(turn, text, asked=True) is None
    ):
        # "算了" / "no thanks" to "how satisfied are you?": no rating, not a cancellation
        # ("不满意" is a rating of 2, not a refusal).
        await followup.survey_answer(turn, turn.state["survey"], None, "skip")
        return True
    if (flow, step) == ("survey", "comment") and await followup.asked_after(turn, text):
        turn.reset()  # "what about my monitor?" is no comment: the rating stands, without one
        return True
    if (flow, step) == ("survey", "more"):
        return await followup.more_on_rating(turn, text)
    if (
        (flow, step) == ("survey", "comment")
        and intent.name == "check_status"
        and not _asks_status(turn, text)
    ):
        # "处理得很快" (handled quickly: a status question, 0.61) is the praise asked for; it got
        # "you have no open tickets", and the words were lost.
        await followup.survey_answer(turn, turn.state["survey"], None, text)
        return True
    if flow is None or (intent.name in _INTERRUPT and intent.confidence >= 0.6):
        return False
    if flow == "survey":
        score = followup.rating_from(turn, text, asked=True) if step == "score" else None
        if step == "score" and score is None:
            return False  # not a rating: let the intent decide (the survey stays open)
        await followup.survey_answer(turn, turn.state["survey"], score, text)
        return True
    if (
        flow == "report"
        and step in ("kb", "urgency", "description", "known")
        and await report.corrected(turn, text)
    ):
        return True  # "sorry, I meant the VPN, not the wifi"
    if (flow, step) == ("report", "urgency") and await _another_problem(turn, text, unasked=True):
        _ask_which(turn, text)
        return True
    waits = (flow, step) in (("report", "category"), ("report", "urgency"), ("request", "answer"))
    if waits and intent.name in _CHATTER and asks(text):
        # "when is the IT desk open?" asked in passing is no answer, nor part of the report.
        if sure := await _sure_articles(turn, text):
            report.answer_aside(turn, sure[0])
            await _ask_again(turn)
            return True
        if flow == "report":
            return False  # not understood, and the question again
    if flow == "report" and step in ("category", "urgency"):
        await report.answer_choice(turn, text)
        return True
    if flow == "report" and step == "text":
        await report.take_problem(turn, text)
        return True
    if (flow, step) in _FREE_TEXT and await _another_problem(turn, text):
        _ask_which(turn, text)
        return True
    if flow == "report" and step == "description":
        await _describe(turn, text)
        return True
    # "Not solved" / "没有解决" after the articles reads like "reopen" without context: here,
    # with no ticket named, it is the verdict on the articles.
    kb_reopen = intent.name == "reopen" and not followup.ref_in(turn)
    # "好的谢谢" / "thanks!" to the articles, as "ok" is: they answered it. It got "You're welcome!
    # Anything else?" and the articles again (2026-12-07).
    kb_thanks = intent.name == "thanks" and says_only_social(text)
    if (
        flow == "report"
        and step == "kb"
        and (intent.name in ("kb_helpful", "kb_not_helpful", "affirm", "deny") or kb_reopen or kb_thanks)
    ):
        suggested = turn.state.get("suggested") or []
        helpful = intent.name in ("kb_helpful", "affirm") or kb_thanks
        await report.kb_verdict(
            turn, suggested[0] if helpful and len(suggested) == 1 else None, solved=helpful
        )
        return True
    if flow == "report" and step == "kb" and await report.says_more(turn):
        await report.more_at_articles(turn, text)
        return True
    if (flow, step) == ("report", "known") and await report.says_more(turn):
        # More about the problem instead of yes or no to the known issue: the words join the
        # report (before, they began a new one without the first words) and the question stays.
        report.add_words(turn.state["draft"], text)
        await _ask_again(turn)
        return True
    if (flow, step) == ("request", "answer") and intent.name in _SOCIAL and says_only_social(text):
        # "谢谢" or "ok" is no approver nor a system; "yes" to a question with an answer to tap
        # takes it. The question again, otherwise: "谢谢" became REQ-1's approver (2026-12-06).
        # "Yes" to "I'm not sure that answers it" keeps that answer, as "It's my answer" does.
        doubted = turn.state["request"].get("doubted") if intent.name == "affirm" else None
        offered = report.offered_answer(turn) if intent.name == "affirm" else None
        if doubted:
            await report.answer_request(turn, doubted, insisted=True)
        elif offered:
            await report.answer_request(turn, offered)
        else:
            await _ask_again(turn)
        return True
    if flow == "request" and step == "answer":
        # A sure problem or request of another kind that is no answer to the question ("my VPN
        # won't connect" at "where should we deliver it?" a monitor) could only be kept as the
        # answer: "A new problem" too. Not a reason of the request's own kind ("because I need
        # two screens for CAD"), nor the options of a later question ("她需要电脑和邮箱"), nor a
        # reason that names another kind of thing ("it's for Excel work" for a monitor).
        if (
            _surely_new(turn)
            and report.another_kind(await report.named_category(turn), report.draft_category(turn))
            and not report.answers_later(turn, text)
            and not report.gives_a_reason(text)
            and (doubt := report.doubted_answer(turn, text)) is not None
        ):
            _ask_which(turn, text, doubt)
            # Questioned once, as any doubted answer: the next one is kept, and these words go
            # into the request's description unless they begin a report ("打印机卡纸了", then the
            # place typed instead of a tap: the jam was lost).
            turn.state["request"]["doubted"] = text.strip()
        else:
            await report.answer_request(turn, text)
        return True
    if (flow, step) == ("request", "choose") and weight(text) >= report.WORDY:
        if intent.name == "report_problem" and intent.confidence >= _SURE_TOPIC:
            return False  # "电脑蓝屏了..." instead of what to request: a problem, reported as one
        await report.start_request(turn, text)  # "都不是，我要的是工卡": what they need, in words
        return True
    return False


async def _describe(turn: Turn, text: str) -> None:
    """The answer to "please describe it in more detail": added, unless it adds nothing ("no",
    "不知道", a stray "2", a plain "谢谢", "hello? anyone there?"), which used to end up in the
    ticket's description."""
    polite = turn.parse.intent.name in ("thanks", "goodbye") and turn.parse.intent.confidence >= 0.8
    if not says_nothing(text) and not says_only_social(text) and not (polite and weight(text) < report.WORDY):
        report.add_words(turn.state["draft"], text)
    await report.continue_report(turn)


def _ask_one_at_a_time(turn: Turn, first: str, second: str, parse: Parse) -> None:
    """Two problems of different kinds told at once: one ticket each, for each one's team, if
    the user says so (the first now, the second after it), or one ticket for both."""
    turn.reset()
    turn.state.update(
        flow="report", step="split", split=[first, second, parse.to_rasa()], since=turn.message.id
    )
    turn.say(
        turn.t("report.two", first=first, second=second),
        [
            turn.button("report.apart", f"/report {first}"),
            turn.button("report.together", f"/report {turn.text}"),
        ],
    )


def _ask_which(turn: Turn, text: str, question: str = "", keep: Button | None = None) -> None:
    """Ask whether ``text`` answers the question (``keep``: "It's my answer") or is a new problem;
    it waits as ``pending`` for whichever is tapped."""
    turn.state.update(pending=text.strip(), pending_at=turn.message.id, pending_parse=turn.parse.to_rasa())
    keep = keep or turn.button("flow.answer", "/answer")
    new = ".request" if _asks_for_service(turn, text) else ""  # "or a new request?": "/report" begins one
    turn.say(
        question or turn.t(f"flow.which{new}"),
        [keep, turn.button(f"flow.new{new}", f"/report {text.strip()}")],
    )


def _asks_for_service(turn: Turn, text: str) -> bool:
    """Whether words asked about ("is that your answer, or new?") are a request of their own
    ("can I also get visio installed?"), begun as one; a question ("where can I find the wifi
    password for guests") is not, and meets the articles as a problem does."""
    return turn.parse.intent.name == "request_service" and not report.asks_how_to(text)


async def _another_problem(turn: Turn, text: str, *, unasked: bool = False) -> bool:
    """Whether an answer reads as a new problem of another kind ("actually my VPN is broken
    too" when asked which software): then the bot asks which it is rather than file it as the
    answer.

    To a question answered in the user's own words it takes a problem that names a category
    other than the draft's (or the same one, but nothing the draft is about) *and* words that add a
    new topic ("also", "too", "actually", "另外", "也"...): the intent alone is not enough, as "drawing network diagrams", a reason for a
    software request, reads as a network problem (0.997), and "because my laptop is too slow"
    is a fine reason for a laptop request. Where no words are asked for (``unasked``: how badly
    does it hurt?), a sure problem, request or how-to question of another kind is enough:
    "where can I find the wifi password for guests" went into an e-mail report's description.
    Asked for a report's detail, a sure problem or request that shares nothing with the report
    is one too (see :func:`~bots.report.unrelated_problem`)."""
    if _in_flow(turn, "request", "answer") and report.answers_later(turn, text):
        return False  # "她需要电脑和邮箱，还有VPN" at a new starter's name: what she needs
    intent = turn.parse.intent
    said_so = intent.name in ("report_problem", "add_info", "request_service") and _says_another(text)
    sure = _surely_new(turn)
    if said_so or (unasked and (sure or report.asks_how_to(text))):
        named = await report.named_category(turn)
        if report.another_kind(named, report.draft_category(turn)):
            return True
        # "also my monitor flickers" when asked for a slow laptop's detail: the same kind of
        # problem, but said to be another, about another thing; it went into the description.
        # Not where no words were asked for: "also it gets very hot when it charges" said instead
        # of how badly a battery problem hurts is more of it ("noted"), and asking would hold it up.
        return said_so and not unasked and named is not None and report.other_things(turn, text)
    # A sure request too: "I need adobe acrobat pro installed" became a mouse ticket's detail.
    detail = _in_flow(turn, "report", "description")
    return sure and detail and await report.unrelated_problem(turn, text)


def _surely_new(turn: Turn) -> bool:
    """Whether the message reads surely as a problem or a request (:data:`_SURE_TOPIC`)."""
    intent = turn.parse.intent
    return intent.name in ("report_problem", "request_service") and intent.confidence >= _SURE_TOPIC


def _drops_the_draft(turn: Turn, flow: str | None, step: str | None) -> bool:
    """ "Never mind" / "算了，不用了" while a report or request is still being written, before any
    ticket exists: the user gives it up (not "which ticket should I cancel?", and not an answer
    to the question, which would end in a ticket they did not want). A "no" cancels only at the
    question it cannot answer (which kind of request); to "how badly does it affect your work?"
    it says "not badly", and to "which area is it about?" "none of those" (a one-area desk's
    "Network?" answered "no" dropped the report)."""
    if flow not in ("report", "request") or not _refuses(turn):
        return False
    if turn.parse.entity("urgency") or turn.parse.entity("category"):
        return False  # "不急" at "which area?" answers the wrong question, but gives nothing up
    if step in ("urgency", "category") and turn.parse.intent.name == "deny":
        return False  # "not really" to "how badly does it affect your work?": not badly
    if step == "choose" and weight(turn.text) >= report.WORDY:
        return False  # "都不是，我要的是工卡": none of those kinds, but something all the same
    return turn.parse.intent.name == "cancel_ticket" or step in ("category", "urgency", "choose")


def _fixed_meanwhile(turn: Turn, flow: str | None, step: str | None) -> bool:
    """ "谢谢，搞定了" / "it works now" while a report is still being written, before any ticket
    and not about articles offered: the user fixed it themselves, and no ticket is wanted (it
    was asked "please pick an option" again)."""
    intent = turn.parse.intent
    return (
        flow == "report"
        and step in ("category", "urgency", "description", "text")
        and intent.name == "kb_helpful"
        and intent.confidence >= 0.6
        and not followup.ref_in(turn)
        # "急用" read as kb_helpful at 0.70 answers the urgency question: nothing is fixed.
        and not (turn.parse.entity("urgency") or turn.parse.entity("category"))
    )


def _refuses(turn: Turn) -> bool:
    """A "no" or a "never mind" (at 0.6 or more) that names no ticket."""
    intent = turn.parse.intent
    return intent.name in ("cancel_ticket", "deny") and intent.confidence >= 0.6 and not followup.ref_in(turn)


# What the menu offers, by intent: a guess between these below ``bot.clarify_below`` is asked.
_CLARIFIES = {
    "report_problem": "menu.report",
    "request_service": "menu.request",
    "check_status": "menu.status",
    "talk_to_human": "menu.human",
}


async def _unsure(turn: Turn) -> bool:
    """Whether the bot should ask what is meant rather than act: the message would start
    something, but the model is not sure what (a calibrated confidence of 0.5 is right half the
    time), and it names no ticket. "can I get photoshop" read as an ask for a person at 0.39
    queued the user for an agent. A how-to question read as a report or a request is no doubt
    worth asking about. A report that may be more about a ticket (add_info) is a report
    all the same for a user with no open ticket: a long, detailed first message read 0.52 / 0.37
    between the two, and was asked what it meant."""
    intent = turn.parse.intent
    below = turn.desk.settings.bot.clarify_below
    if intent.name not in _CLARIFIES or intent.confidence >= below or followup.ref_in(turn):
        return False
    if intent.name in ("report_problem", "request_service") and report.asks_how_to(turn.text):
        # "How do I set up an out of office reply?" (a report at 0.55): either way the articles
        # come first, then a request for information; which of the two it is matters not.
        return False
    if intent.name == "report_problem":
        more = sum(i.confidence for i in turn.parse.intent_ranking if i.name == "add_info")
        if intent.confidence + more >= below and not await followup.has_open_tickets(turn):
            return False
    return True


async def _clarify(turn: Turn, text: str) -> None:
    """The menu's choices, the likeliest first, after adding it to the ticket being discussed
    when there is one ("尽快" right after a request, read as a report at 0.46); the message
    waits in the state for the answer."""
    ranked = [i.name for i in turn.parse.intent_ranking if i.name in _CLARIFIES]
    order = list(dict.fromkeys([*ranked, *_CLARIFIES]))
    buttons = [turn.button(_CLARIFIES[name], f"/meant {name}") for name in order]
    if (ticket := await followup.linked_ticket(turn)) is not None:
        turn.state["draft"] = {"text": text.strip()}  # what "Add to ..." adds
        buttons.insert(0, turn.button("dup.add", f"/add {ticket.ref}", ref=ticket.ref))
    turn.state["unsure"] = {"text": text, "parse": turn.parse.to_rasa(), "asides": list(turn.asides)}
    turn.say(turn.t("clarify"), buttons)


@_command("meant")
async def _meant(turn: Turn, intent: str) -> bool:
    """The answer to :func:`_clarify`: act on the message that was asked about, as ``intent``."""
    unsure = turn.state.pop("unsure", None)
    if intent not in _CLARIFIES or not unsure:
        return False
    parse = Parse.from_rasa(unsure["parse"])
    turn.text, turn.asides = unsure["text"], tuple(unsure["asides"])
    turn.state["misses"] = 0  # understood now
    turn.parse = replace(parse, intent=IntentScore(intent, 1.0))
    await _act(turn, intent, turn.text)
    return True


async def _intent(turn: Turn, text: str) -> None:
    intent = turn.parse.intent.name
    if intent in _ANSWERS and await _answers_agent(turn):
        await followup.add_info(turn, text)
        if followup.says_it_works_now(turn, text) and (ticket := await followup.linked_ticket(turn)):
            # "ok now it works after a reboot, thanks" to the agent's "try this": the ticket stayed
            # open until someone noticed, its resolution clock running (2026-12-07).
            followup.offer_close(turn, ticket, text)
        return
    if intent not in ("cancel_ticket", "reopen", "talk_to_human") and await followup.asked_after(turn, text):
        return  # "what about my monitor?": the status of the monitor's ticket, not a new report of one
    # "出问题了" (reopen, 0.42), "I have an issue, can you take a look?" (request_service, 0.68):
    # saying only that something is wrong is a report, whatever the model makes of it.
    vague = not turn.parse.entities and report.says_only_a_problem(text)
    if (intent in ("report_problem", "add_info") or vague) and await _not_fixed(turn):
        return
    if vague and intent not in ("talk_to_human", "cancel_ticket"):
        turn.state["misses"] = 0
        await report.start_report(turn, text)  # asks what is wrong
        return
    if intent in ("rate", *_CHATTER) and followup.rating_from(turn, text) is not None:
        await _late_rating(turn, text)  # "4" on SMS after the desk asked for a rating
        return
    # Not for what is surely another desk's ("how do I apply for annual leave?", HR's): that
    # became a ticket for IT, unless it names something of IT's.
    others = (
        intent == "out_of_scope" and turn.parse.intent.confidence >= 0.8 and not turn.parse.entity("category")
    )
    if intent in ("help", "greet", *_CHATTER) and report.asks_how_to(text) and not others:
        # The knowledge base first, then a ticket for the desk to answer; it got the help menu.
        # A question is no fault: a request for information (ITIL), without "which area is the
        # problem?" and "how badly does it affect your work?", which it was asked as an incident.
        turn.state["misses"] = 0
        await report.start_report(
            turn, text, kind="request" if report.asks_for_information(text) else "incident"
        )
        return
    # "能帮我催一下吗？" (help, 0.92) about the ticket they have open; "this is urgent, please
    # hurry" (a report that tells nothing else) got "what would you like me to do?" with INC-1
    # open. A request that names what it wants ("need admin rights urgently", 0.97) is new;
    # "hurry up please" (a request, 0.92) names none and got the menu of kinds of request.
    # The kinds of request are looked through (0.3 ms) only for a message that only hurries.
    only_hurries = (
        not turn.parse.entity("category")
        and followup.says_little_but_hurry(text)
        and (
            turn.parse.intent.confidence < _CHASED_BELOW.get(intent, 0.0)
            or (
                intent == "request_service"
                and not report.request_kind_named(turn.desk.settings.bot.requests, text)
            )
        )
    )
    # "麻烦加快一下进度" (status, 0.50) was asked "which?"
    if (intent in ("help", "check_status", *_CHATTER) or only_hurries) and await followup.chase(turn, text):
        return
    if intent in _CHATTER:
        await _not_understood(turn, intent, text)
        return
    turn.state["misses"] = 0
    # "急用" right after a request: how urgent that is, whatever the model makes of two characters
    # (helpful, 0.50; a report, 0.40), offered to it; added, it raises its urgency.
    ticket = await followup.linked_ticket(turn) if report.only_urgency(turn, text) else None
    if ticket is not None and report.offer_detail(turn, ticket, text):
        return
    unsure = await _unsure(turn)
    if (unsure or intent == "request_service") and await _answered_first(turn, text, asked=unsure):
        return
    # "IT服务台电话多少" (the desk's phone number?) read as an ask for a person at 0.65 and queued
    # the user: a question an article surely answers gets the article first.
    unsure_human = intent == "talk_to_human" and turn.parse.intent.confidence < _SURE_HUMAN
    if unsure_human and await _answered_first(turn, text, asked=True):
        return
    # "what are the desk's opening hours?" (help, 0.71) got the help text, and the hours article
    # (1.0) was never offered (2026-12-07): a question for help an article surely answers gets it.
    if intent == "help" and await _answered_first(turn, text, asked=True):
        return
    if unsure:
        await _clarify(turn, text)
        return
    await _act(turn, intent, text)


def _also_another_thing(turn: Turn) -> bool:
    """Whether "more about a ticket" says it is about something else too: "另外我的显示器也有点闪"
    (add_info, 0.65) right after a slow-computer ticket was added to it. As a report it is asked
    whether it belongs to that ticket, as "also my monitor flickers" (report_problem) is."""
    return _says_another(turn.text) and turn.parse.entity("category") is not None


async def _nothing_to_add_to(turn: Turn) -> bool:
    """Whether "more about a ticket" (add_info) naming no ticket has none to be about: the user
    has no open ticket, or this conversation is about none and the message names a kind of
    problem none of theirs is ("VPN从今天早上开始每小时掉线一次" read as more information at
    0.82 for its "since this morning", and a user with a printer ticket was asked which ticket)."""
    mine = await requester_tickets(turn.session, turn.person, OPEN_STATUSES)
    if not mine:
        return True
    if await followup.linked_ticket(turn) is not None:
        return False
    named = await report.named_category(turn)
    return named is not None and all(report.another_kind(named, t.category_path) for t in mine)


async def _answered_first(turn: Turn, text: str, *, asked: bool) -> bool:
    """A question an article surely answers, met with the article, then a ticket if it does not
    help: "where can I find the wifi password for guests" read as a password request ("Which
    account?"), and "what's the wifi password for guests?" got "a request or a problem?". A
    request must ask how or where (``asked``: any question the model was unsure of will do);
    "can I get Visio installed?" is a request, whatever the software article says."""
    if not (report.asks_how_to(text) or (asked and asks(text))):
        return False
    if not (sure := await _sure_articles(turn, text)):
        return False
    # An ask for help that tells of no fault ("what are the desk's opening hours?") is a question
    # for the desk if the article does not answer it, as a request is.
    intent = turn.parse.intent.name
    asks_only = intent == "request_service" or (intent == "help" and not report.tells_a_fault(text))
    await report.start_report(turn, text, kind="request" if asks_only else "incident", found=sure)
    return True


async def _sure_articles(turn: Turn, text: str) -> list[Hit]:
    """Articles that surely answer a question the model could not place (0.55 or more). Searched
    once a turn: a question asked in passing mid-report that none answers is looked for again
    where it ends, in :func:`_not_understood`."""
    key = ("sure_articles", text)
    if key not in turn.memo:
        kinds = await report.named_categories(turn)  # none on another kind of thing than it names
        hits = await report.relevant_articles(turn, text, kinds)
        turn.memo[key] = [h for h in hits if h.score >= report.SURE_ARTICLE]
    found: list[Hit] = turn.memo[key]
    return found


_STATUS_WORDS = re.compile(r"\b(?:status|update|progress|tickets?|news)\b|进度|状态|工单|进展", re.IGNORECASE)


def _asks_status(turn: Turn, text: str) -> bool:
    """Whether ``text`` is put as a status question: a question, a ticket named, or words of status."""
    return asks(text) or followup.ref_in(turn) is not None or _STATUS_WORDS.search(simple(text)) is not None


async def _not_fixed(turn: Turn) -> bool:
    """The problem told again while its ticket waits for "is it fixed?" ("still printing blank
    pages" after "replaced the toner"): a no, which reopens it. It began a new report of the
    same problem, and the resolved ticket closed on its own three days later. Said later, with
    other words in between, the bot asks whether it is that ticket or a new problem. A message
    that names another ticket or another kind of problem is new."""
    ticket = await followup.resolved_here(turn)
    ref = followup.ref_in(turn)
    if ticket is None or (ref is not None and ref != ticket.ref):
        return False
    if report.another_kind(await report.named_category(turn), ticket.category_path):
        return False
    if ref is None and await _asked_if_fixed(turn) != ticket.ref:
        # Not the answer to "is it fixed?" (other words came since): it may be a new problem of
        # the same kind ("the printer on floor 5 is jammed" after a toner ticket), so ask.
        question = turn.t("fixed.which", ref=ticket.ref, subject=ticket.subject)
        _ask_which(
            turn, turn.text, question, turn.button("fixed.still", f"/reopen {ticket.ref}", ref=ticket.ref)
        )
        return True
    if followup.says_yes_it_works(turn.text):
        return await followup.confirm(turn, ticket.ref, fixed=True)
    if followup.contradicts(turn.text, fixed=False):
        followup.ask_if_fixed(turn, ticket)
        return True
    return await followup.confirm(turn, ticket.ref, fixed=False)


async def _confirm_typed(turn: Turn, *, fixed: bool) -> bool:
    """:func:`~bots.followup.confirm` for what the user typed ("yes", "still broken", "thanks!"):
    an answer to "did this fix it?" that contradicts itself (:func:`~bots.followup.contradicts`) is asked
    again instead."""
    ref = await _asked_if_fixed(turn)
    if ref is not None and followup.contradicts(turn.text, fixed=fixed):
        ticket = await requester_ticket(turn.session, turn.person, ref)
        if ticket is not None and ticket.status == "resolved":
            followup.ask_if_fixed(turn, ticket)
            return True
    return await followup.confirm(turn, ref, fixed=fixed)


async def _answers_agent(turn: Turn) -> bool:
    """Whether the message answers an agent's update on an open ticket, delivered here (see
    :func:`~bots.followup.awaited_reply`); it does unless it names another ticket or another kind
    of problem. It used to be read as a new report: "that worked, outlook opens now" got the
    Outlook articles."""
    ticket = await followup.awaited_reply(turn)
    if ticket is None or followup.ref_in(turn):
        return False
    if report.another_kind(await report.named_category(turn), ticket.category_path):
        return False
    turn.state["ticket"] = ticket.ref
    return True


async def _not_understood(turn: Turn, intent: str, text: str) -> None:
    """Chatter, or words the model cannot place. With a ticket being discussed, words it cannot
    place are more about it: added when they say enough, else offered to add ("工作需要"), as is
    what it reads as off-topic ("I spilled coffee on it")."""
    ticket = await followup.linked_ticket(turn)
    if ticket is not None and intent == OOS_INTENT and weight(text.strip()) >= _DETAIL:
        await followup.add_info(turn, text)
        return
    # What the model knows as off-topic may be how the thing broke ("I spilled coffee on it",
    # "it got wet in the rain" right after a laptop ticket got "I can't help with that"): offered
    # to the ticket, with the menu for anything else.
    if ticket is not None and report.offer_detail(turn, ticket, text):
        return
    if ticket is None and asks(text):
        # "When is the IT desk open?" got "I'm the IT help desk, so I can't help with that": a
        # question the model cannot place may still be one the knowledge base answers surely.
        if (sure := await _sure_articles(turn, text)) and turn.state.get("flow") in ("report", "request"):
            report.answer_aside(turn, sure[0])  # asked in passing: the report's question follows
            return
        if sure:
            await report.start_report(turn, text, found=sure)
            return
    turn.state["misses"] = turn.state.get("misses", 0) + 1
    if turn.state["misses"] >= turn.desk.settings.bot.misunderstandings_before_handoff:
        turn.state["misses"] = 0
        await followup.handoff(turn, "the bot did not understand twice in a row")
        return
    if intent == OOS_INTENT and ticket is None and weight(text.strip()) >= _DETAIL:
        # Words the model cannot place that say this much are likely a report in words it has
        # never seen ("git push rejected", "座机没有拨号音"): asked which it is, the words are kept,
        # so "Report a problem" goes on with them. The menu made the user type it all again.
        await _clarify(turn, text)
        return
    key = "oos" if intent == "out_of_scope" else "misunderstood"
    turn.say(turn.t(key), turn.menu())


async def _act(turn: Turn, intent: str, text: str) -> None:
    if intent == "greet":
        turn.say(_greeting(turn))
        turn.say(turn.t("help"), turn.menu())
    elif intent == "help":
        turn.say(turn.t("help"), turn.menu())
    elif intent == "thanks":
        if not await _thanks_for_the_fix(turn):
            turn.say(turn.t("thanks"))
    elif intent == "goodbye":
        turn.say(turn.t("goodbye"))
    elif intent == "report_problem":
        if text == turn.text and (two := await report.two_problems(turn)) is not None:
            _ask_one_at_a_time(turn, *two)
            return
        await report.start_report(
            turn, text, kind="request" if report.asks_for_information(text) else "incident"
        )
    elif intent == "request_service":
        await report.start_request(turn, text)
    elif intent == "check_status":
        await followup.show_status(turn)
        await followup.pass_on_a_chase(turn, text)
    elif intent == "add_info":
        if not followup.ref_in(turn) and (_also_another_thing(turn) or await _nothing_to_add_to(turn)):
            await report.start_report(turn, text)  # a new problem, or asked whether it is the ticket's
        else:
            await followup.add_info(turn, text)
    elif intent == "talk_to_human":
        await followup.handoff(turn, "the user asked for a person")
    elif intent == "cancel_ticket":
        await followup.ask_cancel(turn)
    elif intent == "reopen":
        # Right after a resolution, "reopen" is the answer to "did this fix it?".
        if followup.ref_in(turn) or not await _confirm_typed(turn, fixed=False):
            await followup.reopen(turn)
    elif intent in ("affirm", "deny", "kb_helpful", "kb_not_helpful"):
        fixed = intent in ("affirm", "kb_helpful")
        if await _confirm_typed(turn, fixed=fixed):
            return
        if intent in ("deny", "kb_helpful") and says_no_more(text):
            # "no thanks" to "anything else?" ("没有了" is read as helped): goodbye. To a question
            # of the bot's with its own buttons ("is 'asap please' more about REQ-1?"), no more
            # than an ok: they said no to it.
            if turn.asks_something([b["payload"] for b in await _last_buttons(turn)]):
                turn.say(turn.t("ack"), turn.menu())
            else:
                turn.say(turn.t("goodbye"))
            return
        # Not an answer to anything: "helped" with no article offered ("急用" read as kb_helpful
        # at 0.71, "needed for work" at 0.37), or a doubtful yes or no, may be more about the
        # ticket being discussed.
        doubtful = (
            intent.startswith("kb_") or turn.parse.intent.confidence < turn.desk.settings.bot.clarify_below
        )
        ticket = await followup.linked_ticket(turn) if doubtful else None
        if ticket is not None and followup.says_it_works_now(turn, text):
            followup.offer_close(turn, ticket, text)
            return
        if ticket is not None and report.offer_detail(turn, ticket, text):
            return
        if intent == "kb_not_helpful" and weight(text) >= _DETAIL:
            # "Didn't work" with nothing offered, said at length, is a problem: "the badge reader
            # at the door doesn't work" (0.98) got the help menu.
            await report.start_report(turn, text)
            return
        if intent == "affirm" and says_only_social(text):
            # "ok" / "好的" after a ticket's reference: an acknowledgement, not a call for the
            # whole help text again.
            turn.say(turn.t("ack"), turn.menu())
            return
        turn.say(turn.t("help"), turn.menu())
    elif intent == "rate":
        turn.say(turn.t("thanks"))
    else:
        log.warning("no handler for intent %s", intent)


def _greeting(turn: Turn) -> str:
    """By first name when we know one; an address or a platform id is not a name. A name the
    user gives ("我是王芳", "I'm Anna") becomes theirs when the channel told none."""
    name = (turn.person.name or "").strip()
    known = name and "@" not in name and not name.startswith("+") and name != turn.conversation.chat_id
    if not known:
        given = introduced_name(turn.text)
        if given is None:
            return turn.t("greet.noname")
        turn.person.name = name = given
    return turn.t("greet", name=name.split(" ")[0])


async def _late_rating(turn: Turn, text: str) -> None:
    """A rating outside the bot's own survey: the answer to the desk's auto-close prompt, or to
    a resolution notice not yet confirmed (see :func:`~bots.followup.rate_unprompted`)."""
    score = followup.rating_from(turn, text)
    ref = turn.state.get("survey")
    if score is not None and ref:
        turn.state.update(flow="survey", step="score", survey=ref)
        await followup.survey_answer(turn, ref, score, text)
    elif score is None or not await followup.rate_unprompted(turn, score, text):
        turn.say(turn.t("help"), turn.menu())


async def _thanks_for_the_fix(turn: Turn) -> bool:
    """ "Thanks!" / "收到了，谢谢" to a resolution notice asking whether it is fixed: a yes. It
    got "You're welcome", the ticket stayed resolved and no rating was asked for."""
    return await _asked_if_fixed(turn) is not None and await _confirm_typed(turn, fixed=True)


# What answers "is it fixed?" (see :func:`_act`): yes or no, in so many words, thanks, a rating.
_ANSWERS_IF_FIXED = ("affirm", "deny", "kb_helpful", "kb_not_helpful", "thanks", "reopen", "rate")


async def _answers_the_desk(turn: Turn, text: str) -> bool:
    """Whether the message (``text``, a button it picks) answers the desk's "is it fixed?" that
    came after the question of the report or request being written (the printer articles, then
    "INC-1 is resolved: is it fixed?"): the last question is the one answered."""
    tapped = text.startswith("/")
    if tapped:
        could = text.split()[0] in ("/confirm", "/reopen")
    else:
        could = turn.parse.intent.name in _ANSWERS_IF_FIXED
    if not could or await _asked_if_fixed(turn) is None:
        return False  # what cannot answer it (most messages) costs no look at the transcript
    return not tapped or text in [str(b["payload"]) for b in await _last_buttons(turn)]


async def _asked_if_fixed(turn: Turn) -> str | None:
    """The ticket whose resolution notice ("is it fixed?" [Yes] [No]) is what the user last got,
    unanswered: what they say now answers it."""
    asked = [str(b["payload"]).split() for b in await _last_buttons(turn)]
    return next((p[1] for p in asked if len(p) == 2 and p[0] == "/confirm"), None)
