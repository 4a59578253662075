"""Finding a day (and the calendar day it names), a colleague's name, what software is for and who
approves in what a user wrote, for a request's questions."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from desk.settings import RequestQuestion
from desk.slots import day_of, found_in


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("We have a new hire starting Monday, she needs a laptop", "Monday"),
        ("new starter joins next Friday", "next Friday"),
        ("she starts on 1 December", "1 December"),
        ("starting Dec 14th, 2026", "Dec 14th, 2026"),
        ("his last day is the 18th of December", "18th of December"),
        ("arrives on 2026-12-01", "2026-12-01"),
        ("last day 18/12", "18/12"),
        ("can you set it up by tomorrow", "tomorrow"),
        ("新员工下周一入职", "下周一"),
        ("星期五离职", "星期五"),
        ("12月14日入职", "12月14日"),
        ("十二月一号入职", "十二月一号"),
        ("3号入职，在1号楼", "3号"),
        ("明天入职", "明天"),
        ("下週一入職", "下週一"),  # as written, read as Simplified
    ],
)
def test_a_day_is_found_as_written(text: str, day: str) -> None:
    assert found_in("date", text) == day


SUNDAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("Monday", date(2026, 12, 7)),
        ("Sunday", date(2026, 12, 13)),  # said on a Sunday: the next one
        ("next Friday", date(2026, 12, 11)),  # in next week, as 下周五
        ("this Friday", date(2026, 12, 11)),  # the coming one (it read 4 December, gone already)
        ("this Sunday", date(2026, 12, 6)),
        ("coming Tuesday", date(2026, 12, 8)),
        ("1 December", date(2026, 12, 1)),
        ("Dec 14th, 2026", date(2026, 12, 14)),
        ("18th of December", date(2026, 12, 18)),
        ("Jan 4", date(2027, 1, 4)),  # nearest: next year's
        ("Monday, the 14th", date(2026, 12, 14)),
        ("2026-12-01", date(2026, 12, 1)),
        ("18/12", date(2026, 12, 18)),
        ("tomorrow", date(2026, 12, 7)),
        ("下周一", date(2026, 12, 7)),
        ("下下周一", date(2026, 12, 14)),
        ("星期五", date(2026, 12, 11)),
        ("这周五", date(2026, 12, 4)),
        ("12月14日", date(2026, 12, 14)),
        ("十二月一号", date(2026, 12, 1)),
        ("2027年1月4日", date(2027, 1, 4)),
        ("20号", date(2026, 12, 20)),
        ("3号", date(2026, 12, 3)),  # the nearest 3rd: three days ago, not in four weeks
        ("明天", date(2026, 12, 7)),
        ("下週一", date(2026, 12, 7)),
    ],
)
def test_a_day_found_is_a_calendar_day(said: str, day: date) -> None:
    assert found_in("date", f"she starts {said}") == said
    assert day_of(said, SUNDAY) == day


@pytest.mark.parametrize("said", ["12/1", "3/4"])
def test_a_day_that_may_be_day_or_month_first_is_left_as_written(said: str) -> None:
    assert day_of(said, SUNDAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "we have a new hire next week",  # which day is still to ask
        "新同事下周入职",
        "三月份入职",
        "每周一例会用的电脑",  # every Monday
        "一周一次备份",
        "在1号楼3层",  # a building
        "the office is open 24/7",
        "she needs 2 monitors and a mouse",
        "she may need a laptop",
        "it has been broken for a month",
        "一个月以前",
    ],
)
def test_no_day_is_found_where_none_is_named(text: str) -> None:
    assert found_in("date", text) is None


@pytest.mark.parametrize(
    ("text", "person"),
    [
        (
            "We have a new hire, Anna Schmidt from Finance, starting on 1 December",
            "Anna Schmidt from Finance",
        ),
        ("new starter Peter Hall (Sales) starts next Monday", "Peter Hall (Sales)"),
        (
            "new joiner: John O'Neil joining the Marketing team on Dec 14th",
            "John O'Neil joining the Marketing team",
        ),
        ("John Smith is leaving on Friday, please disable his account", "John Smith"),
        # The name apart from the words that introduce one, with the department said with it.
        (
            "hi, we have a new hire starting next Monday, Anna Schmidt from Finance. She needs a laptop",
            "Anna Schmidt from Finance",
        ),
        ("please disable the accounts of Peter Hall (Sales), his last day is Friday", "Peter Hall (Sales)"),
        ("Anna's last day is 18 December", "Anna"),
        ("新员工王小明，财务部，12月14日入职", "王小明，财务部"),
        ("财务部新同事张伟下周一入职", "财务部新同事张伟"),
        ("我们财务部的刘洋下周五离职", "财务部的刘洋"),  # not "刘洋下"
        ("新员工张明明天入职", "张明"),  # not "张明明"
        ("新人李雷3号入职", "李雷"),
        ("財務部的張偉下週五離職", "財務部的張偉"),  # as written
        ("新同事下周一入职，叫王芳，市场部的，需要电脑和邮箱", "王芳，市场部"),  # named after the day
        ("下周一市场部有个新同事入职，名字叫王芳", "王芳"),
        ("a new colleague starts Monday, her name is Anna Schmidt, marketing", "Anna Schmidt"),
        # after a colon, ending the message (2026-12-07)
        ("new starter on monday needs a laptop and accounts: Tom Green, Marketing", "Tom Green, Marketing"),
    ],
)
def test_a_colleague_is_found_beside_the_words_that_introduce_one(text: str, person: str) -> None:
    assert found_in("person", text) == person


@pytest.mark.parametrize(
    "text",
    [
        "someone in my team is leaving, please disable his account",
        "She is leaving on Friday",
        "Hi Team, Microsoft Teams needs installing for the new hire",
        "She is from Finance and starts on Monday",
        "Our new hire from Finance starts Monday",
        "We have a new hire starting Monday, she needs a laptop",
        "新同事需要电脑",
        "新同事入职，还不知道叫什么",
        "新同事入职，麻烦叫人来装一下电脑",
        "王芳的电脑坏了",
        "新员工下周一入职，需要开通邮箱",
        "我们组有同事下周离职",
    ],
)
def test_no_colleague_is_found_where_none_is_named(text: str) -> None:
    assert found_in("person", text) is None


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("I need Adobe Acrobat Pro installed please, to edit contracts", "edit contracts"),
        ("can I get Visio for drawing network diagrams?", "drawing network diagrams"),
        ("please install Power BI so that I can build the sales dashboard", "build the sales dashboard"),
        ("I need Photoshop to edit product photos for the website.", "edit product photos for the website"),
        ("need Python 3.12 in order to run the test suite", "run the test suite"),
        ("install Zoom please, it's for client calls", "client calls"),
        ("帮我装一个Visio，用来画流程图", "画流程图"),
        ("申请安装Photoshop，用于处理产品图片。", "处理产品图片"),
        ("装个Xmind，为了做项目计划", "做项目计划"),
        ("需要装SPSS做数据分析用", "数据分析"),
        ("编辑合同PDF用的", "编辑合同PDF"),
        ("想装个Xmind，开会要用", "开会"),
        ("Visio，做报表的时候用。", "做报表"),
    ],
)
def test_what_software_is_for_is_found_as_written(text: str, purpose: str) -> None:
    assert found_in("purpose", text) == purpose


@pytest.mark.parametrize(
    "text",
    [
        "I need Adobe Acrobat Pro installed please",
        "I need access to SAP",  # a thing, not what it is for
        "please install Teams on my laptop",
        "can I get Office for my new laptop",
        "I need Visio for work",  # says no more than that it is needed
        "install Zoom for the meeting tomorrow morning",
        "I need a licence for something",
        "帮我装一个Visio",
        "需要开通ERP的权限",
        "Excel不好用",
        "现在能用了",
        "我不会用",
        "这个软件好用",
    ],
)
def test_no_purpose_is_found_where_none_is_said(text: str) -> None:
    assert found_in("purpose", text) is None


@pytest.mark.parametrize(
    ("text", "approver", "said"),
    [
        (
            "my manager is tom.baker@example.com",
            "tom.baker@example.com",
            "my manager is tom.baker@example.com",
        ),
        (
            "approved by Ann (ann.lee@example.com)",
            "ann.lee@example.com",
            "approved by Ann (ann.lee@example.com",
        ),
        ("我的经理是 zhang.min@example.com", "zhang.min@example.com", "我的经理是 zhang.min@example.com"),
        ("审批人：li.wei@example.com", "li.wei@example.com", "审批人：li.wei@example.com"),
        ("經理是zhang.min@example.com", "zhang.min@example.com", "經理是zhang.min@example.com"),
    ],
)
def test_who_approves_is_found_beside_the_words_that_say_so(text: str, approver: str, said: str) -> None:
    assert found_in("approver", text) == approver
    assert found_in("approver", text, whole=True) == said


@pytest.mark.parametrize(
    "text",
    [
        "finance@example.com",
        "the finance@example.com shared mailbox",
        "my manager will approve it",
        "经理同意了",
    ],
)
def test_no_approver_is_found_without_the_words_or_an_address(text: str) -> None:
    assert found_in("approver", text) is None


def test_a_pattern_of_ones_own_finds_its_first_group_or_its_match() -> None:
    assert found_in(r"ticket (?:no\.?|number) (\d+)|#\d+", "about ticket no. 42") == "42"
    assert found_in(r"ticket (?:no\.?|number) (\d+)|#\d+", "about #42") == "#42"


def test_a_question_that_finds_with_an_unreadable_pattern_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="find is not a regular expression"):
        RequestQuestion(key="when", en="When?", zh="何时？", find="day(")
    with pytest.raises(ValidationError, match="offer is not a regular expression"):
        RequestQuestion(key="who", en="Who?", zh="谁？", offer="[name")
    question = RequestQuestion(key="when", en="When?", zh="何时？", find="date", offer="person")
    assert (
        question.found_in("starts Monday") == "Monday"
        and question.offered_in("new hire Al Gore") == "Al Gore"
    )
