"""One turn of dialogue: what the user said, what we know, and the replies being built."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Button, Inbound, Outbound
from desk.chinese import to_simplified
from desk.context import Actor, Desk
from desk.i18n import Templates
from desk.models import Conversation, Message, Person
from nlu import Parse

__all__ = [
    "CJK",
    "LATIN_WORD",
    "OUTLIVES_FLOWS",
    "TEMPLATES",
    "Turn",
    "asks",
    "asks_to_send_files",
    "clauses",
    "introduced_name",
    "says_no_more",
    "says_nothing",
    "says_only_social",
    "simple",
    "weight",
    "without_clauses",
    "without_greeting",
    "without_lead",
]

TEMPLATES = Templates(Path(__file__).parent / "locales")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
"""A Chinese (CJK unified ideograph) character."""
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
"""A word in Latin script (a lone letter, as in desk "A12", is not one)."""

# A greeting that opens a message: Latin ones only when punctuation or a sentence follows them
# ("hello, my...", "hi team! ...", "hey I can't..."), not "hi-res screen" or "Hello Kitty stickers".
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))"
    r"(?:\s+(?:there|team|all|everyone|it|support|helpdesk|service\s+desk|guys|folks))?"
    r"(?:\s*[,，!！.。:：~～]+\s*|\s+(?=(?:my|i|i'm|our|we|the|can|could|please|it's|there's)\b))"
    r"|(?:你好|您好|你们好|大家好|各位好|[\u4e00-\u9fff]{0,2}老师好|领导好|早上好|上午好|下午好|晚上好|早安|嗨|哈喽"
    r"|在吗|在不在)[\s,，.。!！?？:：~～、]*)",
    re.IGNORECASE,
)


# Where a message divides into clauses: sentence and clause punctuation and a dash between words,
# not a colon, which introduces a quote ("the printer says: call service technician").
_CLAUSE_BREAK = re.compile(r"[,，.。!！?？;；\n]+|\s[-–—]+\s")


# Where a message may pass from one problem to another: where a clause ends, and words that join
# ("and", "plus", "还有", "另外"...) between words.
_JOIN = re.compile(
    _CLAUSE_BREAK.pattern + r"|\s+(?:and(?:\s+also)?|plus|as\s+well\s+as)\s+|还有|另外|而且|以及",
    re.IGNORECASE,
)
# A piece that tells what followed from the one before, or why, is part of it: "VPN won't
# connect, so I can't get my email" is one problem. So is one whose subject is the one before's,
# named by a pronoun or left out ("我的outlook打不开了，一直提示输入密码", "outlook won't open, it
# keeps asking for my password" were offered as an e-mail and a password problem, 2026-12-07).
_CONSEQUENCE = re.compile(
    r"^\s*(?:(?:so|because|since|which|that|then|now|and\s+now|therefore|hence|cause|as\s+a\s+result|when|after"
    r"|it|it's|its|this|keeps|still|always|constantly|repeatedly|every\s+time)\b"
    r"|所以|因为|导致|结果|然后|因此|于是|现在|以致|造成|之后|以后"
    r"|它|这个|一直|总是|老是|不停|反复|每次)",
    re.IGNORECASE,
)


def pieces(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that may each tell a problem of their own: cut at clause
    punctuation and joining words, a piece that tells a consequence or a cause kept with the one
    before it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_JOIN.finditer(text), None]:
        end = cut.start() if cut is not None else len(text)
        if text[start:end].strip():
            if spans and _CONSEQUENCE.match(simple(text[start:end])):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        if cut is not None:
            start = cut.end()
    return spans


def clauses(text: str) -> list[str]:
    """The clauses of ``text``, stripped ("我的电脑开不了机，转人工" → two)."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]


