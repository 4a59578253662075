"""A ticket's subject is what the user said, without the greeting they said it with."""

from __future__ import annotations

import pytest

from bots.report import subject_line
from bots.turn import without_clauses


@pytest.mark.parametrize(
    ("said", "subject"),
    [
        ("hello, my second monitor stopped working", "My second monitor stopped working"),
        ("Hi there! printer is offline", "Printer is offline"),
        ("Good morning team, outlook crashes", "Outlook crashes"),
        ("hi I cannot print", "I cannot print"),
        ("Hello,\nmy mouse is dead", "my mouse is dead"),
        ("你好，我的电脑很慢", "我的电脑很慢"),
        ("您好！\n打印机坏了", "打印机坏了"),
        ("老师好，我们部门的打印机打出来全是黑条", "我们部门的打印机打出来全是黑条"),
        ("王老师好，电脑开不了机", "电脑开不了机"),
        ("在吗？VPN连不上", "VPN连不上"),
        ("下午好！邮箱满了", "邮箱满了"),
        ("早上打印机就坏了", "早上打印机就坏了"),  # "morning", not a greeting
        # Saying one is new is no part of the problem (2026-12-07).
        ("hi, new here. how do i connect to the office wifi?", "How do i connect to the office wifi?"),
        ("first day here! can't connect to the wifi", "Can't connect to the wifi"),
        ("I'm new to the company, how do I print?", "How do I print?"),
        ("我是新来的，怎么连公司wifi？", "怎么连公司wifi？"),
        ("刚入职，无线网连不上", "无线网连不上"),
        (
            "first day of the month the payroll export fails",
            "first day of the month the payroll export fails",
        ),
        ("new laptop here, it does not boot", "new laptop here, it does not boot"),
        # Not greetings, or nothing but one: the words stay as they are.
        ("hi-res screen flickers", "hi-res screen flickers"),
        ("Hello Kitty stickers on my laptop are peeling", "Hello Kitty stickers on my laptop are peeling"),
        ("Highway router is down", "Highway router is down"),
        ("Hello,", "Hello,"),
        ("", ""),
    ],
)
def test_the_greeting_is_not_the_subject(said: str, subject: str) -> None:
    assert subject_line(said) == subject


def test_a_subject_is_at_most_120_characters() -> None:
    assert subject_line("hello, " + "x" * 300) == "X" + "x" * 118 + "…"
    assert subject_line("word " * 40) == "word " * 22 + "word…"  # at a word


@pytest.mark.parametrize(
    ("said", "subject"),
    [
        # Cut at a sentence, not at 120 characters: "...I have a client call".
        (
            "Hi team, since this morning I can't connect to the VPN from home. GlobalProtect says gateway"
            " not responding. I have a client call at 2pm so it's quite urgent. Thanks!",
            "Since this morning I can't connect to the VPN from home.",
        ),
        (
            "VPN is down. GlobalProtect says gateway not responding.",
            "VPN is down. GlobalProtect says gateway not responding.",
        ),
        # Who the user is, is not what the ticket is about.
        ("您好，我是财务部的小李，我的电脑从昨天开始特别慢", "我的电脑从昨天开始特别慢"),
        ("我叫王芳，打印机坏了", "打印机坏了"),
        ("I'm Ann from HR, my outlook crashes", "My outlook crashes"),
        # A word joining it to the message before is not the subject either (2026-12-06).
        ("also the headset mic isn't detected", "The headset mic isn't detected"),
        ("Oh and, by the way my badge stopped working", "My badge stopped working"),
        ("btw: the projector in room 5 has no signal", "The projector in room 5 has no signal"),
        ("另外，打印机也坏了", "打印机也坏了"),
        ("还有我的鼠标不灵了", "我的鼠标不灵了"),
        # In Traditional characters too, kept as written (2026-12-06: the whole line stayed).
        ("您好，我是財務部的小李，我的電腦從昨天開始特別慢", "我的電腦從昨天開始特別慢"),
        ("還有我的滑鼠不靈了", "我的滑鼠不靈了"),
        ("對了，印表機也壞了", "印表機也壞了"),
        ("Android phone can't get mail", "Android phone can't get mail"),  # "and" inside a word
        ("Also", "Also"),  # nothing after it
        ("ok, then my second monitor is flickering", "My second monitor is flickering"),
        ("好的，那打印机也看一下吧", "那打印机也看一下吧"),
        ("Okay so the VPN is down", "Okay so the VPN is down"),  # no comma: not set apart
        ("Well-known bug in Excel crashes it", "Well-known bug in Excel crashes it"),
        ("My name is Tom. VPN is down", "VPN is down"),
        ("I'm locked out of SAP, please help", "I'm locked out of SAP, please help"),  # no introduction
        ("我是不是中病毒了，电脑很慢", "我是不是中病毒了，电脑很慢"),
        ("this is urgent, the server is down", "this is urgent, the server is down"),
        # An ask for help is not what the ticket is about either.
        ("hey, can you help me? my laptop won't charge", "My laptop won't charge"),
        ("Hi, I'm Ann from HR. Could someone please help? Outlook keeps crashing", "Outlook keeps crashing"),
        ("help! the projector in room 5 has no signal", "The projector in room 5 has no signal"),
        ("请帮帮我！电脑开不了机", "电脑开不了机"),
        ("你好，能帮我一下吗？打印机卡纸了", "打印机卡纸了"),
        ("能幫我一下嗎？印表機卡紙了", "印表機卡紙了"),
        ("help me reset my password", "help me reset my password"),  # the ask is the request
        ("帮我重置一下密码", "帮我重置一下密码"),
        ("Can you help me?", "Can you help me?"),  # nothing after it
    ],
)
def test_a_long_line_keeps_its_first_sentences_and_no_introduction(said: str, subject: str) -> None:
    assert subject_line(said) == subject


@pytest.mark.parametrize(
    ("said", "asides", "rest"),
    [
        ("我的电脑开不了机，转人工", ["转人工"], "我的电脑开不了机"),
        ("转人工，VPN连不上", ["转人工"], "VPN连不上"),
        ("VPN keeps dropping. Can I speak to an agent?", ["Can I speak to an agent"], "VPN keeps dropping."),
        ("printer jammed, get me a human, it's urgent", ["get me a human"], "printer jammed, it's urgent"),
        ("Outlook crashes. I want a human, not a bot.", ["I want a human", "not a bot"], "Outlook crashes."),
        ("VPN不通，我要人工，谢谢", ["我要人工", "谢谢"], "VPN不通"),
        ("wifi is down. human. I am a human", ["human"], "wifi is down. I am a human"),  # whole clauses only
        ("转人工", ["转人工"], ""),
    ],
)
def test_a_handoffs_subject_leaves_the_asides_out(said: str, asides: list[str], rest: str) -> None:
    assert without_clauses(said, asides) == rest
