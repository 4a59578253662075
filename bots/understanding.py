"""The configured NLU backend behind one async ``parse``: embedded, or Rasa with embedded fallback."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

from bots.turn import clauses, introduced_name, pieces, simple, told, weight
from desk.settings import NluSettings
from nlu import EmbeddedEngine, Entity, IntentScore, Parse, RasaBackend, load_default_engine

__all__ = ["Understanding"]

# What a user comes to do, as opposed to chatter: after a greeting, these decide.
_TASKS = frozenset(
    {
        "report_problem",
        "request_service",
        "check_status",
        "add_info",
        "talk_to_human",
        "cancel_ticket",
        "reopen",
    }
)

_ASKS = 0.9  # a clause this sure to be "get me a person" decides the message
_UNSURE = 0.6  # a whole message read below this may be decided by a clause that asks to cancel
# Clauses of a message asking for a person that say nothing of the problem, at least this sure,
# are left out of its subject ("not a bot" is an ask at 0.9, more or less).
_ASIDES = frozenset({"talk_to_human", "thanks"})
_ASIDE = 0.8
_LONGEST_ASK = 60  # weighted characters: a longer clause is a story, not "转人工"
_MOST_CLAUSES = 6
_PROBLEM = 8  # weighted characters: a shorter piece ("Outlook", "急") tells no problem of its own
_SURE_PROBLEM = 0.9
# Words right after a thing's name that say it works: "my password is fine, it's outlook that
# keeps prompting", "密码没问题，是Outlook一直弹窗", "网络正常，就是VPN连不上". Not "不正常".
_FINE = re.compile(
    r"\s*(?:itself\s+)?(?:(?:is|are|'s|seems?(?:\s+to\s+be)?)\s+(?:(?:totally|perfectly|all)\s+)?"
    r"(?:fine|ok(?:ay)?|alright|all\s+right|working(?:\s+fine)?|not\s+the\s+(?:problem|issue))"
    r"|works?\s+(?:fine|ok(?:ay)?|perfectly)|(?:is\s*n'?o?t|are\s*n'?o?t)\s+the\s+(?:problem|issue))\b"
    r"|(?:本身)?(?:都|也|倒是)?(?:是好的|没问题|没有问题|没事|正常|能用|可以用)(?![吗么嘛？?])",
    re.IGNORECASE,
)


class Understanding:
    """Loads (training on first use) the embedded model; wraps Rasa when ``nlu.backend: rasa``."""

    def __init__(self, settings: NluSettings, engine: EmbeddedEngine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._rasa: RasaBackend | None = None

    async def start(self) -> None:
        """Load or train the model off the event loop (training takes seconds)."""
        if self._engine is None:
            self._engine = await asyncio.to_thread(load_default_engine, Path(self.settings.model_path))
        if self.settings.backend == "rasa" and self._rasa is None:
            rasa = self.settings.rasa
            self._rasa = RasaBackend(
                rasa.url, self._engine, timeout=rasa.timeout, threshold=self.settings.threshold
            )

    @property
    def engine(self) -> EmbeddedEngine:
        assert self._engine is not None, "call start() first"
        return self._engine

    async def parse(self, text: str, *, by_clause: bool = True) -> Parse:
        """The intent and entities of ``text`` (see :meth:`read`)."""
        return (await self.read(text, by_clause=by_clause))[0]

    async def read(self, text: str, *, by_clause: bool = True) -> tuple[Parse, tuple[str, ...]]:
        """The intent and entities of ``text``.

        A greeting or an ask for help followed by what the user came for ("你好，打印机显示脱机了",
        "can you help me? vpn broken") is read for what follows it: their characters otherwise
        outweigh a short request, and the bot would only say hello back, or show its menu. A clause that on its own clearly asks for a person ("我的
        电脑开不了机，转人工", "VPN keeps dropping. Can I talk to an agent?") decides the intent,
        which the problem's words would otherwise outvote; the entities (the category, the
        urgency) stay those of the whole message, so the handoff is routed by them. A mail is
        read whole (``by_clause=False``): its sign-off's "call me if anything is unclear" is
        not an ask, and the desk answers mail with a ticket, never a live chat.

        Returns the parse and, when it asks for a person in a message of several clauses, the
        clauses that are not about the problem: each ask ("I want a human", "not a bot") and
        each thanks ("谢谢"), which the ticket's subject leaves out."""
        read: dict[str, Parse] = {}  # each piece once ("你好，打印机坏了": the rest is also a clause)

        async def parse_of(piece: str) -> Parse:
            if piece not in read:
                read[piece] = await self._parse(piece)
            return read[piece]

        parse = await parse_of(text)
        if not parse.entities and introduced_name(text):
            # "我是王芳" was read as a report, "I'm Anna" as nothing, "你好，我是王芳" by its
            # second half as a report: saying who one is greets.
            said = IntentScore("greet", 1.0)
            return replace(parse, intent=said, intent_ranking=(said,)), ()
        if parse.intent.name in ("greet", "help"):
            # "hi, can you help me? vpn broken" got the menu, as a greeting or an ask for help.
            rest = told(text)
            if rest and rest != text.strip():
                after = await parse_of(rest)
                if after.intent.name in _TASKS:
                    parse = after
        parts = clauses(text)
        if not by_clause or len(parts) < 2:
            return parse, ()
        short = [c for c in parts[:_MOST_CLAUSES] if weight(c) <= _LONGEST_ASK]
        # At once: with the Rasa backend each clause is a request to the Rasa server.
        parses = await asyncio.gather(*(parse_of(c) for c in short))
        ask = next(
            (p for p in parses if p.intent.name == "talk_to_human" and p.intent.confidence >= _ASKS), None
        )
        if ask is not None and (
            parse.intent.name != "talk_to_human" or parse.intent.confidence < ask.intent.confidence
        ):
            # Read whole, "VPN keeps dropping. Can I talk to an agent?" may be an ask at only
            # 0.56, which the bot would question; the clause says it at 1.0.
            parse = replace(parse, intent=ask.intent, intent_ranking=ask.intent_ranking)
        elif parse.intent.name != "talk_to_human":
            return _cancelled_in_a_clause(parse, parses), ()
        asides = (
            c
            for c, p in zip(short, parses, strict=True)
            if p.intent.name in _ASIDES and p.intent.confidence >= _ASIDE
        )
        return parse, tuple(asides)

    async def problems(self, text: str) -> tuple[tuple[int, Parse], ...]:
        """The pieces of a report (see :func:`~bots.turn.pieces`) that each surely tell a problem
        and name a category, as where each begins and its parse: "my printer is jammed and
        outlook keeps crashing" tells two, which the bot may file apart. Empty for one."""
        spans = pieces(text)
        if not 2 <= len(spans) <= _MOST_CLAUSES:
            return ()
        found = []
        for start, end in spans:
            piece = told(text[start:end])
            if weight(piece) < _PROBLEM:
                continue
            parse = await self._parse(piece)
            sure = parse.intent.name == "report_problem" and parse.intent.confidence >= _SURE_PROBLEM
            named = [e for e in parse.entities if e.entity == "category"]
            if sure and named and not all(_said_to_work(parse, e) for e in named):
                found.append((start, parse))  # "密码没问题" is no problem of its own
        return tuple(found) if len(found) >= 2 else ()

    async def _parse(self, text: str) -> Parse:
        if self._engine is None:
            await self.start()
        if self._rasa is not None:
            return _at_fault(await self._rasa.parse(text))
        return _at_fault(self.engine.parse(text, threshold=self.settings.threshold))

    async def close(self) -> None:
        if self._rasa is not None:
            await self._rasa.aclose()