def without_clauses(text: str, left_out: Sequence[str]) -> str:
    """``text`` without the clauses ``left_out`` and the punctuation around them ("我的电脑开不了机，
    转人工，谢谢" without "转人工" and "谢谢" is "我的电脑开不了机"). Whole clauses only: leaving
    out "human" keeps "I want a human"."""
    pieces = _CLAUSE_BREAK.split(text)
    breaks = _CLAUSE_BREAK.findall(text)
    gone = {c.strip() for c in left_out}
    kept = [(p, b) for p, b in zip(pieces, [*breaks, ""], strict=True) if p.strip() not in gone]
    rest = "".join(p + b for p, b in kept)
    rest = re.sub(r"\s*([,，.。!！?？;；])(?:\s*[,，.。!！?？;；])+", r"\1", rest)
    return rest.strip(" \t\n,，;；-–—").rstrip("?？!！")


# Answers to "anything to add?" that add nothing.
_NOTHING = frozenset(
    [
        "skip",
        "no",
        "nope",
        "nothing",
        "none",
        "n/a",
        "na",
        "idk",
        "no idea",
        "don't know",
        "dont know",
        "not sure",
        "that's all",
        "thats all",
        "nothing else",
        "跳过",
        "没有",
        "没有了",
        "没了",
        "不用",
        "无",
        "不知道",
        "不清楚",
        "就这些",
        "就这样",
        "ok",
        "okay",
        "好",
        "好的",
        "嗯",
        "/skip",
    ]
)
_LETTER = re.compile(r"[^\W\d_]")
# Thanks, hello, ok, yes: no answer to a question in themselves. The model reads some answers
# so too ("ok, for signing contracts" is goodbye at 0.85): only a message of nothing else is one.
_SOCIAL_WORDS = re.compile(
    r"\b(?:thanks?(?:\s+you)?(?:\s+so\s+much)?|thx|ty|ok(?:ay)?|yes|yeah|yep|yup|sure|fine|great|cool|hi|hello"
    r"|hey|bye|goodbye|cheers|got\s+it|alright|all\s+right|right|please|pls|no\s+problem"
    # whether anyone is there: "hello? anyone there?" at "please describe it" was its description
    r"|(?:is\s+)?any(?:one|body)\s+(?:there|here)|(?:are\s+)?you\s+(?:still\s+)?there|still\s+there)\b"
    r"|谢谢|多谢|感谢|好的|好吧|好|是的|是|对的|对|嗯+|哦+|你好|您好|再见|拜拜|行|可以|收到|明白了?"
    r"|在吗|在不在|还在吗|有人吗",
    re.IGNORECASE,
)
_SAYS_SOMETHING = 8  # weighted characters: "I'm travelling" or "小王很专业" say something, "very" does not


def buttons_of(message: Message) -> list[Button]:
    """The buttons a stored message went out with."""
    return [Button(str(b["title"]), str(b["payload"])) for b in message.buttons or []]


def as_sent(message: Message) -> Outbound:
    """A stored message as it went out (the desk may have written it otherwise than it was
    said: in Traditional characters, for one)."""
    return Outbound(message.text, tuple(buttons_of(message)))


def says_nothing(text: str) -> bool:
    """Whether ``text`` adds nothing to a description or a comment: a "no", a "skip", an "I don't
    know", or no word at all ("2", "?", "👍")."""
    plain = " ".join(text.casefold().split()).strip(" .!,;:~。！，；：～")
    return plain in _NOTHING or not _LETTER.search(plain)


def says_only_social(text: str) -> bool:
    """Whether ``text`` says nothing but thanks, hello, ok or yes ("ok thanks", "好的，谢谢")."""
    return _LETTER.search(_SOCIAL_WORDS.sub(" ", simple(text))) is None


# A no to "anything else?": "no thanks", "nope, all good", "no that's all", "没有了，谢谢", "不用了".
_NO_MORE = re.compile(
    r"\b(?:no|nope|nah|not\s+really|nothing(?:\s+(?:else|more))?(?:\s+for\s+now)?|that'?s\s+(?:all|it)"
    r"|(?:i'?m|i\s+am|we'?re|all)\s+(?:good|set|fine)|all\s+good|for\s+now|at\s+the\s+moment)\b"
    r"|没有了?|没了|没事了?|不用了?|暂时没有|就这些|就这样|没别的了?|没其他的?了?",
    re.IGNORECASE,
)


