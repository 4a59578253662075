"""Reporting a problem to the bot: knowledge-base answers first, then only the questions a ticket
still needs (category, urgency, detail), in English and Chinese."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bots import report
from desk.chinese import to_simplified
from desk.context import Desk
from desk.kb import create_article, search_articles
from desk.models import Article, Category, Conversation, Message, Ticket, TicketEvent
from desk.tickets import format_due
from nlu import EmbeddedEngine
from tests.bots.conftest import (
    LANGS,
    SAY,
    Chat,
    add_article,
    count,
    files_on,
    offered,
    open_ticket,
    skip_kb,
    t,
    ticket,
)
from tests.conftest import Clock


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "hi, printer is offline"),
        ("zh", "你好，打印机显示脱机了"),
        # An ask for help before it: the menu, as if nothing had been said (2026-12-06).
        ("en", "hi, can you help me? vpn broken"),
        ("zh", "你好，能帮我一下吗？VPN连不上了"),
        ("zh", "求助！VPN连不上"),
    ],
)
async def test_a_greeting_before_the_problem_does_not_hide_it(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)  # "你好，..." alone reads as a greeting to the classifier
    assert t(lang, "kb.intro") in chat.text and "/not_solved" in chat.payloads, chat.replies
    await chat.say({"en": "hello, how are you", "zh": "你好，在吗"}[lang])  # only chatter after it
    assert t(lang, "help") in chat.text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "hi, new here. how do i connect to the office wifi?"),
        ("en", "first day here! can't connect to the wifi"),
        ("zh", "我是新来的，怎么连公司wifi？"),
        ("zh", "刚入职，无线网连不上"),
    ],
)
async def test_saying_one_is_new_is_not_searched(users: dict[str, Chat], lang: str, said: str) -> None:
    # "new here" found the desk's hours (in "write here any time"), offered instead of the Wi-Fi
    # article for a new employee's first question (2026-12-07).
    chat = users[lang]
    await chat.say(said)
    assert t(lang, "kb.intro") in chat.text, chat.replies
    assert "Wi-Fi" in chat.text or "无线网络" in chat.text, chat.replies
    assert "9:00" not in chat.text, chat.replies


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "my laptop battery dies after 20 minutes, since this morning, can't work"),
        ("zh", "笔记本电池20分钟就没电了，从早上开始没法工作"),
    ],
)
async def test_how_badly_it_hurts_is_not_searched_for_articles(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    """Words such as "can't work" / "没法工作" say how urgent it is, not what is wrong: searched, they found
    the desk's hours ("The service desk works...", "工作时间") for a dying battery (2026-12-06)."""
    chat = users[lang]
    await chat.say(said)
    assert t(lang, "kb.intro") not in chat.text, chat.replies
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.category.path.startswith("hardware") and made.urgency == "high"


async def test_minutes_in_a_report_are_no_rating(users: dict[str, Chat], seeded: Desk) -> None:
    """ "开个excel要五分钟" (five minutes) read as 五分 (five points), a rating: the help menu."""
    chat = users["zh"]
    await chat.say("我的电脑特别慢，开个excel要五分钟")
    if "/not_solved" in chat.payloads:
        await chat.say("/not_solved")
    assert "/urgency high" in chat.payloads, chat.replies


async def test_a_samsung_monitor_is_no_rating(users: dict[str, Chat], seeded: Desk) -> None:
    """ "三星显示器不亮了" (the Samsung monitor stays dark): 三星 is also three stars, and the report
    read as a cancellation (2026-12-06)."""
    chat = users["zh"]
    await chat.say("三星显示器不亮了")
    if "/not_solved" in chat.payloads:
        await chat.say("/not_solved")
    assert "/urgency high" in chat.payloads, chat.replies