def _said_to_work(parse: Parse, entity: Entity) -> bool:
    """Whether the message says the thing ``entity`` names works ("my password is fine")."""
    return _FINE.match(simple(parse.text), entity.end) is not None


def _at_fault(parse: Parse) -> Parse:
    """``parse`` without the categories the message says work, when it names another: "no, my
    password is fine, it's outlook that keeps prompting" is about Outlook alone. It began a
    password report, and its article was offered again (2026-12-08). A message that only says
    a thing works ("the VPN is fine now") keeps it: that is what the message is about."""
    named = [e for e in parse.entities if e.entity == "category"]
    fine = [e for e in named if _said_to_work(parse, e)]
    if not fine or len(fine) == len(named):
        return parse
    return replace(parse, entities=tuple(e for e in parse.entities if e not in fine))


def _cancelled_in_a_clause(parse: Parse, clauses_read: list[Parse]) -> Parse:
    """``parse``, or a cancellation a clause says clearly when the whole message is in doubt
    between it and something else: "oh wait, please cancel that, my manager says we have no
    licenses" read 0.45 as a report and 0.40 as a cancellation, and was asked which menu item it
    meant, with no cancel among them; its clause "please cancel that" says it at 0.99. A sure
    reading of the whole ("I can't cancel the meeting in Outlook") stands."""
    if parse.intent.confidence >= _UNSURE or "cancel_ticket" not in [
        i.name for i in parse.intent_ranking[:2]
    ]:
        return parse
    cancel = next(
        (p for p in clauses_read if p.intent.name == "cancel_ticket" and p.intent.confidence >= _ASKS), None
    )
    return (
        parse
        if cancel is None
        else replace(parse, intent=cancel.intent, intent_ranking=cancel.intent_ranking)
    )