def says_no_more(text: str) -> bool:
    """Whether ``text`` is a no to "anything else?" and nothing but that and social words: the
    bot's "You're welcome! Anything else I can do?" got "no thanks", and its whole help text."""
    plain = simple(text).replace("’", "'")
    return (
        _NO_MORE.search(plain) is not None
        and _LETTER.search(_SOCIAL_WORDS.sub(" ", _NO_MORE.sub(" ", plain))) is None
    )


# A question: "...?", "when/where/who/what/how/which/is/are/can...", "...吗/呢", "什么/几点/哪/谁/多少".
_QUESTION = re.compile(
    r"[?？]$|^(?:when|where|who|what|how|which|is|are|can|could|do|does)\b|[吗呢]$|什么|几点|哪|谁|多少",
    re.IGNORECASE,
)


# What the state keeps when a flow ends (:meth:`Turn.reset`).
OUTLIVES_FLOWS = ("ticket", "held", "files_since")


def asks(text: str) -> bool:
    """Whether ``text`` is put as a question ("when is the IT desk open?", "谁来审批")."""
    return _QUESTION.search(simple(text).strip()) is not None


# Asking whether or how to send the desk a file: "can I send you a screenshot of the error?",
# "do you need the log file?", "要不要我发个截图给你们", "怎么上传附件". Someone asking may send
# one (a screenshot, a log), or send it here ("how do I send you the file?"); not "how do I
# send a large file to a client?", a question for the knowledge base.
_FILE_EN = (
    r"\b(?:screen\s?shots?|screen\s?caps?|snips?|photos?|pictures?|pics?|images?|videos?|recordings?"
    r"|logs?|log\s+files?|(?:files?|attachments?)(?=[^?]*\b(?:you|here|this\s+chat|it)\b))\b"
)
_SEND_EN = r"\b(?:send|attach|add|upload|share|include|post|give|provide|forward)\b"
_HERE_EN = r"\b(?:you|here|this\s+chat|the\s+desk|to\s+(?:inc|req)-?\d+)\b"
_FILE_ZH = r"(?:截图|截屏|照片|相片|图片|图|文件|日志|附件|录屏|视频)"
_SEND_ZH = r"(?:发|传|上传|附上?|贴|提供)"
_SENDS_FILES = re.compile(
    rf"\b(?:(?:can|could|may|should|shall)\s+i|is\s+it\s+(?:ok|okay|fine|possible)\s+(?:to|if\s+i))\b"
    rf"[^.!?]*?{_SEND_EN}[^.!?]*?{_FILE_EN}"
    rf"|\bdo\s+you\s+(?:want|need)\b[^.!?]*?{_FILE_EN}"
    rf"|\b(?:would|will)\s+(?:a|an|the|some|my)\b[^.!?]*?{_FILE_EN}[^.!?]*?\b(?:help|be\s+useful)\b"
    rf"|\bhow\s+(?:do|can|should)\s+i\b[^.!?]*?{_SEND_EN}(?=[^.!?]*?{_HERE_EN})[^.!?]*?{_FILE_EN}"
    rf"|(?:可以|能|能不能|能否|要不要|需要|需不需要|是否需要|用不用|方便)(?:[^。！？?]{{0,6}}{_SEND_ZH}[^。！？?]{{0,6}}{_FILE_ZH}"
    rf"|把?[^。！？?]{{0,8}}{_FILE_ZH}[^。！？?]{{0,3}}{_SEND_ZH})"
    rf"|(?:怎么|怎样|如何|在哪里?){_SEND_ZH}[^。！？?]{{0,4}}(?:截图|截屏|照片|相片|图片|图"
    rf"|{_FILE_ZH}[^。！？?]{{0,4}}(?:给你|这里|这儿|过来))",
    re.IGNORECASE,
)


