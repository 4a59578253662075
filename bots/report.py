"""Reporting a problem and requesting a service: the flows that end in a ticket.

A problem first meets the knowledge base (up to three articles with "this solved it" / "not
solved"); a solved one closes the conversation as a deflection. Otherwise the bot asks only for
what it does not know yet (category, how badly it hurts, a description), offers to add to a
similar open ticket instead of opening a duplicate, and then opens the ticket and gives its
reference, priority and promised times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from rapidfuzz import fuzz
from sqlalchemy import select, update

from bots.turn import (
    CJK,
    LATIN_WORD,
    OUTLIVES_FLOWS,
    Turn,
    asks,
    clauses,
    pieces,
    simple,
    told,
    weight,
    without_clauses,
    without_greeting,
)
from channels.base import Button
from desk.approvals import approver_named, current_approval, request_approval
from desk.audit import record_event
from desk.catalog import category_named, nested, precise_category, problem_categories, under_any, within
from desk.context import Actor
from desk.handoff import close_conversation
from desk.i18n import t as desk_t
from desk.kb import Hit, record_feedback, search_articles
from desk.lifecycle import OPEN_STATUSES
from desk.models import Article, Category, Message, Ticket
from desk.priority import LEVELS
from desk.settings import RequestOption, RequestQuestion, RequestType
from desk.slots import day_of
from desk.textindex import mention_span, mentions, query_terms, snippet, terms
from desk.tickets import (
    add_comment,
    change_ticket,
    create_ticket,
    format_due,
    known_issue_for,
    link_to_problem,
    open_known_issue,
    open_known_issues,
    requester_ticket,
    requester_tickets,
)
from nlu import Entity, Parse

__all__ = [
    "URGENCY",
    "add_to_existing",
    "add_words",
    "another_kind",
    "answer_aside",
    "answer_choice",
    "answer_request",
    "asks_for_information",
    "asks_how_to",
    "choose_request",
    "continue_report",
    "doubted_answer",
    "draft_category",
    "gives_a_reason",
    "join_known_issue",
    "kb_verdict",
    "more_at_articles",
    "most_urgent",
    "named_categories",
    "named_category",
    "offer_close",
    "offer_detail",
    "offer_known_issue",
    "offered_answer",
    "only_urgency",
    "open_for_handoff",
    "open_ticket",
    "other_things",
    "question_now",
    "raise_urgency",
    "relevant_articles",
    "request_kind_named",
    "says_more",
    "start_report",
    "start_request",
    "subject_line",
    "suggest_articles",
]

# Quick buttons → (impact, urgency): what a user can tell about their own situation.
URGENCY = {
    "low": ("low", "low"),
    "medium": ("medium", "medium"),
    "high": ("medium", "high"),
    "team": ("high", "high"),
}
WORDY = 25  # weighted characters: shorter descriptions get one request for detail
_RECENT = timedelta(minutes=15)  # a report this soon after the conversation's last ticket may be about it
_TOO_SHORT = 8  # weighted characters: "I can't work" says nothing to search on
# A message that says only that something is wrong, nothing of what: "I have a problem", "I have
# an issue, can you take a look?", "出问题了", "我这边出了点问题，麻烦看一下". They were asked
# "which area is it about?", shown the kinds of request, asked which ticket to reopen, or not
# understood (2026-12-07); the bot asks what is wrong.
_ONLY_A_PROBLEM = re.compile(
    r"^(?:"
    # "I have a problem", "there's an issue", "something is wrong", then maybe "can you take a look?"
    r"(?:(?:(?:i|we)(?:'ve|\s+have)?\s+got|(?:i|we)\s+have|i'm\s+having|i\s+am\s+having|we're\s+having"
    r"|there(?:'s|\s+is))\s+(?:a|an|one|some)?\s*(?:small|little|quick|big|strange|weird|serious|technical|it)?"
    r"\s*(?:problem|issue)s?|something(?:'s|\s+is)\s+(?:wrong|broken|not\s+working))(?:\s+here)?"
    r"(?:\s*[,.!?]*\s*(?:(?:can|could|would)\s+(?:you|someone|somebody|anyone)\s+|please\s+)?"
    r"(?:take\s+a\s+look|have\s+a\s+look|look\s+into\s+it|check|help(?:\s+me)?)(?:\s+please)?)?"
    # "出问题了", "我这边出了点问题，麻烦看一下", "有点问题想请你们看看"
    r"|(?:我们?)?(?:这边|这里)?(?:遇到了?|碰到了?|出了?|有)(?:一)?(?:个|点|些)?(?:小)?问题了?"
    r"(?:\s*[，,。]?\s*(?:想|麻烦|请|能不能|可以|能)?(?:请)?(?:你们|您)?(?:帮我|帮忙)?"
    r"(?:看一下|看看|看下|处理一下)(?:吗|吧)?)?"
    r")\s*[.!?。！？~～]*\s*$",
    re.IGNORECASE,
)


def says_only_a_problem(text: str) -> bool:
    """Whether ``text`` says only that something is wrong, nothing of what ("I have a problem",
    "出问题了"), once what comes before the problem is told is set aside (see :func:`told`)."""
    return _ONLY_A_PROBLEM.match(simple(told(text) or text)) is not None


# A device that is itself dead or broken, whatever else the message names: "my laptop won't turn on
# after the windows update" (filed under the update's software, for the applications team, on
# 2026-12-07), "my pc won't boot since I installed the new vpn client", "装了新软件以后电脑开不了机".
# Not "won't start" or "无法启动": "outlook won't start on my laptop" is Outlook's.
_DEVICE_FAILS = re.compile(
    r"\b(?:won'?t|wont|will\s+not|doesn'?t|does\s+not|didn'?t|did\s+not|can'?t|cannot|can\s+not|isn'?t|is\s+not)"
    r"\s+(?:even\s+)?(?:(?:turn|switch|power)(?:ing)?\s+(?:on|up)(?!\s+(?:the|my|a|an|its?|this|that)\b)"
    r"|boot(?:ing)?(?:\s+up)?|charg(?:e|ing))\b"
    r"|\bnot\s+(?:turning\s+on|switching\s+on|powering\s+(?:on|up)|booting(?:\s+up)?|charging)\b"
    r"|\b(?:no\s+power|cracked|smashed|shattered|spill(?:ed|t)|water\s+damage|overheat(?:s|ed|ing)?"
    r"|burning\s+smell)\b"
    r"|开不了机|开不开机|无法开机|不能开机|开机不了|不开机|开不起来|没法开机|启动不了机|充不进电|充不上电|不充电|充不了电"
    r"|进水|摔坏|摔了|屏幕碎|屏碎|碎屏|裂了|过热|发烫|烫手|冒烟|烧焦",
    re.IGNORECASE,
)

_JUST_AN_ASK = 40  # weighted characters: a longer ask for a person says what about ("...about my payslip")
_MOST_PARTS = 4  # sentences of a long message searched one at a time when it finds nothing whole
# An article offered beside a better one, and not filed under the kind of problem named, must come
# near it: "Can't print to the 3rd floor printer" found the printer article (0.63) and, on "3rd
# floor" alone, the desk's hours (0.41, no category).
_NEAR_BEST = 0.7
_A_DETAIL = 6  # weighted characters: "急用" may be a detail of a ticket, "ok" or "?" is not
# Words that begin saying why a request is made: "because I need two screens for CAD", "it's for
# Excel work", "I need it for...", "因为要做报表", "用来开会".
_WHY = (
    r"(?:(?:it'?s|it\s+is|that'?s|this\s+is|they'?re|(?:i|we)\s+need\s+(?:it|them|one|this|these)"
    r"|(?:i|we)(?:'ll|\s+will)?\s+use\s+(?:it|them))\s+)?(?:for|because|since|so\s+that)\b"
    r"|因为|为了|是为了|用来|用于|工作需要"
)
# ... or who it is for: after a request, more about it.
_WHO_FOR = re.compile(_WHY + r"|给|是给", re.IGNORECASE)
_REASON = re.compile(_WHY, re.IGNORECASE)
_OTHER = "other"  # the kind of request "Something else" picks: none the desk lists
# "Not sure" typed at "which area is it about?" or "how badly does it affect your work?".
_UNSURE = re.compile(
    r"(?:i'?m |i am |i )?(?:not sure|unsure|don'?t know|dunno|no idea|none(?: of (?:these|them|those|the above))?"
    r"|neither|something else|other|not listed)|不确定|不知道|不清楚|说不清|搞不清|都不是|其他|别的|不晓得",
    re.IGNORECASE,
)
_DESCRIBES = {"report_problem", "add_info"}  # intents of a message that says more about the problem


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_SUBJECT_MAX = 120
_SUBJECT_ENOUGH = 80  # characters: a longer first line is cut after its sentences up to here


def subject_line(text: str) -> str:
    """A ticket's subject from the user's words: their first line without a greeting ("hello,
    my monitor..." is "My monitor..."), a self-introduction ("我是财务部的小李，") or an ask for
    help ("can you help me?"); a line that is only "Hello," gives way to the next; a word joining
    it to what was said before ("also", "另外") goes too. A long line keeps its first sentences
    up to about 80 characters, else is cut at a word, at most 120 characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        rest = told(line)
        if rest == line:
            return _shortened(line)
        if rest:
            return _shortened(rest[0].upper() + rest[1:])
    return _shortened(lines[0]) if lines else ""


def _shortened(line: str) -> str:
    if len(line) <= _SUBJECT_ENOUGH:
        return line
    sentences = [s for s in _SENTENCE_END.split(line) if s]
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + 1 + len(sentence) > _SUBJECT_ENOUGH:
            break
        kept = f"{kept}{'' if CJK.search(kept[-1:]) else ' '}{sentence}"
    if len(kept) <= _SUBJECT_MAX:
        return kept
    cut = kept[: _SUBJECT_MAX - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > _SUBJECT_ENOUGH // 2 else cut).rstrip(" ,，;；") + "…"


def add_words(draft: dict[str, Any], text: str) -> None:
    """Add what the user just wrote to the description being written, on a line of its own."""
    draft["text"] = f"{draft.get('text', '')}\n{text.strip()}".strip()


async def unrelated_problem(turn: Turn, text: str) -> bool:
    """Whether ``text``, said of the report being written, is a problem of its own: a category it
    names, every one of another kind than the draft's, and no word in common with the draft for
    what is affected ("my printer is not working" in answer to "please describe your VPN problem
    in more detail" went into the VPN ticket's description). "I can't reach e-mail or the shared
    drive away from the office" names the network too, and is no new problem of a VPN report."""
    named = await named_categories(turn)
    mine = draft_category(turn)
    if not named or not all(another_kind(path, mine) for path in named):
        return False
    return other_things(turn, text)


def other_things(turn: Turn, text: str) -> bool:
    """Whether ``text`` has no word in common with the draft being written for what is affected
    (words for how it fails, or since when, do not count): "monitor" is not "laptop"."""
    draft = turn.state.get("draft") or {}
    return not _what(text) & _what(draft.get("text", ""))


def another_kind(path: str | None, other: str | None) -> bool:
    """Whether two category paths name different kinds of problem (``network/vpn`` and
    ``printer``); unknown on either side is not another kind."""
    return bool(path and other and path.split("/")[0] != other.split("/")[0])


def may_answer(path: str | None, article: str | None) -> bool:
    """Whether an article filed under ``article`` may answer a problem of kind ``path``: the same
    category, or one inside the other (a ``network`` article for a Wi-Fi problem), or either
    unknown. Not a sibling: the VPN article does not answer "can't connect to the wifi", though
    both are network problems (stricter than :func:`another_kind`, which judges whether a
    message is a new problem at all)."""
    return not path or not article or nested(path, article)


# A question how to do something, or where to find it: "How do I set up an out of office reply?"
# (read as help, 0.94), "where can I find...", "怎么设置...". What follows the lead-in says what about.
_HOW_TO = re.compile(
    r"^(?:(?:how\s+(?:do|can|could|should|would)\s+(?:i|we|one)|how\s+to|where\s+(?:can|do|should)\s+(?:i|we)"
    r"|where\s+is|is\s+there\s+a\s+way\s+to|what(?:'s|\s+is)\s+the\s+(?:best\s+)?way\s+to)\b"
    r"|请问)?\s*(?:怎么|怎样|如何|在哪|哪里)?",
    re.IGNORECASE,
)
# Words of a fault in a how-to question: "how do I fix...", "怎么办，打不开".
_FAULT = re.compile(
    r"\b(?:fix|repair|broken|not\s+working|doesn'?t|does\s+not|don'?t|won'?t|can'?t|cannot|isn'?t|error\w*"
    r"|crash\w*|fail\w*|stuck|again|lost|missing|wrong|slow|freez\w*|down)\b"
    r"|不能|不了|不上|不到|不出|坏|报错|错误|失败|打不开|崩溃|死机|怎么办|不行|没反应|卡住|很慢|没了|丢了|异常",
    re.IGNORECASE,
)
# How to obtain something ("how do I get visio?", "请问怎么申请一个新的工卡"): a request for it.
_OBTAIN = re.compile(r"\b(?:get|apply|request|order|obtain|borrow)\b|申请|领取|办理|借", re.IGNORECASE)
_HOW_TO_ABOUT = 12  # weighted characters after the lead-in: "how do I get help" is no question about anything


def asks_how_to(text: str) -> bool:
    """Whether ``text`` asks how to do something, or where to find it, and says what about."""
    said = without_greeting(simple(text))
    lead = _HOW_TO.match(said)
    if lead is None or not lead.group(0).strip():
        return False
    return weight(said[lead.end() :].strip(" ?？")) >= _HOW_TO_ABOUT


def asks_for_information(*texts: str) -> bool:
    """Whether ``texts`` (a message; a mail's subject and body) ask how to do something ("how do
    I set up an out of office reply?", "请问怎么共享日历") without telling of a fault ("how do I fix
    the printer, it's jammed"): a request for information, in ITIL a service request, not an
    incident."""
    return any(asks_how_to(t) for t in texts) and not any(tells_a_fault(t) for t in texts)


def tells_a_fault(text: str) -> bool:
    """Whether ``text`` has words of something broken or failing ("doesn't", "error", "打不开")."""
    return _FAULT.search(simple(text)) is not None


_FILES_FOR = timedelta(minutes=30)  # files sent alone belong to a report begun this soon after


async def files_before(turn: Turn) -> int | None:
    """The first message of files sent alone just before a report's words (a screenshot, then
    "this error keeps coming up"), so that they join its ticket; None when there were none, or
    they were sent more than half an hour ago. Taken once."""
    first = turn.state.pop("files_since", None)
    if first is None:
        return None
    sent = await turn.session.get(Message, first)
    if sent is None or turn.desk.now() - sent.created_at > _FILES_FOR:
        return None
    return int(first)


async def start_report(
    turn: Turn,
    text: str,
    *,
    kind: str = "incident",
    found: list[Hit] | None = None,
    since: int | None = None,
    then: str | None = None,
    after: list[int] | None = None,
) -> None:
    """Begin a report from the user's own words; entities fill what they already say. It is
    filed as ``kind`` if the articles do not answer it; ``found`` are the articles for ``text``
    when the caller has searched already; ``since`` is the message the conversation about it began
    with, when that was before this one (its messages join the ticket); ``then`` is the kind of
    service request whose questions follow if the articles do not answer it; ``after`` places
    its first message when it is not yet sent (see :func:`_reply_of`), for the second of two
    problems told at once, which is not asked about the ticket just opened. A report still
    being written that the articles did not solve is filed first (see :func:`_unfiled`)."""
    since = since or await files_before(turn)
    earlier = await _set_aside(turn, text, since)
    turn.reset()
    draft: dict[str, Any] = {"text": text.strip(), "since": since or turn.message.id}
    if after:  # the second of two problems told at once: new, whatever was just opened
        draft.update(after=after, dup_checked=True)
    elif earlier is not None:
        # Told apart from the report just filed ("A new problem"): it was then asked whether to
        # add it to that very ticket (2026-12-07).
        draft["dup_checked"] = True
    if kind != "incident":
        draft["type"] = kind
    if kind == "request" and asks_for_information(text):
        draft["question"] = True  # told as a question passed on, not as "your request is in"
    if then:
        draft["then"] = then
    _take_entities(turn, draft, await named_categories(turn))
    if kind == "request":
        # Of no kind the desk lists ("a parking permit"): the desk sorts it, at a request's
        # urgency; "which area is the problem?" and "how badly does it hurt?" are a problem's.
        skip(draft, "category")
        draft["urgency"] = draft.get("urgency") or "low"
    turn.state.update(flow="report", draft=draft)
    if weight(_without_urgency(turn, draft["text"])) < _TOO_SHORT or says_only_a_problem(draft["text"]):
        # "I have a problem", "I can't work": nothing to search on yet (how badly it hurts says
        # nothing of what is wrong; searched, "can't work" found the articles saying "work account").
        turn.state["step"] = "text"
        turn.say(turn.t("request.ask" if kind == "request" else "report.ask"))
        return
    if await _more_about_the_new_ticket(turn) or await _articles_first(turn, found):
        return
    await continue_report(turn)


async def _set_aside(turn: Turn, text: str, since: int | None) -> dict[str, Any] | None:
    """What is being written, when ``text`` begins something new at message ``since`` (or this
    one): the report the articles did not solve is filed (:func:`_unfiled`), the request being
    answered put aside (:func:`_hold_request`). The report's draft, if one was filed."""
    if (earlier := _unfiled(turn, text)) is not None:
        earlier["until"] = since or turn.message.id  # the new report's messages are not its
        await _open_ticket(turn, earlier, kind=earlier.get("type", "incident"))
    await _hold_request(turn, since or turn.message.id)
    return earlier


def _unfiled(turn: Turn, text: str) -> dict[str, Any] | None:
    """The draft of a report the articles did not solve (or none were found for), being asked
    how badly it hurts or for more detail, when the user begins another ("A new problem" to "is
    that your answer, or a new problem?"): it is a ticket's worth, and it was dropped without a
    word ("vpn broken", not solved, then "my printer isn't working either": no VPN ticket). What
    it still lacks the desk has, as for any ticket: the default urgency, the words it has."""
    draft = turn.state.get("draft")
    if turn.state.get("flow") != "report" or turn.state.get("step") not in ("urgency", "description"):
        return None
    if not draft or not text.strip() or simple(draft["text"]) == simple(text.strip()):
        return None  # the same words again, or none yet (the menu's "Report a problem"): begun anew
    return cast(dict[str, Any], draft)


async def _hold_request(turn: Turn, until: int) -> None:
    """A request whose questions are being answered, put aside when the user reports a new
    problem ("A new problem" to "is that your answer?"): it was dropped without a word ("I need a
    new monitor", then "also my vpn is broken" at "where should we deliver it?": no monitor
    request). It comes back when the new report is done (:func:`resume_held`); its messages so
    far (from its start to ``until``) join it then, not those of the new report."""
    if turn.state.get("flow") != "request" or turn.state.get("step") != "answer":
        return
    request = dict(turn.state["request"])
    start = request.get("since", until)
    if after := request.pop("after", None):  # put aside before: its messages since taken up again
        start = await _reply_of(turn, *after) or until
    request["spans"] = [*request.get("spans", []), [start, until]]
    turn.state["held"] = {"flow": "request", "step": "answer", "request": request}


async def pause(turn: Turn) -> None:
    """Put the report or request being written aside while the user answers a question the desk
    asked after the bot's own: "好了，谢谢" to "INC-1 is resolved: is it fixed?", which came after
    the printer articles, was taken as "the article helped" and INC-1 stayed open, unrated
    (2026-12-07). The flow comes back, its question asked again, once that is done
    (:func:`resume_held`). With something already put aside (a request the report interrupted),
    a report past its articles is filed as it is, as when the user begins another (see
    :func:`_set_aside`): it was dropped without a word; one before its articles are answered is
    left, as a new report leaves it."""
    if turn.state.get("flow") == "request":
        await _hold_request(turn, turn.message.id)  # at its questions; still choosing a kind, begun anew
    elif turn.state.get("held") and (earlier := _unfiled(turn, turn.text)) is not None:
        earlier["until"] = turn.message.id  # the answer to the desk is not the report's
        await _open_ticket(turn, earlier, kind=earlier.get("type", "incident"))
    elif turn.state.get("flow") == "report" and not turn.state.get("held"):
        kept = {k: v for k, v in turn.state.items() if k not in (*OUTLIVES_FLOWS, "misses", "unsure")}
        asked = await turn.latest(Message.direction == "out", Message.author_kind == "bot")
        turn.state["held"] = {
            "paused": kept,
            "asked": asked.id if asked is not None else turn.message.id,  # the articles, say
            "until": turn.message.id,
        }
    turn.reset()


async def file_held(turn: Turn) -> Ticket | None:
    """The request put aside, filed as it is when the bot cannot come back to it: the user is
    handed to a person (it was lost when the conversation closed). Its messages are those
    from before it was put aside. A report put aside while the user answered the desk
    (:func:`pause`) is filed too, once it has words and was not about to join a ticket."""
    held = turn.state.pop("held", None)
    if held is not None and "paused" in held:
        paused = held["paused"]
        if paused.get("step") in ("text", "dup") or not paused.get("draft"):
            return None
        draft = {**paused["draft"], "until": held["until"]}
        return await _file(turn, draft, kind=draft.get("type", "incident"), subject=None)
    if held is not None and "report" in held:  # the second of two problems told at once
        named = Parse.from_rasa(held["parse"], held["report"]).entity("category")
        category = await category_named(turn.session, named) if named else None
        draft = {
            "text": held["report"],
            "category": category.path if category is not None else None,
            "since": turn.message.id,
            "until": turn.message.id,  # no messages: its words are on the first problem's ticket
        }
        return await _file(turn, draft, kind="incident", subject=None)
    kind = _request_type(turn, held["request"].get("key")) if held else None
    if held is None or kind is None:
        return None
    draft, subject = _request_draft(turn, kind, held["request"])
    *earlier, (draft["since"], draft["until"]) = draft.pop("spans")
    draft.update(spans=earlier, after=None)
    return await _file(turn, draft, kind="request", subject=subject)


# Slowness ("slow", "takes minutes", "很卡", "好几分钟"; not 卡纸, a jam).
_SLOW = re.compile(
    r"\b(?:slow(?:ly|s|er)?|sluggish|lag(?:s|gy|ging)?|takes?\s+(?:ages|forever|minutes|\d+\s*min\w*))\b"
    r"|慢|很卡|好卡|太卡|特别卡|卡顿|卡死|好几分钟|几分钟",
    re.IGNORECASE,
)


def _slow_machine(pieces_read: Sequence[Parse], first: str, second: str) -> bool:
    """Whether both parts tell of slowness and one names the computer: "my laptop is very slow,
    excel takes minutes to open" is one problem (what runs on a slow computer is slow), which
    was offered as two (2026-12-07)."""
    computer = any(e.entity == "category" and e.value == "hardware" for p in pieces_read for e in p.entities)
    return computer and all(_SLOW.search(simple(part)) for part in (first, second))


async def two_problems(turn: Turn) -> tuple[str, str, Parse] | None:
    """The two parts of a message that tells problems of different kinds ("my printer is jammed
    and outlook keeps crashing"; see :meth:`~bots.understanding.Understanding.problems`): the
    words up to the first piece whose categories are all of other kinds than every piece before
    it, the words from there, and that piece's parse. They became one ticket, filed under the
    first and routed to its team. Not when a piece names a foremost category (``bot.foremost_
    categories``): "I clicked a phishing link and typed my password" is one security matter."""
    seen: set[str] = set()
    split: tuple[str, str, Parse] | None = None
    foremost = {path.split("/")[0] for path in turn.desk.settings.bot.foremost_categories}
    for start, parse in turn.problems:
        kinds = set()
        for value in dict.fromkeys(e.value for e in parse.entities if e.entity == "category"):
            if (category := await category_named(turn.session, value)) is not None:
                kinds.add(category.path.split("/")[0])
        if kinds & foremost:
            return None
        if split is None and seen and kinds and not kinds & seen:
            # Up to where the piece before it ends: without the "and" or "，还有" between them.
            end = max(e for _, e in pieces(turn.text) if e <= start)
            first = turn.text[:end].strip()
            second = told(turn.text[start:]).strip()
            split = (first, second, parse) if first and second else None
        seen |= kinds
    if split is not None and _slow_machine([p for _, p in turn.problems], split[0], split[1]):
        return None
    return split


async def resume_held(turn: Turn) -> int | None:
    """Back to the request put aside (see :func:`_hold_request`) once nothing else is being
    asked: the report that interrupted it was filed, solved or given up ("never mind", answered
    with the menu), and the bot did not just ask a question of its own (its buttons wait on the
    answer). Its question is asked again; the messages from here on are the request's.

    A report put aside while the user answered the desk (:func:`pause`) is taken up where it was;
    the caller asks its question again, which the bot's message with this id asked (returned)."""
    held = turn.state.get("held")
    if not held or turn.state.get("flow") or turn.conversation.mode != "bot":
        return None
    asked = turn.replies[-1].buttons if turn.replies else ()
    if turn.asks_something([b.payload for b in asked]):
        return None  # a question of its own waits on its buttons (the menu's are no question)
    turn.state.pop("held")
    if "paused" in held:
        turn.state.update(held["paused"])
        return cast(int, held["asked"])
    if "report" in held:  # the second of two problems told at once: its articles or questions
        turn.say(turn.t("report.second", text=held["report"]))
        turn.parse = Parse.from_rasa(held["parse"], held["report"])
        await start_report(turn, held["report"], after=[turn.message.id, len(turn.replies)])
        return None
    kind = _request_type(turn, held["request"].get("key"))
    if kind is None or _pending(kind, held["request"]["answers"]) is None:
        return None  # the desk no longer lists the kind, or asks it nothing more: nothing to come back to
    # Its messages go on from the question asked again, after this turn's other replies (the
    # ticket just opened for the new problem): the messages' ids are known once they are sent.
    held["request"]["after"] = [turn.message.id, len(turn.replies)]
    turn.state.update(held)
    question = _request_question(turn, kind)
    assert question is not None
    text, buttons = question
    title = kind.title.get(turn.lang, kind.title["en"])
    turn.say(turn.t("request.resume", title=title, question=text), buttons)
    return None


async def _more_about_the_new_ticket(turn: Turn) -> bool:
    """Right after a ticket was opened, a report of the same kind is most likely more about it
    ("it says Outlook has stopped working, since yesterday's update" after "my outlook keeps
    crashing"): ask whether to add it before offering articles, which the ticket is past. The
    articles follow if it is a new problem after all. True when asked."""
    draft: dict[str, Any] = turn.state["draft"]
    if draft.get("type") or draft.get("dup_checked") or (recent := await _just_opened(turn, draft)) is None:
        return False
    draft.update(dup_checked=True, articles_due=True)
    _offer_to_add(turn, recent)
    return True


async def _articles_first(turn: Turn, found: list[Hit] | None = None) -> bool:
    """The known issue of the report's kind, or articles that may answer it. True when offered."""
    return await offer_known_issue(turn) or await suggest_articles(turn, turn.state["draft"]["text"], found)


async def offer_known_issue(turn: Turn) -> bool:
    """During an outage, ask a reporter whether it is the known issue of their problem's
    category (a problem marked ``known_issue``), once per report: a yes files it under that
    problem at once, without the articles and questions its hundred other reporters got through.
    True when asked."""
    draft: dict[str, Any] = turn.state["draft"]
    if draft.get("type") or draft.get("known_checked"):
        return False  # a request, or asked already
    problem = await known_issue_for(turn.session, _kinds(draft))
    if problem is None:
        return False
    draft["known_checked"] = True
    _ask_if_known(turn, problem)
    return True


def _ask_if_known(turn: Turn, problem: Ticket) -> None:
    """Whether the report is the known issue ``problem``, with a button for each answer."""
    turn.state["step"] = "known"
    buttons = [turn.button("known.yes", f"/known {problem.ref}"), turn.button("known.no", "/not_known")]
    turn.say(turn.t("known.offer", ref=problem.ref, subject=problem.subject), buttons)


# A question whether something is down for everyone, naming no area: "is there an outage right
# now?", "is it just me?", "系统是不是出故障了？", "是不是只有我这样".
_ASKS_OUTAGE = re.compile(
    r"\b(?:outages?|(?:known|current)\s+(?:issues?|problems?)|is\s+it\s+(?:just|only)\s+me"
    r"|(?:is|are)\s+(?:\S+\s+){0,3}down(?:\s+for\s+(?:everyone|everybody|all))?)\b"
    r"|故障|宕机|挂了|瘫痪|大面积|是不是只有我|只有我(?:这样|一个)|别人也",
    re.IGNORECASE,
)
_OUTAGES_SHOWN = 3


async def _outages_told(turn: Turn, draft: dict[str, Any]) -> bool:
    """ "Is there an outage right now?" naming no area: the known issues of every area, to say
    which is theirs (it was asked "which area is it about?", and the outage it asked after was
    offered only once an area was chosen). With none, the user hears so, and the report goes on
    (False). True when known issues were offered."""
    if draft.get("type") or draft.get("known_checked") or not _ASKS_OUTAGE.search(simple(draft["text"])):
        return False
    draft["known_checked"] = True
    known = await open_known_issues(turn.session, _OUTAGES_SHOWN)
    if not known:
        turn.say(turn.t("known.none"))
        return False
    if len(known) == 1:
        _ask_if_known(turn, known[0])
        return True
    turn.state["step"] = "known"
    buttons = [Button(f"{p.ref} · {snippet(p.subject, 40)}", f"/known {p.ref}") for p in known]
    turn.say(turn.t("known.offer_some"), [*buttons, turn.button("known.no", "/not_known")])
    return True


async def join_known_issue(turn: Turn, ref: str) -> bool:
    """The reporter says their problem is the known issue ``ref``: their report is filed as an
    incident linked to it (resolving the problem resolves it and tells them). False when ``ref``
    is no longer a known issue that is open (fixed meanwhile: the report carries on as usual)."""
    draft: dict[str, Any] = turn.state["draft"]
    problem = await open_known_issue(turn.session, ref)
    if problem is None:
        return False
    if not draft.get("category"):  # "is there an outage?": the outage's area is the report's
        draft["category"] = problem.category_path
    ticket = await _file(turn, draft, kind="incident", subject=None)
    await link_to_problem(turn.session, turn.desk, turn.requester, problem, ticket)
    turn.reset()
    turn.state["ticket"] = ticket.ref
    turn.say(turn.t("known.linked", ticket=ticket.ref, ref=problem.ref))
    return True


async def take_problem(turn: Turn, text: str) -> None:
    """What is wrong, asked for after a first message that said only that something is ("I have
    a problem", "I can't work"): what it names counts ("Outlook crashes" is an e-mail problem;
    it was asked "which area is it about?")."""
    draft: dict[str, Any] = turn.state["draft"]
    draft["text"] = text.strip()
    turn.state["step"] = None
    _take_entities(turn, draft, await named_categories(turn))
    if not await _articles_first(turn):
        await continue_report(turn)


def only_urgency(turn: Turn, text: str) -> bool:
    """Whether ``text`` says only how urgent something is ("急用", "asap please")."""
    return most_urgent(turn.parse) is not None and weight(_without_urgency(turn, text)) < _TOO_SHORT


def _without_urgency(turn: Turn, text: str) -> str:
    """``text`` without the words that only say how urgent it is."""
    for entity in turn.parse.entities:
        if entity.entity == "urgency" and entity.text:
            text = text.replace(entity.text, " ")
    return text.strip()


def _heads_first(parse: Parse) -> list[Entity]:
    """The categories a message names, in its order, except that of names written together, a
    compound ("VPN password", "VPN密码", "network printer", "网络打印机"), the last is first: it
    is the head, what the thing is, and the names before it say which one. "I forgot my VPN
    password" is a password to reset, for the accounts team, not a VPN fault."""
    named = sorted((e for e in parse.entities if e.entity == "category"), key=lambda e: e.start)
    out: list[Entity] = []
    compound: list[Entity] = []
    for entity in named:
        if compound and not parse.text[compound[-1].end : entity.start].strip(" -"):
            compound.append(entity)
            continue
        out.extend(reversed(compound))
        compound = [entity]
    return [*out, *reversed(compound)]


async def named_categories(turn: Turn) -> list[str]:
    """The paths of the categories the message is about, the foremost first: each the NLU reads
    (``vpn`` → ``network/vpn``) made precise by the keywords of the categories inside it (see
    :func:`~desk.catalog.precise_category`), then those the problem is about when it names
    several (see :func:`~desk.catalog.problem_categories`): "我的VPN密码忘了" is about the
    password, then the VPN (see :func:`_heads_first`). Looked up once a turn for each reading
    (a report's start asked it three times, two queries each)."""
    read = tuple((e.entity, e.value, e.start, e.end) for e in turn.parse.entities)
    key = ("named_categories", turn.text, read)
    if key not in turn.memo:
        turn.memo[key] = await _look_up_categories(turn)
    return list(turn.memo[key])


async def _look_up_categories(turn: Turn) -> list[str]:
    paths = []
    for value in dict.fromkeys(e.value for e in _heads_first(turn.parse)):
        category = await category_named(turn.session, value)
        if category is not None:
            paths.append(await precise_category(turn.session, category, turn.text))
    bot = turn.desk.settings.bot
    fails = _DEVICE_FAILS.search(simple(turn.text)) is not None
    return problem_categories(paths, bot.device_categories, bot.foremost_categories, device_fails=fails)


async def named_category(turn: Turn) -> str | None:
    """The foremost of :func:`named_categories`: the category a ticket is filed under."""
    return next(iter(await named_categories(turn)), None)


async def relevant_articles(turn: Turn, text: str, kinds: Sequence[str | None] = ()) -> list[Hit]:
    """The articles worth offering for ``text``: scoring at least ``bot.kb_min_score``, and none
    filed under another kind of problem than those the user named (a printer article does not
    answer "my keyboard is broken", whatever words they share; see :func:`may_answer`); articles
    without a category are always eligible. In the user's language when any is worth offering,
    else in another whose script the message uses ("wifi连不上" may be answered only in English;
    a Chinese article that matches "my outlook is not syncing" on "Outlook" alone is not one an
    English speaker can read). A long message that finds nothing whole is searched a sentence at
    a time: the score is the share of the query an article covers, and "I have a client call at
    2pm, thanks!" after "I can't connect to the VPN from home" took the VPN article to 0.399.
    Words that only say how urgent it is are not searched: "can't work" found the desk's hours
    ("The service desk works...") for a dying battery. Nor is what comes before the problem is
    told (see :func:`told`): "另外我的VPN也连不上了" found nothing, 另外 a term no article has."""
    text = told(_without_urgency(turn, text)) or text
    bot = turn.desk.settings.bot
    kinds = [k for k in kinds if k]
    if kinds and kinds[0] and under_any(kinds[0], bot.foremost_categories):
        # A security matter gets no fault's advice for what else it names: a forwarded "your
        # mailbox is over its quota, verify your account now" was offered "Outlook is not
        # receiving e-mail" and its "archive old mail" (2026-12-07).
        kinds = [k for k in kinds if k and under_any(k, bot.foremost_categories)]
    wanted = bot.kb_suggestions * 3 if kinds else bot.kb_suggestions  # room for the category cut
    readable = {
        turn.lang,
        *(["zh"] if CJK.search(text) else []),
        *(["en"] if LATIN_WORD.search(text) else []),
    }
    # A sentence of one word worth searching finds any article with that word: "..., I opened it"
    # offered the desk's hours (tagged "open").
    parts = [c for c in clauses(text) if weight(c) >= _TOO_SHORT and len(query_terms(c)) > 1][:_MOST_PARTS]
    for language in dict.fromkeys((turn.lang, None)):
        for query in [text] if len(parts) < 2 else [text, *parts]:
            hits = await search_articles(turn.session, query, language=language, limit=wanted, by_kind=False)
            worth = [
                h
                for h in hits
                if h.score >= bot.kb_min_score
                and h.article.language in readable
                and (not kinds or any(may_answer(k, _path(h)) for k in kinds))
            ]
            if worth:
                # One filed under the kind named is there on its own right; any other only near the best.
                best = max(h.score for h in worth)
                kept = [h for h in worth if (kinds and _path(h) is not None) or h.score >= best * _NEAR_BEST]
                # Those of the kind named come first, of the first kind named first: "my phone
                # doesn't get work emails" got the desk's hours (0.54, on "phone") above the
                # Outlook article, and "a weird email asking for my password, is it phishing?"
                # the password reset above the phishing article.
                if kinds:
                    kept.sort(key=lambda h: _kind_rank(kinds, h))
                return kept[: bot.kb_suggestions]
    return []


def _path(hit: Hit) -> str | None:
    return hit.article.category_path


def _kind_rank(kinds: Sequence[str | None], hit: Hit) -> int:
    """Where the first of ``kinds`` that ``hit`` may answer stands among them (after them all if
    none does, or it has no category)."""
    path = _path(hit)
    return next((i for i, k in enumerate(kinds) if path is not None and may_answer(k, path)), len(kinds))


async def suggest_articles(turn: Turn, text: str, found: list[Hit] | None = None) -> bool:
    draft = turn.state.get("draft", {})
    hits = found if found is not None else await relevant_articles(turn, text, _kinds(draft))
    if not hits:
        return False
    lines = [turn.t("kb.intro")]
    buttons = []
    for n, hit in enumerate(hits, 1):
        lines.append(turn.t("kb.item", n=n, title=hit.article.title, snippet=snippet(hit.article.body)))
        buttons.append(turn.button("kb.solved", f"/solved {hit.article.id}", n=n))
    buttons.append(turn.button("kb.not_solved", "/not_solved"))
    ids = [h.article.id for h in hits]
    turn.state.update(
        step="kb", suggested=ids, offered=list(dict.fromkeys([*turn.state.get("offered", []), *ids]))
    )
    turn.say("\n".join(lines), buttons)
    return True


def answer_aside(turn: Turn, hit: Hit) -> None:
    """An article that answers a question asked in passing, while a report or request waits on
    its own question: shown, without the buttons that would end the report."""
    article = turn.t("kb.article", title=hit.article.title, snippet=snippet(hit.article.body, 400))
    turn.say(f"{turn.t('kb.aside')}\n{article}")


async def kb_verdict(turn: Turn, solved_id: int | None, *, solved: bool = False) -> None:
    """The user's answer to suggestions: a solved one deflects; otherwise carry on to a ticket.

    ``solved`` without an article: "yes, that worked" after several articles. The conversation
    is a deflection all the same, but no article is credited (or blamed) on a guess."""
    suggested: list[int] = turn.state.get("suggested", [])
    credited = solved_id if solved_id in suggested else None
    if credited is not None or solved:
        if credited is not None:
            await record_feedback(turn.session, credited, helpful=True)
        await _deflect(turn, named=credited is not None)
        return
    for article_id in suggested:
        await record_feedback(turn.session, article_id, helpful=False)
    turn.state.pop("suggested", None)
    draft = turn.state.get("draft", {})
    if then := draft.get("then"):  # the self-service article did not do: the request's questions
        turn.reset()
        turn.state["since"] = draft.get("since", turn.message.id)
        await choose_request(turn, then, draft.get("text", ""))
        return
    await continue_report(turn)


async def _deflect(turn: Turn, *, named: bool) -> None:
    """The articles solved it: no ticket; the conversation ends as a deflection."""
    turn.say(turn.t("kb.deflected" if named else "kb.deflected.unnamed"))
    await close_conversation(turn.session, turn.desk, turn.conversation, "deflected")
    turn.conversation.state = {}
    turn.state.clear()


async def solved_later(turn: Turn, article_id: int) -> bool:
    """ "✅ Solved" on an article offered earlier in this report, after "not solved": the user
    tried it after all. Before the ticket opens, the report is given up as deflected; once it is
    open, the user is asked whether to close it as fixed. The article's verdict is turned to helpful.
    False when the article was not offered here (a button from long ago)."""
    if turn.state.get("flow") == "report" and article_id in turn.state.get("suggested", []):
        await kb_verdict(turn, article_id)
        return True
    if turn.state.get("flow") == "report" and article_id in turn.state.get("offered", []):
        await record_feedback(turn.session, article_id, helpful=True, changed=True)
        await _deflect(turn, named=True)
        return True
    late = turn.state.get("articles") or {}
    if turn.state.get("flow") or article_id not in late.get("ids", []):
        return False
    late["ids"].remove(article_id)
    await record_feedback(turn.session, article_id, helpful=True, changed=True)
    ticket = await requester_ticket(turn.session, turn.person, late["ref"])
    if ticket is None or ticket.status not in OPEN_STATUSES:
        turn.say(turn.t("kb.deflected"))
        return True
    title = await turn.session.scalar(select(Article.title).where(Article.id == article_id))
    offer_close(turn, ticket, turn.t("fixed.article", title=title or article_id), key="kb.solved_late")
    return True


def offer_close(turn: Turn, ticket: Ticket, solution: str, *, key: str = "fixed.ask") -> None:
    """ "It works now" about an open ticket: ask whether to close it as fixed (see
    :func:`bots.followup.close_fixed`), with ``solution`` kept for it: the user's words, or the
    article that helped. ``key`` is the question's template."""
    turn.state["fixed"] = {ticket.ref: solution}
    buttons = [
        turn.button("fixed.yes", f"/fixed {ticket.ref}"),
        turn.button("fixed.no", f"/keep {ticket.ref}"),
    ]
    turn.say(turn.t(key, ref=ticket.ref, subject=ticket.subject), buttons)


async def says_more(turn: Turn) -> bool:
    """Whether the message says more about the problem being reported (its details, how badly
    it hurts: "影响工作效率", "it drops every ten minutes") rather than naming another kind of
    problem ("and my printer is broken too" during a VPN report). A thing the report named
    beside its category is no other kind: "I've changed my password twice and it still asks"
    about "outlook keeps asking me for my password" began a password report, which offered the
    password article again (2026-12-08)."""
    if turn.parse.intent.name not in _DESCRIBES and not turn.parse.entity("urgency"):
        return False
    named = await named_category(turn)
    return not all(another_kind(named, kind) for kind in _kinds(turn.state.get("draft") or {}))


# Words that correct what was said: "sorry, I meant the VPN, not the wifi", "actually it's the
# scanner", "不是打印机，是扫描仪", "说错了，是VPN". Not the fillers "I mean", "it's really", "我是说",
# nor a guess, "应该是": "I mean it drops whenever I'm in a Teams call" is more about the Wi-Fi.
_CORRECTS = re.compile(
    r"\b(?:i\s+meant|meant\s+to\s+say|i\s+mis(?:spoke|typed)|my\s+(?:bad|mistake)|correction"
    r"|(?:it'?s|it\s+is)\s+actually|actually\s+(?:it'?s|it\s+is)|not\s+the\s+\w+(?:\s+\w+)?\s*[,;]\s*(?:it'?s|but|the))\b"
    r"|我说的是|我的意思是|说错了|写错了|打错了|不是[^，,。；;]{1,12}[，,]?\s*(?:而)?是|其实是",
    re.IGNORECASE,
)


async def corrected(turn: Turn, text: str) -> bool:
    """A correction of what the report is about, while it is being written: "sorry, I meant the
    VPN, not the wifi" after "the wifi keeps dropping" went into the description, and the ticket
    was filed as a Wi-Fi one with the Wi-Fi article's "not solved" counted against it (2026-12-07).
    The report takes the category named that is not the one it had (nor around or inside it),
    and the articles of that one are looked for. False, and nothing done, otherwise."""
    draft: dict[str, Any] = turn.state.get("draft") or {}
    had = draft.get("category")
    if not had or not _CORRECTS.search(simple(text)):
        return False
    now = next((path for path in await named_categories(turn) if not nested(path, had)), None)
    if now is None:
        return False
    subject = draft.get("subject") or subject_line(draft.get("text", ""))
    draft["subject"] = await _subject_corrected(turn, subject, had, now)
    add_words(draft, text)
    draft.update(category=now, also=[], articles_due=True)
    draft.pop("known_checked", None)  # the known issue of the new kind, if there is one
    turn.state.pop("suggested", None)  # not the articles' fault: no "not helpful" for them
    await continue_report(turn)
    return True


async def _subject_corrected(turn: Turn, subject: str, had: str, now: str) -> str:
    """``subject`` with the thing the correction takes back put right, when the correction names
    both ("the wifi keeps dropping", then "I meant the VPN, not the wifi": "the VPN keeps
    dropping"); as it was otherwise. Agents read the subject first."""
    said = turn.parse.text
    wrong = right = None
    for entity in (e for e in turn.parse.entities if e.entity == "category" and e.text):
        category = await category_named(turn.session, entity.value)
        path = await precise_category(turn.session, category, entity.text) if category else None
        if path is not None and nested(path, had) and wrong is None:
            end = entity.end  # the whole word in Chinese: "无线网" was read in "无线网络"
            while end < len(said) and CJK.match(said[end]) and said[entity.start : end + 1] in subject:
                end += 1
            wrong = said[entity.start : end]
        elif path is not None and nested(path, now) and right is None:
            right = entity.text
    if wrong is None or right is None or (span := mention_span(subject, wrong)) is None:
        return subject
    return subject[: span[0]] + right + subject[span[1] :]


async def more_at_articles(turn: Turn, text: str) -> None:
    """More about the problem instead of a verdict on the articles offered: they did not solve
    it. The words join the description (and what they name, the draft) and the report goes on;
    before, the message began a new report and the first one's words were lost."""
    draft: dict[str, Any] = turn.state["draft"]
    add_words(draft, text)
    _take_entities(turn, draft, await named_categories(turn))
    await kb_verdict(turn, None)


async def answer_choice(turn: Turn, text: str) -> None:
    """A typed answer while the report waits for a button (its category or how badly it hurts).

    Words that name one ("it's the VPN", "very urgent", "很急") answer it. Otherwise a sentence
    with content joins the description, so nothing the user wrote is lost, and the question is
    asked once more; a second miss leaves it to the default (medium urgency; no category, for
    the desk to triage) instead of keeping the user in a loop."""
    draft: dict[str, Any] = turn.state["draft"]
    step: str = turn.state["step"]
    _take_entities(turn, draft, await named_categories(turn))
    intent = turn.parse.intent
    # "I have a problem with something", then "the printer on floor 3 is jammed": the answer is
    # the report. It was filed as "I have a problem with something", and no article was looked
    # for (2026-12-07); now its words name the ticket and find articles not offered yet.
    tells = step == "category" and draft.get("category") and _tells_a_problem(turn, text)
    if tells:
        draft["subject"] = subject_line(text)
    if step in ("category", "urgency") and _UNSURE.fullmatch(text.strip(" .!?。！？～~").replace("’", "'")):
        skip(draft, step)  # "not sure" how badly it hurts is not "not badly": the default, medium
    elif not draft.get(step) and intent.name == "deny" and intent.confidence >= 0.6:
        if step == "urgency":
            draft["urgency"] = "low"  # "not really" / "不太影响" to "how badly does it affect your work?"
        elif not turn.parse.entity("urgency"):  # "不急" there answers the wrong question: ask again
            skip(draft, step)  # "no" / "都不是" to "which area is it about?": none of those, not sure
    if draft.get(step) and turn.says_more_than("category", "urgency"):
        add_words(draft, text)  # "我今天要出差，急": how urgent, and why, which the agent needs to know
    if not draft.get(step) and step not in draft.get("skipped", []):
        noted = intent.name in _DESCRIBES or weight(text) >= WORDY or turn.parse.entity("category")
        if noted:
            add_words(draft, text)  # "是台式机，联想的" is short, but names what is broken
            turn.say(turn.t("report.noted"))
        if draft.get("asked_again") == step:
            skip(draft, step)
        else:
            draft["asked_again"] = step
            if not noted:  # after "noted", "please pick one" read as a reproach: the question is enough
                turn.say(turn.t("ask.pick"))
    if tells:
        kinds = _kinds(draft)
        offered = turn.state.get("offered", [])
        found = [h for h in await relevant_articles(turn, text, kinds) if h.article.id not in offered]
        if await _articles_first(turn, found):
            return
    await continue_report(turn)


def _tells_a_problem(turn: Turn, text: str) -> bool:
    """Whether ``text`` is a report by itself: read as one, naming its kind, in a sentence."""
    intent = turn.parse.intent
    return (
        intent.name == "report_problem"
        and intent.confidence >= _TELLS
        and turn.parse.entity("category") is not None
        and weight(told(text)) >= WORDY
    )


_TELLS = 0.6  # a reading of report_problem at least this sure


def _take_entities(turn: Turn, draft: dict[str, Any], categories: list[str]) -> None:
    """What the message says about the category (the foremost it names; the others, whose
    articles may answer it too, as ``also``), unless the draft knows already, and its urgency,
    unless the draft's is as pressing: "能快点吗？老板在等" after "影响效率" was filed at medium,
    the words only in the description (as news on a ticket raises it, never lowers it)."""
    if categories and not draft.get("category"):
        draft["category"], draft["also"] = categories[0], categories[1:]
    if _more_pressing(said := most_urgent(turn.parse), draft.get("urgency")):
        draft["urgency"] = said


def _more_pressing(said: str | None, than: str | None) -> bool:
    """Whether urgency ``said`` (a key of :data:`URGENCY`) is more pressing than ``than``, or
    than nothing known yet."""
    levels = list(URGENCY)
    return said in levels and (than not in levels or levels.index(said) > levels.index(than))


async def continue_report(turn: Turn) -> None:
    """Ask for the next missing piece, or open the ticket when nothing is missing."""
    draft: dict[str, Any] = turn.state["draft"]
    if draft.pop("articles_due", False) and await _articles_first(turn):  # "a new problem" after all
        return
    if not draft.get("dup_checked") and (recent := await _just_opened(turn, draft)) is not None:
        # More words right after a ticket was opened are most likely about it: ask first.
        draft["dup_checked"] = True
        _offer_to_add(turn, recent)
        return
    skipped = draft.get("skipped", [])
    if not draft.get("category") and "category" not in skipped:
        if await _outages_told(turn, draft):
            return
        turn.state["step"] = "category"
        turn.say(*await _category_question(turn))
        return
    if await offer_known_issue(turn):  # the category was only just chosen
        return
    if not draft.get("urgency") and "urgency" not in skipped:
        turn.state["step"] = "urgency"
        turn.say(*_urgency_question(turn))
        return
    if weight(draft["text"]) < WORDY and not draft.get("asked_detail"):
        draft["asked_detail"] = True
        turn.state["step"] = "description"
        turn.say(turn.t("ask.description"))
        return
    if not draft.get("dup_checked"):
        draft["dup_checked"] = True
        similar = await _similar_open_ticket(turn, draft)
        if similar is not None:
            _offer_to_add(turn, similar)
            return
    await _open_ticket(turn, draft, kind=draft.get("type", "incident"))


_Question = tuple[str, list[Button]]


UNSURE = "?"  # "/category ?": the user cannot tell which area; the desk sorts it out
# An area for whatever fits no other ("Other", "其他"): it is the "Not sure" of that desk.
_CATCH_ALL = re.compile(r"other|others|misc|miscellaneous|general|其他|其它|其他问题", re.IGNORECASE)


async def _category_question(turn: Turn) -> _Question:
    """The top-level categories, and "Not sure": a user who cannot tell whether a pop-up is
    "software" or "security" (or whose problem is in none of a small desk's areas) should not
    have to guess, nor be able to answer only by giving the report up. A desk with an area of its
    own for that ("Other") gets no second one; "not sure" typed still skips the question."""
    top = list(
        await turn.session.scalars(
            select(Category).where(Category.parent_id.is_(None), Category.active).order_by(Category.path)
        )
    )
    name = "name_zh" if turn.lang == "zh" else "name"
    areas = [Button(getattr(c, name) or c.name, f"/category {c.path}") for c in top]
    if any(_CATCH_ALL.fullmatch(s.strip()) for c in top for s in (c.name, c.name_zh or "", c.path)):
        return turn.t("ask.category"), areas
    return turn.t("ask.category"), [*areas, turn.button("category.unsure", f"/category {UNSURE}")]


def skip(draft: dict[str, Any], step: str) -> None:
    """Ask no more for ``step``: the ticket is opened without it (no category: the desk's default
    group triages it; no urgency: medium)."""
    if step not in (skipped := draft.setdefault("skipped", [])):
        skipped.append(step)


def _urgency_question(turn: Turn) -> _Question:
    return turn.t("ask.urgency"), [turn.button(f"urgency.{k}", f"/urgency {k}") for k in URGENCY]


def _choice_of_kinds(turn: Turn) -> _Question:
    """Which kind of request: of those that fit what the message is about, else of all."""
    fits = turn.state.get("kinds")
    kinds = [
        Button(r.title.get(turn.lang, r.title["en"]), f"/request {r.key}")
        for r in _request_types(turn)
        if not fits or r.key in fits
    ]
    return turn.t("request.choose"), [*kinds, turn.button("request.other", f"/request {_OTHER}")]


async def question_now(turn: Turn) -> _Question | None:
    """The question the report or request being written waits on, with its buttons, in this
    turn's language ("what's the status?" in English mid-way through a report begun in
    Chinese is answered in English, and so is the question asked again). ``None`` at the
    articles, whose titles are in their own language."""
    flow, step = turn.state.get("flow"), turn.state.get("step")
    if flow == "report" and step == "category":
        return await _category_question(turn)
    if flow == "report" and step == "urgency":
        return _urgency_question(turn)
    if flow == "report" and step == "description":
        return turn.t("ask.description"), []
    if flow == "report" and step == "dup":
        ref = turn.state["draft"].get("dup_of")
        ticket = await requester_ticket(turn.session, turn.person, ref) if ref else None
        return _add_or_new_question(turn, ticket) if ticket is not None else None
    if flow == "report" and step == "text":
        asking = "request.ask" if turn.state.get("draft", {}).get("type") == "request" else "report.ask"
        return turn.t(asking), []
    if flow == "request" and step == "choose":
        return _choice_of_kinds(turn)
    if flow == "request" and step == "answer":
        kind = _request_type(turn, turn.state["request"].get("key"))
        return _request_question(turn, kind) if kind is not None else None
    return None


def offer_detail(turn: Turn, ticket: Ticket, text: str) -> bool:
    """Ask whether ``text``, which the bot cannot place, is more about ``ticket`` (an open
    ticket this conversation is about): "工作需要" or "asap please" right after a request is
    filed. True when asked; "Add to ..." adds it, and the menu is there for anything else. Too
    little to be a detail ("ok", "?") is not asked about."""
    if weight(text.strip()) < _A_DETAIL:
        return False
    turn.reset()
    turn.state["draft"] = {"text": text.strip(), "urgency": most_urgent(turn.parse)}  # what "Add to ..." adds
    add = turn.button("dup.add", f"/add {ticket.ref}", ref=ticket.ref)
    turn.say(turn.t("info.offer", ref=ticket.ref, text=snippet(text, 60)), [add, *turn.menu()])
    return True


def _offer_to_add(turn: Turn, ticket: Ticket) -> None:
    turn.state["step"] = "dup"
    turn.state["draft"]["dup_of"] = ticket.ref  # for the question again, after an interruption
    turn.say(*_add_or_new_question(turn, ticket))


def _add_or_new_question(turn: Turn, ticket: Ticket) -> _Question:
    buttons = [turn.button("dup.add", f"/add {ticket.ref}", ref=ticket.ref), turn.button("dup.new", "/new")]
    return turn.t("dup.offer", ref=ticket.ref, subject=ticket.subject), buttons


async def _just_opened(turn: Turn, draft: dict[str, Any]) -> Ticket | None:
    """The open ticket this conversation opened within ``_RECENT``, unless the report names
    another kind of problem ("and my VPN is down too" after a printer ticket is new). A ticket
    of a foremost category (``bot.foremost_categories``: security) took the others its report
    named, so news of any kind may be about it: "现在整个部门的人都收到了这封邮件" right after a
    phishing ticket got the Outlook article."""
    if turn.conversation.ticket_id is None:
        return None
    ticket = await turn.session.get(Ticket, turn.conversation.ticket_id)
    if ticket is None or ticket.status not in OPEN_STATUSES or ticket.requester_id != turn.person.id:
        return None
    if ticket.created_at < turn.desk.now() - _RECENT:
        return None
    foremost = turn.desk.settings.bot.foremost_categories
    absorbs = ticket.category_path is not None and under_any(ticket.category_path, foremost)
    # Another kind only if nothing it names is of the ticket's: "it's an iphone 15, using the
    # outlook app" right after an Outlook ticket names software too ("app"), and became a second
    # ticket of the same problem.
    kinds = {draft.get("category"), *await named_categories(turn)} - {None}
    if kinds and all(another_kind(kind, ticket.category_path) for kind in kinds) and not absorbs:
        return None
    return ticket


# Words that say how something fails, or since when, not what: "Excel keeps crashing since
# yesterday" and "Outlook keeps crashing" share only these, and were offered as the same problem.
# Index terms (stemmed, Simplified bigrams), so they compare with :func:`query_terms` of a report.
_HOW_IT_FAILS = frozenset(
    terms(
        "work broken break issue problem error fail failure fix keep stop stopped crash crashing down slow "
        "wrong today yesterday day days hour hours week weeks minute minutes time times urgent cannot cant "
        "unable anymore again still since ago one two three four five "
        "坏了 坏掉 用不了 不能用 无法 问题 出现 不好用 一直 还是 又 已经 报错 错误 失败 处理 打不开 连不上 不行 "
        "好几天 几天 两天 三天 今天 昨天 紧急 麻烦",
        query=True,
    )
)


def _what(text: str) -> set[str]:
    """The terms of ``text`` that name what is affected (not :data:`_HOW_IT_FAILS`)."""
    return set(query_terms(text)) - _HOW_IT_FAILS


async def _similar_open_ticket(turn: Turn, draft: dict[str, Any]) -> Ticket | None:
    """The requester's open ticket most like the report, if like enough to ask whether it is the
    same problem: word likeness to its subject (or to its subject and description, whichever is
    closer: a later line of the description, "Teams camera shows black screen", kept "my second
    screen still isn't detected" below the bar), more for the same category, and never without a
    word in common that says what is affected."""
    ratio = turn.desk.settings.bot.similar_ticket_ratio
    said = draft["text"].lower()
    what = _what(said)
    best: tuple[float, Ticket] | None = None
    for ticket in await requester_tickets(turn.session, turn.person, OPEN_STATUSES, limit=20):
        told = f"{ticket.subject} {ticket.description}".lower()
        if not what & _what(told):
            continue
        score = max(fuzz.token_set_ratio(said, ticket.subject.lower()), fuzz.token_set_ratio(said, told))
        if ticket.category is not None and ticket.category.path == draft.get("category"):
            score += 15
        if score >= ratio and (best is None or score > best[0]):
            best = (score, ticket)
    return best[1] if best else None


async def add_to_existing(turn: Turn, ref: str) -> None:
    """The user chose to add their report to an open ticket instead of opening another."""
    ticket = await requester_ticket(turn.session, turn.person, ref)
    if ticket is None:
        turn.say(turn.t("status.unknown", ref=ref.upper()))
        return
    draft = turn.state.get("draft", {})
    since = draft.get("since", turn.message.id)
    await _join(turn, ticket, since)  # the report's words, photos and files, not the ticket the chat was on
    first = await turn.session.get(Message, since)
    said = first if first is not None and first.author_kind == "requester" else None
    await comment_on(turn, ticket, draft.get("text") or turn.text, said=said)
    turn.reset()  # the linked ticket stays: this one
    turn.say(turn.t("info.added", ref=ticket.ref))
    await raise_urgency(turn, ticket, draft.get("urgency"))


def _higher(level: str | None, than: str) -> bool:
    """Whether impact or urgency ``level`` is above ``than`` (:data:`LEVELS` runs high to low)."""
    return level in LEVELS and LEVELS.index(level) < LEVELS.index(than)


def most_urgent(parse: Parse) -> str | None:
    """The most pressing urgency the message says, of :data:`URGENCY`'s levels ("能加急吗？现在
    整个部门都用不了了" says high, then team: team)."""
    said = [e.value for e in parse.entities if e.entity == "urgency" and e.value in URGENCY]
    return max(said, key=list(URGENCY).index, default=None)


async def raise_urgency(turn: Turn, ticket: Ticket, said: str | None) -> None:
    """News on an open ticket that says it is more pressing than it was filed ("it's getting
    urgent now, I need to print contracts for a 3pm meeting", "现在整个部门都用不了了"): its
    urgency, and for a whole team its impact, go up to what the words say (as the buttons of
    :data:`URGENCY` would set them), never down; the priority and due times follow, audited as
    the requester's, and the user hears the new priority. It stayed P3 before, with the words a
    comment an agent might read too late."""
    if said not in URGENCY or ticket.status not in OPEN_STATUSES:
        return
    wanted = dict(zip(("impact", "urgency"), URGENCY[said], strict=True))
    changes = {f: v for f, v in wanted.items() if _higher(v, getattr(ticket, f))}
    if not changes:
        return
    before = ticket.priority
    await change_ticket(turn.session, turn.desk, turn.requester, ticket, changes)
    if ticket.priority != before:
        due = format_due(turn.desk, ticket, ticket.resolution_due) if ticket.resolution_due else None
        key = "info.raised" if due else "info.raised.nosla"
        turn.say(turn.t(key, ref=ticket.ref, priority=ticket.priority, due=due))


async def _open_ticket(
    turn: Turn, draft: dict[str, Any], *, kind: str = "incident", subject: str | None = None
) -> Ticket:
    """File ``draft`` and tell the user its reference and promised times; a request sent to its
    approver (see :func:`_file`) says so, its times waiting for their yes."""
    ticket = await _file(turn, draft, kind=kind, subject=subject)
    approval = await current_approval(turn.session, ticket) if ticket.approval == "requested" else None
    who = approval.who if approval is not None else None
    offered = turn.state.get("offered")
    turn.reset()
    turn.state["ticket"] = ticket.ref
    if offered:  # "✅ Solved" on one of them later offers to cancel the ticket
        turn.state["articles"] = {"ref": ticket.ref, "ids": offered}
    key = (
        "ticket.created"
        if kind == "incident"
        else "question.created"
        if draft.get("question")
        else "request.created"
    )
    values = {"ref": ticket.ref, "subject": ticket.subject, "priority": ticket.priority}
    if who is not None:
        turn.say(turn.t("request.created.approval", **values, who=who))
    elif ticket.response_due is None:
        turn.say(turn.t(key + ".nosla", **values))
    else:
        due = {
            "response_due": format_due(turn.desk, ticket, ticket.response_due),
            "resolution_due": format_due(turn.desk, ticket, ticket.resolution_due),
        }
        turn.say(turn.t(key, **values, **due))
    return ticket


async def _at_least_the_categorys(turn: Turn, draft: dict[str, Any], kind: str, impact: str) -> str:
    """An incident's impact: what the user's answer says of how many it stops (one person, a
    team), but no less than its category's ``impact``, which says how much the business leans
    on what failed: "I clicked a phishing link" with "slows me down" was a P3 due in three days,
    where the desk files security at high impact (the API got it; chat and mail did not)."""
    path = draft.get("category")
    category = await category_named(turn.session, path) if path and kind == "incident" else None
    floor = category.default_impact if category is not None else None
    return floor if floor is not None and _higher(floor, impact) else impact


async def _file(turn: Turn, draft: dict[str, Any], *, kind: str, subject: str | None) -> Ticket:
    """Create the ticket for ``draft``; the conversation's messages since it began join it."""
    impact, urgency = URGENCY.get(draft.get("urgency") or "medium", ("medium", "medium"))
    impact = draft.get("impact") or await _at_least_the_categorys(turn, draft, kind, impact)
    text: str = draft["text"]
    ticket = await create_ticket(
        turn.session,
        turn.desk,
        turn.requester,
        requester=turn.person,
        subject=subject or draft.get("subject") or subject_line(text),
        description=text,
        type=kind,
        category=draft.get("category"),
        impact=impact,
        urgency=urgency,
        channel=turn.conversation.channel,
        language=turn.lang,
    )
    for start, end in draft.get("spans", []):
        await _join(turn, ticket, start, end)
    since = draft.get("since", turn.message.id)
    if after := draft.get("after"):
        since = await _reply_of(turn, *after) or since
    await _join(turn, ticket, since, draft.get("until"))
    if approver := draft.get("approver"):  # however it is filed: answered, put aside, handed over
        await _ask_for_approval(turn, ticket, approver)
    return ticket


async def _reply_of(turn: Turn, message_id: int, skip: int) -> int | None:
    """The id of the conversation's message ``skip`` messages after ``message_id`` (the reply a
    turn gave after ``skip`` others)."""
    return await turn.session.scalar(
        select(Message.id)
        .where(Message.conversation_id == turn.conversation.id, Message.id > message_id)
        .order_by(Message.id)
        .offset(skip)
        .limit(1)
    )


async def _join(turn: Turn, ticket: Ticket, since: int, until: int | None = None) -> None:
    """The conversation's messages from ``since`` on, and before ``until`` if given (the report's,
    with their photos and files), join ``ticket``, which the conversation is now about."""
    before = () if until is None else (Message.id < until,)
    await turn.session.execute(
        update(Message)
        .where(Message.conversation_id == turn.conversation.id, Message.id >= since, *before)
        .values(ticket_id=ticket.id)
    )
    turn.conversation.ticket_id = ticket.id


async def comment_on(turn: Turn, ticket: Ticket, body: str, *, said: Message | None) -> None:
    """``body``, the user's words, a comment on ``ticket``, which the conversation is now about;
    ``said`` is the message they came in (it joins the ticket as it is, not as a copy)."""
    await add_comment(
        turn.session, turn.desk, turn.requester, ticket, body, channel=turn.conversation.channel, said=said
    )
    turn.state["ticket"] = ticket.ref
    turn.conversation.ticket_id = ticket.id


open_ticket = _open_ticket
"""Open the ticket for a complete draft and say its reference and promised times (e-mail opens
tickets this way directly, without the chat's questions)."""

FINISHED = ("closed", "cancelled")  # news on such a ticket would reach nobody: a follow-up instead


async def open_follow_up(
    turn: Turn, finished: Ticket, text: str, *, category: str | None = None, subject: str | None = None
) -> Ticket:
    """A message about a closed or cancelled ticket opens a new one that names it (as Zendesk's
    follow-up tickets do), in the old one's category unless another is given; the old ticket's
    log points to the new one."""
    turn.say(turn.t("followup.opened", old=finished.ref))
    note = turn.t("followup.note", ref=finished.ref, subject=finished.subject)
    if category is None and finished.category is not None:
        category = finished.category.path
    draft = {"text": f"{text.strip()}\n\n{note}", "category": category, "since": turn.message.id}
    ticket = await _open_ticket(turn, draft, kind=finished.type, subject=subject or finished.subject)
    record_event(
        turn.session,
        finished,
        turn.requester,
        "follow_up",
        turn.desk.now(),
        note=f"followed up by {ticket.ref}",
    )
    return ticket


def _request_types(turn: Turn) -> list[RequestType]:
    return turn.desk.settings.bot.requests


def _request_type(turn: Turn, key: str | None) -> RequestType | None:
    return next((r for r in _request_types(turn) if r.key == key), None)


async def start_request(turn: Turn, text: str, *, since: int | None = None) -> None:
    """Begin a service request; the kind comes from the words used, or the user picks it.
    ``since`` is the message it was asked in, when that was before this one. A report being
    written that the articles did not solve is filed first, and a request being answered is put
    aside, as a new report does to them."""
    chose = turn.state.get("step") == "choose" and turn.state.get("flow") == "request"
    since = since or (turn.state.get("since") if chose else None)
    await _set_aside(turn, text, since)  # "can I also get visio?" at a monitor's: it comes back
    turn.reset()
    if since is not None:
        turn.state["since"] = since  # the request began at the message that asked for one
    category = turn.parse.entity("category")
    kind = request_kind_named(_request_types(turn), text)
    # Named only by what it is about ("set up Authenticator again" is about an account): the kind
    # of that category, or a choice among them when several are (a new starter, access to a
    # system, a password reset all file under accounts).
    fits = [r for r in _request_types(turn) if r.category and category and r.category.startswith(category)]
    if kind is None and len(fits) == 1:
        kind = fits[0]
    says_who_for = _WHO_FOR.match(without_greeting(simple(text))) is not None  # "for the new hire"
    recent = await _just_opened(turn, {}) if (kind is None and not category) or says_who_for else None
    if recent is not None and offer_detail(turn, recent, text):  # "asap please" right after a request
        return
    found = (
        await relevant_articles(turn, text, await named_categories(turn))
        if kind is None and weight(text) >= _TOO_SHORT
        else []
    )
    if found or (kind is None and not chose and asks_for_information(text) and not _OBTAIN.search(text)):
        # "I need my work email set up on my new phone" is no kind of request the desk lists,
        # but an article may answer it: offered first, as for a problem, and filed as a request.
        # A how-to question no article answers is passed on to the desk as one, whichever way
        # the model read it ("How do I set up an out of office reply?", a request at 0.56, got
        # the menu of kinds of request; read as a report, it was passed on).
        await start_report(turn, text, kind="request", found=found)
        return
    if kind is None and chose and weight(text) >= _TOO_SHORT:
        # Asked which kind, they said what they need in other words ("都不是，我要的是工卡"): a
        # request of its own kind, for the desk to sort; the menu again would go round in circles.
        await choose_request(turn, _OTHER, text)
        return
    if kind is None:
        turn.state.update(flow="request", step="choose", since=turn.message.id)
        if len(fits) > 1:
            turn.state["kinds"] = [r.key for r in fits]
        turn.say(*_choice_of_kinds(turn))
        return
    if own := await self_service(turn, kind, text):
        await start_report(turn, text, kind="request", found=own, then=kind.key)
        return
    await choose_request(turn, kind.key, text)


# A device named as where something goes, not as what is asked for: "I need photoshop on my new
# laptop" was a laptop to deliver, "我的笔记本上需要装个photoshop" too.
_ON_A_DEVICE = re.compile(
    r"\b(?:on|onto|to)\s+(?:my|our|his|her|their|the|this|that)\s+(?:\w+\s+){0,2}?"
    r"(?:laptop|computer|pc|notebook|macbook|mac|desktop|workstation|machine|phone|iphone|ipad|tablet)s?\b"
    r"|(?:笔记本电脑|笔记本|电脑|手机|平板)上",
    re.IGNORECASE,
)


def request_kind_named(kinds: Sequence[RequestType], text: str) -> RequestType | None:
    """The first of ``kinds`` whose keywords ``text`` names, not counting a device named as where
    something goes (:data:`_ON_A_DEVICE`): "photoshop on my new laptop" is no laptop, and its
    kind comes from what the words are about (software), as "I need a new laptop with photoshop"
    is a laptop."""
    what = _ON_A_DEVICE.sub(" ", text)
    return next((r for r in kinds if r.named_in(what)), None)


SURE_ARTICLE = 0.55  # an article this good answers what it is asked, without the model's help


async def self_service(turn: Turn, kind: RequestType, text: str) -> list[Hit]:
    """Articles filed under the request's own category that surely answer its opening message,
    offered before its questions where the kind is ``self_service``, as a desk offers
    self-service first: "I need to reset my password" gets the reset page (a ticket only if that
    does not do). Not for a request begun from the menu, with no words yet, nor an article of
    another category."""
    if not (kind.self_service and kind.category) or weight(text) < _TOO_SHORT:
        return []
    hits = await relevant_articles(turn, text, [kind.category])
    return [h for h in hits if h.score >= SURE_ARTICLE and (path := _path(h)) and within(path, kind.category)]


async def choose_request(turn: Turn, key: str, text: str = "") -> None:
    """Ask the kind's questions, skipping those the opening message already answers ("I need
    a new monitor" names the item: the bot goes on to where to deliver it)."""
    kind = _request_type(turn, key)
    if kind is None and key == _OTHER:
        # "Something else": what they need, in their words, filed as a request of no listed kind;
        # the conversation since they first asked joins the ticket.
        await start_report(turn, text, kind="request", since=turn.state.get("since"))
        return
    if kind is None:
        await start_request(turn, "")
        return
    since = turn.state.get("since", turn.message.id)
    answers, offers = {}, {}
    taken = set()  # the names of the options the message answers with
    for question in kind.questions:
        if options := _named_options(question, text):
            answers[question.key] = _label(turn, options)
            taken |= {name.casefold() for option in options for name in option.names()}
        elif found := question.found_in(text):  # "a new hire starting Monday": the first day
            answers[question.key] = _with_day(turn, question, found)
        elif offered := question.offered_in(text):  # "a new hire, Anna Schmidt": who, one tap away
            offers[question.key] = offered
        elif question.options and not answers and (device := _named_device(turn, kind, question)):
            offers[question.key] = device  # "我想借一台投影仪": no option, but one tap away beside them
    request: dict[str, Any] = {"key": key, "answers": answers, "text": text, "since": since, "offers": offers}
    _pressing(turn, request)
    product, thing = _named_product(turn, text), _named_object(kind, text)
    # "开通ERP的报销权限": the thing named around the keyword says more than the product in it.
    named = thing if product and thing and product.casefold() in thing.casefold() else product or thing
    first = kind.questions[0] if kind.questions else None
    if (
        named
        and named.casefold() not in taken
        and first is not None
        and not first.options
        and not first.offer
    ):
        # Offered at the first question, a free-text one ("...needs a laptop, email and VPN": VPN
        # is answered). Not where the question says what its answer looks like: "new starter on
        # monday needs a laptop and accounts: Tom Green" offered "monday needs a laptop and
        # accounts" for the colleague's name.
        offers.setdefault(first.key, named)
    turn.state.update(flow="request", step="answer", request=request)
    await _next_question(turn, kind)


# After a product's name, what belongs to it: "Pro", "2021", "365", "FI" (capitalised or numbers),
# or an edition's word as typed in lower case ("adobe acrobat pro" wants the Pro licence).
_EDITION = re.compile(
    r"(?:[ \t]+(?:[A-Z0-9][\w.+#-]*|(?:pro|professional|standard|std|enterprise|premium|plus|ultimate"
    r"|business|home|lite|reader|dc|x64|x86)\b))+"
)


def _named_device(turn: Turn, kind: RequestType, question: RequestQuestion) -> str | None:
    """A thing of the request's own category the message names, as written, when the kind lists
    no option for it: "我想借一台投影仪下午开会用" was asked "what do you need (monitor,
    headset...)?" with no projector to tap."""
    top = (kind.category or "").split("/")[0]
    for entity in turn.parse.entities:
        ours = entity.entity == "category" and entity.text and entity.value.split("/")[0] == top
        if ours and not any(mentions(entity.text, name) for o in question.options for name in o.names()):
            return entity.text[:80]
    return None


def _named_product(turn: Turn, text: str) -> str | None:
    """The product or system the opening message names, as the user wrote it ("can i get Adobe
    Acrobat Pro installed" → "Adobe Acrobat Pro", "帮我装一个Visio 2021" → "Visio 2021"): a
    category entity written as a name (capitalised, with a digit, or several words), which no
    kind of request uses as a keyword ("software", "license" say nothing about which)."""
    generic = {k.casefold() for r in _request_types(turn) for k in r.keywords}
    for entity in turn.parse.entities:
        surface = entity.text  # as written (the parse may be of the text after a greeting)
        if entity.entity != "category" or not surface or surface.casefold() in generic:
            continue
        if surface == surface.lower() and " " not in surface and not any(ch.isdigit() for ch in surface):
            continue  # "teams", "licence", "应用": could be the thing, or just the word
        at = text.find(surface)
        more = _EDITION.match(text, at + len(surface)) if at >= 0 else None
        return (surface + (more.group(0) if more else "")).strip()[:80]
    return None


# What the words beside a request's keyword say it is for, once the words that only join them
# are trimmed: "access to the finance share because...", "install
# zoom for me please", "install zoom on my laptop", "需要访问财务共享盘的权限", "申请HR文件夹的权限",
# "开通一下SAP的账号".
_OBJECT_ENDS = re.compile(
    r"[,.;:!?，。；：！？\n]|\b(?:because|since|so that|as i|as we|for work|asap)\b|因为|用于|用来|方便"
    # where or for whom, once something is named: "install zoom on my laptop", "... for the new hire"
    r"|(?<=\S)\s+(?:on|onto|for)\s+(?:my|our|the|his|her|their|a|an|this|that)\b",
    re.I,
)
_OBJECT_LEAD = re.compile(
    r"^(?:\s+|(?:i|we|need|want|would|like|can|could|please|pls|get|have|give|to|for|on|into|in|of|the|my|our"
    r"|a|an|me|us|new|some|also)\b|我们|我|帮|请|申请|需要|开通|要|一下|一个|的|也|还|另外)+",
    re.I,
)
_OBJECT_TAIL = re.compile(
    r"(?:\s+|\b(?:please|pls|thanks|thank you|for me|for us|too)\b|权限|账号|账户|访问|使用|的|吧|谢谢|一下"
    r"|(?:好|可以|行)?吗|呢|啊|呀|嘛)+$",  # "能给我装个微信吗" offered "微信吗" (2026-12-07)
    re.I,
)
_OBJECT_MAX = 60  # characters: longer is a sentence, not a name
_TAKES_OBJECT = re.compile(r"\s+(?:to|for|on|into|of)\b", re.I)  # "access to ...", "a license for ..."
# Keywords whose object follows them.
_VERBS = frozenset(["install", "安装", "装个", "装一个", "装一下", "访问", "开通"])
_ENDS_OBJECT = frozenset(["权限", "账号", "access"])  # keywords that follow what they are for


def _named_object(kind: RequestType, text: str) -> str | None:
    """What the opening message says the request is for, beside one of the kind's keywords it
    uses, offered as a one-tap answer to the first free-text question: after a keyword that takes
    an object ("access to the finance shared drive", "install zoom", "访问财务共享盘") or before
    one that ends it ("Visio installed", "HR文件夹的权限"). Nothing when it says only the kind
    ("access to a shared folder": which one is still to ask), or when the keyword only describes
    something ("deleted a file on the shared drive")."""
    spans = sorted(span for keyword in kind.keywords if (span := mention_span(text, keyword)))
    for start, end in spans:
        said = text[start:end].casefold()
        if _TAKES_OBJECT.match(text, end) or said in _VERBS:
            side = _OBJECT_ENDS.split(text[end:], maxsplit=1)[0]
        elif said.removesuffix("ed") in _VERBS or said in _ENDS_OBJECT:  # "Visio installed"
            side = _OBJECT_ENDS.split(text[:start])[-1]
        else:
            continue
        found = _OBJECT_TAIL.sub("", _OBJECT_LEAD.sub("", side.strip())).strip()
        if found.casefold().split(" ", 1)[0] in _VERBS:
            continue  # what it is for, not what: "admin rights to install drivers"
        rest = found
        for keyword in kind.keywords:  # what is left once the kind's own words are gone
            while (span := mention_span(rest, keyword)) is not None:
                rest = rest[: span[0]] + " " + rest[span[1] :]
        if (
            len(found) <= _OBJECT_MAX
            and weight(_OBJECT_LEAD.sub("", _OBJECT_TAIL.sub("", rest.strip()))) >= 2
        ):
            return found
    return None


def _lang(turn: Turn) -> str:
    return "zh" if turn.lang == "zh" else "en"


def _named_options(question: RequestQuestion, text: str) -> list[RequestOption]:
    """The question's options that ``text`` names, in the order it names them ("a mouse and a
    keyboard"; only the first unless the question takes ``multiple``): a whole word for Latin
    script ("mouse" is not in "mousepad", "VPN" is in "忘了VPN密码"), anywhere for Chinese."""
    named = []
    for option in question.options:
        spans = [span for name in option.names() if (span := mention_span(text, name))]
        if spans:
            named.append((min(spans), option))
    options = [option for _, option in sorted(named, key=lambda pair: pair[0])]
    return options if question.multiple else options[:1]


def _label(turn: Turn, options: list[RequestOption]) -> str:
    """Options as one answer, in the user's language ("Mouse, Keyboard", "鼠标、键盘")."""
    return ("、" if _lang(turn) == "zh" else ", ").join(getattr(o, _lang(turn)) for o in options)


def _pending(kind: RequestType, answers: dict[str, str]) -> RequestQuestion | None:
    return next((q for q in kind.questions if q.key not in answers), None)


def _kinds(draft: dict[str, Any]) -> list[str | None]:
    """The kinds of problem a report is about: its category, then those named beside it."""
    return [draft.get("category"), *draft.get("also", [])]


def draft_category(turn: Turn) -> str | None:
    """The category of the report or request being written, if it has one yet."""
    if turn.state.get("flow") == "request":
        kind = _request_type(turn, (turn.state.get("request") or {}).get("key"))
        return kind.category if kind is not None else None
    return (turn.state.get("draft") or {}).get("category")


async def answer_request(turn: Turn, text: str, *, insisted: bool = False) -> None:
    """Take ``text`` as the answer to the request's pending question. An answer that does not
    look like one (the question's ``expect``) is questioned once, with the question again and
    an example: a new answer replaces it, and the questioned words go to the description;
    "It's my answer" (``insisted``), or the same doubt twice, keeps it."""
    request = turn.state["request"]
    _pressing(turn, request)
    kind = next(r for r in _request_types(turn) if r.key == request["key"])
    question = _pending(kind, request["answers"])
    answer = text.strip()
    rest = (
        _take_later_answers(turn, kind, question, answer) if question is not None and not insisted else None
    )
    if rest is not None and weight(_FILLER.sub(" ", rest.casefold()).strip(" ,.;!?，。；！？")) < 3:
        turn.say(turn.t("request.noted", answer=answer))
        await _next_question(turn, kind)  # "read only" for "which system?": the system is still asked
        return
    # Words beside answers to later questions, when the opening message named this one's answer,
    # one tap away, and they say something else, are doubted: "for the quarterly close, my
    # manager is Maria Garcia" at "which system?" was the system of REQ-1, "Access to a system:
    # for the quarterly close, ..." (2026-12-07).
    # Not when they name a thing of the kind in other words: "财务部的共享盘，只读就可以" for the
    # offered "财务共享盘" was doubted (2026-12-07).
    offer = request.get("offers", {}).get(question.key) if question is not None else None
    beside = rest is not None and offer is not None and not mentions(rest, offer) and not kind.named_in(rest)
    if question is not None:
        doubted = request.pop("doubted", None)
        # A question of the user's own is no answer either: "who approves it? my manager is Zhang
        # Min" at "which system?" became the system of REQ-1 (2026-12-07).
        if not (insisted or doubted or (_fits(question, answer) and not beside)):
            request["doubted"] = answer
            turn.state["pending"] = answer  # what "It's my answer" keeps
            _, offered = _request_question(turn, kind) or ("", [])  # a one-tap answer, again
            turn.say(_doubt(turn, question, answer), [*offered, turn.button("flow.answer", "/answer")])
            return
        if doubted and doubted != answer:
            request["text"] = "\n".join(part for part in (request.get("text"), doubted) if part)
        request["answers"][question.key] = _with_day(turn, question, answer)
    await _next_question(turn, kind)


def _fits(question: RequestQuestion, answer: str) -> bool:
    """Whether ``answer`` looks like an answer to ``question`` (its ``expect``) and is no question
    of the user's own: "who approves it? my manager is Zhang Min" at "which system?" became the
    system of REQ-1 (2026-12-07)."""
    return question.expects(answer) and not asks(answer)


def _doubt(turn: Turn, question: RequestQuestion, answer: str) -> str:
    """ "I'm not sure "..." answers that", the question again, and its example if it has one."""
    said = turn.t("request.unsure", answer=snippet(answer, 40), question=getattr(question, _lang(turn)))
    if example := question.example.get(_lang(turn)):
        said += turn.t("request.example", example=example)
    return said


def gives_a_reason(text: str) -> bool:
    """Whether ``text`` begins saying why the request is made ("it's for Excel work, I have lots
    of spreadsheets open"), whatever other things it names."""
    return _REASON.match(without_greeting(simple(text)).strip()) is not None


def doubted_answer(turn: Turn, text: str) -> str | None:
    """The doubt (:func:`_doubt`) when ``text`` does not look like an answer to the request's
    pending question; ``None`` when it does, or nothing is pending."""
    question = _pending_question(turn)
    if question is None or _fits(question, text.strip()):
        return None
    return _doubt(turn, question, text.strip())


def _pressing(turn: Turn, request: dict[str, Any]) -> None:
    """Keep the most pressing urgency the request's words say ("I'm locked out, I can't work",
    "急用"): a request is filed at low urgency otherwise, and a locked-out user who said so
    waited a day for the first answer (P4)."""
    if _more_pressing(said := most_urgent(turn.parse), request.get("urgency") or "low"):
        request["urgency"] = said


def _with_day(turn: Turn, question: RequestQuestion, answer: str) -> str:
    """An answer that names a day, to a question that finds one, with the calendar day it names
    in the desk's time zone: "Monday (2026-12-07)", "下周一（2026-12-07）". Agents read the ticket
    days later; "Monday" then means another day."""
    said = question.found_in(answer) if question.find == "date" else None
    if not said:
        return answer
    now, calendar = turn.desk.now(), turn.desk.calendar(None)
    day = day_of(said, (now.astimezone(calendar.tz) if calendar else now).date())
    if day is None or day.isoformat() in answer:
        return answer
    return turn.t("request.day", answer=answer, day=day.isoformat())


def _pending_question(turn: Turn) -> RequestQuestion | None:
    """The question the request being written waits on, if any."""
    return _waiting(turn)[1]


def _waiting(turn: Turn) -> tuple[RequestType | None, RequestQuestion | None]:
    """The kind of the request being written, and the question it waits on."""
    request = turn.state["request"]
    kind = _request_type(turn, request.get("key"))
    return kind, _pending(kind, request["answers"]) if kind is not None else None


def answers_later(turn: Turn, text: str) -> bool:
    """Whether ``text`` names options of the request's questions still to come ("她需要电脑和邮箱"
    at a new starter's name: what she needs), so that it is more of this request, whatever other
    kind of thing those options name (a computer)."""
    kind, question = _waiting(turn)
    if kind is None or question is None:
        return False
    answers = turn.state["request"]["answers"]
    later = kind.questions[kind.questions.index(question) + 1 :]
    return any(q.key not in answers and _named_options(q, text) for q in later)


def offered_answer(turn: Turn) -> str | None:
    """The one-tap answer offered at the request's pending question, if there is one."""
    question = _pending_question(turn)
    return turn.state["request"].get("offers", {}).get(question.key) if question is not None else None


def _take_later_answers(turn: Turn, kind: RequestType, question: RequestQuestion, answer: str) -> str | None:
    """Take from ``answer`` the options it names of the questions still to come, as from the
    opening message ("read only" typed at "which system?" answers "read only, or read and
    write?"); what it says besides, when it answered any, else None."""
    answers: dict[str, str] = turn.state["request"]["answers"]
    rest = answer
    for later in kind.questions:
        if later is question or later.key in answers:
            continue
        if options := _named_options(later, answer):
            answers[later.key] = _label(turn, options)
            said = [name for option in options for name in option.names()]
        elif found := later.found_in(answer):  # "Anna Schmidt, starts on Monday": the day too
            answers[later.key] = _with_day(turn, later, found)
            said = [later.found_in(answer, whole=True) or found]  # "我的经理是 ann@...": all of it
        else:
            continue
        for name in said:  # as the answer spells it: "讀寫" names the option 读写
            while (span := mention_span(rest, name)) is not None:
                rest = rest[: span[0]] + " " + rest[span[1] :]
    if rest == answer:
        return None
    return " ".join(rest.split()).strip(" ,.;!?，。；！？、")


# What is left of an answer to a later question once its options are taken: "she needs a , and"
# of "she needs a laptop, email and VPN" at "what is the new colleague's name?" was doubted as an
# answer to that (2026-12-07); it is noted, and the question asked again.
_FILLER = re.compile(
    r"(?<![a-z])(?:please|pls|thanks|just|only|also|and|a|an|the|(?:i|we|she|he|they)(?:'ll| will)? (?:needs?|wants?)"
    r"|我要|需要|就行|就可以|就好|即可|可以|就|吧|谢谢|他|她|和|还有|也)(?![a-z])"
)


def _request_question(turn: Turn, kind: RequestType) -> _Question | None:
    """The request's first question not answered yet, with its options as buttons."""
    request = turn.state["request"]
    question = _pending(kind, request["answers"])
    if question is None:
        return None
    labels = [getattr(o, _lang(turn)) for o in question.options]
    if (offered := request.get("offers", {}).get(question.key)) and offered not in labels:
        labels.append(offered)  # what the opening message named, one tap away
    return getattr(question, _lang(turn)), [Button(label, label) for label in labels]


async def _next_question(turn: Turn, kind: RequestType) -> None:
    if (question := _request_question(turn, kind)) is not None:
        turn.say(*question)
        return
    request = turn.state["request"]
    draft, subject = _request_draft(turn, kind, request)
    await _open_ticket(turn, draft, kind="request", subject=subject)


async def _ask_for_approval(turn: Turn, ticket: Ticket, said: str) -> None:
    """Send ``ticket`` to the approver ``said`` names (the answer to the kind's ``approval``
    question). When it names nobody the desk can reach (no address, an unknown name, the
    requester themself), the team is left a note to ask for it instead."""
    approver = await approver_named(turn.session, said)
    if approver is None or approver.email == turn.person.email:
        note = desk_t(turn.desk.settings.desk.default_language, "approval.unsent", said=said)
        await add_comment(turn.session, turn.desk, Actor.bot(), ticket, note, public=False)
        return
    await request_approval(turn.session, turn.desk, Actor.bot(), ticket, approver)


def _request_draft(turn: Turn, kind: RequestType, request: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The request's draft (its text, then each question answered so far with its answer) and
    its subject ("Software: Adobe Acrobat")."""
    answers: dict[str, str] = request["answers"]
    lines = [f"{getattr(q, _lang(turn))} {answers[q.key]}" for q in kind.questions if q.key in answers]
    if request.get("text"):
        lines.insert(0, request["text"])
    since = request.get("since", turn.message.id)
    urgency = request.get("urgency") or "low"
    draft = {"text": "\n".join(lines), "category": kind.category, "urgency": urgency, "since": since}
    if kind.approval and (approver := answers.get(kind.approval)):
        draft["approver"] = approver  # who is asked to approve it, once it is filed
    if spans := request.get("spans"):
        draft.update(spans=spans, after=request.get("after"))  # put aside, and taken up again
    title = kind.title.get(turn.lang, kind.title["en"])
    first = answers.get(kind.questions[0].key, "") if kind.questions else ""
    colon = "：" if turn.lang == "zh" else ": "
    return draft, f"{title}{colon}{first}"[:120] if first else title


async def open_for_handoff(turn: Turn) -> Ticket:
    """The ticket a person takes the conversation over with: the report or request being
    written, or else this message; with what this message adds (its words, unless it only asks
    for a person, and the category and urgency it names: "我的电脑开不了机，转人工" is filed
    under hardware and routed to that group)."""
    said = turn.text.strip()
    request = turn.state.get("request") if turn.state.get("flow") == "request" else None
    kind = _request_type(turn, request.get("key")) if request else None
    subject: str | None = None
    if request and kind is not None:
        draft, subject = _request_draft(turn, kind, request)
    else:
        draft = dict(turn.state.get("draft") or {})
    who = turn.person.name or turn.conversation.chat_id
    if not draft.get("text") and said.startswith("/"):
        # The menu's "Talk to a person" before anything was said: no words to file, so say so.
        draft["text"] = turn.t("handoff.description", name=who)
        subject = subject or turn.t("handoff.subject", name=who)
    elif not draft.get("text"):
        draft["text"] = said
        rest = without_greeting(said)
        rest = without_clauses(rest, turn.asides) if turn.asides else rest
        if turn.asides and rest:
            subject = subject or subject_line(rest)  # "我的电脑开不了机", not "…，转人工，谢谢"
        elif weight(rest) < _JUST_AN_ASK and not turn.parse.entity("category"):
            # "转人工", "I want to talk to a human": the ask is no subject, who asked is
            subject = subject or turn.t("handoff.subject", name=who)
    elif said not in draft["text"] and len(clauses(said)) > 1:
        add_words(draft, said)
    _take_entities(turn, draft, await named_categories(turn))
    draft.setdefault("since", turn.message.id)
    ticket_kind = "request" if kind is not None else draft.get("type", "incident")
    return await _file(
        turn, draft, kind=ticket_kind, subject=subject or subject_line(draft["text"]) or "Chat"
    )