@pytest.mark.parametrize("lang", LANGS)
async def test_a_kb_answer_that_solves_it_is_a_deflection(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    assert t(lang, "kb.intro") in chat.text
    other = {"en": "打印机显示脱机", "zh": "Printer shows offline"}[lang]
    assert other not in chat.text  # one in the user's language exists: the other is not offered
    assert chat.payloads[-1] == "/not_solved"
    solved = chat.payloads[0]
    await chat.say(solved)
    assert chat.text == t(lang, "kb.deflected")
    assert await count(seeded, Ticket) == 0
    async with seeded.session() as s:
        article = await s.get(Article, int(solved.split()[1]))
        conversation = await s.scalar(select(Conversation))
    assert article is not None and article.helpful == 1
    assert conversation is not None and (conversation.mode, conversation.closed_reason) == (
        "closed",
        "deflected",
    )


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Outlook keeps crashing when I open attachments"),  # shares "keeps" with the Wi-Fi article
        ("zh", "电脑屏幕一直闪"),  # shares "一直" with the VPN article
    ],
)
async def test_a_report_sharing_a_common_word_with_an_article_gets_no_articles(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    assert t(lang, "kb.intro") not in chat.text
    assert "/not_solved" not in chat.payloads
    assert chat.text in (t(lang, "ask.urgency"), t(lang, "ask.category"))


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "Can't print to the 3rd floor printer"), ("zh", "3楼的打印机打不了")]
)
async def test_an_article_matching_a_detail_is_not_offered_beside_the_one_about_the_problem(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    # The desk's hours (no category) came second on "3rd floor" alone: its walk-in room.
    chat = users[lang]
    await chat.say(said)
    assert len([p for p in chat.payloads if p.startswith("/solved")]) == 1
    assert {"en": "Printer shows offline", "zh": "打印机显示脱机"}[lang] in chat.text


async def test_an_answer_only_in_another_language_is_offered_when_none_in_the_users_is(
    users: dict[str, Chat], seeded: Desk
) -> None:
    async with seeded.session() as s:
        await create_article(
            s, seeded, title="Teams camera not detected", body="Close other apps using the camera.",
            tags=["teams", "camera"], language="en",
        )  # fmt: skip
    chat = users["zh"]
    await chat.say("Teams camera 不能用")
    assert t("zh", "kb.intro") in chat.text and "Teams camera not detected" in chat.text, chat.replies


async def test_an_article_in_a_script_the_message_does_not_use_is_not_offered(
    users: dict[str, Chat], seeded: Desk
) -> None:
    async with seeded.session() as s:
        await create_article(
            s, seeded, title="Teams 会议没有声音", body="在 Teams 设置里选择正确的扬声器。",
            tags=["teams", "声音"], language="zh",
        )  # fmt: skip
        # The search would offer it: "Teams" is the message's one rare word.
        hits = await search_articles(s, "Teams has no sound", language=None)
    assert hits[0].article.title == "Teams 会议没有声音" and hits[0].score >= seeded.settings.bot.kb_min_score
    chat = users["en"]
    await chat.say("Teams has no sound")
    assert t("en", "kb.intro") not in chat.text and "会议" not in chat.text, chat.replies


@pytest.mark.parametrize(
    ("lang", "first", "correction", "title", "subject"),
    [
        (
            "en",
            "the wifi keeps dropping",
            "sorry, I meant the VPN, not the wifi",
            "Connect to the VPN from home",
            "the VPN keeps dropping",
        ),
        ("zh", "无线网络老是断", "说错了，不是无线网络，是VPN老是断", "在家连接 VPN", "VPN老是断"),
    ],
)
async def test_a_correction_of_what_the_report_is_about_takes_the_new_kind(
    users: dict[str, Chat], seeded: Desk, lang: str, first: str, correction: str, title: str, subject: str
) -> None:
    # "sorry, I meant the VPN, not the wifi" at the Wi-Fi article went into the description: the
    # ticket was filed as a Wi-Fi one, and the Wi-Fi article marked unhelpful (2026-12-07).
    chat = users[lang]
    await chat.say(first)
    [wifi] = await offered(chat, seeded)
    await chat.say(correction)
    assert [a.title for a in await offered(chat, seeded)] == [title], chat.replies
    await chat.say("/not_solved")
    await chat.say("/urgency medium")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.category.path == "network/vpn" and correction in made.description
    assert made.subject == subject, made.subject  # it was "the wifi keeps dropping"
    async with seeded.session() as s:
        assert (await s.get(Article, wifi.id)).not_helpful == 0  # the Wi-Fi article was no answer to anything


async def test_more_about_the_problem_naming_something_else_is_no_correction(
    users: dict[str, Chat], seeded: Desk
) -> None:
    chat = users["en"]
    await chat.say("the wifi keeps dropping")
    await chat.say("/not_solved")
    await chat.say("I mean it drops whenever I'm in a Teams call")  # a detail, not "I meant Teams"
    if "/answer" in chat.payloads:  # "your answer, or a new problem?"
        await chat.say("/answer")
    if chat.text == t("en", "ask.urgency"):
        await chat.say("/urgency medium")
    if chat.text == t("en", "ask.description"):
        await chat.say(SAY["en"]["detail"])
    assert (await ticket(seeded, "INC-1")).category.path == "network/wifi", chat.replies


@pytest.mark.parametrize(("lang", "thanks"), [("en", "thanks!"), ("en", "ok thank you"), ("zh", "好的谢谢")])
async def test_thanks_to_an_article_that_answers_a_question_is_a_deflection(
    users: dict[str, Chat], seeded: Desk, lang: str, thanks: str
) -> None:
    # "好的谢谢" to the desk's hours got "You're welcome! Anything else?" and the article again
    # (2026-12-07); "ok" was already a yes.
    chat = users[lang]
    await chat.say("when is the IT desk open?" if lang == "en" else "服务台几点下班？")
    [article] = await offered(chat, seeded)
    await chat.say(thanks)
    assert [r["text"] for r in chat.replies] == [t(lang, "kb.deflected")], chat.replies
    assert await count(seeded, Ticket) == 0
    async with seeded.session() as s:
        assert (await s.get(Article, article.id)).helpful == 1


@pytest.mark.parametrize(("lang", "yes"), [("en", "yes that worked, thanks"), ("zh", "好了，解决了，谢谢")])
async def test_solved_after_several_articles_is_a_deflection_crediting_none(
    users: dict[str, Chat], seeded: Desk, lang: str, yes: str
) -> None:
    await add_article(
        seeded,
        lang,
        {"en": "Printer offline after a Windows update", "zh": "Windows 更新后打印机脱机"},
        {
            "en": "Reinstall the printer driver from the print server.",
            "zh": "从打印服务器重新安装打印机驱动。",
        },
        "printer",
    )
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    # Two articles or more, then "not solved".
    assert chat.payloads.count("/not_solved") == 1 and len(chat.payloads) >= 3, chat.replies
    await chat.say(yes)  # solved, but by which?
    assert chat.text == t(lang, "kb.deflected.unnamed")
    assert await count(seeded, Ticket) == 0
    async with seeded.session() as s:
        conversation = await s.scalar(select(Conversation))
        rated = await s.scalar(
            select(func.count()).select_from(Article).where((Article.helpful > 0) | (Article.not_helpful > 0))
        )
    assert conversation is not None and conversation.closed_reason == "deflected"
    assert rated == 0


async def test_a_nul_character_in_a_message_loses_nothing_else(ann: Chat, seeded: Desk) -> None:
    # PostgreSQL stores no NUL, in text nor JSON: "something went wrong", and the message was lost.
    await ann.say("my laptop\x00 battery is swollen")
    assert ann.text != t("en", "error"), ann.replies
    await ann.answer_until("INC-1", lambda c: c.payloads[0] if c.payloads else SAY["en"]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.subject == "my laptop battery is swollen"
    async with seeded.session() as s:
        said = await s.scalar(select(Message.text).order_by(Message.id).limit(1))
    assert said == "my laptop battery is swollen"


@pytest.mark.parametrize(
    ("lang", "first", "then"),
    [
        ("en", "I forgot my password", "my printer is jammed"),
        ("zh", "我忘记密码了", "我的VPN连不上，一直提示809错误"),
    ],
)
async def test_a_new_problem_at_the_articles_gets_its_own_articles_and_not_the_old_ones_again(
    users: dict[str, Chat], seeded: Desk, lang: str, first: str, then: str
) -> None:
    # The printer articles came, then "Now, back to my question:" and the password articles
    # again, two "Not solved" buttons for two reports in one turn (2026-12-07).
    chat = users[lang]
    await chat.say(first)
    password = chat.payloads[0]
    await chat.say(then)
    assert [r["text"].startswith(t(lang, "kb.intro")) for r in chat.replies] == [True], chat.replies
    assert password not in chat.payloads and chat.payloads[-1] == "/not_solved"
    await chat.say("/not_solved")
    await chat.say("/urgency high")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["since"])
    made = await ticket(seeded, "INC-1")
    assert made.description.startswith(then) and first not in made.description


@pytest.mark.parametrize(
    ("lang", "first", "then"),
    [
        ("en", "the taskbar is missing, it slows me down", "can you hurry up? my boss is waiting"),
        ("zh", "任务栏不见了，影响效率", "能快点吗？老板在等"),
    ],
)
async def test_a_more_pressing_word_while_the_report_is_written_raises_its_urgency(
    users: dict[str, Chat], seeded: Desk, lang: str, first: str, then: str
) -> None:
    # The first urgency told stayed, and "能快点吗？老板在等" was only in the description.
    chat = users[lang]
    await chat.say(first)
    assert chat.text == t(lang, "ask.category"), chat.replies  # gone, not a goodbye
    await chat.say(then)
    assert chat.replies[-1]["text"].endswith(t(lang, "ask.category")), chat.replies
    await chat.say("/category software")
    made = await ticket(seeded, "INC-1")
    assert (made.urgency, made.priority) == ("high", "P2"), chat.replies
    assert then in made.description


@pytest.mark.parametrize(("lang", "said"), [("en", "my keyboard is broken"), ("zh", "我的键盘坏了")])
async def test_articles_of_another_category_than_the_one_named_are_not_offered(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    await add_article(
        seeded,
        lang,
        {"en": "Keyboard shortcuts in Excel", "zh": "Excel 键盘快捷键"},
        {"en": "Ctrl+Shift+L filters, Alt+= sums.", "zh": "Ctrl+Shift+L 筛选，Alt+= 求和。"},
        "software",
    )
    async with seeded.session() as s:
        # The search by words alone would offer it: the message and the article share their key word.
        assert [
            h.article.category.path for h in await search_articles(s, said, language=lang, by_kind=False)
        ] == ["software"]
    chat = users[lang]
    await chat.say(said)  # "keyboard" is hardware
    assert t(lang, "kb.intro") not in chat.text
    assert chat.text == t(lang, "ask.urgency")


async def test_an_article_on_a_sibling_category_is_not_offered(ann: Chat, seeded: Desk) -> None:
    said = "can't connect to the wifi"
    async with seeded.session() as s:
        # The search by words alone (as the bot makes it) would offer the VPN article too, and
        # above kb_min_score ("connect").
        hits = await search_articles(s, said, language="en", by_kind=False)
    paths = [h.article.category.path for h in hits if h.score >= seeded.settings.bot.kb_min_score]  # type: ignore[union-attr]
    assert paths[:2] == ["network/wifi", "network/vpn"]
    await ann.say(said)  # a Wi-Fi problem: the NLU reads "network", the keyword "wifi" says which
    kinds = [a.category_path for a in await offered(ann, seeded)]
    assert kinds == ["network/wifi"]
    await ann.say("/not_solved")
    await ann.say("/urgency high")
    if ann.text == t("en", "ask.description"):
        await ann.say("since this morning, on the 3rd floor")
    made = await ticket(seeded, "INC-1")
    assert made.category.path == "network/wifi"


@pytest.mark.parametrize(
    ("said", "title"),
    [
        ("outlok not recieving emails", "Outlook is not receiving e-mail"),
        ("vpn wont conect from home", "Connect to the VPN from home"),
        ("cant login, says my pasword expired", "Reset your password"),
    ],
)
async def test_a_message_with_typing_errors_is_offered_the_article_that_answers_it(
    ann: Chat, seeded: Desk, said: str, title: str
) -> None:
    # Each offered nothing (scores 0.36, 0.36, 0.32 under the bot's 0.4) and went on to a ticket.
    await ann.say(said)
    assert [a.title for a in await offered(ann, seeded)][:1] == [title], ann.replies


@pytest.mark.parametrize(
    ("lang", "said", "path", "group"),
    [
        ("en", "my laptop can't connect to the wireless network", "network/wifi", "Network"),
        ("zh", "笔记本连不上无线网络", "network/wifi", "Network"),
        ("en", "outlook keeps crashing on my laptop", "email", "Applications"),
        ("en", "my account is locked, I can't log in", "accounts/password-reset", "Service Desk"),
        # The device is what fails when it is dead or broken (these went to Applications and Network).
        ("en", "my laptop won't turn on after the windows update", "hardware/laptop", "Service Desk"),
        ("en", "my pc won't boot since I installed the new vpn client", "hardware", "Service Desk"),
        ("zh", "装了新软件以后电脑开不了机", "hardware", "Service Desk"),
        ("en", "I can't turn on the vpn on my laptop", "network/vpn", "Network"),  # turning the VPN on
    ],
)
async def test_the_ticket_is_about_what_fails_not_the_device_it_shows_on(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, path: str, group: str
) -> None:
    chat = users[lang]
    await chat.say(said)  # the NLU reads the device first ("laptop": hardware), then what fails
    articles = await offered(chat, seeded)
    kinds = {a.category_path for a in articles}
    assert kinds <= {path}, kinds  # no laptop articles beside the Wi-Fi one
    if articles:
        await chat.say("/not_solved")
    assert chat.text == t(lang, "ask.urgency")  # the category is known: not asked
    await chat.say("/urgency high")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert (made.category.path, made.group.name if made.group else None) == (path, group)


@pytest.mark.parametrize("lang", LANGS)
async def test_not_solved_asks_only_what_is_missing_then_opens_a_ticket(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await chat.say("/not_solved")
    # The category (printer) was understood, so the next question is about urgency.
    assert chat.text == t(lang, "ask.urgency")
    await chat.say("/urgency high")
    assert chat.text == t(lang, "ask.description")
    await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text
    assert "P2" in chat.text
    assert "(Asia/Shanghai)" in chat.text  # promised response and resolution times
    made = await ticket(seeded, "INC-1")
    assert (made.category.path, made.impact, made.urgency, made.priority) == (
        "printer",
        "medium",
        "high",
        "P2",
    )
    assert (made.channel, made.language) == ("rest", lang)
    assert SAY[lang]["detail"] in made.description
    async with seeded.session() as s:
        linked = await s.scalar(select(func.count(Message.id)).where(Message.ticket_id == made.id))
        unhelpful = await s.scalar(select(func.sum(Article.not_helpful)))
    assert linked and linked >= 4  # the whole exchange is on the ticket
    assert unhelpful and unhelpful >= 1


async def verdicts(desk: Desk, article_id: int) -> tuple[int, int]:
    async with desk.session() as s:
        article = await s.get(Article, article_id)
        assert article is not None
        return article.helpful, article.not_helpful


@pytest.mark.parametrize("lang", LANGS)
async def test_an_article_that_works_after_all_ends_the_report_before_its_ticket(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # "/not_solved" tapped again at the urgency question used to re-ask it with no word why,
    # and "✅ Solved" tapped then was lost: the report went on to a ticket.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    solved = chat.payloads[0]
    article_id = int(solved.split()[1])
    await chat.say("/not_solved")
    assert chat.text == t(lang, "ask.urgency")
    asked = chat.replies[-1]
    await chat.say("/not_solved")  # the same button again
    assert [r["text"] for r in chat.replies] == [t(lang, "button.stale"), asked["text"]]
    assert chat.replies[-1]["buttons"] == asked["buttons"]
    assert await verdicts(seeded, article_id) == (0, 1)
    await chat.say(solved)  # tried it after all: it worked
    assert chat.text == t(lang, "kb.deflected")
    assert await count(seeded, Ticket) == 0
    assert await verdicts(seeded, article_id) == (1, 0)  # the user's verdict changed
    async with seeded.session() as s:
        conversation = await s.scalar(select(Conversation).where(Conversation.chat_id == chat.sender))
        assert conversation is not None and conversation.closed_reason == "deflected"


@pytest.mark.parametrize("lang", LANGS)
async def test_an_article_that_works_once_the_ticket_is_open_offers_to_close_it(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    solved = chat.payloads[0]
    article_id = int(solved.split()[1])
    await chat.say("/not_solved")
    await chat.say("/urgency high")
    await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text
    before = (await ticket(seeded, "INC-1")).description
    await chat.say("/not_solved")  # a button from before the ticket: not words for INC-1
    assert chat.replies[0]["text"] == t(lang, "button.stale")
    assert chat.payloads == ["/report", "/request", "/status", "/human"]
    await chat.say("/urgency low")
    assert chat.replies[0]["text"] == t(lang, "button.stale")
    made = await ticket(seeded, "INC-1")
    assert (made.description, made.urgency) == (before, "high")
    async with seeded.session() as s:  # "/not_solved" used to be "Added to INC-1"
        comments = await s.scalar(
            select(func.count(TicketEvent.id)).where(
                TicketEvent.ticket_id == made.id, TicketEvent.action == "commented"
            )
        )
    assert comments == 0
    await chat.say(solved)
    assert chat.text == t(lang, "kb.solved_late", ref="INC-1")
    assert chat.payloads == ["/fixed INC-1", "/keep INC-1"]
    await chat.say({"en": "yes", "zh": "是的"}[lang])
    assert chat.text == t(lang, "fixed.done", ref="INC-1")
    done = await ticket(seeded, "INC-1")
    async with seeded.session() as s:
        title = await s.scalar(select(Article.title).where(Article.id == article_id))
    assert (done.status, done.solution) == ("closed", t(lang, "fixed.article", title=title))
    await chat.say(solved)  # once only
    assert chat.replies[0]["text"] == t(lang, "button.stale")
    assert await verdicts(seeded, int(solved.split()[1])) == (1, 0)


@pytest.mark.parametrize(("lang", "typed"), [("en", "not solved"), ("zh", "没有解决"), ("zh", "没解决")])
async def test_typing_not_solved_after_the_articles_goes_on_with_the_report(
    users: dict[str, Chat], lang: str, typed: str
) -> None:
    """Typed instead of clicked, "not solved" reads like "reopen"; after articles it is the verdict."""
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    assert t(lang, "kb.intro") in chat.replies[0]["text"]
    await chat.say(typed)
    assert chat.text == t(lang, "ask.urgency")


@pytest.mark.parametrize("lang", LANGS)
async def test_an_unknown_category_is_asked_with_buttons(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say("/report " + SAY[lang]["vague"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.category")
    assert "/category erp" in chat.payloads
    await chat.say("/category erp")
    await chat.say("3")  # the third urgency button: "I can't work"
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert (made.category.path, made.urgency) == ("erp", "high")


@pytest.mark.parametrize(
    ("lang", "unsure"),
    [
        ("en", "/category ?"),
        ("en", "no"),
        ("en", "none of these"),
        ("zh", "不确定"),
        ("zh", "不是"),
        ("zh", "不知道"),
    ],
)
async def test_a_user_who_cannot_tell_the_area_leaves_it_to_the_desk(
    users: dict[str, Chat], seeded: Desk, lang: str, unsure: str
) -> None:
    # "Which area is it about?" had only the areas: a one-area desk asked "[Network]?", and its
    # "no" dropped the report ("OK, I've dropped it; no ticket was opened").
    chat = users[lang]
    await chat.say("/report " + SAY[lang]["vague"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.category")
    assert chat.payloads[-1] == "/category ?" and chat.replies[-1]["buttons"][-1]["title"] == t(
        lang, "category.unsure"
    )
    await chat.say(unsure)
    assert chat.text == t(lang, "ask.urgency"), chat.replies
    await chat.answer_until("INC-1", SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.category is None and made.group is not None and made.group.name == "Service Desk"
    assert made.description.startswith(SAY[lang]["vague"]) and unsure not in made.description


@pytest.mark.parametrize(("lang", "unsure"), [("en", "not sure"), ("zh", "不知道")])
async def test_a_desk_with_an_area_for_anything_else_gets_no_second_one(
    users: dict[str, Chat], seeded: Desk, lang: str, unsure: str
) -> None:
    # A desk with an "Other" area was offered both it and "Not sure".
    async with seeded.session() as s:
        s.add(Category(path="other", name="Other", name_zh="其他"))
        await s.commit()
    chat = users[lang]
    await chat.say("/report " + SAY[lang]["vague"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.category")
    assert "/category other" in chat.payloads and "/category ?" not in chat.payloads, chat.payloads
    await chat.say(unsure)  # typed, it still leaves the area to the desk
    assert chat.text == t(lang, "ask.urgency"), chat.replies


ALSO = {
    "en": ("my laptop is super slow", "also my monitor flickers"),
    "zh": ("我的笔记本很慢", "另外我的显示器也有点闪"),
}


@pytest.mark.parametrize("lang", LANGS)
async def test_also_another_thing_of_the_same_kind_is_asked_about(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # Asked for a slow laptop's detail, "also my monitor flickers" went into its description (both
    # hardware). Told to be a new problem, it was then offered to the ticket just filed, and, the
    # answer being typed, asked which area it was about.
    first, also = ALSO[lang]
    chat = users[lang]
    await chat.say(first)
    await skip_kb(chat)
    await chat.say("/urgency medium")
    assert chat.text == t(lang, "ask.description"), chat.replies
    await chat.say(also)
    assert chat.text == t(lang, "flow.which"), chat.replies
    await chat.say(t(lang, "flow.new"))
    assert "INC-1" in chat.replies[0]["text"], chat.replies
    assert chat.replies[-1]["text"] == t(lang, "ask.urgency"), chat.replies
    assert also not in (await ticket(seeded, "INC-1")).description
    await chat.answer_until("INC-2", SAY[lang]["since"])
    made = await ticket(seeded, "INC-2")
    assert made.description.startswith(also) and made.category.path.startswith("hardware")
    # With the ticket open and nothing asked: "另外..." (read as more about a ticket) is a report too.
    await chat.say(also)
    assert t(lang, "info.added", ref="INC-2") not in chat.text, chat.replies


@pytest.mark.parametrize("lang", LANGS)
async def test_a_similar_open_ticket_is_offered_instead_of_a_duplicate(
    users: dict[str, Chat], seeded: Desk, clock: Clock, lang: str
) -> None:
    chat = users[lang]
    ref = await open_ticket(chat, lang)
    clock.advance(hours=2)  # not a follow-up to the ticket just opened: similar by its words
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.say("/urgency high")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert f"/add {ref}" in chat.payloads
    await chat.say(f"/add {ref}")
    assert chat.text == t(lang, "info.added", ref=ref)
    assert await count(seeded, Ticket) == 1


async def test_files_of_a_report_added_to_an_open_ticket_join_that_ticket(
    ann: Chat, client: httpx.AsyncClient, seeded: Desk, clock: Clock
) -> None:
    # The chat was about INC-2 (a battery) when the printer broke again: the new report's words
    # and screenshot joined INC-2 as they came in, and adding the report to INC-1 copied only
    # its words there. The agent on the printer never saw the picture; the battery's did.
    ref = await open_ticket(ann, "en")
    clock.advance(hours=2)
    other = await open_ticket(ann, "en", SAY["en"]["battery"])
    clock.advance(hours=2)
    await ann.say(SAY["en"]["printer"])
    await skip_kb(ann)
    await ann.upload("jam.png", b"\x89PNG\r\n\x1a\n" + b"\x01" * 100, "image/png")
    await ann.say("/urgency high")
    if ann.text == t("en", "ask.description"):
        await ann.say(SAY["en"]["detail"])
    await ann.say(f"/add {ref}")
    assert ann.text == t("en", "info.added", ref=ref)
    assert await files_on(seeded, ref) == ["jam.png"]
    battery = await ticket(seeded, other)
    async with seeded.session() as s:
        on_battery = [m.text for m in await s.scalars(select(Message).where(Message.ticket_id == battery.id))]
    assert SAY["en"]["printer"] not in on_battery


@pytest.mark.parametrize("lang", LANGS)
async def test_typing_a_button_title_is_clicking_it(users: dict[str, Chat], seeded: Desk, lang: str) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(SAY[lang]["typed_high"])  # the title "I can't work" / "无法工作", typed
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text, chat.replies
    made = await ticket(seeded, "INC-1")
    assert (made.urgency, made.category.path.split("/")[0]) == ("high", "hardware")


@pytest.mark.parametrize("lang", LANGS)
async def test_words_that_name_the_urgency_answer_the_question(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(SAY[lang]["say_urgent"])
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text, chat.replies
    made = await ticket(seeded, "INC-1")
    assert made.urgency == "high"
    # Why it is urgent (the client demo) was lost: the agent read only "battery drains".
    assert SAY[lang]["say_urgent"] in made.description


@pytest.mark.parametrize(
    ("lang", "said", "urgency"),
    [
        ("en", "it can wait", "low"),
        ("en", "no big deal, whenever", "low"),
        ("zh", "影响不大，可以等", "low"),
        ("zh", "不影响工作", "low"),
        ("zh", "有点影响", "medium"),
        ("en", "annoying but I can still work", "medium"),
        ("zh", "还能工作，就是慢", "medium"),
        ("zh", "急用", "high"),
        ("en", "since this morning, can't work", "high"),
        ("zh", "从早上开始就没法办公", "high"),
        # A meeting within the hour: it must work before then. "Noted", and the question again.
        ("en", "I have a client presentation in an hour", "high"),
        ("en", "my team meeting starts in 15 minutes", "high"),
        ("zh", "半小时后要给客户演示", "high"),
        ("zh", "一会儿就要开会了", "high"),
    ],
)
async def test_how_much_it_matters_in_plain_words_is_the_urgency(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, urgency: str
) -> None:
    """Not the button's words: "影响不大，可以等" got "please pick one of the options"."""
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(said)
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text, chat.replies
    assert (await ticket(seeded, "INC-1")).urgency == urgency


@pytest.mark.parametrize(("lang", "urgent"), [("en", "very urgent"), ("zh", "很急")])
async def test_an_urgency_alone_is_not_put_in_the_description(
    users: dict[str, Chat], seeded: Desk, lang: str, urgent: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    await chat.say(urgent)
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.urgency == "high" and urgent not in made.description


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "SAP is down for the whole team"),
        ("zh", "整个部门都登不上SAP"),
        ("en", "SAP is down for the whole finance team"),  # a team named in between
        ("zh", "财务部的同事都登不上SAP"),
    ],
)
async def test_a_whole_team_blocked_is_high_impact_without_the_question(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    if "/not_solved" in chat.payloads:
        await chat.say("/not_solved")
    assert "INC-1" in chat.text, chat.replies  # not "how badly does it affect your work?"
    made = await ticket(seeded, "INC-1")
    assert (made.category.path, made.impact, made.urgency) == ("erp", "high", "high")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_sentence_instead_of_an_option_is_kept_and_the_question_asked_once_more(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    await chat.say(SAY[lang]["more"])
    texts = [r["text"] for r in chat.replies]
    # Not "please pick one" after "noted" (2026-12-06): it read as a reproach.
    assert texts == [t(lang, "report.noted"), t(lang, "ask.urgency")]
    assert chat.payloads == [f"/urgency {k}" for k in ("low", "medium", "high", "team")]
    assert await count(seeded, Ticket) == 0
    # A second answer that is no option leaves the default instead of asking forever.
    await chat.say(SAY[lang]["gibberish"])
    assert "INC-1" in chat.text, chat.replies
    made = await ticket(seeded, "INC-1")
    assert made.urgency == "medium"
    assert SAY[lang]["battery"] in made.description and SAY[lang]["more"] in made.description


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        ("en", "it's a lenovo desktop"),
        ("en", "Dell laptop"),
        ("zh", "是台式机，联想的"),
        ("zh", "戴尔笔记本"),
    ],
)
async def test_a_short_detail_naming_the_device_instead_of_an_option_is_kept(
    users: dict[str, Chat], seeded: Desk, lang: str, detail: str
) -> None:
    # Too short to count as a sentence, but it names what is broken: the agent needs it.
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    await chat.say(detail)
    assert [r["text"] for r in chat.replies] == [t(lang, "report.noted"), t(lang, "ask.urgency")]
    await chat.say("/urgency low")
    assert "INC-1" in chat.text, chat.replies
    assert detail in (await ticket(seeded, "INC-1")).description


@pytest.mark.parametrize(
    ("lang", "opening", "give_up"),
    [
        ("en", "battery", "never mind, forget it"),
        ("zh", "battery", "算了，不用了"),
        ("en", "software", "forget it"),
        ("zh", "software", "取消"),
        ("zh", "software", "算了"),  # at a request's free-text question: not its answer
        ("zh", "printer", "算了"),  # after the articles: not "not solved", which goes on
        ("en", "printer", "never mind"),
    ],
)
async def test_giving_up_a_report_or_request_before_its_ticket_opens_none(
    users: dict[str, Chat], seeded: Desk, lang: str, opening: str, give_up: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang][opening])
    assert not any("INC-" in r["text"] or "REQ-" in r["text"] for r in chat.replies)
    await chat.say(give_up)
    assert chat.replies[0]["text"] == t(lang, "flow.dropped")
    assert chat.payloads == ["/report", "/request", "/status", "/human"]
    await chat.say(give_up)  # again: nothing left to give up, and still no ticket
    assert await count(seeded, Ticket) == 0


@pytest.mark.parametrize(
    ("lang", "detail", "doubtful", "unclear"),
    [("en", "needed for work", "asap please", "for the new hire"), ("zh", "工作需要", "急用", "尽快")],
)
async def test_words_the_bot_cannot_place_after_a_request_are_offered_to_it(
    users: dict[str, Chat], seeded: Desk, lang: str, detail: str, doubtful: str, unclear: str
) -> None:
    # "工作需要" right after REQ-1 was "not understood", "asap please" started another request,
    # and "急用" (read as "that article helped") got the help menu.
    chat = users[lang]
    await chat.say("/request hardware")
    await chat.say(chat.payloads[0])
    await chat.answer_until("REQ-1", lambda _: SAY[lang]["detail"])
    for said in (detail, doubtful):
        await chat.say(said)
        assert chat.text == t(lang, "info.offer", ref="REQ-1", text=said), chat.replies
        assert chat.payloads == ["/add REQ-1", "/report", "/request", "/status", "/human"]
    await chat.say("/add REQ-1")  # only the last is added: the other was left unanswered
    assert chat.replies[0]["text"] == t(lang, "info.added", ref="REQ-1")
    # How urgent it is, added, raises the request (it was added as words only).
    assert (await ticket(seeded, "REQ-1")).urgency == "high" and "P2" in chat.replies[-1]["text"]
    await chat.say("/add REQ-1")  # nothing waits to be added now
    assert t(lang, "button.stale") in chat.text
    await chat.say(unclear)  # read as a new request (0.74), or half as a report (0.46): adding comes first
    assert chat.payloads[0] == "/add REQ-1", chat.replies
    await chat.say("/add REQ-1")
    await chat.say("ok")  # too little to be a detail
    assert t(lang, "info.offer", ref="REQ-1", text="ok") not in chat.text
    request = await ticket(seeded, "REQ-1")
    async with (
        seeded.session() as s
    ):  # the chat lines join the ticket, once each; its log says what was added
        on_ticket = list(await s.scalars(select(Message.text).where(Message.ticket_id == request.id)))
        added = await s.scalars(
            select(TicketEvent.note).where(
                TicketEvent.ticket_id == request.id, TicketEvent.action == "commented"
            )
        )
    assert (on_ticket.count(doubtful), on_ticket.count(unclear)) == (1, 1)
    assert sorted(added) == sorted([doubtful, unclear])
    assert await count(seeded, Ticket) == 1


_OUTLOOK = {
    "title": {"en": "Outlook has stopped working after an update", "zh": "Outlook 更新后提示已停止工作"},
    "body": {
        "en": "Start Outlook in safe mode (hold Ctrl), then turn off add-ins under File, Options.",
        "zh": "按住 Ctrl 以安全模式启动 Outlook，然后在 文件、选项 中关闭加载项。",
    },
}


@pytest.mark.parametrize(
    ("lang", "first", "more"),
    [
        (
            "en",
            "outlook keeps crashing when I open attachments",
            "it says outlook has stopped working, started after the update yesterday",
        ),
        ("zh", "outlook打开附件就崩溃", "outlook一直提示已停止工作，昨天更新以后就这样"),
    ],
)
async def test_more_about_a_ticket_just_opened_is_offered_to_it_before_articles(
    users: dict[str, Chat], seeded: Desk, clock: Clock, lang: str, first: str, more: str
) -> None:
    # Right after INC-1, "it says outlook has stopped working..." got the Outlook article, as a
    # new problem would (2026-12-06): the user had to say "not solved" to be asked about INC-1.
    chat = users[lang]
    ref = await open_ticket(chat, lang, first)
    await add_article(seeded, lang, _OUTLOOK["title"], _OUTLOOK["body"], "email")
    clock.advance(minutes=3)
    await chat.say(more)
    assert chat.payloads == [f"/add {ref}", "/new"], chat.replies
    await chat.say("/new")  # a new problem after all: the articles, as for any
    assert _OUTLOOK["title"][lang] in [a.title for a in await offered(chat, seeded)], chat.replies


async def test_more_that_also_names_another_kind_is_still_offered_to_the_ticket_just_opened(
    ann: Chat, clock: Clock
) -> None:
    # "app" makes it software too: it was taken for another kind of problem, asked how badly it
    # hurt, and "bye" then filed a second ticket of the same problem (2026-12-07).
    ref = await open_ticket(ann, "en", "my outlook calendar doesn't sync with my phone")
    clock.advance(minutes=1)
    await ann.say("it's an iphone 15, using the outlook app")
    assert ann.payloads == [f"/add {ref}", "/new"], ann.replies


@pytest.mark.parametrize(
    ("lang", "more", "other"),
    [
        ("en", "my old laptop is too slow to run CAD", "my vpn won't connect either"),
        ("zh", "现在的电脑太旧了，跑不动CAD", "另外VPN也连不上"),
    ],
)
async def test_more_words_right_after_a_ticket_are_offered_to_it_first(
    users: dict[str, Chat], seeded: Desk, clock: Clock, lang: str, more: str, other: str
) -> None:
    # After "I need a new laptop" became REQ-1, "my old laptop is too slow" is its reason, not a
    # new incident: the bot used to ask for the urgency and open one. Now it asks first.
    chat = users[lang]
    await chat.say("/request hardware")
    await chat.say(chat.payloads[0])  # the first item: a laptop
    # where to deliver it, and whatever else the request asks
    await chat.answer_until("REQ-1", lambda _: SAY[lang]["detail"])
    clock.advance(minutes=5)
    await chat.say(more)
    await skip_kb(chat)
    assert chat.payloads == ["/add REQ-1", "/new"], chat.replies
    await chat.say("/add REQ-1")
    assert chat.text == t(lang, "info.added", ref="REQ-1")
    request = await ticket(seeded, "REQ-1")
    async with seeded.session() as s:
        said = list(await s.scalars(select(Message.text).where(Message.ticket_id == request.id)))
    assert more in said
    # Another kind of problem is new: no offer.
    await chat.say(other)
    await skip_kb(chat)
    assert "/add REQ-1" not in chat.payloads
    assert await count(seeded, Ticket) == 1


@pytest.mark.parametrize(
    ("lang", "again", "bare"),
    [("en", "the printer stopped working again", "reopen it"), ("zh", "打印机又坏了", "重新打开")],
)
async def test_again_with_nothing_to_reopen_is_a_new_problem(
    users: dict[str, Chat], seeded: Desk, nlu_engine: EmbeddedEngine, lang: str, again: str, bare: str
) -> None:
    # "Again" reads like a reopen, but a user without a resolved ticket is describing a fault:
    # before, the bot only asked "which ticket should I reopen?" and the problem was lost.
    chat = users[lang]
    assert nlu_engine.parse(again).intent.name == "reopen"  # the case this is about
    await chat.say(again)
    assert t(lang, "reopen.which") not in chat.text, chat.replies
    assert "/not_solved" in chat.payloads or "/urgency high" in chat.payloads, chat.replies
    await skip_kb(chat)
    await chat.say("/urgency high")
    if chat.text == t(lang, "ask.description"):  # a short report gets one request for detail
        await chat.say(SAY[lang]["detail"])
    assert "INC-1" in chat.text, chat.replies
    made = await ticket(seeded, "INC-1")
    assert made.category is not None and made.category.path == "printer"
    await chat.say(bare)  # only a ticket to reopen answers this, and INC-1 is still open
    assert await count(seeded, Ticket) == 1


@pytest.mark.parametrize(
    ("lang", "problem", "more", "path"),
    [
        (
            "en",
            "my VPN keeps disconnecting when I work from home",
            "it drops every ten minutes, it slows me down",
            "network/vpn",
        ),
        ("zh", "VPN老是掉线", "影响工作效率", "network/vpn"),
        # What the report named beside its category, or said to work beside it, is no new
        # problem: each began a password report, and the password article came again.
        (
            "en",
            "outlook keeps asking me for my password every 5 minutes",
            "no, my password is fine, it's outlook that keeps prompting",
            "email",
        ),
        (
            "en",
            "outlook keeps asking me for my password every 5 minutes",
            "I've already changed my password twice and it still asks",
            "email",
        ),
        ("zh", "Outlook一直让我输入密码", "密码没问题，是Outlook一直弹窗", "email"),
    ],
)
async def test_more_words_while_articles_are_offered_carry_on_the_same_report(
    users: dict[str, Chat], seeded: Desk, lang: str, problem: str, more: str, path: str
) -> None:
    # "影响工作效率" under the VPN articles began a new report: the VPN was forgotten and the
    # bot asked which area the problem was in.
    chat = users[lang]
    await chat.say(problem)
    assert t(lang, "kb.intro") in chat.text
    await chat.say(more)
    assert t(lang, "ask.category") not in chat.text

    def still_needed(c: Chat) -> str:  # whatever else the report still needs
        assert c.text in (t(lang, "ask.urgency"), t(lang, "ask.description")), c.text
        return SAY[lang]["detail"] if c.text == t(lang, "ask.description") else "/urgency medium"

    await chat.answer_until("INC-1", still_needed)
    made = await ticket(seeded, "INC-1")
    assert made.category.path == path
    assert made.description.startswith(problem) and more in made.description
    async with seeded.session() as s:
        assert await s.scalar(select(func.sum(Article.not_helpful))) >= 1  # the articles did not solve it


@pytest.mark.parametrize("lang", LANGS)
async def test_a_status_question_in_the_middle_of_a_report_then_asks_again(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # "You have no open tickets" and the menu read as if the report were gone.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(SAY[lang]["status"])
    # None yet, without "something new?" and the menu's buttons before the question again.
    assert [(r["text"], len(r.get("buttons") or [])) for r in chat.replies] == [
        (t(lang, "status.none_yet"), 0),
        (t(lang, "flow.resume", question=t(lang, "ask.urgency")), 4),
    ]
    assert chat.payloads[-4:] == ["/urgency low", "/urgency medium", "/urgency high", "/urgency team"]
    await chat.say("3")  # the numbers are the question's again
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert (await ticket(seeded, "INC-1")).urgency == "high"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_cancellation_asked_in_passing_is_answered_before_the_report_goes_on(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # "Cancel INC-1?" came with the report's question again behind it: two sets of buttons, and
    # a typed "yes" answered the report's, not the cancellation (2026-12-06).
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.answer_until("INC-1", SAY[lang]["detail"])
    await chat.say(SAY[lang]["battery"])
    assert chat.text == t(lang, "ask.urgency"), chat.replies
    await chat.say(SAY[lang]["cancel"].format(ref="INC-1"))
    assert chat.payloads == ["/cancel_yes INC-1", "/keep INC-1"], chat.replies  # and nothing after it
    await chat.say({"en": "yes", "zh": "是的"}[lang])
    assert (await ticket(seeded, "INC-1")).status == "cancelled"
    assert chat.replies[-1]["text"] == t(lang, "flow.resume", question=t(lang, "ask.urgency")), chat.replies
    await chat.say("/urgency low")
    assert "INC-2" in chat.text, chat.replies


@pytest.mark.parametrize(
    ("lang", "first", "second"),
    [
        ("en", "VPN not working", "my printer is not working"),
        ("en", "Outlook keeps crashing", "Excel keeps crashing since yesterday"),
        ("zh", "VPN连不上", "共享盘连不上了"),
    ],
)
async def test_a_report_that_shares_only_how_it_fails_with_an_open_ticket_is_a_new_one(
    users: dict[str, Chat], client: httpx.AsyncClient, seeded: Desk, lang: str, first: str, second: str
) -> None:
    # "my printer is not working" was asked "You already have INC-1 open: 'VPN not working'. Add
    # this to it?": the two share only "not working" (2026-12-06).
    assert await open_ticket(users[lang], lang, first, urgency="medium") == "INC-1"
    chat = Chat(client, users[lang].sender + "-mobile", email=users[lang].email)  # later, elsewhere
    await chat.say(second)
    await skip_kb(chat)

    def not_offered(c: Chat) -> str:
        assert "/add INC-1" not in c.payloads, c.replies
        return (
            c.payloads[0]
            if c.payloads
            else {"en": "since lunch, for everyone", "zh": "从中午开始的，大家都一样"}[lang]
        )

    await chat.answer_until("INC-2", not_offered)


@pytest.mark.parametrize(
    ("lang", "lines", "again"),
    [
        (
            "en",
            ["my second screen isn't detected after the windows update", "Teams camera shows black screen"],
            "my second screen still isn't detected, it's been two days",
        ),
        ("zh", ["打印机打不出来，一直显示脱机", "三楼那台，型号是HP M428"], "打印机还是打不出来，已经两天了"),
    ],
)
async def test_the_same_problem_told_in_another_chat_is_offered_to_its_open_ticket(
    users: dict[str, Chat], client: httpx.AsyncClient, seeded: Desk, lang: str, lines: list[str], again: str
) -> None:
    # The second line on INC-1 ("Teams camera shows black screen") kept "my second screen still
    # isn't detected" below the likeness bar, and a second ticket was opened (2026-12-06).
    chat = users[lang]
    await chat.say(lines[0])
    await skip_kb(chat)
    for line in lines[1:]:
        await chat.say(line)
    await chat.answer_until("INC-1", "/urgency medium")
    assert (await ticket(seeded, "INC-1")).description == "\n".join(lines)
    elsewhere = Chat(client, chat.sender + "-mobile", name=chat.name, email=chat.email)  # the same person
    await elsewhere.say(again)
    await skip_kb(elsewhere)
    await elsewhere.answer_until("INC-1", SAY[lang]["detail"], never="INC-2")
    assert elsewhere.payloads == ["/add INC-1", "/new"], elsewhere.replies


@pytest.mark.parametrize("lang", LANGS)
async def test_the_add_or_new_question_comes_back_once_after_each_interruption(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # Asked again after a second interruption, it read "Now, back to my question: Now, back to my
    # question: You already have INC-1 open..." (2026-12-06).
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    await chat.say("/urgency medium")
    assert "INC-1" in chat.text, chat.replies
    await chat.say({"en": SAY["en"]["more"], "zh": "笔记本充电的时候特别烫"}[lang])
    offer = chat.replies[-1]["text"]
    assert chat.payloads == ["/add INC-1", "/new"], chat.replies
    for _ in range(2):
        await chat.say(SAY[lang]["status_ref"].format(ref="INC-1"))
        assert chat.replies[-1]["text"] == t(lang, "flow.resume", question=offer), chat.replies
        assert chat.payloads == ["/add INC-1", "/new"]


@pytest.mark.parametrize("lang", LANGS)
async def test_the_articles_come_back_once_after_each_interruption(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    offer, buttons = chat.replies[-1]["text"], chat.payloads
    assert "/not_solved" in buttons, chat.replies
    for _ in range(2):
        await chat.say(SAY[lang]["status"])
        assert chat.replies[-1]["text"] == t(lang, "flow.resume", question=offer), chat.replies
        assert chat.payloads == buttons


async def test_the_question_asked_again_is_in_the_language_of_the_interruption(
    wang: Chat, seeded: Desk
) -> None:
    # The report began in Chinese; "what's the status of my tickets?" switched to English, and
    # the question came back in Chinese behind an English "Now, back to my question:".
    await wang.say(SAY["zh"]["printer"])
    await skip_kb(wang)
    assert wang.text == t("zh", "ask.urgency")
    await wang.say("what's the status of my tickets?")
    assert wang.replies[-1]["text"] == t("en", "flow.resume", question=t("en", "ask.urgency"))
    assert [b["title"] for b in wang.replies[-1]["buttons"]] == [
        t("en", f"urgency.{k}") for k in ("low", "medium", "high", "team")
    ]
    await wang.say("我的工单呢")  # and back
    assert wang.replies[-1]["text"] == t("zh", "flow.resume", question=t("zh", "ask.urgency"))


@pytest.mark.parametrize(("lang", "said"), [("en", "forgot my VPN password"), ("zh", "我的VPN密码忘了")])
async def test_articles_of_every_kind_the_problem_names_are_offered(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # Filed as a VPN problem, the password article was filtered out as another kind.
    chat = users[lang]
    await chat.say(said)
    kinds = [a.category_path for a in await offered(chat, seeded)]
    assert "accounts/password-reset" in kinds, chat.replies
    await chat.say("/not_solved")
    await chat.say("/urgency medium")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["since"])
    # Filed for the accounts team: a "VPN password" is a password (the head of the compound).
    assert (await ticket(seeded, "INC-1")).category.path == "accounts/password-reset"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "I got a weird email asking for my password, is it phishing?"),
        ("zh", "收到一封钓鱼邮件，让我输入密码"),
        ("en", "my laptop might have a virus, lots of popups"),
        ("zh", "我的电脑好像中病毒了"),
        ("en", "someone sent me a suspicious email with an attachment, I opened it"),
        ("zh", "收到一封可疑的郵件，說我的帳號要被停用，叫我點連結"),  # was the Outlook article
        ("en", "I lost my company laptop at the airport"),  # was a hardware fault
        ("zh", "公司手机被偷了"),  # had no category
        # E-mail and account, "two problems, one at a time?" (2026-12-07).
        ("en", "I clicked on a link in a weird email and entered my password"),
        ("zh", "点了一个奇怪的链接，还输了密码"),
    ],
)
async def test_a_phishing_mail_or_a_virus_is_a_security_matter(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # "I got a weird email asking for my password, is it phishing?" was offered the password
    # reset article and filed under e-mail; "my laptop might have a virus" was a request for a
    # new laptop ("Where should we deliver it?").
    chat = users[lang]
    await chat.say(said)
    if t(lang, "kb.intro") in to_simplified(chat.text):  # 郵件 is written in Traditional
        shown = await offered(chat, seeded)
        # Only security's: "I opened it" found the desk's hours; a mailbox named, Outlook's.
        assert {a.category_path for a in shown} == {"security"}, chat.replies
        await chat.say("/not_solved")
    if t(lang, "ask.urgency") in to_simplified(chat.text):
        await chat.say("/urgency high")
    if to_simplified(chat.text) == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert (made.category.path, made.group.name) == ("security", "Service Desk"), chat.replies


@pytest.mark.parametrize(
    ("lang", "first", "news"),
    [
        ("zh", "我好像点了一个钓鱼链接，还输了密码", "现在整个部门的人都收到了这封邮件"),
        (
            "en",
            "I think I clicked a phishing link and typed my password",
            "the whole team got the same email now",
        ),
    ],
)
async def test_news_of_another_kind_right_after_a_security_ticket_may_be_about_it(
    users: dict[str, Chat], seeded: Desk, lang: str, first: str, news: str
) -> None:
    # "现在整个部门的人都收到了这封邮件" right after a phishing ticket got the Outlook article, as
    # a new e-mail problem (2026-12-06): a security ticket spans e-mail, accounts and devices.
    chat = users[lang]
    assert await open_ticket(chat, lang, first) == "INC-1"
    await chat.say(news)
    assert "/add INC-1" in chat.payloads, chat.replies  # asked before any article
    await chat.say("/add INC-1")
    made = await ticket(seeded, "INC-1")
    assert (made.impact, made.urgency) == ("high", "high")  # and the whole team raised it
    assert await count(seeded, Ticket) == 1


@pytest.mark.parametrize(
    ("lang", "said", "answer", "impact"),
    [
        ("en", "I think I clicked a phishing link", "/urgency medium", "high"),  # security: impact high
        ("zh", "ERP系统打不开了", "/urgency low", "high"),  # erp: impact high
        ("en", "the printer on floor 2 prints blank pages", "/urgency low", "low"),  # printer: impact low
    ],
)
async def test_an_incidents_impact_is_no_less_than_its_categorys(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, answer: str, impact: str
) -> None:
    # "I clicked a phishing link" with "slows me down" was a P3 due in three days: the answer's
    # impact (one person) replaced the category's, which the desk sets high for security; the
    # API got it, chat and mail did not (2026-12-06).
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    assert answer in chat.payloads, chat.replies
    await chat.say(answer)
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert (made.impact, made.urgency) == (impact, answer.split()[-1]), (made.category.path, chat.replies)


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "the internet is down for the whole floor"), ("zh", "整层楼都上不了网")]
)
async def test_a_whole_floor_down_is_not_asked_how_badly_it_hurts(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    assert t(lang, "ask.urgency") not in chat.text, chat.replies
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    made = await ticket(seeded, "INC-1")
    assert (made.impact, made.urgency) == ("high", "high")


@pytest.mark.parametrize(
    ("lang", "nothing"),
    [
        ("en", "no"),
        ("en", "2"),
        ("en", "thanks!"),
        ("en", "hello? anyone there?"),  # was the description (2026-12-07)
        ("zh", "不知道"),
        ("zh", "没有了"),
        ("zh", "谢谢"),
        ("zh", "在吗？"),
    ],
)
async def test_an_answer_that_adds_nothing_is_not_put_in_the_description(
    users: dict[str, Chat], seeded: Desk, lang: str, nothing: str
) -> None:
    # "printer is broken\nno" was the description agents read.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.say("/urgency low")
    assert chat.text == t(lang, "ask.description")
    await chat.say(nothing)
    assert (await ticket(seeded, "INC-1")).description == SAY[lang]["printer"]


async def test_a_long_report_finds_the_article_its_first_sentence_would(ann: Chat, seeded: Desk) -> None:
    # The whole message scored 0.399 against the 0.4 threshold: its other sentences (the client
    # call, the thanks) diluted what the VPN article covers.
    said = (
        "Hi team, since this morning I can't connect to the VPN from home. GlobalProtect says gateway"
        " not responding. I have a client call at 2pm so it's quite urgent. Thanks!"
    )
    await ann.say(said)
    titles = [a.title for a in await offered(ann, seeded)]
    assert titles == ["Connect to the VPN from home"], ann.replies


async def test_a_detailed_first_report_is_not_asked_what_it_means(wang: Chat, seeded: Desk) -> None:
    # Read 0.52 as a report and 0.37 as more about a ticket, it was asked "which of these?",
    # though with no ticket open both mean the same: a new report.
    said = "您好，我是财务部的小李，我的电脑从昨天开始特别慢，打开Excel要等好几分钟，影响工作了，麻烦尽快处理，谢谢"
    await wang.say(said)
    assert t("zh", "clarify") not in wang.text, wang.replies
    await skip_kb(wang)
    await wang.answer_until("INC-1", SAY["zh"]["detail"])
    made = await ticket(seeded, "INC-1")
    assert made.subject == "我的电脑从昨天开始特别慢，打开Excel要等好几分钟，影响工作了，麻烦尽快处理，谢谢"
    assert made.urgency == "high"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Is there an outage? Nothing loads"),  # was greeted ("greet", 0.39)
        ("zh", "系统是不是挂了，什么都打不开"),  # got the help menu (read as "the article did not help")
    ],
)
async def test_an_outage_is_a_report(users: dict[str, Chat], lang: str, said: str) -> None:
    chat = users[lang]
    await chat.say(said)
    asked = {t(lang, "ask.category"), t(lang, "ask.urgency"), t(lang, "ask.description")}
    assert chat.replies[-1]["text"] in asked or t(lang, "kb.intro") in chat.text, chat.replies
    assert chat.replies[0]["text"] == t(lang, "known.none")  # it asked after one


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "How do I set up an out of office reply?"),  # got the help menu once (help, 0.94)
        ("zh", "请问怎么共享日历"),  # got the help menu once (read as "how do I use you")
        ("en", "Hi, how can I share my calendar with my team?"),  # out of scope once
        ("en", "where can I find the VPN client?"),
    ],
)
async def test_a_how_to_question_no_article_answers_is_a_request_for_information(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # It was filed as an incident, after "which area is the problem?" and "how badly does it
    # affect your work?": a question is no fault, and ITIL files it as a service request.
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    for _ in range(2):
        assert chat.text not in (t(lang, "ask.category"), t(lang, "ask.urgency")), chat.replies
        if chat.text == t(lang, "ask.description"):
            await chat.say(SAY[lang]["detail"])
    assert "REQ-1" in chat.text, chat.replies
    made = await ticket(seeded, "REQ-1")
    assert made.type == "request" and made.description.startswith(said)
    # Told as a question passed on: "Your request REQ-1 is in" read as if something was ordered.
    due = format_due(seeded, made, made.response_due)
    assert chat.replies[-1]["text"] == t(
        lang, "question.created", ref="REQ-1", subject=made.subject, response_due=due
    ), chat.replies


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "how do I apply for annual leave?"),
        ("en", "where do I find my payslip?"),
        ("zh", "年假怎么申请"),
    ],
)
async def test_a_how_to_question_for_another_desk_opens_no_ticket(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # "how do I apply for annual leave?" (out of scope, 0.99) became an IT ticket (2026-12-06).
    chat = users[lang]
    await chat.say(said)
    assert chat.replies[0]["text"] == t(lang, "oos"), chat.replies
    assert await count(seeded, Ticket) == 0


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "how do I fix my laptop? it won't turn on since this morning"), ("zh", "请问电脑开不了机怎么办")],
)
async def test_a_how_to_question_that_tells_of_a_fault_is_an_incident(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    await chat.answer_until("INC-1", SAY[lang]["detail"], never="REQ-1")
    assert (await ticket(seeded, "INC-1")).type == "incident"


async def test_a_how_to_question_is_answered_from_the_knowledge_base(
    ann: Chat, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    made = await client.post(
        "/api/v1/kb/articles",
        json={
            "title": "Set up an automatic out of office reply",
            "body": "In Outlook choose File, Automatic Replies, then Send automatic replies and the dates.",
            "category": "email",
        },
        headers={"Authorization": tokens["agent"]},
    )
    assert made.status_code == 201, made.text
    for plain in ("how can you help me?", "what can you do"):  # about the bot: still the help menu
        await ann.say(plain)
        assert ann.text == t("en", "help"), ann.replies
    await ann.say("How do I set up an out of office reply?")
    assert f"/solved {made.json()['id']}" in ann.payloads, ann.replies


@pytest.mark.parametrize(
    ("lang", "other", "same"),
    [
        ("en", "where can I find the wifi password for guests", "it's the printer in room 3.12, error 0x709"),
        ("zh", "怎么连接访客无线网络", "是3楼的打印机，显示错误0x709"),
    ],
)
async def test_another_problem_said_instead_of_the_urgency_is_asked_about(
    users: dict[str, Chat], seeded: Desk, lang: str, other: str, same: str
) -> None:
    # It went into the printer report's description ("Noted"), and the ticket mixed the two.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(same)  # more about the same problem is kept, and the question asked again
    assert t(lang, "flow.which") not in chat.text and t(lang, "ask.urgency") in chat.text, chat.replies
    await chat.say(other)
    assert chat.text == t(lang, "flow.which"), chat.replies
    assert chat.payloads == ["/answer", f"/report {other}"]
    await chat.say(f"/report {other}")  # a report of its own
    assert t(lang, "ask.urgency") in chat.text or "/not_solved" in chat.payloads, chat.replies
    # The printer report, which the articles did not solve, is not dropped: it was, without a word.
    printer = await ticket(seeded, "INC-1")
    assert (
        printer.category.path == "printer"
        and same in printer.description
        and other not in printer.description
    )
    assert "INC-1" in chat.replies[0]["text"], chat.replies


@pytest.mark.parametrize("lang", LANGS)
async def test_the_menus_report_a_problem_mid_report_begins_anew(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # It names no new problem yet: the report being written is not filed for it.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.urgency"), chat.replies
    await chat.say("/report")
    assert chat.text == t(lang, "report.ask") and await count(seeded, Ticket) == 0, chat.replies


@pytest.mark.parametrize(
    ("lang", "same", "other"),
    [
        ("en", "it's the printer on the third floor, my laptop can't find it", "my vpn keeps disconnecting"),
        ("zh", "是三楼那台打印机，我的电脑找不到它", "VPN一直断开连接"),
    ],
)
async def test_another_problem_given_as_the_detail_is_asked_about(
    users: dict[str, Chat], seeded: Desk, lang: str, same: str, other: str
) -> None:
    # "my vpn keeps disconnecting" (no "also") in answer to "please describe it in more detail"
    # went into the printer ticket's description, and no one was told of the VPN.
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.say("/urgency medium")
    assert chat.text == t(lang, "ask.description"), chat.replies
    await chat.say(other)
    assert chat.text == t(lang, "flow.which"), chat.replies
    await chat.say(f"/report {other}")
    assert "INC-1" in chat.replies[0]["text"], chat.replies
    assert "/not_solved" in chat.payloads or t(lang, "ask.urgency") in chat.text, chat.replies
    await skip_kb(chat)
    await chat.answer_until(
        "INC-2", lambda c: "/urgency high" if "/urgency high" in c.payloads else SAY[lang]["since"]
    )
    first, second = await ticket(seeded, "INC-1"), await ticket(seeded, "INC-2")
    assert first.category.path == "printer" and other not in first.description
    assert second.category.path.startswith("network") and other in second.description
    async with seeded.session() as s:  # what was said of the VPN is on its ticket's transcript
        on = set(await s.scalars(select(Message.ticket_id).where(Message.text == other)))
    assert on == {second.id}
    # Detail that names another thing, but about the same printer, is the detail it was asked for.
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.say("/urgency medium")
    assert chat.text == t(lang, "ask.description"), chat.replies
    await chat.say(same)
    assert t(lang, "flow.which") not in chat.text, chat.replies


@pytest.mark.parametrize(
    ("lang", "said", "title"),
    [
        ("en", "when is the IT desk open?", "IT service desk hours and contact"),
        ("en", "what's the phone number of the service desk?", "IT service desk hours and contact"),
        # Read as asks for help (0.71, 0.93): the help text, the article at 1.0 never offered.
        ("en", "what are the desk's opening hours?", "IT service desk hours and contact"),
        ("en", "what time does the helpdesk open", "IT service desk hours and contact"),
        ("zh", "服务台几点上班？", "IT服务台工作时间和联系方式"),
        # How-to questions in Chinese, whose question words were search terms no article has:
        # the article scored under the bar and the bot asked how badly it hurt.
        ("zh", "请问怎么连公司的wifi", "无线网络连不上或经常断开"),
        ("zh", "出差的时候怎么用VPN", "在家连接 VPN"),
        # A word joining it to what was said before is no search term: 另外 left it under the bar.
        ("zh", "另外我的VPN也连不上了", "在家连接 VPN"),
    ],
)
async def test_a_question_may_have_an_article(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, title: str
) -> None:
    # "I'm the IT help desk, so I can't help with that" to "when is the IT desk open?", which the
    # model cannot place.
    chat = users[lang]
    await chat.say(said)
    titles = [a.title for a in await offered(chat, seeded)]
    assert titles[:1] == [title], chat.replies


@pytest.mark.parametrize(
    ("lang", "asked", "aside", "title"),
    [
        (
            "en",
            "my second monitor stays black",
            "when is the IT desk open?",
            "IT service desk hours",
        ),
        ("zh", "第二个显示器一直黑屏", "服务台几点下班？", "IT服务台工作时间和联系方式"),
    ],
)
async def test_a_question_asked_in_passing_is_answered_and_the_report_goes_on(
    users: dict[str, Chat], seeded: Desk, lang: str, asked: str, aside: str, title: str
) -> None:
    # At "which area is it about?", "when is the IT desk open?" was "Noted" into the report.
    chat = users[lang]
    await chat.say(asked)
    await skip_kb(chat)
    question = chat.text
    assert question in (t(lang, "ask.category"), t(lang, "ask.urgency")), chat.replies
    buttons = chat.payloads
    await chat.say(aside)
    assert chat.replies[0]["text"].startswith(t(lang, "kb.aside") + "\n" + title), chat.replies
    assert chat.replies[-1]["text"] == t(lang, "flow.resume", question=question)
    assert chat.payloads == buttons  # the report's question again, with its buttons
    await chat.answer_until("INC-1", SAY[lang]["detail"])
    assert aside not in (await ticket(seeded, "INC-1")).description


async def test_a_question_in_passing_that_no_article_answers_is_searched_once(
    ann: Chat, seeded: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # _flow looked for a sure article and found none, and _not_understood looked again.
    await ann.say("the projector in room 4B shows no picture")
    await skip_kb(ann)
    assert ann.text in (t("en", "ask.category"), t("en", "ask.urgency")), ann.replies
    searched: list[str] = []
    search = report.relevant_articles

    async def counted(turn: Any, text: str, *args: Any) -> Any:
        searched.append(text)
        return await search(turn, text, *args)

    monkeypatch.setattr(report, "relevant_articles", counted)
    await ann.say("what's the weather like today?")
    assert searched == ["what's the weather like today?"]
    assert ann.replies[-1]["text"].startswith(t("en", "flow.resume", question="")), ann.replies


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "what's the weather like today?"), ("zh", "今天中午吃什么？")]
)
async def test_chatter_that_asks_a_question_is_still_chatter(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    assert not [p for p in chat.payloads if p.startswith("/solved ")], chat.replies
    assert chat.payloads == ["/report", "/request", "/status", "/human"]


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "the badge reader at the door doesn't work"), ("zh", "大厅的门禁不管用")]
)
async def test_a_thing_that_does_not_work_said_first_is_a_report(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # Read as "the article did not help" with no article offered, it got the help menu.
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    assert chat.text in {t(lang, "ask.category"), t(lang, "ask.urgency")}, chat.replies
    other = users["zh" if lang == "en" else "en"]
    await other.say("didn't help")  # short, with nothing offered to judge: what the bot can do
    assert t("en", "help") in other.text, other.replies


async def test_an_urgency_said_at_which_area_gives_nothing_up(wang: Chat, seeded: Desk) -> None:
    # "不急" (read as a no, 0.69) at "是哪方面的问题？" dropped the report: "已经放弃，没有创建工单".
    await wang.say("/report 一直弹出一个奇怪的窗口，关不掉")
    await skip_kb(wang)
    assert wang.text == t("zh", "ask.category"), wang.replies
    await wang.say("不急")
    assert t("zh", "flow.dropped") not in wang.text and t("zh", "ask.category") in wang.text, wang.replies
    await wang.say("/category software")
    await wang.answer_until("INC-1", SAY["zh"]["detail"])
    assert (await ticket(seeded, "INC-1")).urgency == "low"  # what it said, kept


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "the shared drive S: is gone from my computer"), ("zh", "共享盘S盘打不开了")]
)
async def test_a_shared_drive_is_a_network_problem(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # "共享盘S盘打不开了" named no area: "which area is it about?" listed none that fits.
    chat = users[lang]
    await chat.say(said)
    await skip_kb(chat)
    assert chat.text == t(lang, "ask.urgency"), chat.replies
    await chat.say("/urgency high")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["detail"])
    assert (await ticket(seeded, "INC-1")).category.path == "network"


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "my password expired and now I can't log into anything"), ("zh", "我的密码过期了，登录不了")],
)
async def test_an_expired_password_meets_the_reset_article(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # The reset article said "forgotten" and "locked" but not "expired": 0.31, nothing offered.
    chat = users[lang]
    await chat.say(said)
    assert [a.category_path for a in await offered(chat, seeded)][:1] == ["accounts/password-reset"]


FLICKER = {
    "en": "hello, my laptop screen is flickering since yesterday",
    "zh": "你好，我的笔记本屏幕从昨天开始一直闪",
}


@pytest.mark.parametrize(
    ("lang", "said", "urgency", "priority"),
    [
        # "not really" to "how badly does it affect your work?" dropped the report.
        ("en", "not really", "low", "P4"),
        ("en", "nope", "low", "P4"),
        ("zh", "不太影响", "low", "P4"),
        ("zh", "没有", "low", "P4"),
        # "not sure" was read as a no: "not badly", low urgency and a P4 (2026-12-07).
        ("en", "not sure", "medium", "P3"),
        ("en", "I don't know", "medium", "P3"),
        ("zh", "不知道", "medium", "P3"),
    ],
)
async def test_a_no_or_a_not_sure_to_how_badly_it_hurts_files_the_report(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, urgency: str, priority: str
) -> None:
    chat = users[lang]
    await chat.say(FLICKER[lang])
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(said)
    [made] = await all_tickets(seeded)
    assert (made.urgency, made.priority) == (urgency, priority)
    assert made.ref in chat.text


@pytest.mark.parametrize(
    ("lang", "fixed"), [("en", "thanks, fixed it"), ("en", "it works now"), ("zh", "谢谢，搞定了")]
)
async def test_fixed_meanwhile_while_the_report_is_asked_about_opens_no_ticket(
    users: dict[str, Chat], seeded: Desk, lang: str, fixed: str
) -> None:
    # It was asked "please pick an option" again.
    chat = users[lang]
    await chat.say(FLICKER[lang])
    await chat.say(fixed)
    assert chat.text == t(lang, "flow.fixed")
    assert await count(seeded, Ticket) == 0
    await chat.say(SAY[lang]["printer"])  # a new problem starts afresh
    assert t(lang, "kb.intro") in chat.text


_PRINTER_ON_3 = {"en": "the printer on floor 3 shows offline", "zh": "三楼的打印机显示脱机了"}


@pytest.mark.parametrize(
    ("lang", "vague", "asked"),
    [
        # Saying only that something is wrong is asked what.
        ("en", "I have a problem", "report.ask"),  # "which area?"
        ("en", "Hi, I have an issue, can you take a look?", "report.ask"),  # the kinds of request
        ("zh", "出问题了", "report.ask"),  # "which ticket to reopen?"
        ("zh", "我这边出了点问题，麻烦看一下", "report.ask"),  # not understood (out of scope)
        ("zh", "遇到个问题", "report.ask"),  # the help menu
        # Saying more, of no kind, is asked which area; a problem told in answer was filed as
        # "I have a problem with something", no article looked for.
        ("en", "I have a problem with something odd", "ask.category"),
        ("zh", "我遇到了一个问题，很奇怪", "ask.category"),
    ],
)
async def test_the_problem_told_after_a_vague_first_message_names_the_ticket_and_finds_articles(
    users: dict[str, Chat], seeded: Desk, lang: str, vague: str, asked: str
) -> None:  # 2026-12-07
    chat = users[lang]
    await chat.say(vague)
    assert chat.text == t(lang, asked), chat.replies
    await chat.say(_PRINTER_ON_3[lang])
    assert t(lang, "kb.intro") in chat.text
    await skip_kb(chat)
    await chat.say("/urgency low")
    made = await ticket(seeded, "INC-1")
    assert (made.subject, made.category_path) == (_PRINTER_ON_3[lang], "printer")
    assert _PRINTER_ON_3[lang] in made.description


@pytest.mark.parametrize(("lang", "hurts", "what"), [
    ("en", "I can't work", "Outlook crashes as soon as I open it"),
    ("zh", "我没法工作了", "Outlook 一打开就崩溃"),
])  # fmt: skip
async def test_how_badly_alone_is_asked_what_is_wrong_not_searched(
    users: dict[str, Chat], seeded: Desk, lang: str, hurts: str, what: str
) -> None:
    # "I can't work" was searched, and the articles saying "work account" were offered.
    chat = users[lang]
    await chat.say(hurts)
    assert chat.text == t(lang, "report.ask")
    await chat.say(what)
    await skip_kb(chat)
    [made] = await all_tickets(seeded)
    assert (made.urgency, made.category_path) == ("high", "email")


async def all_tickets(desk: Desk) -> list[Ticket]:
    async with desk.session() as s:
        return list(await s.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.mark.parametrize(
    ("lang", "problem", "how", "asked"),
    [
        ("en", "my laptop screen is cracked", "it fell off my desk this morning", False),
        ("en", "my laptop screen is cracked", "I spilled coffee on it", False),
        ("zh", "我的笔记本屏幕碎了，什么都看不清", "我早上不小心摔了一下", False),
        ("en", "my laptop screen is cracked", "it got wet in the rain", True),  # still off-topic (0.67)
    ],
)
async def test_how_it_happened_said_after_the_ticket_goes_to_it(
    users: dict[str, Chat], seeded: Desk, lang: str, problem: str, how: str, asked: bool
) -> None:
    # Read as a greeting for its "this morning" (0.42; 0.45 in Chinese), it got the hello and
    # the help menu; as off-topic chatter (0.52), "I'm the IT help desk, so I can't help with
    # that". What the model still reads as off-topic is offered to the ticket.
    chat = users[lang]
    assert await open_ticket(chat, lang, problem) == "INC-1"
    await chat.say(how)
    if asked:
        assert chat.text == t(lang, "info.offer", ref="INC-1", text=how), chat.replies
        await chat.say("/add INC-1")
    assert chat.text == t(lang, "info.added", ref="INC-1"), chat.replies


@pytest.mark.parametrize(
    ("lang", "said", "path"),
    [
        ("en", "my outlook password expired and I can't get in", "accounts/password-reset"),
        ("zh", "邮箱密码过期了，登录不了", "accounts/password-reset"),
        ("en", "the network printer on floor 3 is offline", "printer"),
        ("zh", "三楼的网络打印机脱机了", "printer"),
    ],
)
async def test_of_names_written_together_the_last_says_what_the_thing_is(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, path: str
) -> None:
    # Filed under the first name: an expired Outlook password went to the Applications team.
    assert await open_ticket(users[lang], lang, said) == "INC-1"  # the kind named: not asked
    assert (await ticket(seeded, "INC-1")).category.path == path


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "my headset is broken, nobody can hear me"), ("zh", "耳机坏了，别人听不到我说话")],
)
async def test_a_category_an_admin_adds_files_and_routes_the_bot_s_tickets(
    users: dict[str, Chat],
    seeded: Desk,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    lang: str,
    said: str,
) -> None:
    # Categories came only from the demo file: a desk could not add the kinds it sees.
    admin = {"Authorization": tokens["admin"]}
    headset = {"path": "hardware/headset", "name": "Headset", "name_zh": "耳机", "keywords": ["headset"]}
    made = await client.post("/api/v1/categories", json=headset, headers=admin)
    assert made.status_code == 201, made.text
    changed = await client.patch(
        "/api/v1/categories/hardware/headset",
        json={"keywords": ["headset", " 耳机 "], "group": "Applications"},
        headers=admin,
    )
    assert (
        changed.json()["keywords"] == ["headset", "耳机"]
        and changed.json()["default_group"]["name"] == "Applications"
    )
    assert await open_ticket(users[lang], lang, said) == "INC-1"
    filed = await ticket(seeded, "INC-1")
    assert (filed.category.path, filed.group.name if filed.group else None) == (
        "hardware/headset",
        "Applications",
    )
    # Retired, it files nothing more: the next headset problem is a hardware one.
    retired = await client.patch("/api/v1/categories/hardware/headset", json={"active": False}, headers=admin)
    assert retired.status_code == 200
    assert await open_ticket(Chat(client, "later-" + lang), lang, said) == "INC-2"
    assert (await ticket(seeded, "INC-2")).category.path == "hardware"
    assert (await ticket(seeded, "INC-1")).category.path == "hardware/headset"  # kept where it was