# Sent to someone else or elsewhere: "can I send a photo to my manager?", "把文件发给客户",
# "can I share a screenshot in teams?", "用邮件发文件".
_ELSEWHERE = re.compile(
    r"\b(?:to|with)\s+(?:my|our|a|an|his|her|their|external|other|another|the\s+(?!desk|ticket|chat|support|"
    r"it\s+desk|service\s+desk)\w+)\b"
    r"|\b(?:in|on|via|by|through|over)\s+(?:outlook|teams|e-?mail|mail|slack|sharepoint|onedrive|whatsapp|wechat|zoom)\b"
    r"|给(?!你|您|这|IT|it)[\u4e00-\u9fff]|(?:用|在|通过)(?:outlook|邮件|邮箱|微信|企业微信|钉钉|teams)",
    re.IGNORECASE,
)


def asks_to_send_files(text: str) -> bool:
    """Whether ``text`` asks whether or how to send the desk a screenshot, photo, log or file.
    Looked for in every message: one conversion to Simplified, the rare pattern first."""
    said = simple(text).strip()
    if len(said) > 120 or _SENDS_FILES.search(said) is None:
        return False
    return (_QUESTION.search(said) is not None or "怎么" in said) and _ELSEWHERE.search(said) is None


def simple(text: str) -> str:
    """``text`` in Simplified characters for the bot's own patterns ("請問怎麼共享日曆" asks how
    to, as "请问怎么共享日历" does), where the conversion keeps its length; else as it is."""
    converted = to_simplified(text)
    return converted if len(converted) == len(text) else text


def weight(text: str) -> int:
    """Length as information: a Chinese character says about as much as three Latin letters."""
    return len(text) + 2 * len(CJK.findall(text))


def without_greeting(text: str) -> str:
    """``text`` without the greeting that opens it ("Hi team! printer is offline" → "printer is
    offline", "你好，打印机坏了" → "打印机坏了"), stripped; all of it when there is none."""
    return without_lead(_GREETING, text.strip()).strip()


def without_lead(pattern: re.Pattern[str], text: str) -> str:
    """``text`` without what ``pattern`` finds at its start, read in Simplified characters and
    cut from the words as written: "還有我的滑鼠不靈了" opens with 还有 as "还有我的鼠标..." does."""
    found = pattern.match(simple(text))
    return text[found.end() :] if found else text


# A self-introduction that opens a message: "我是财务部的小李，...", "this is Ann from finance. ...",
# "new here. how do i connect to the office wifi?" (its "new here" found the desk's hours).
_INTRODUCTION = re.compile(
    r"^\s*(?:我叫[^,，。！!]{1,10}|我是[^,，。！!不]{1,15}(?:部|组|团队|的)[^,，。！!]{0,8}"
    r"|(?:我是)?(?:新来的|刚来的|新同事|新员工)|我?刚入职(?:[^,，。！!]{0,6})?"
    r"|my name is\s[^,.!?\n]{1,30}|(?:this is|i'?m|i am)\s[^,.!?\n]{1,20}\sfrom\s[^,.!?\n]{1,30}"
    r"|(?:i'?m\s+|i\s+am\s+)?new\s+(?:here|to\s+(?:the\s+)?(?:company|team|office))"
    r"|(?:it'?s\s+)?(?:my\s+)?first\s+(?:day|week)(?:\s+here)?|i\s+(?:just\s+)?(?:started|joined)\s+(?:today|this\s+week|yesterday))"
    r"\s*[,，.。!！]\s*",
    re.IGNORECASE,
)
# Words that join this message to the one before: "also the headset mic isn't detected" is a
# ticket about the headset mic, "另外，打印机也坏了" and "ok, then my monitor..." too.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:(?:(?:oh\s+)?and\s+also|also|oh\s+and|and|plus|then|btw|by\s+the\s+way|one\s+more\s+thing"
    r"|another\s+thing)\b|另外|还有|对了|顺便(?:说一下|问一下|说下)?|而且)\s*[,，:：、]?\s*"
    # an acknowledgement of what the bot said, before a comma: "ok, then my monitor...", "好的，"
    r"|(?:ok(?:ay)?|alright|well|anyway|好的|好吧|嗯+|那么)\s*[,，:：、]\s*)+",
    re.IGNORECASE,
)
# An ask for help before the problem is told: "can you help me? my laptop won't charge" is a
# ticket about the laptop. Only set apart by punctuation: "help me reset my password" is the ask.
_PLEA = re.compile(
    r"^\s*(?:(?:(?:can|could|would|will)\s+(?:you|u|someone|somebody|anyone|anybody)\s+(?:please\s+|pls\s+)?"
    r"help(?:\s+me)?(?:\s+(?:out|please|pls))?|(?:please|pls)\s+help(?:\s+me)?|help(?:\s+me)?(?:\s+(?:please|pls))?"
    r"|i\s+need\s+(?:some\s+|your\s+)?help|need\s+(?:some\s+)?help)\s*[?!.,:;]+"
    r"|(?:请|麻烦)?(?:你|您)?(?:能|可以)?(?:帮帮我|帮我一下|帮个忙|帮下忙|帮忙)(?:吗|吧|一下)?\s*[？?！!，,。.：:]+"
    r"|(?:求助|救命)\s*[！!，,。.：:]+)\s*",
    re.IGNORECASE,
)


