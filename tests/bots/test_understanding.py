"""Reading a message: a greeting or an ask for a person inside it, with the packaged model.

None of these sentences is in the training data (the asks are new wordings, the person-mentions
are new stories), so a regression in the data or in the clause rule shows here first."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bots.understanding import Understanding
from desk.settings import NluSettings
from nlu import EmbeddedEngine, IntentScore, Parse


@pytest.fixture
def understanding(nlu_engine: EmbeddedEngine) -> Understanding:
    return Understanding(NluSettings(), engine=nlu_engine)


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("我的电脑开不了机，转人工", "hardware"),
        ("你好，邮箱收不到邮件，帮我转接人工", "email"),
        ("ERP登录不了，能不能找个人帮我", "erp"),
        ("VPN keeps dropping. Can I speak to an agent?", "vpn"),
        ("the printer on floor 2 is jammed, can someone call me", "printer"),
        ("Outlook crashes. I want a real person, not a bot.", "email"),
    ],
)
async def test_an_ask_for_a_person_beside_the_problem_decides(
    understanding: Understanding, said: str, category: str
) -> None:
    parse = await understanding.parse(said)
    assert parse.intent.name == "talk_to_human"
    assert parse.entity("category") == category  # the whole message's: the handoff is routed by it


@pytest.mark.parametrize(
    "said",
    [
        "I already spoke to an agent, my password is still locked",
        "I talked to someone yesterday, but the VPN still fails",
        "人工客服说让我重启，但是还是不行",
        "客服说明天会好，但是现在还是不能打印",
        "no, I don't need a person, it's fine",
        "不用转人工，已经好了",
        "I'm an agent at the call center, my headset is broken",
        "我是客服部的，耳机坏了",
        "the printer says: call service technician",
        "打印机提示：请联系管理员",
    ],
)
async def test_a_person_mentioned_or_declined_is_no_ask(understanding: Understanding, said: str) -> None:
    assert (await understanding.parse(said)).intent.name != "talk_to_human"


async def test_a_clause_that_asks_for_a_person_outweighs_a_doubtful_whole(
    understanding: Understanding, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "VPN keeps dropping. Can I talk to an agent?"
    real = understanding._parse

    async def doubtful(text: str) -> Parse:  # the whole read as an ask, barely, as on 2026-12-05
        parse = await real(text)
        return replace(parse, intent=IntentScore("talk_to_human", 0.56)) if text == said else parse

    monkeypatch.setattr(understanding, "_parse", doubtful)
    assert (await understanding.parse(said, by_clause=False)).intent.confidence == 0.56  # the bot would ask
    read = await understanding.parse(said)
    assert read.intent.name == "talk_to_human" and read.intent.confidence >= 0.9  # "Can I talk to an agent?"
    assert read.entity("category") == "vpn"  # the whole message's, for routing


@pytest.mark.parametrize(
    "said",
    [
        "oh wait, please cancel that, my manager says we have no licenses",
        "sorry, cancel that ticket, the printer works again after all",
        "算了，帮我取消吧，领导说没有预算",
    ],
)
async def test_a_clause_that_cancels_decides_a_doubtful_whole(
    understanding: Understanding, said: str
) -> None:
    # Read whole, report 0.45 / cancel 0.40: the bot asked which menu item, and none was cancel.
    assert (await understanding.parse(said)).intent.name == "cancel_ticket"


@pytest.mark.parametrize(
    "said",
    [
        "I can't cancel the meeting in Outlook, it says access denied",
        "please cancel the job on the printer, it keeps printing",
        "会议取消不了，Outlook报错",
        "取消打印任务没反应，打印机一直在打",
    ],
)
async def test_a_problem_with_cancelling_something_is_a_problem(
    understanding: Understanding, said: str
) -> None:
    assert (await understanding.parse(said)).intent.name == "report_problem"


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # Was a request for a laptop at 0.91, and the bot asked where to deliver it (2026-12-07).
        ("laptop wont turn on, need it for a client demo in 30 mins!!!", "report_problem"),
        ("my laptop died, I need it for a meeting", "report_problem"),
        ("电脑开不了机，等会儿要给客户演示", "report_problem"),
        ("can I get a laptop for the demo next week", "request_service"),
        ("I need a new laptop for a new starter", "request_service"),
        # "can log in now, thanks" to "Did this fix it?" reopened the ticket (2026-12-07).
        ("can log in now, thanks", "kb_helpful"),
        ("可以登录了，谢谢", "kb_helpful"),
        ("vpn connects now", "kb_helpful"),
        ("i cant log in now", "report_problem"),
        ("VPN连不上了", "report_problem"),
    ],
)
async def test_a_fault_is_told_from_a_request_and_from_a_fix(
    understanding: Understanding, said: str, intent: str
) -> None:
    assert (await understanding.parse(said)).intent.name == intent


async def test_a_mail_is_read_whole(understanding: Understanding) -> None:
    said = "Could you install Visio on my laptop? Please call me back when done."
    assert (await understanding.parse(said)).intent.name == "talk_to_human"
    assert (await understanding.parse(said, by_clause=False)).intent.name == "request_service"


async def test_a_greeting_gives_way_to_what_follows(understanding: Understanding) -> None:
    assert (await understanding.parse("你好")).intent.name == "greet"
    parse = await understanding.parse("你好，打印机显示脱机了")
    assert (parse.intent.name, parse.entity("category")) == ("report_problem", "printer")


async def test_each_piece_of_a_message_is_read_once(understanding: Understanding) -> None:
    # The rest after a greeting is also one of the clauses: it was parsed twice (with the Rasa
    # backend, two requests to the Rasa server).
    seen: list[str] = []
    parse = understanding.engine.parse

    class Counting:
        def parse(self, text: str, **kw: object) -> object:
            seen.append(text)
            return parse(text, **kw)  # type: ignore[arg-type]

    understanding._engine = Counting()  # type: ignore[assignment]
    read, _ = await understanding.read("你好，打印机显示脱机了")
    assert read.intent.name == "report_problem"
    assert sorted(seen) == sorted(set(seen)) and "打印机显示脱机了" in seen


@pytest.mark.parametrize(
    "said",
    [
        "投屏器坏了",  # 0.45, under the confidence the bot acts on
        "会议室话筒没反应",  # out of scope
        "三楼会议室的音箱坏了",
        "the conference room mic is dead",  # more about a ticket, 0.39
        "no sound from the meeting room speakers",  # out of scope
    ],
)
async def test_a_meeting_room_that_fails_is_a_problem(understanding: Understanding, said: str) -> None:
    # None of these is in the training data; its meeting-room examples (2026-12-05) took them
    # from 9 of 12 such messages read as problems to 12 of 12.
    parse = await understanding.parse(said)
    assert parse.intent.name == "report_problem" and parse.intent.confidence >= 0.6


@pytest.mark.parametrize(
    "said",
    [
        "How do I set up an out of office reply?",
        "怎么设置邮件自动回复",
        "my email signature is gone",
        "自动回复关不掉",
    ],
)
async def test_out_of_office_and_signatures_are_about_email(understanding: Understanding, said: str) -> None:
    # "out of office" named no category: the bot asked "which area is it about?".
    assert (await understanding.parse(said)).entity("category") == "email"


@pytest.mark.parametrize(
    ("said", "named", "problems"),
    [
        ("no, my password is fine, it's outlook that keeps prompting", ["email"], 0),
        ("密码没问题，是Outlook一直弹窗", ["email"], 0),
        ("网络正常，就是VPN连不上", ["vpn"], 0),
        ("the wifi itself is working fine but the vpn won't connect", ["vpn"], 0),
        # What only says a thing works keeps it: that is what it is about.
        ("the VPN is fine now", ["vpn"], 0),
        ("VPN能用吗", ["vpn"], 0),
        # A thing that fails is no thing that works: both stay, and are two problems.
        ("打印机不正常，Outlook也一直崩溃", ["printer", "email"], None),  # a piece unsure alone
        ("打印机一直卡纸，Outlook也一直崩溃", ["printer", "email"], 2),
        ("the printer is broken and outlook keeps crashing", ["printer", "email"], 2),
    ],
)
async def test_a_thing_said_to_work_is_not_what_fails(
    understanding: Understanding, said: str, named: list[str], problems: int | None
) -> None:
    # "no, my password is fine, it's outlook that keeps prompting" began a password report, and
    # "密码没问题，是Outlook一直弹窗" was offered as two problems, one of them "密码没问题".
    parse = await understanding.parse(said)
    assert [e.value for e in parse.entities if e.entity == "category"] == named
    assert problems is None or len(await understanding.problems(said)) == problems


@pytest.mark.parametrize("said", ["ERP不正常", "系统不正常", "耳机不正常", "Wi-Fi不正常", "Teams不正常"])
async def test_a_thing_that_does_not_work_normally_is_a_problem(
    understanding: Understanding, said: str
) -> None:
    # "打印机不正常" (the printer is not working normally) read as "it works now" (0.6), from the
    # "X正常了" the data teaches; at the articles that is "solved", and no ticket ("ERP不正常":
    # 0.7). None of these is in the training data.
    parse = await understanding.parse(said)
    assert parse.intent.name == "report_problem" and parse.intent.confidence >= 0.8, parse.intent