async def test_articles_of_the_kind_named_come_before_those_of_no_kind(
    users: dict[str, Chat], seeded: Desk
) -> None:
    # The desk's hours and contact (no category) matched "phone" at 0.54 and came first.
    chat = users["en"]
    await chat.say("my phone doesn't get work emails anymore")
    assert [a.title for a in await offered(chat, seeded)][:1] == ["Outlook is not receiving e-mail"], (
        chat.replies
    )


async def test_a_new_kind_of_problem_told_as_more_information_is_a_new_report(
    users: dict[str, Chat], seeded: Desk
) -> None:
    # Read as more information (0.82, for "since this morning"), it asked a user with an open
    # printer ticket "which ticket is it about?".
    chat = users["zh"]
    await open_ticket(chat, "zh")
    later = Chat(chat.client, f"{chat.sender}-later", name=chat.name, email=chat.email)  # another day's chat
    await later.say("VPN从今天早上开始每小时掉线一次，重启电脑也没用")
    await skip_kb(later)
    assert later.text == t("zh", "ask.urgency"), later.replies


@pytest.mark.parametrize(
    ("lang", "said", "first", "second"),
    [
        (
            "en",
            "my printer is jammed and outlook keeps crashing",
            "my printer is jammed",
            "outlook keeps crashing",
        ),
        ("zh", "打印机卡纸了，还有outlook一直崩溃", "打印机卡纸了", "outlook一直崩溃"),
    ],
)
async def test_two_problems_told_at_once_may_be_filed_apart(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, first: str, second: str
) -> None:
    # They became one ticket, filed under the printer and routed to its team.
    chat = users[lang]
    await chat.say(said)
    assert chat.text == t(lang, "report.two", first=first, second=second), chat.replies
    assert chat.payloads == [f"/report {first}", f"/report {said}"]
    await chat.click(t(lang, "report.apart"))
    await skip_kb(chat)
    await chat.answer_until(
        "INC-1", lambda c: "/urgency high" if "/urgency high" in c.payloads else SAY[lang]["since"]
    )
    assert any(r["text"] == t(lang, "report.second", text=second) for r in chat.replies), chat.replies
    await skip_kb(chat)
    await chat.answer_until(
        "INC-2", lambda c: "/urgency medium" if "/urgency medium" in c.payloads else SAY[lang]["since"]
    )
    printer, outlook = await ticket(seeded, "INC-1"), await ticket(seeded, "INC-2")
    assert printer.category.path == "printer" and second not in printer.description
    assert outlook.category is not None and outlook.category.path.split("/")[0] != "printer"
    assert outlook.description.startswith(second) and (printer.priority, outlook.priority) == ("P2", "P3")

    # "It's one problem": one ticket, as before.
    await chat.say(said)
    await chat.click(t(lang, "report.together"))
    await skip_kb(chat)

    def answer(c: Chat) -> str:  # asked about INC-1 and INC-2, the same problems: a new ticket
        return next((p for p in ("/new", "/urgency low") if p in c.payloads), SAY[lang]["since"])

    await chat.answer_until("INC-3", answer)
    assert said in (await ticket(seeded, "INC-3")).description
    assert t(lang, "report.second", text=second) not in chat.text


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "VPN won't connect, so I can't get my email"),  # what followed from it
        ("en", "I clicked a phishing link and now my laptop is slow"),
        ("en", "I got a weird email asking for my password, is it phishing?"),  # a security matter
        ("zh", "我好像点了一个钓鱼链接，还输了密码"),
        ("en", "my monitor flickers and my keyboard doesn't work"),  # both hardware: one team
        ("zh", "VPN连不上，所以收不到邮件"),
        ("zh", "我的outlook打不开了，一直提示输入密码"),  # the same subject, left out
        ("en", "outlook won't open, it keeps asking for my password"),  # or named by a pronoun
        ("en", "Teams won't start, keeps asking me to sign in"),
        ("en", "my laptop is very slow, excel takes minutes to open"),  # slow: the computer's
        ("zh", "电脑很卡，打开excel要好几分钟"),
    ],
)
async def test_one_problem_and_what_followed_from_it_is_one_report(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    assert not any(p.startswith("/report ") for p in chat.payloads), chat.replies


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "my laptop is very slow and my printer is jammed"),  # slow, but only one of them
        ("zh", "打印机卡纸了，电脑也很卡"),  # 卡纸 is a jam, not slowness
        ("en", "outlook is slow and the vpn is slow too"),  # no computer named: two teams' problems
    ],
)
async def test_slowness_joins_only_what_a_slow_computer_explains(
    users: dict[str, Chat], lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    assert any(p.startswith("/report ") for p in chat.payloads), chat.replies


@pytest.mark.parametrize(("lang", "other"), [("en", "my VPN won't connect"), ("zh", "VPN连不上")])
async def test_an_urgency_button_tapped_again_later_is_stale(
    users: dict[str, Chat], seeded: Desk, lang: str, other: str
) -> None:
    """ "/urgency high" from the question already answered "low", tapped at "is that your answer,
    or a new problem?", filed the printer report at once as P2 and the VPN words were lost."""
    chat = users[lang]
    await chat.say(SAY[lang]["printer"])
    await skip_kb(chat)
    await chat.say("/urgency low")
    assert chat.text == t(lang, "ask.description"), chat.replies
    await chat.say(other)
    which = chat.text
    assert which == t(lang, "flow.which"), chat.replies
    await chat.say("/urgency high")
    assert [r["text"] for r in chat.replies] == [t(lang, "button.stale"), which], chat.replies
    assert await count(seeded, Ticket) == 0
    await chat.say(f"/report {other}")
    printer = await ticket(seeded, "INC-1")
    assert printer.urgency == "low" and other not in printer.description, chat.replies