# The commonest Chinese surnames (about 90% of people), for "我是王芳": "我是" and two or three
# characters is as often a role ("我是经理") or the start of a sentence ("我是说...").
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤欧温常易乔施牛洪俞"
)
# A message that only says who is writing, after any greeting: "我是王芳", "我叫李娜", "I'm Anna",
# "my name is Anna Schmidt" (read as a report, out of scope or not understood, 2026-12-07).
_SELF_NAMED = re.compile(
    r"^\s*(?:(?:我叫|我的名字(?:是|叫)|本人(?:是|叫)?)\s*(?P<named>[\u4e00-\u9fff]{2,4}|[A-Za-z][A-Za-z'-]+(?:\s+[A-Za-z][A-Za-z'-]+)?)"
    # "我是王芳", "我是财务部的小李"
    rf"|我是(?:[^,，。！!\s]{{1,10}}?(?:部|组|团队|中心)的?)?(?P<zh>[小老][{_SURNAMES}]|[{_SURNAMES}][\u4e00-\u9fff]{{1,2}})"
    # "I'm Anna", "this is Ann from finance"
    r"|(?i:my\s+name\s+is|my\s+name's|i'?m|i\s+am|this\s+is)\s+(?P<en>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"
    r"(?:\s+(?i:from|in|at|of)\s+[^,.!?\n]{1,30})?"
    r")\s*[.。!！~～]*\s*$"
)


def introduced_name(text: str) -> str | None:
    """The writer's name when ``text`` says nothing but who is writing, after any greeting
    ("你好，我是王芳" → "王芳", "Hi, I'm Anna" → "Anna"), as written; else None."""
    rest = without_greeting(text)
    found = _SELF_NAMED.match(simple(rest))
    if found is None:
        return None
    group = next(g for g in ("named", "zh", "en") if found.group(g))
    if group == "en" and _NOT_A_NAME.match(found.group(group)):
        return None
    return rest[found.start(group) : found.end(group)]


# What else follows "I'm" with a capital: "I'm Stuck", "This is Urgent", "I'm Trying...".
_NOT_A_NAME = re.compile(
    r"(?:fine|good|ok|okay|back|here|there|sorry|stuck|confused|lost|new|done|ready|busy|late|angry|annoyed"
    r"|tired|unable|not|locked|still|so|very|really|just|sure|afraid|worried|desperate|happy|glad|urgent"
    r"|frustrated|blocked|away|home|out|off|on|in|at|it|me|him|her|them|us|what|why|how|[a-z]+ing)\b",
    re.IGNORECASE,
)


