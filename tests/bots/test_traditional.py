"""A requester who writes Traditional Chinese (Taiwan, Hong Kong) is understood and answered in it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from desk.chinese import to_traditional
from desk.context import Desk
from desk.i18n import t as desk_t
from desk.i18n import taiwan_tag, traditional_tag
from desk.models import Person
from tests.bots.conftest import Chat, skip_kb, t, ticket


async def _traditional(desk: Desk, email: str) -> bool:
    async with desk.session() as s:
        person = await s.scalar(select(Person).where(Person.email == email))
    assert person is not None
    return person.traditional


async def test_the_bot_and_the_desk_answer_in_traditional_characters_and_agents_words_go_as_written(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    tw = Chat(client, "tw-web", name="陳怡君", email="yijun@corp.example")
    await tw.say("印表機顯示離線了")  # Taiwan's word for the printer, in Traditional characters
    # The article in the user's script and words: 印表機 and 離線, not Hong Kong's 打印機 and 脫機
    # (she was answered so until 2026-12-07).
    assert to_traditional("打印机显示脱机", True) in tw.text and "印表機" in tw.text, tw.text
    assert "打印" not in tw.text and "/not_solved" in tw.payloads
    await skip_kb(tw)
    assert tw.text == to_traditional(t("zh", "ask.urgency"), True)
    assert [b["title"] for b in tw.replies[0]["buttons"]][2] == "無法工作"
    await tw.say("/urgency high")
    if tw.text == to_traditional(t("zh", "ask.description"), True):
        await tw.say("從早上開始就離線，列印時顯示錯誤 0x00000709")
    assert "已為您建立工單 INC-1" in tw.text, tw.replies  # 建立, Taiwan's word for 创建
    assert await _traditional(seeded, "yijun@corp.example")

    headers = {"Authorization": tokens["agent"]}
    said = "您好，我是IT的李伟，请把打印机重启一下。"  # an agent who writes Simplified
    await client.post("/api/v1/tickets/INC-1/comments", json={"body": said, "public": True}, headers=headers)
    await client.post("/api/v1/tickets/INC-1/resolve", json={"solution": "已重新安装驱动。"}, headers=headers)
    comment, resolved = await tw.fetch()
    assert comment["text"] == to_traditional(
        desk_t("zh", "ticket.comment", ref="INC-1", author="Test agent", body="@"), True
    ).replace("@", said)
    assert resolved["text"].startswith(
        "INC-1 已解決：已重新安装驱动。"
    )  # the template converted, not the solution
    assert [b["title"] for b in resolved["buttons"]] == ["已解決", "還沒解決"]

    await tw.say("好的")  # characters both scripts share tell nothing
    assert await _traditional(seeded, "yijun@corp.example")
    await tw.say("我的工单进展")  # Simplified from now on: so are the answers
    assert not await _traditional(seeded, "yijun@corp.example")
    assert tw.text and to_traditional(tw.text) != tw.text, tw.text


async def test_simplified_and_english_users_are_answered_as_before(
    users: dict[str, Chat], seeded: Desk
) -> None:
    for lang, chat in users.items():
        await chat.say({"en": "printer is offline", "zh": "打印机显示脱机了"}[lang])
        await skip_kb(chat)
        assert chat.text == t(lang, "ask.urgency")
    assert not await _traditional(seeded, "wang.fang@corp.example")


async def test_a_request_in_taiwans_words_is_read_like_the_mainlands(
    client: httpx.AsyncClient, seeded: Desk
) -> None:
    tw = Chat(client, "tw-web", name="陳怡君", email="yijun@corp.example")
    hardware = next(r for r in seeded.settings.bot.requests if r.key == "hardware")
    where = hardware.questions[1]
    await tw.say(
        "我想申請一台新的筆電"
    )  # 筆電, Taiwan's short word for a laptop; 台 is one both scripts write
    assert tw.text == to_traditional(where.zh)  # the laptop is understood: straight to where it goes
    await tw.say("三樓茶水間旁邊")  # a place in Traditional characters, against an expect in Simplified ones
    assert "REQ-1" in tw.text, tw.replies
    made = await ticket(seeded, "REQ-1")
    assert made.subject == hardware.title["zh"] + "：笔记本电脑"
    assert f"{where.zh} 三樓茶水間旁邊" in made.description.splitlines()  # the user's words as written


async def test_a_how_to_question_and_a_chase_in_traditional_characters_are_read_as_in_simplified(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    # The bot's own patterns read Simplified only: "請問怎麼共享日曆" was asked which area the
    # problem is in, as a fault, where "请问怎么共享日历" is a request for information (2026-12-06).
    tw = Chat(client, "tw-web", name="陳怡君", email="yijun@corp.example")
    await tw.say("請問怎麼共享日曆")
    await skip_kb(tw)
    if tw.text == to_traditional(t("zh", "ask.description")):
        await tw.say("想讓同組的同事看到我的日曆")
    assert "REQ-1" in tw.text, tw.replies
    auth = {"Authorization": tokens["agent"]}
    await client.patch("/api/v1/tickets/REQ-1", json={"assignee": "maria.garcia@example.com"}, headers=auth)
    await tw.say("能幫我催一下REQ-1嗎？明天要用")
    assert tw.replies[-1]["text"] == to_traditional(
        t("zh", "info.chased.to", ref="REQ-1", name="Maria Garcia")
    )


async def test_an_option_of_a_later_question_in_traditional_characters_is_kept_for_it(
    client: httpx.AsyncClient, seeded: Desk
) -> None:
    # "讀寫" typed at "which system?" became the system (REQ-1 "系统权限：讀寫") and the level
    # was never asked: the words it names were taken out in Simplified only (2026-12-06).
    tw = Chat(client, "tw-web", name="陳怡君", email="yijun@corp.example")
    access = next(r for r in seeded.settings.bot.requests if r.key == "access")
    system, _, approver = (to_traditional(q.zh, True) for q in access.questions)  # 資料夾: Taiwan's
    await tw.say("我想申請共享資料夾的權限")
    assert tw.replies[-1]["text"] == system, tw.replies
    await tw.say("讀寫")
    assert tw.replies[-1]["text"] == system, tw.replies  # the level is kept; the system still asked
    await tw.say("財務部的共享資料夾")
    assert tw.replies[-1]["text"] == approver, tw.replies
    await tw.say("zhang.min@example.com")
    made = await ticket(seeded, "REQ-1")
    assert made.subject.endswith("財務部的共享資料夾"), made.subject
    assert (
        f"{access.questions[1].zh} 读写" in made.description.splitlines()
    )  # the option, as options are kept


@pytest.mark.parametrize(
    ("tag", "traditional"),
    [("zh-TW", True), ("zh_HK", True), ("zh-hant", True), ("zh-Hant-CN", True), ("zh-MO", True),
     ("zh-CN", False), ("zh-Hans-HK", False), ("zh-sg", False), ("zh", None), ("en-US", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_a_language_tag_tells_the_script_when_it_names_one(tag: str | None, traditional: bool | None) -> None:
    assert traditional_tag(tag) is traditional


@pytest.mark.parametrize(
    ("tag", "taiwan"),
    [("zh-TW", True), ("zh-Hant-TW", True), ("zh_tw", True), ("zh-HK", False), ("zh-Hant-MO", False),
     ("zh-CN", False), ("zh-Hant", None), ("zh", None), ("en-TW", None), (None, None)],
)  # fmt: skip
def test_a_language_tag_tells_taiwans_words_when_it_names_a_region(
    tag: str | None, taiwan: bool | None
) -> None:
    assert taiwan_tag(tag) is taiwan


async def test_hong_kongs_words_stay_the_mainlands_in_traditional_characters(
    client: httpx.AsyncClient, seeded: Desk
) -> None:
    """Hong Kong writes 打印機, 網絡 and 軟件 as the mainland does: Taiwan's words (印表機, 網路)
    are for those who write them, or whose app says zh-TW; one of them is enough from then on."""
    hk = Chat(client, "hk-web", name="陳家明", email="kaming@corp.example")
    await hk.say("我部手提電腦連唔到無線網絡")
    assert "網絡" in hk.text and "網路" not in hk.text, hk.text
    async with seeded.session() as s:
        person = await s.scalar(select(Person).where(Person.email == "kaming@corp.example"))
        assert person is not None and (person.traditional, person.taiwan) == (True, False)
    await hk.say("打印機顯示脫機")
    assert "打印機" in hk.text and "印表機" not in hk.text, hk.text
    tw = Chat(client, "tw-app", name="林志明", email="chiming@corp.example", language="zh-TW")
    await tw.say("hi")
    assert "建立" in tw.text or "服務" in tw.text, tw.replies
    await tw.say("電腦連不上網路")
    assert "網路設定" in tw.text and "網絡設置" not in tw.text, tw.text


async def test_a_file_name_in_an_answer_in_traditional_characters_is_the_files(
    client: httpx.AsyncClient, seeded: Desk
) -> None:
    # "报错截图.png" came back as "報錯截圖.png": a name the user would not find on their disk.
    tw = Chat(client, "tw-files", name="陳怡君", email="yijun@corp.example")
    await tw.say("印表機顯示離線了")
    await skip_kb(tw)
    await tw.upload("报错截图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
    assert tw.replies[0]["text"] == to_traditional(t("zh", "files.kept", names="@"), True).replace(
        "@", "报错截图.png"
    ), tw.replies
    assert "會附在" in tw.replies[0]["text"]  # the rest of it in Traditional characters


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("收到，报错截图.png 会附在您的工单里。", "收到，报错截图.png 會附在您的工單裡。"),
        ("已把 日志.txt、报错.PNG 添加到 INC-1。", "已把 日志.txt、报错.PNG 添加到 INC-1。"),
        ("版本 2.0 的打印机", "版本 2.0 的打印機"),  # a number is no file name
        ("请打开 \\\\fs01\\财务 文件夹", "請打開 \\\\fs01\\财务 文件夾"),
    ],
)
def test_links_paths_and_file_names_are_kept_as_written(text: str, written: str) -> None:
    assert to_traditional(text) == written


async def test_a_new_chat_from_another_browser_keeps_the_script_the_user_writes(
    client: httpx.AsyncClient, seeded: Desk
) -> None:
    # Her "hi" from a mainland browser made a Taiwanese colleague's answers Simplified: the
    # browser's language decided for someone whose own writing had already told.
    tw = Chat(client, "tw-laptop", name="陳怡君", email="yijun@corp.example")
    await tw.say("印表機顯示離線了")
    assert await _traditional(seeded, "yijun@corp.example")
    other = Chat(client, "tw-phone", name="陳怡君", email="yijun@corp.example", language="zh-CN")
    await other.say("hi")
    assert await _traditional(seeded, "yijun@corp.example")
    assert "服務" in other.text, other.replies  # 务 in Simplified
    # Someone new is answered in their browser's script until their words tell.
    new = Chat(client, "cn-phone", name="王芳", email="wang.fang@corp.example", language="zh-TW")
    await new.say("hi")
    assert await _traditional(seeded, "wang.fang@corp.example")
