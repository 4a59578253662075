"""What a message already says that a service request's question asks for: a day, a colleague's
name, what software is for, who approves, or what a configured pattern finds (a question's ``find`` and
``offer`` in ``config.yml``).

"We have a new hire, Anna Schmidt from Finance, starting on 1 December" answers "What is their
first day?" and names who she is; the bot should not ask for either as if it had not been told.
A question's ``find`` answers it outright (days are easy to tell); its ``offer`` is only shown
as a one-tap answer (a name is easy to get wrong: "Hi Team" is two capitalised words too).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from desk.chinese import to_simplified

__all__ = [
    "ADDRESS",
    "APPROVER_BY",
    "APPROVER_BY_ZH",
    "APPROVER_ROLE",
    "APPROVER_ROLE_ZH",
    "FINDERS",
    "day_of",
    "finder",
    "found_in",
]

_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NTH = r"\d{1,2}(?:st|nd|rd|th)?"
_CN_NUMBER = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_CN_WEEKDAY = r"(?:周|星期|礼拜)[一二三四五六日天]"

# A day, as people write one: "Monday", "next Friday", "1 December", "Dec 1st, 2026",
# "2026-12-01", "1/12", "today", "tomorrow"; "下周一", "星期五", "12月1日", "十二月一号", "1号", "明天".
# Not a week or a month ("next week", "下周", "三月份": which day is still to ask), nor a number
# that is something else ("1号楼" is a building, "每周一" is every Monday, "24/7" no day).
_DATE = re.compile(
    rf"\b(?:(?:next|this|coming)\s+{_WEEKDAY}|{_WEEKDAY}(?:,?\s+(?:the\s+)?{_NTH}(?:\s+(?:of\s+)?{_MONTH})?)?"
    rf"|{_NTH}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?|{_MONTH}\s+{_NTH}(?:,?\s+\d{{4}})?"
    r"|today|tomorrow|yesterday|\d{4}-\d{1,2}-\d{1,2}|(?!24/7\b)(?:[12]?\d|3[01])/(?:0?[1-9]|1[0-2])(?:/\d{2,4})?)\b(?![/\d])"
    rf"|(?:下下?个?|这个?|本|上个?)?(?<![一每几]){_CN_WEEKDAY}"
    rf"|(?:\d{{4}}年)?{_CN_NUMBER}月{_CN_NUMBER}[日号]?"
    r"|(?<![\d月])\d{1,2}[日号](?![楼栋座机线位码院口])"
    r"|大?后天|今天|明天|昨天|前天|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}",
    re.IGNORECASE,
)

_NOT_A_NAME = (
    r"(?!(?:She|He|They|Someone|Somebody|Everyone|Please|Pls|Hi|Hello|Hey|Dear|Thanks|Thank|Who|The|This"
    r"|That|Our|My|We|It|And|Also|Starting|Start|From|On|Next|Need|Needs|New|Can|Could|Would|Will|Is|In)\b)"
)
_WORD = r"[A-Z][a-z]*(?:['’-]?[A-Z]?[a-z]+)+"  # "Anna", "O'Neil", "McDonald", "Jean-Luc"
_NAME = rf"{_NOT_A_NAME}{_WORD}(?:\s+{_NOT_A_NAME}{_WORD}){{0,2}}"
_NAME_PAIR = rf"{_NOT_A_NAME}{_WORD}(?:\s+{_NOT_A_NAME}{_WORD}){{1,2}}"  # a first name and a family name
_DEPARTMENT = (
    r"(?:,?\s+(?:from|in|of|joining|to)\s+(?:the\s+)?[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*"
    r"(?:\s+(?:team|department|dept))?)?(?:\s*\([^()]{1,40}\))?"
)
_BEFORE_NAME = (
    r"\b(?:new\s+(?:hire|starter|joiner|colleague|employee|team\s+member)s?|welcome|leaver|colleague)\b"
    r"[\s,:;(–-]*(?:(?:called|named|is)\s+)?"
)
_AFTER_NAME = (
    r"(?=\s+(?:(?:is|will\s+be)\s+(?:joining|starting|leaving)|joins|starts|leaves)\b|['’]s\s+last\b)"
)
# One Chinese character of a name: not where a day, a verb or a particle begins ("刘洋下周五离职").
_CN_CHAR = r"(?!下周|下个|下星|上周|明天|后天|今天|这周|本周|周[一二三四五六日天]|星期|入职|离职|辞职|[的在将会要是从叫需有])[\u4e00-\u9fff]"
_CN_NAME = rf"(?:{_CN_CHAR}){{2,3}}"
_CN_DEPARTMENT = r"[\u4e00-\u9fff]{1,6}部"
_CN_AFTER_NAME = r"(?=的?(?:[，,。、\s（(]|$)|\d|下|这|本|明|后|今|周|星期|入职|离职|辞职|将|会|要|在|是)"

# A colleague's name beside the words that introduce one, with their department when it comes
# with it: "a new hire, Anna Schmidt from Finance", "Peter Hall (Sales) is leaving";
# "新员工王小明，财务部", "财务部的刘洋下周五离职".
# A name with its department said with it, wherever it stands in a message about a colleague
# who starts or leaves: "...starting next Monday, Anna Schmidt from Finance." (not "She is from Finance").
_WITH_DEPARTMENT = (
    r"(?:,?\s+(?:from|in|of)\s+(?:the\s+)?[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*(?:\s+(?:team|department|dept))?"
    r"|\s*\([^()]{1,40}\))"
)
_NOT_A_TEAM = r"(?<!from )(?<!the )"  # "a new hire from Finance starts": no name
_PERSON = re.compile(
    rf"{_BEFORE_NAME}({_NAME}{_DEPARTMENT})|{_NOT_A_TEAM}\b({_NAME}{_DEPARTMENT}){_AFTER_NAME}"
    rf"|{_NOT_A_TEAM}\b({_NAME}{_WITH_DEPARTMENT})"
    rf"|(?:我们|我的?)?({_CN_DEPARTMENT}的?(?:新员工|新同事|同事)?{_CN_NAME}){_CN_AFTER_NAME}"
    rf"|(?:新员工|新同事|同事|员工|新人)[：:，,\s]*叫?({_CN_NAME}(?:[，,（(]\s*{_CN_DEPARTMENT}[）)]?)?){_CN_AFTER_NAME}"
    # named wherever it stands: "...入职，叫王芳，市场部的", "her name is Anna Schmidt"
    rf"|(?:名字叫|名叫|叫做|叫)(?!什么)({_CN_NAME}(?:[，,（(]\s*{_CN_DEPARTMENT}[）)]?)?){_CN_AFTER_NAME}"
    rf"|\b(?:her|his|their)\s+name\s+is\s+({_NAME}{_DEPARTMENT})"
    # a full name and a department that end the message after a colon: "...and accounts: Tom
    # Green, Marketing"
    rf"|(?<=[:;])\s*({_NAME_PAIR},\s*[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*(?:\s+(?:team|department|dept))?)\s*[.!]?\s*$"
)

# What software is needed for, after the words that say so: "so that I can build the dashboard",
# "in order to run the tests", "it's for client calls", "for drawing network diagrams" (a verb in
# -ing, not "for something" or "for the meeting"), ", to edit contracts" / "Photoshop to edit
# photos" (a verb people use for work, not "access to SAP"); "用来画流程图", "用于处理图片",
# "为了做计划", "做数据分析用". Not "for work": that says no more than that it is needed.
_WORK_VERB = (
    r"(?:edit|create|open|view|read|write|draw|design|make|build|run|test|analy[sz]e|manage|record"
    r"|convert|sign|present|prepare|process|track|develop|debug|compile|translate|calculate|plan"
    r"|review|host|join|schedule|model|render|export|import|merge|compare|scan|print|share|sync"
    r"|monitor|train|teach|produce|publish|code|program|transcribe|annotate|visuali[sz]e|simulate)"
)
_UNTIL_END = r"([^.!?;。！？；\n]{2,80}?)\s*(?=$|[.!?;。！？；\n])"
_PURPOSE = re.compile(
    rf"\b(?:so\s+(?:that\s+)?(?:i|we|they|he|she)\s+can|in\s+order\s+to|to\s+be\s+able\s+to"
    rf"|i\s+need\s+it\s+(?:to|for)|(?:it['’]?s|it\s+is|that['’]?s|this\s+is)\s+for)\s+{_UNTIL_END}"
    rf"|\bfor\s+(?!(?:some|any|no|every)thing\b|morning\b|evening\b|building\b|meeting\b|ceiling\b)"
    rf"([a-z]+ing\b[^.!?;。！？；\n]{{0,80}}?)\s*(?=$|[.!?;。！？；\n])"
    rf"|\bto\s+({_WORK_VERB}\b[^.!?;。！？；\n]{{0,80}}?)\s*(?=$|[.!?;。！？；\n])"
    r"|(?:用来|用于|拿来|为了)\s*([^，,。！？；!?;\n]{2,40})"
    # a clause that ends in 用(的): "编辑合同PDF用的", "开会要用", "做报表的时候用" (not "不好用",
    # "能用", nor "需要装SPSS..." that says what to install)
    r"|(?:^|(?<=[，,。！？；!?;\s]))(?![我你他她])((?:(?![不没装])[^，,。！？；!?;\n]){2,30}?)(?<![能好以])"
    r"(?:的时候|时)?(?:要|需要|得)?用(?:的|到的?)?[吧呢啊]?\s*(?=$|[，,。！？；!?;\n])"
    r"|做([^，,。！？；!?;\n]{2,20})用",
    re.IGNORECASE,
)

# Who approves, when the words say so: "my manager is tom.baker@example.com", "approved by
# ann@example.com", "我的经理是 zhang.min@example.com", "审批人：li.wei@example.com". A bare address
# is left to the question it is typed at ("finance@example.com" may be the mailbox asked for).
ADDRESS = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
"""An e-mail address, as a regular expression."""
# The words that say who approves, as regular expressions: a role ("manager", "经理") or who signs
# off ("approved by", "审批人"), after which an approver's address or name comes.
APPROVER_ROLE = r"(?:line\s+)?manager|approver|boss|supervisor|team\s+lead"
APPROVER_BY = r"approved\s+by|approval\s+from"
APPROVER_ROLE_ZH = r"经理|主管|领导|上级"
APPROVER_BY_ZH = r"审批人?|批准人?"
# Or a name after the words, as written: "my manager is Tom Baker", "approved by Maria Garcia",
# "我的经理是李娜" (typed at "which system?", it became the system; the desk looks the name up
# among its people and agents when the request is filed).
_APPROVER = re.compile(
    rf"\b(?:(?:my|our)\s+)?(?:{APPROVER_ROLE}|{APPROVER_BY})\b[^@\n]{{0,20}}?\b({ADDRESS})"
    rf"|(?:我的|我们的?)?(?:{APPROVER_ROLE_ZH}|{APPROVER_BY_ZH})[^@\n]{{0,12}}?({ADDRESS})"
    rf"|\b(?:(?:my|our)\s+(?:{APPROVER_ROLE})\s+is|{APPROVER_BY})"
    r"\s+((?-i:[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,3}))(?=\s*(?:$|[,.;!?]))"
    rf"|(?:我的|我们的?)(?:{APPROVER_ROLE_ZH})(?:是|叫)\s*([\u4e00-\u9fff]{{2,4}})(?=\s*(?:$|[，,。.！!；;]))",
    re.IGNORECASE,
)

FINDERS: dict[str, re.Pattern[str]] = {
    "date": _DATE,
    "person": _PERSON,
    "purpose": _PURPOSE,
    "approver": _APPROVER,
}
"""The finders a question may name instead of writing a pattern of its own."""


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_WEEKDAYS = "一二三四五六日天"
_OFFSETS = {
    "today": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "今天": 0,
    "明天": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "前天": -2,
}


def _cn_number(text: str) -> int:
    """ "12", "十二", "二十一", "三十" as a number."""
    if text.isdigit():
        return int(text)
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + _CN_DIGITS.get(ones, 0)


def _nearest(today: date, month: int, day: int, year: int | None) -> date | None:
    """The day ``month``/``day`` names: in ``year``, or else the one nearest ``today``."""
    years = [year] if year else [today.year - 1, today.year, today.year + 1]
    days = []
    for y in years:
        try:
            days.append(date(y, month, day))
        except ValueError:
            continue
    return min(days, key=lambda d: abs((d - today).days), default=None)


def _weekday(today: date, weekday: int, weeks: int | None) -> date:
    """``weekday`` (0 is Monday) of the week ``weeks`` from this one, or with ``None`` the next
    one after today ("Friday" said on a Friday is next Friday)."""
    if weeks is None:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks, days=weekday)


def day_of(said: str, today: date) -> date | None:
    """The calendar day a day as the ``date`` finder finds it names, said on ``today``: "Monday",
    "next Friday" (in next week, as 下周五), "1 December", "18/12", "2026-12-01", "tomorrow",
    "下周一", "十二月一号", "3号", "明天"; "this Friday" is the coming one, "这周五" this week's.
    ``None`` for what cannot be told for sure: "12/1" may be
    the 12th of January or December the 1st."""
    text = to_simplified(said).strip().casefold()
    if text in _OFFSETS:
        return today + timedelta(days=_OFFSETS[text])
    if iso := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text):
        return _nearest(today, int(iso[2]), int(iso[3]), int(iso[1]))
    if cn := re.fullmatch(rf"(下下|下|这|本|上)?个?(?:周|星期|礼拜)([{_CN_WEEKDAYS}])", text):
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(cn[1] or "")
        return _weekday(today, min(_CN_WEEKDAYS.index(cn[2]), 6), weeks)
    if cn := re.fullmatch(
        r"(?:(\d{4})年)?([\d一二三四五六七八九十]{1,3})月([\d一二三四五六七八九十]{1,3})[日号]?", text
    ):
        return _nearest(today, _cn_number(cn[2]), _cn_number(cn[3]), int(cn[1]) if cn[1] else None)
    if cn := re.fullmatch(r"(\d{1,2})[日号]", text):
        this_month = [_nearest(today, m, int(cn[1]), y) for y, m in _around(today)]
        return min((d for d in this_month if d), key=lambda d: abs((d - today).days), default=None)
    if slash := re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", text):
        first, second = int(slash[1]), int(slash[2])
        if first <= 12 and second <= 12 and first != second:
            return None  # "12/1": day first or month first?
        given = int(slash[3]) if slash[3] else None
        return _nearest(today, second, first, given + 2000 if given and given < 100 else given)
    weekday = re.search(rf"\b({'|'.join(_WEEKDAYS)})[a-z]*day\b", text)
    month = re.search(rf"\b({'|'.join(_MONTHS)})[a-z]*\.?", text)
    number = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", text)
    year = re.search(r"\b(\d{4})\b", text)
    if month and number:
        return _nearest(today, _MONTHS.index(month[1]) + 1, int(number[1]), int(year[1]) if year else None)
    if weekday:
        if number:  # "Monday the 14th": the 14th nearest today
            return day_of(f"{number[1]}号", today)
        wanted = _WEEKDAYS.index(weekday[1])
        if text.startswith(("this", "coming")):  # the coming one, today's included: not last Friday
            return today + timedelta(days=(wanted - today.weekday()) % 7)
        return _weekday(today, wanted, 1 if text.startswith("next") else None)
    return None


def _around(today: date) -> list[tuple[int, int]]:
    """This month, the one before and the one after, as (year, month)."""
    first = today.replace(day=1)
    before, after = first - timedelta(days=1), first + timedelta(days=32)
    return [(before.year, before.month), (today.year, today.month), (after.year, after.month)]


def finder(spec: str) -> re.Pattern[str]:
    """The pattern ``spec`` names: a finder of :data:`FINDERS`, or else a regular expression.

    Raises:
        re.error: ``spec`` is neither.
    """
    return FINDERS.get(spec) or re.compile(spec)


def found_in(spec: str, text: str, *, whole: bool = False) -> str | None:
    """What ``spec`` finds in ``text``: the first group that took part in the match, or else (or
    with ``whole``) the whole match ("my manager is ann@example.com"), as ``text`` spells it;
    Traditional Chinese is read as Simplified ("下週一入職")."""
    pattern = finder(spec)
    for said in dict.fromkeys((text, to_simplified(text))):
        if (match := pattern.search(said)) is not None:
            at = 0 if whole else next((i for i, group in enumerate(match.groups(), 1) if group), 0)
            start, end = match.span(at)
            if len(said) == len(text):  # as the user wrote it: "財務部的張偉", not "财务部的张伟"
                said = text
            return said[start:end].strip(" ,，") or None
    return None