def told(text: str) -> str:
    """``text`` without what comes before the problem is told: a greeting, a self-introduction,
    an ask for help, a word joining it to what was said before, in any order ("Hi, I'm Ann from
    HR. Can you help me? My outlook..."); empty if that is all it says."""
    rest, before = without_greeting(text), None
    while rest != before:
        before = rest
        for lead in (_INTRODUCTION, _PLEA, _LEAD_IN):
            rest = without_lead(lead, rest) or rest
    return rest


@dataclass
class Turn:
    """Everything a flow needs. ``state`` is the conversation's dialogue state (saved after the
    turn); ``replies`` are what the bot says, in order."""

    session: AsyncSession
    desk: Desk
    conversation: Conversation
    person: Person
    message: Message
    text: str
    parse: Parse
    lang: str
    state: dict[str, Any]
    replies: list[Outbound] = field(default_factory=list)
    inbound: Inbound | None = None  # the message as the channel gave it (e-mail reads its headers)
    asides: tuple[str, ...] = ()  # in a message asking for a person, its clauses not about the problem
    # In a report, the pieces that each surely tell a problem naming a category: where each
    # begins in the text, and its parse (see :meth:`bots.understanding.Understanding.problems`).
    problems: tuple[tuple[int, Parse], ...] = ()
    memo: dict[Any, Any] = field(default_factory=dict)  # lookups this turn makes more than once

    @property
    def requester(self) -> Actor:
        return Actor.requester(self.person)

    def t(self, key: str, **values: Any) -> str:
        return TEMPLATES.t(self.lang, key, **values)

    def say(self, text: str, buttons: tuple[Button, ...] | list[Button] = ()) -> None:
        """Add a reply. Its buttons are also the numbered options a plain "2" picks (read back
        from the transcript on the next turn)."""
        self.replies.append(Outbound(text, tuple(buttons)))

    def button(self, key: str, payload: str, **values: Any) -> Button:
        return Button(self.t(key, **values), payload)

    async def latest(self, *conditions: ColumnElement[bool]) -> Message | None:
        """The newest message of this conversation before this turn's that meets ``conditions``
        (the bot's last question; an agent's last update delivered here)."""
        return await self.session.scalar(
            select(Message)
            .where(Message.conversation_id == self.conversation.id, Message.id < self.message.id, *conditions)
            .order_by(Message.id.desc())
            .limit(1)
        )

    def says_more_than(self, *entities: str) -> bool:
        """Whether the message says more than the ``entities`` it names: "very urgent, the
        auditors arrive at 3" or "5 stars, Tom was quick" against "very urgent" or "5 stars"."""
        chars = list(self.parse.text)
        for entity in self.parse.entities:  # blanked, not cut out: spans may overlap
            if entity.entity in entities:
                chars[entity.start : entity.end] = " " * len(chars[entity.start : entity.end])
        plain = " ".join("".join(chars).split()).strip(" ,，.。!！、~～")
        return not says_nothing(plain) and weight(plain) >= _SAYS_SOMETHING

    def menu(self) -> list[Button]:
        """What the bot can do, as buttons."""
        return [
            self.button("menu.report", "/report"),
            self.button("menu.request", "/request"),
            self.button("menu.status", "/status"),
            self.button("menu.human", "/human"),
        ]

    def asks_something(self, payloads: Sequence[str]) -> bool:
        """Whether a message with buttons of these ``payloads`` waits on an answer: any buttons
        but none or the menu's, which ask nothing."""
        return bool(payloads) and list(payloads) != [b.payload for b in self.menu()]

    def reset(self) -> None:
        """Leave any flow; keep what outlives flows (the linked ticket, a request put aside for a
        new problem: see :func:`bots.report.resume_held`; files sent before the words of a report:
        see :func:`bots.report.files_before`)."""
        keep: dict[str, Any] = {k: self.state[k] for k in OUTLIVES_FLOWS if k in self.state}
        self.state.clear()
        self.state.update(keep)
