"""Service requests that wait for someone's yes: asked of the approver by link or in their chat,
decided there (or by an agent for them), and the requester told; SLA clocks start at the yes."""

from __future__ import annotations

import re
from datetime import UTC

import httpx
import pytest
from sqlalchemy import select

from desk.approvals import APPROVAL_JOBS, decision_in
from desk.context import Desk
from desk.i18n import t as desk_t
from desk.models import Agent, Approval, Notification, OutboxItem, TicketEvent
from desk.people import resolve_person
from desk.routing import route_waiting, set_presence
from desk.scheduler import run_due
from desk.sla import clock_start
from desk.tickets import format_due, get_ticket
from tests.bots.conftest import LANGS, Chat, request_kind, t, ticket
from tests.conftest import Clock

ACCESS = {
    "en": ("I need access to the finance shared drive", "Read only", "my manager is tom.baker@example.com"),
    "zh": ("我需要开通财务共享盘的权限", "只读", "我的经理是 tom.baker@example.com"),
}
SERVICE_DESK = ("maria.garcia@example.com", "tom.baker@example.com")
_LINK = re.compile(r"/approvals/([A-Za-z0-9_-]+)")


async def ask_for_access(chat: Chat, seeded: Desk, lang: str, approver: str | None = None) -> str:
    """Ask for read access to the finance share, naming ``approver`` (Tom Baker by default);
    the reference."""
    opening, level, manager = ACCESS[lang]
    await chat.say(opening)
    await chat.say(chat.payloads[0])  # the share the message named, one tap away
    await chat.say(level)
    assert chat.text == getattr(request_kind(seeded, "access").questions[2], lang)
    await chat.say(approver or manager)
    match = re.search(r"REQ-\d+", chat.text)
    assert match, chat.replies
    return match[0]


async def mailed_link(desk: Desk, to: str) -> tuple[str, str]:
    """The subject and the link's token of the last ask mailed to ``to``."""
    async with desk.session() as s:
        item = await s.scalar(
            select(OutboxItem)
            .where(OutboxItem.channel == "email", OutboxItem.chat_id == to)
            .order_by(OutboxItem.id.desc())
            .limit(1)
        )
    assert item is not None, f"nothing mailed to {to}"
    match = _LINK.search(item.payload["text"])
    assert match, item.payload
    return str(item.payload["subject"]), match[1]


@pytest.mark.parametrize("lang", LANGS)
async def test_an_access_request_waits_for_the_managers_yes_given_by_the_link(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, clock: Clock, lang: str
) -> None:
    # "Who approves it (your manager's e-mail)?" was asked and the answer only written on the
    # ticket: nobody asked the manager, and the team's clock ran from the request.
    chat = users[lang]
    ref = await ask_for_access(chat, seeded, lang)
    made = await ticket(seeded, ref)
    assert chat.text == t(lang, "request.created.approval", ref=ref, subject=made.subject, who="Tom Baker")
    assert made.approval == "requested" and made.response_due is None and made.resolution_due is None
    subject, token = await mailed_link(seeded, "tom.baker@example.com")
    assert subject.startswith(f"[{ref}] ")
    await chat.say({"en": "what's the status?", "zh": "我的工单进展"}[lang])
    assert t(lang, "status.awaiting_approval") in chat.text and ref in chat.text
    # Waiting for the yes, it is nobody's work yet, whoever is online.
    async with seeded.session() as s:
        for agent in await s.scalars(select(Agent).where(Agent.email.in_(SERVICE_DESK))):
            await set_presence(s, seeded, agent, True)
    assert await route_waiting(seeded) == 0
    assert (await ticket(seeded, ref)).assignee is None
    page = await client.get(f"/approvals/{token}")
    assert page.status_code == 200 and ref in page.text and 'value="approved"' in page.text
    assert (await ticket(seeded, ref)).approval == "requested"  # opening the page decides nothing
    clock.advance(hours=1)  # 11:00 in Shanghai: the team is on shift
    said = await client.post(f"/approvals/{token}", data={"decision": "approved", "comment": "fine"})
    assert said.status_code == 200 and ref in said.text
    done = await ticket(seeded, ref)
    assert done.approval == "approved" and done.status == "new"
    assert done.sla_start is not None and clock_start(done) == clock.now
    assert done.response_due is not None and done.response_due > clock.now
    assert await route_waiting(seeded) == 1  # now it is work, handed out
    assert (await ticket(seeded, ref)).assignee is not None
    told = [m["text"] for m in await chat.fetch()]
    due = told[-1]
    assert due.startswith(
        desk_t(lang, "approval.approved", ref=ref, subject=done.subject, who="Tom Baker", response_due="")[
            :20
        ]
    )
    async with seeded.session() as s:
        events = list(await s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == done.id)))
    assert [(e.action, e.actor_kind, e.note) for e in events if e.field == "approval"] == [
        ("approval_requested", "bot", None),
        ("approved", "approver", "fine"),
    ]
    # The link again: it says what was decided, and cannot decide twice.
    again = await client.post(f"/approvals/{token}", data={"decision": "rejected"})
    assert again.status_code == 409 and (await ticket(seeded, ref)).approval == "approved"
    assert "tom.baker@example.com" in (await client.get(f"/approvals/{token}")).text
    assert (await client.get("/approvals/not-a-token")).status_code == 404


