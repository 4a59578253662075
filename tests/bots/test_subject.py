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
    assert subject_line("hello, " + "x" * 300) == "X" + "x" * 119


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
