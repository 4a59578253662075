"""Asking for a person: the hand-off to an agent, what the agent sees, and the wait out of hours."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from desk.agents import find_agent
from desk.context import Desk
from desk.i18n import t as desk_t
from desk.models import Conversation, Message
from desk.routing import set_presence
from tests.bots.conftest import (
    LANGS,
    SAY,
    Chat,
    open_ticket,
    request_kind,
    t,
    ticket,
)
from tests.conftest import Clock


@pytest.mark.parametrize("lang", LANGS)
async def test_handoff_agent_takeover_and_release(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str], lang: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["human"])
    assert chat.text == t(lang, "handoff.queued", ref="INC-1", position=1)  # Wednesday 10:00: open
    h = {"Authorization": tokens["agent"]}
    [waiting] = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    assert waiting["last_message"]["text"] == SAY[lang]["human"]  # the user's words, not the bot's
    assert await chat.say(SAY[lang]["detail"]) == []  # queued: the bot is silent
    queued = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    assert [(c["ticket"], c["queue_position"]) for c in queued] == [("INC-1", 1)]
    [desk_line] = (await client.get("/api/v1/queue", params={"group": "Service Desk"}, headers=h)).json()[
        "groups"
    ]
    # The chat waits in its group's line in the ticket's stead, and says which ticket it is about.
    assert [(i["kind"], i["ref"], i["about"]) for i in desk_line["items"]] == [
        ("conversation", None, "INC-1")
    ]
    last = queued[0]["last_message"]  # what the list shows of it: the user's latest words
    assert (last["direction"], last["author"], last["text"]) == (
        "in",
        "Ann Lee" if lang == "en" else "王芳",
        SAY[lang]["detail"],
    )
    conversation = queued[0]["id"]
    taken = await client.post(f"/api/v1/conversations/{conversation}/takeover", headers=h)
    assert taken.status_code == 200 and taken.json()["mode"] == "agent"
    assert (await ticket(seeded, "INC-1")).assignee.email == "agent@test.example"
    written = await client.post(
        f"/api/v1/conversations/{conversation}/messages", json={"text": "Hi, Test here."}, headers=h
    )
    assert written.status_code == 201
    [listed] = (await client.get("/api/v1/conversations?mode=agent", headers=h)).json()["items"]
    assert (listed["last_message"]["author"], listed["last_message"]["text"]) == (
        "Test agent",
        "Hi, Test here.",
    )
    assert await chat.say("thanks!") == []  # with an agent: the bot stays silent
    feed = [m["text"] for m in await chat.fetch()]
    assert feed == [desk_t(lang, "handoff.joined", agent="Test agent"), "Hi, Test here."]
    full = (await client.get(f"/api/v1/conversations/{conversation}", headers=h)).json()
    assert "thanks!" in [m["text"] for m in full["messages"]]  # the user's words reach the console
    released = await client.post(f"/api/v1/conversations/{conversation}/release", headers=h)
    assert released.json()["mode"] == "bot"
    assert [m["text"] for m in await chat.fetch()] == [desk_t(lang, "handoff.released")]
    await chat.say(SAY[lang]["greet"])
    assert t(lang, "help") in chat.text  # the bot answers again
    assert (await ticket(seeded, "INC-1")).first_response_at is not None


@pytest.mark.parametrize("lang", LANGS)
async def test_the_menus_talk_to_a_person_first_thing_files_no_command_as_words(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    # The ticket of a handoff from the menu was "/human", subject and description.
    chat = users[lang]
    await chat.say(SAY[lang]["greet"])  # the language of the conversation
    await chat.say("/human")
    assert chat.text == t(lang, "handoff.queued", ref="INC-1", position=1)
    made = await ticket(seeded, "INC-1")
    name = {"en": "Ann Lee", "zh": "王芳"}[lang]
    assert made.subject == t(lang, "handoff.subject", name=name)
    assert made.description == t(lang, "handoff.description", name=name)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "I want to talk to a person"),
        ("zh", "转人工"),
        ("en", "hi, can I speak to a real person please?"),
    ],
)
async def test_an_ask_for_a_person_alone_is_no_subject_but_its_words_are_kept(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # A queue of tickets called "转人工" and "I want to talk to a person" says nothing to agents.
    chat = users[lang]
    await chat.say(said)
    assert "INC-1" in chat.text
    made = await ticket(seeded, "INC-1")
    name = {"en": "Ann Lee", "zh": "王芳"}[lang]
    assert (made.subject, made.description) == (t(lang, "handoff.subject", name=name), said)
    await chat.say(SAY[lang]["printer"])  # what it is about, while waiting, joins the ticket
    async with seeded.session() as s:
        assert SAY[lang]["printer"] in list(
            await s.scalars(select(Message.text).where(Message.ticket_id == made.id))
        )


@pytest.mark.parametrize(
    ("lang", "said", "subject"),
    [
        (
            "en",
            "VPN keeps dropping every few minutes. Can I speak to an agent?",
            "VPN keeps dropping every few minutes.",
        ),
        ("zh", "VPN老是断线，帮我转人工", "VPN老是断线"),
        # Read as an ask whole; its other asides go too (the subject kept "not a bot", "谢谢").
        ("en", "VPN keeps dropping. I want a human, not a bot.", "VPN keeps dropping."),
        ("zh", "VPN老是断线，我要人工，谢谢", "VPN老是断线"),
    ],
)
async def test_a_problem_and_an_ask_for_a_person_in_one_message_hands_off_to_the_right_group(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, subject: str
) -> None:
    # The problem's words outvoted "转人工", so the bot asked how urgent it was instead.
    chat = users[lang]
    await chat.say(said)
    assert chat.text == t(lang, "handoff.queued", ref="INC-1", position=1)
    made = await ticket(seeded, "INC-1")
    assert made.description == said
    assert made.subject == subject  # not the ask
    assert (made.category.path, made.group.name) == ("network/vpn", "Network")
    async with seeded.session() as s:
        conversation = await s.scalar(select(Conversation))
        assert (conversation.mode, conversation.group_id) == ("queued", made.group_id)


@pytest.mark.parametrize(
    ("lang", "then", "ref"),
    [
        # A problem of another kind with the ask: its own ticket, filed under its own group.
        ("zh", "整个部门都上不了网，转人工", "INC-2"),
        ("en", "the VPN keeps dropping, get me a human", "INC-2"),
        # Or reported first, the ask coming while it is being written (at its articles).
        ("zh", "VPN连不上|转人工", "INC-2"),
        ("en", "can't connect to the wifi|get me a human", "INC-2"),
        # More about the same kind of problem: the conversation's ticket.
        ("en", "the printer still won't print, get me a human", "INC-1"),
    ],
)
async def test_an_ask_for_a_person_about_another_problem_files_that_problem(
    users: dict[str, Chat], seeded: Desk, lang: str, then: str, ref: str
) -> None:
    chat = users[lang]
    assert await open_ticket(chat, lang) == "INC-1"
    for said in then.split("|"):
        await chat.say(said)
    assert ref in chat.text, chat.replies
    async with seeded.session() as s:
        conversation = await s.scalar(select(Conversation))
        assert conversation.mode == "queued"
    made = await ticket(seeded, ref)
    assert conversation.ticket_id == made.id
    if ref == "INC-2":
        assert made.category.path.split("/")[0] == "network" and made.group.name == "Network"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "I already spoke to an agent, my password is still locked"),
        ("zh", "人工客服说让我重启，但是还是不行"),
        ("en", "no, I don't need a person, it's fine"),
        ("zh", "不用转人工，已经好了"),
        ("en", "the printer says: call service technician"),
    ],
)
async def test_a_person_mentioned_or_declined_is_not_an_ask_for_one(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    chat = users[lang]
    await chat.say(said)
    async with seeded.session() as s:
        assert (await s.scalar(select(Conversation))).mode == "bot"
    assert chat.replies and chat.text != t(lang, "handoff.queued", ref="INC-1", position=1)


@pytest.mark.parametrize(
    ("lang", "ask"), [("en", "this is taking too long, get me a human"), ("zh", "转人工")]
)
async def test_asking_for_a_person_midway_keeps_what_was_said_so_far(
    users: dict[str, Chat], seeded: Desk, lang: str, ask: str
) -> None:
    chat = users[lang]
    await chat.say(SAY[lang]["battery"])
    assert chat.text == t(lang, "ask.urgency")
    await chat.say(ask)
    assert chat.text == t(lang, "handoff.queued", ref="INC-1", position=1)
    made = await ticket(seeded, "INC-1")
    assert made.description.startswith(SAY[lang]["battery"])
    assert (ask in made.description) == (lang == "en")  # a bare "转人工" adds nothing to read
    assert made.category.path == "hardware/laptop"  # "laptop" / "笔记本": which hardware
    async with seeded.session() as s:
        linked = list(await s.scalars(select(Message.text).where(Message.ticket_id == made.id)))
    assert SAY[lang]["battery"] in linked and ask in linked


@pytest.mark.parametrize("lang", LANGS)
async def test_asking_for_a_person_during_a_request_hands_off_the_request(
    users: dict[str, Chat], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    software = request_kind(seeded, "software")
    await chat.say(SAY[lang]["software"])
    await chat.say(SAY[lang]["product"])
    assert chat.text == getattr(software.questions[1], lang)
    await chat.say(SAY[lang]["human"])
    assert chat.text == t(lang, "handoff.queued", ref="REQ-1", position=1)
    made = await ticket(seeded, "REQ-1")
    assert (made.type, made.category.path) == ("request", "software")
    assert SAY[lang]["product"] in made.subject
    assert made.description.startswith(SAY[lang]["software"])
    assert f"{getattr(software.questions[0], lang)} {SAY[lang]['product']}" in made.description


@pytest.mark.parametrize("lang", LANGS)
async def test_out_of_hours_handoff_says_when_someone_will_answer(
    users: dict[str, Chat], clock: Clock, lang: str
) -> None:
    clock.now = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # Saturday noon in Shanghai: the desk is closed
    chat = users[lang]
    await chat.say(SAY[lang]["human"])
    # Monday 09:00 Shanghai is when the office calendar opens again.
    assert chat.text == t(lang, "handoff.closed", ref="INC-1", opens_at="2026-11-23 09:00 (Asia/Shanghai)")


@pytest.mark.parametrize("lang", LANGS)
async def test_writing_while_waiting_for_a_person_says_where_one_stands(
    users: dict[str, Chat], clock: Clock, lang: str
) -> None:
    # Handed off on a Saturday, the user's later messages got no answer at all until Monday.
    clock.now = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # Saturday noon in Shanghai: closed
    chat = users[lang]
    await chat.say(SAY[lang]["human"])
    assert await chat.say(SAY[lang]["detail"]) == []  # just told: quiet
    clock.advance(minutes=30)
    await chat.say(SAY[lang]["status"])
    assert chat.text == t(lang, "handoff.still_closed", opens_at="2026-11-23 09:00 (Asia/Shanghai)")
    assert await chat.say("?") == []  # once every ten minutes, not on every message
    clock.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00: open, nobody took it yet
    await chat.say(SAY[lang]["greet"])
    assert chat.text == t(lang, "handoff.still_queued", position=1)


async def test_out_of_hours_with_an_agent_on_a_night_shift_the_user_is_just_in_line(
    users: dict[str, Chat], seeded: Desk, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # Saturday noon in Shanghai
    async with seeded.session() as s:
        tom = await find_agent(s, "tom.baker@example.com")
        tom.calendar = "always"
        await set_presence(s, seeded, tom, True)
    chat = users["en"]
    await chat.say(SAY["en"]["human"])
    assert chat.text == t("en", "handoff.queued", ref="INC-1", position=1)


@pytest.mark.parametrize("lang", LANGS)
async def test_resolving_the_ticket_of_a_taken_chat_gives_it_back_to_the_bot_to_confirm_and_rate(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str], lang: str
) -> None:
    # The agent solved it in the chat and resolved INC-1; the user's "Yes, it's fixed" then went
    # to a conversation the bot stayed silent in, and no rating was ever asked.
    chat = users[lang]
    await chat.say(SAY[lang]["human"])
    h = {"Authorization": tokens["agent"]}
    [waiting] = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    await client.post(f"/api/v1/conversations/{waiting['id']}/takeover", headers=h)
    await client.post(f"/api/v1/conversations/{waiting['id']}/messages", json={"text": "Fixed?"}, headers=h)
    resolved = await client.post(
        "/api/v1/tickets/INC-1/resolve", json={"solution": "Reset the embedded controller."}, headers=h
    )
    assert resolved.status_code == 200
    feed = await chat.fetch()
    assert [b["payload"] for b in feed[-1]["buttons"]] == ["/confirm INC-1", "/reopen INC-1"]
    assert desk_t(lang, "handoff.released") not in [m["text"] for m in feed]  # the resolution says it
    back = (await client.get(f"/api/v1/conversations/{waiting['id']}", headers=h)).json()
    assert (back["mode"], back["agent"]) == ("bot", None)
    assert (await client.get("/api/v1/conversations?mode=agent", headers=h)).json()["items"] == []
    await chat.say(feed[-1]["buttons"][0]["payload"])  # "Yes, it's fixed"
    assert t(lang, "confirm.closed", ref="INC-1") in chat.text
    assert chat.payloads == [f"/rate INC-1 {n}" for n in range(1, 6)]
    await chat.say("/rate INC-1 4")
    assert chat.text == t(lang, "csat.thanks", ref="INC-1", score=4)
    done = await ticket(seeded, "INC-1")
    assert (done.status, done.csat_score) == ("closed", 4)


async def test_resolving_the_ticket_of_a_waiting_chat_takes_it_out_of_the_queue(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    chat = users["en"]
    await chat.say(SAY["en"]["human"])
    h = {"Authorization": tokens["agent"]}
    await client.post("/api/v1/tickets/INC-1/resolve", json={"solution": "Done from the ticket."}, headers=h)
    assert (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"] == []
    async with seeded.session() as s:
        conversation = await s.scalar(select(Conversation))
        assert conversation is not None and (conversation.mode, conversation.queued_at) == ("bot", None)
    await chat.say("/reopen INC-1")  # "No, still broken": the bot hears it again
    assert chat.text == t("en", "reopen.done", ref="INC-1")
    assert (await ticket(seeded, "INC-1")).status not in ("resolved", "closed")


@pytest.mark.parametrize(
    ("lang", "fine"), [("en", "never mind, it works now"), ("zh", "算了，不用了，已经好了")]
)
async def test_a_user_who_no_longer_needs_a_person_leaves_the_line(
    users: dict[str, Chat],
    seeded: Desk,
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    lang: str,
    fine: str,
) -> None:
    # Out of hours, a user who sorted it out themselves stayed in line all weekend, and an agent
    # picked up a solved problem on Monday.
    chat = users[lang]
    await chat.say(SAY[lang]["human"])
    await chat.say(fine)
    assert chat.text == t(lang, "handoff.leave") and chat.payloads == ["/stay", "/leave_queue"]
    await chat.say("/stay")  # not after all
    assert chat.text == t(lang, "handoff.staying")
    h = {"Authorization": tokens["agent"]}
    assert len((await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]) == 1
    await chat.say(fine)
    await chat.click(t(lang, "handoff.leave.yes"))
    assert chat.text == t(lang, "handoff.left_cancelled", ref="INC-1")
    assert (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"] == []
    done = await client.get("/api/v1/tickets/INC-1", headers=h)
    assert done.json()["status"] == "cancelled"
    assert "left_queue" in [e["action"] for e in done.json()["events"]]
    await chat.say(SAY[lang]["greet"])
    assert t(lang, "help") in chat.text  # the bot answers again


async def test_leaving_the_line_keeps_a_ticket_the_team_has_taken_up(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    chat = users["en"]
    await chat.say(SAY["en"]["human"])
    h = {"Authorization": tokens["agent"]}
    await client.patch("/api/v1/tickets/INC-1", json={"assignee": "me"}, headers=h)
    await chat.say("/leave_queue")
    assert chat.text == t("en", "handoff.left_open", ref="INC-1")
    assert (await ticket(seeded, "INC-1")).status == "assigned"
    assert await chat.say("/leave_queue") != []  # out of line: the bot answers (a stale button)


async def test_a_question_read_unsurely_as_an_ask_for_a_person_gets_the_article_first(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    # "IT服务台电话多少" (the desk's phone number?) read as talk_to_human at 0.65 queued the user.
    chat = users["zh"]
    await chat.say("IT服务台电话多少")
    assert "分机 8000" in chat.text and "/not_solved" in chat.payloads
    h = {"Authorization": tokens["agent"]}
    assert (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"] == []
    await chat.say("人工客服在吗？")  # a person, asked for: no article stands in the way
    assert chat.text == t("zh", "handoff.queued", ref="INC-1", position=1)
    assert len((await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]) == 1


async def test_deactivating_an_agent_gives_their_tickets_and_chats_back_to_the_queue(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    # A deactivated agent's tickets stayed assigned to someone who could no longer sign in, and
    # the user in their chat waited for nobody.
    h = {"Authorization": tokens["agent"]}
    ann = users["en"]
    await ann.say(SAY["en"]["human"])
    [waiting] = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    await client.post(f"/api/v1/conversations/{waiting['id']}/takeover", headers=h)  # INC-1, theirs
    ref = await open_ticket(users["zh"], "zh")
    await client.patch(f"/api/v1/tickets/{ref}", json={"assignee": "me", "status": "in_progress"}, headers=h)
    admin = {"Authorization": tokens["admin"]}
    gone = await client.patch("/api/v1/agents/agent@test.example", json={"active": False}, headers=admin)
    assert gone.status_code == 200
    assert (gone.json()["active"], gone.json()["online"], gone.json()["handed_back"]) == (
        False, False, {"tickets": 2, "chats": 1},
    )  # fmt: skip
    for each in ("INC-1", ref):
        back = (await client.get(f"/api/v1/tickets/{each}", headers=admin)).json()
        assert (back["status"], back["assignee"]) == ("new", None)
        returned = [e for e in back["events"] if e["action"] == "returned"]
        assert returned and returned[-1]["note"] == "Test agent no longer works on the desk"
    [line] = (await client.get("/api/v1/conversations?mode=queued", headers=admin)).json()["items"]
    assert (line["id"], line["agent"], line["queue_position"]) == (waiting["id"], None, 1)
    assert (await ann.fetch())[-1]["text"] == desk_t("en", "handoff.requeued", agent="Test agent")
    again = await client.patch("/api/v1/agents/agent@test.example", json={"active": False}, headers=admin)
    assert "handed_back" not in again.json()  # already inactive: nothing to hand back