@pytest.mark.parametrize("lang", LANGS)
async def test_a_rejection_cancels_the_request_and_the_requester_hears_why(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, lang: str
) -> None:
    chat = users[lang]
    ref = await ask_for_access(chat, seeded, lang)
    _, token = await mailed_link(seeded, "tom.baker@example.com")
    said = await client.post(
        f"/approvals/{token}", data={"decision": "rejected", "comment": "No budget this year."}
    )
    assert said.status_code == 200
    done = await ticket(seeded, ref)
    assert (done.status, done.approval) == ("cancelled", "rejected")
    told = (await chat.fetch())[-1]["text"]
    reason = desk_t(lang, "approval.reason", comment="No budget this year")
    assert told == desk_t(
        lang, "approval.rejected", ref=ref, subject=done.subject, who="Tom Baker", reason=reason
    )


@pytest.mark.parametrize("lang", LANGS)
async def test_an_approver_who_chats_with_the_desk_is_asked_there_and_answers_with_a_word(
    users: dict[str, Chat], seeded: Desk, client: httpx.AsyncClient, lang: str
) -> None:
    # The manager talks to the desk too: the ask comes to their chat, with buttons.
    chat = users[lang]
    boss = Chat(client, "tom-web", name="Tom Baker", email="tom.baker@example.com")
    await boss.say("hi")
    ref = await ask_for_access(chat, seeded, lang)
    asked = (await boss.fetch())[-1]
    assert ref in asked["text"] and [b["payload"] for b in asked["buttons"]] == [
        f"/approve {ref}",
        f"/reject {ref}",
    ]
    async with seeded.session() as s:
        assert await s.scalar(select(OutboxItem.id).where(OutboxItem.channel == "email")) is None
    await boss.say({"en": "yes", "zh": "同意"}[lang])  # a yes to the ask's two buttons is its first
    requester = "Ann Lee" if lang == "en" else "王芳"
    assert boss.text == t(
        "en" if lang == "en" else "zh", "approval.done.approved", ref=ref, requester=requester
    )
    assert (await ticket(seeded, ref)).approval == "approved"
    await boss.say(f"/reject {ref}")  # the other button, tapped late: what was decided
    assert boss.text == t(lang, "approval.already", ref=ref, state=t(lang, "approval.state.approved"))
    assert (await ticket(seeded, ref)).status == "new"
    # Someone else's tap does nothing.
    await chat.say(f"/approve {ref}")
    assert (await ticket(seeded, ref)).approval == "approved" and t(
        lang, "approval.done.approved", ref=ref, requester=requester
    ) != chat.text


async def test_a_name_the_desk_does_not_know_leaves_the_ask_to_the_team(
    ann: Chat, seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    opening, level, _ = ACCESS["en"]
    await ann.say(opening)
    await ann.say(ann.payloads[0])
    await ann.say(level)
    await ann.say("my boss Sarah")
    assert "/answer" in ann.payloads  # no address: questioned once, with an example
    await ann.say("/answer")
    made = await ticket(seeded, "REQ-1")
    assert made.approval is None and made.response_due is not None  # filed as any request
    h = {"Authorization": tokens["agent"]}
    got = (await client.get("/api/v1/tickets/REQ-1", headers=h)).json()
    notes = [m["text"] for m in got["messages"] if not m["public"]]
    assert any("my boss Sarah" in n for n in notes), got["messages"]
    # The agent asks Maria Garcia (a name the desk knows) from the ticket.
    asked = await client.post("/api/v1/tickets/REQ-1/approval", json={"approver": "Maria Garcia"}, headers=h)
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert (
        body["approval"]["state"] == "requested"
        and body["approval"]["approver"] == "maria.garcia@example.com"
    )
    assert body["sla"]["response_due"] is None
    _, first = await mailed_link(seeded, "maria.garcia@example.com")
    waiting = await client.get("/api/v1/tickets", params={"approval": "requested"}, headers=h)
    assert [i["ref"] for i in waiting.json()["items"]] == ["REQ-1"]
    bad = await client.get("/api/v1/tickets", params={"approval": "maybe"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_approval"
    # Asked again (of another approver): the first link no longer works.
    again = await client.post(
        "/api/v1/tickets/REQ-1/approval", json={"approver": "zhang.min@example.com"}, headers=h
    )
    assert again.json()["approval"]["approver"] == "zhang.min@example.com"
    assert (await client.post(f"/approvals/{first}", data={"decision": "approved"})).status_code == 409
    # Zhang said yes on the phone: the agent records it.
    decided = await client.post(
        "/api/v1/tickets/REQ-1/approval/decision",
        json={"decision": "approved", "comment": "by phone"},
        headers=h,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["approval"]["decided_by"] == "agent@test.example"
    assert decided.json()["sla"]["response_due"] is not None
    twice = await client.post(
        "/api/v1/tickets/REQ-1/approval/decision", json={"decision": "rejected"}, headers=h
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"]
    async with seeded.session() as s:
        states = list(await s.scalars(select(Approval.state).order_by(Approval.id)))
    assert states == ["withdrawn", "approved"]
    assert (await client.get("/api/v1/tickets", params={"approval": "requested"}, headers=h)).json()[
        "items"
    ] == []


@pytest.mark.parametrize(("lang", "manager"), [("en", "my manager is Tom Baker"), ("zh", "我的经理是李娜")])
async def test_the_approver_named_at_another_question_is_kept_for_the_approval(
    users: dict[str, Chat], seeded: Desk, lang: str, manager: str
) -> None:
    # "my manager is Tom Baker" typed at "which system, folder or mailbox?" became the system,
    # and "who approves it?" was asked after it all the same.
    chat = users[lang]
    async with seeded.session() as s:  # 李娜, a person the desk knows by her chat with it
        await resolve_person(s, channel="rest", external_id="li-na", name="李娜", email="li.na@corp.example")
    opening, level, _ = ACCESS[lang]
    await chat.say(opening)
    system = chat.payloads[0]
    await chat.say(manager)  # at "which system?"
    assert chat.text.endswith(getattr(request_kind(seeded, "access").questions[0], lang)), chat.replies
    await chat.say(system)
    await chat.say(level)
    ref = re.search(r"REQ-\d+", chat.text)
    assert ref, chat.replies
    made = await ticket(seeded, ref[0])
    assert made.approval == "requested" and manager not in made.subject
    who = {"en": "tom.baker@example.com", "zh": "li.na@corp.example"}[lang]
    assert (await mailed_link(seeded, who))[1]


@pytest.mark.parametrize(
    ("lang", "said", "reason"),
    [
        ("en", "for the quarterly close, my manager is Tom Baker", "for the quarterly close"),
        ("zh", "月底结账要用，我的经理是李娜", "月底结账要用"),
    ],
)
async def test_words_beside_the_approver_at_a_question_the_opening_answered_are_doubted(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str, reason: str
) -> None:
    # "for the quarterly close, my manager is Maria Garcia" at "which system?", with "finance
    # shared drive" one tap away, made REQ-1 "Access to a system: for the quarterly close, ..."
    chat = users[lang]
    async with seeded.session() as s:
        await resolve_person(s, channel="rest", external_id="li-na", name="李娜", email="li.na@corp.example")
    opening, level, _ = ACCESS[lang]
    await chat.say(opening)
    system = chat.payloads[0]
    await chat.say(said)
    assert f"{reason}" in chat.text and chat.payloads == [system, "/answer"], chat.replies
    await chat.say(system)
    await chat.say(level)
    ref = re.search(r"REQ-\d+", chat.text)
    assert ref, chat.replies
    made = await ticket(seeded, ref[0])
    assert system in made.subject and reason not in made.subject and reason in made.description
    assert made.approval == "requested"


async def test_the_named_system_beside_the_approver_answers_the_question(
    users: dict[str, Chat], seeded: Desk
) -> None:
    chat = users["en"]
    await chat.say(ACCESS["en"][0])
    await chat.say("The finance shared drive, my manager is Tom Baker")
    level = request_kind(seeded, "access").questions[1]
    assert chat.text == level.en, chat.replies


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh", "财务部的共享盘，只读就可以"), ("en", "the shared drive of finance, read only is enough")],
)
async def test_the_system_in_other_words_beside_a_later_answer_answers_the_question(
    users: dict[str, Chat], seeded: Desk, lang: str, said: str
) -> None:
    # "财务部的共享盘，只读就可以" at "which system?", with "财务共享盘" one tap away, was doubted
    # as words beside the answer to "read only?" (2026-12-07): they name a share, the kind's own.
    chat = users[lang]
    await chat.say(ACCESS[lang][0])
    await chat.say(said)
    approver = request_kind(seeded, "access").questions[2]
    assert chat.text == getattr(approver, lang), chat.replies


async def test_a_request_made_through_the_api_names_its_approver(
    seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    # A request opened by the API (a form, another system) could not wait for anyone's yes
    # until an agent asked for it: it was handed out and its clocks ran.
    h = {"Authorization": tokens["agent"]}
    new = {"subject": "Adobe Acrobat Pro", "requester": {"email": "kim@corp.example"}, "type": "request"}
    made = await client.post("/api/v1/tickets", json={**new, "approver": "Tom Baker"}, headers=h)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (
        body["approval"]["state"] == "requested" and body["approval"]["approver"] == "tom.baker@example.com"
    )
    assert body["sla"]["response_due"] is None and body["assignee"] is None
    _, token = await mailed_link(seeded, "tom.baker@example.com")
    assert (await client.post(f"/approvals/{token}", data={"decision": "approved"})).status_code == 200
    assert (await ticket(seeded, body["ref"])).response_due is not None
    # Refused, nothing is made: an unknown approver, an incident, the requester's own address.
    for wrong in (
        {**new, "approver": "somebody"},
        {**new, "type": "incident", "approver": "Tom Baker"},
        {**new, "approver": "kim@corp.example"},
    ):
        refused = await client.post("/api/v1/tickets", json=wrong, headers=h)
        assert refused.status_code in (400, 422), refused.text
    listed = await client.get("/api/v1/tickets", headers=h)
    assert [i["ref"] for i in listed.json()["items"]] == [body["ref"]]


async def test_only_an_open_request_is_sent_for_approval(
    seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    h = {"Authorization": tokens["agent"]}
    incident = await client.post(
        "/api/v1/tickets",
        json={
            "subject": "VPN down",
            "description": "",
            "requester": {"email": "kim@corp.example"},
            "type": "incident",
        },
        headers=h,
    )
    ref = incident.json()["ref"]
    refused = await client.post(
        f"/api/v1/tickets/{ref}/approval", json={"approver": "tom.baker@example.com"}, headers=h
    )
    assert refused.status_code in (400, 422) and refused.json()["error"]["code"] == "not_a_request"
    nobody = await client.post(f"/api/v1/tickets/{ref}/approval", json={"approver": "somebody"}, headers=h)
    assert nobody.status_code in (400, 422)
    never = await client.post(
        f"/api/v1/tickets/{ref}/approval/decision", json={"decision": "approved"}, headers=h
    )
    assert never.status_code == 409


@pytest.mark.parametrize(
    ("said", "decision"),
    [
        ("Approved, thanks.", ("approved", "thanks")),
        ("No problem, go ahead", ("approved", "go ahead")),
        ("同意", ("approved", "")),
        ("Reject - no budget this year.", ("rejected", "no budget this year")),
        ("Not approved: too expensive", ("rejected", "too expensive")),
        ("不同意，预算不够", ("rejected", "预算不够")),
        # No decision: asked again rather than guessed.
        ("OK, but let me check with finance first", None),
        ("Let me think about it.", None),
    ],
)
def test_an_approvers_first_words_decide(said: str, decision: tuple[str, str] | None) -> None:
    assert decision_in(said) == decision


async def test_a_requester_does_not_approve_their_own_request(
    ann: Chat, seeded: Desk, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    ref = await ask_for_access(ann, seeded, "en", approver="my manager is ann@corp.example")
    made = await ticket(seeded, ref)
    assert made.approval is None and made.response_due is not None  # filed as any request, noted
    h = {"Authorization": tokens["agent"]}
    refused = await client.post(
        f"/api/v1/tickets/{ref}/approval", json={"approver": "ann@corp.example"}, headers=h
    )
    assert refused.status_code in (400, 422) and refused.json()["error"]["code"] == "own_request"


async def test_an_approver_who_does_not_answer_is_asked_once_more_with_a_new_link(
    ann: Chat, seeded: Desk, client: httpx.AsyncClient, clock: Clock
) -> None:
    ref = await ask_for_access(ann, seeded, "en")
    _, first = await mailed_link(seeded, "tom.baker@example.com")
    clock.advance(days=1)
    assert (await run_due(seeded, APPROVAL_JOBS))["remind_approvers"] == 0  # not yet
    clock.advance(days=1, minutes=1)
    assert (await run_due(seeded, APPROVAL_JOBS))["remind_approvers"] == 1
    subject, second = await mailed_link(seeded, "tom.baker@example.com")
    assert subject.startswith("Reminder: [") and second != first
    assert (await client.get(f"/approvals/{first}")).status_code == 404  # replaced by the new one
    clock.advance(days=3)
    assert (await run_due(seeded, APPROVAL_JOBS))["remind_approvers"] == 0  # once
    assert (await client.post(f"/approvals/{second}", data={"decision": "approved"})).status_code == 200
    assert (await ticket(seeded, ref)).approval == "approved"


@pytest.mark.parametrize("lang", LANGS)
async def test_when_the_reminder_goes_unanswered_too_the_team_and_the_requester_are_told(
    users: dict[str, Chat], seeded: Desk, clock: Clock, lang: str
) -> None:
    # After the reminder nobody heard of an approver's silence: the request sat badged in its
    # group's list, where the team could have asked someone else, and the requester waited.
    chat = users[lang]
    ref = await ask_for_access(chat, seeded, lang)
    await chat.fetch()
    clock.advance(days=2, minutes=1)
    assert (await run_due(seeded, APPROVAL_JOBS)) == {"remind_approvers": 1, "tell_of_silent_approvers": 0}
    clock.advance(days=1)
    assert (await run_due(seeded, APPROVAL_JOBS))["tell_of_silent_approvers"] == 0  # not yet
    assert await chat.fetch() == []
    clock.advance(days=1)
    assert (await run_due(seeded, APPROVAL_JOBS))["tell_of_silent_approvers"] == 1
    [told] = await chat.fetch()
    async with seeded.session() as s:
        made = await get_ticket(s, ref)
        asked = (await s.scalar(select(Approval.requested_at))).replace(tzinfo=UTC)
        when = format_due(seeded, made, asked)
        expected = desk_t(
            lang, "approval.overdue", ref=ref, subject=made.subject, who="Tom Baker", asked=when
        )
    assert told["text"] == expected
    async with seeded.session() as s:
        notes = list(await s.scalars(select(Notification).where(Notification.kind == "approval_overdue")))
        team = {(await s.get(Agent, n.agent_id)).email for n in notes}
        events = await s.scalars(select(TicketEvent.action).where(TicketEvent.action.like("approval_%")))
    assert team == {"maria.garcia@example.com"} and all(ref in n.text for n in notes)
    assert list(events) == ["approval_requested", "approval_reminded", "approval_overdue"]
    clock.advance(days=5)
    assert (await run_due(seeded, APPROVAL_JOBS)) == {"remind_approvers": 0, "tell_of_silent_approvers": 0}


async def test_the_approver_of_a_request_cancelled_meanwhile_is_not_reminded(
    ann: Chat, seeded: Desk, client: httpx.AsyncClient, clock: Clock
) -> None:
    ref = await ask_for_access(ann, seeded, "en")
    _, token = await mailed_link(seeded, "tom.baker@example.com")
    await ann.say(f"/cancel_yes {ref}")  # the requester no longer needs it
    assert (await ticket(seeded, ref)).status == "cancelled"
    clock.advance(days=3)
    assert (await run_due(seeded, APPROVAL_JOBS))["remind_approvers"] == 0
    page = await client.get(f"/approvals/{token}")
    assert "no longer waits for approval" in page.text and 'value="approved"' not in page.text
    assert (await client.post(f"/approvals/{token}", data={"decision": "approved"})).status_code == 409


async def test_a_request_handed_to_a_person_still_goes_to_its_approver(ann: Chat, seeded: Desk) -> None:
    # Its approver named early, the user asks for a person before the last question: the request
    # was filed for the agent without the ask, which nobody then sent.
    opening, _, manager = ACCESS["en"]
    await ann.say(opening)
    await ann.say(ann.payloads[0])
    await ann.say(manager)  # at "read only, or read and write?": kept for "who approves it?"
    assert ann.replies[0]["text"] == t("en", "request.noted", answer=manager)
    await ann.say("can I talk to a person please")
    made = await ticket(seeded, "REQ-1")
    assert made.approval == "requested"
    _, token = await mailed_link(seeded, "tom.baker@example.com")
    assert token


async def test_a_manager_named_in_chinese_whom_the_desk_knows_is_asked(
    wang: Chat, seeded: Desk, client: httpx.AsyncClient
) -> None:
    # "我的经理是李娜" named nobody: the English lead matched nothing at the start, so the
    # Chinese one was never taken off, and "我的经理是李娜" was looked up as a name.
    li = Chat(client, "li-na-web", name="李娜", email="li.na@corp.example")
    await li.say("你好")
    opening, level, _ = ACCESS["zh"]
    await wang.say(opening)
    await wang.say(wang.payloads[0])
    await wang.say(level)
    await wang.say("我的经理是李娜")
    assert "/answer" in wang.payloads  # no address: questioned once
    await wang.say("/answer")
    made = await ticket(seeded, "REQ-1")
    assert made.approval == "requested"
    assert wang.text == t("zh", "request.created.approval", ref="REQ-1", subject=made.subject, who="李娜")
    asked = (await li.fetch())[-1]
    assert "REQ-1" in asked["text"] and [b["payload"] for b in asked["buttons"]] == [
        "/approve REQ-1",
        "/reject REQ-1",
    ]
