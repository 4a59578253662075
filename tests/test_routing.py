"""Routing on both databases: strategies, shifts, capacity, the waiting queue, acknowledgement,
conversations offered to agents, manual assign/forward/return, and two processes at once."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence

import httpx
import pytest
from sqlalchemy import func, select

from bots.wiring import Runtime, start_background
from channels.base import Address, Inbound
from desk.agents import create_agent, find_agent, find_group
from desk.catalog import category_named, find_category, precise_category, problem_categories
from desk.context import Actor, Desk
from desk.conversations import record_inbound
from desk.handoff import queue_conversation, take_over
from desk.models import Conversation, Notification, Person, Ticket, TicketEvent
from desk.people import resolve_person
from desk.routing import (
    acknowledge_ticket,
    expire_presence,
    expire_unacknowledged,
    route_waiting,
    set_presence,
    waiting_queue,
)
from desk.tickets import create_ticket, get_ticket, resolve_ticket
from tests.conftest import ROOT, Clock, make_settings

API = Actor("system", None, "test")
TOM, MARIA, LI, PRIYA, ZHANG = (
    "tom.baker@example.com",
    "maria.garcia@example.com",
    "li.wei@example.com",
    "priya.patel@example.com",
    "zhang.min@example.com",
)


async def online(desk: Desk, *emails: str, capacity: int | None = None, calendar: str | None = None) -> None:
    async with desk.session() as s:
        for email in emails:
            agent = await find_agent(s, email)
            await set_presence(s, desk, agent, True)
            if capacity is not None:
                agent.capacity = capacity
            if calendar is not None:
                agent.calendar = calendar


async def open_tickets(desk: Desk, *specs: tuple[str, str, str]) -> list[str]:
    """(category, impact, urgency) per ticket, one second apart."""
    refs = []
    for i, (category, impact, urgency) in enumerate(specs):
        async with desk.session() as s:
            ann = await resolve_person(
                s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
            )
            t = await create_ticket(
                s,
                desk,
                API,
                requester=ann,
                subject=f"T{i}",
                category=category,
                impact=impact,
                urgency=urgency,
            )
            refs.append(t.ref)
        desk.clock.advance(seconds=1)  # type: ignore[attr-defined]
    return refs


async def assignees(desk: Desk, refs: Sequence[str]) -> list[str | None]:
    async with desk.session() as s:
        return [(t.assignee.email if t.assignee else None) for t in [await get_ticket(s, r) for r in refs]]


async def events(desk: Desk, ref: str, action: str) -> list[TicketEvent]:
    async with desk.session() as s:
        ticket = await get_ticket(s, ref)
        return list(
            await s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == action)
            )
        )


async def test_with_nobody_available_work_waits_by_priority_then_age(seeded: Desk) -> None:
    refs = await open_tickets(
        seeded, ("printer", "low", "low"), ("printer", "high", "medium"), ("printer", "medium", "medium"),
        ("printer", "high", "medium"),
    )  # fmt: skip
    assert await route_waiting(seeded) == 0
    async with seeded.session() as s:
        queue = await waiting_queue(s, seeded, await find_group(s, "Service Desk"))
    assert [(w.ticket.ref, w.priority) for w in queue if w.ticket] == [
        (refs[1], "P2"), (refs[3], "P2"), (refs[2], "P3"), (refs[0], "P4"),
    ]  # fmt: skip


async def test_round_robin_takes_turns_among_available_members(seeded: Desk) -> None:
    await online(seeded, TOM, MARIA)
    refs = await open_tickets(seeded, *[("printer", "medium", "medium")] * 4)
    assert await route_waiting(seeded) == 4
    got = await assignees(seeded, refs)
    assert Counter(got) == {TOM: 2, MARIA: 2}
    assert got[0] != got[1] and got[1] != got[2]  # turns, not blocks
    async with seeded.session() as s:
        ticket = await get_ticket(s, refs[0])
        assert ticket.status == "assigned" and ticket.assigned_at == seeded.now()
        note = await s.scalar(select(Notification).where(Notification.ticket_id == ticket.id))
    assert note is not None and refs[0] in note.text
    [routed] = await events(seeded, refs[0], "routed")
    assert routed.note is not None and routed.note.startswith("round_robin in Service Desk")


async def test_capacity_holds_work_back_until_the_agent_is_free_then_highest_priority_first(
    seeded: Desk,
) -> None:
    await online(seeded, TOM, capacity=1)
    low, urgent, middle = await open_tickets(
        seeded, ("printer", "low", "low"), ("printer", "high", "high"), ("printer", "medium", "high")
    )
    assert await route_waiting(seeded) == 1
    assert await assignees(seeded, [low, urgent, middle]) == [None, TOM, None]
    seeded.route_event.clear()
    async with seeded.session() as s:
        await resolve_ticket(
            s, seeded, Actor("agent", None, "Tom"), await get_ticket(s, urgent), "Replaced the fuser"
        )
    assert seeded.route_event.is_set()  # the commit woke the router: Tom is free
    assert await route_waiting(seeded) == 1
    assert await assignees(seeded, [low, middle]) == [None, TOM]


async def test_only_agents_on_shift_get_work(seeded: Desk, clock: Clock) -> None:
    await online(seeded, TOM)
    clock.advance(hours=10)  # 20:00 in Shanghai: the office calendar is closed
    [ref] = await open_tickets(seeded, ("printer", "medium", "medium"))
    assert await route_waiting(seeded) == 0
    await online(seeded, MARIA, calendar="always")  # Maria's own shift covers the night
    assert await route_waiting(seeded) == 1
    assert await assignees(seeded, [ref]) == [MARIA]


async def test_least_loaded_prefers_the_agent_with_room(seeded: Desk) -> None:
    await online(seeded, PRIYA)
    first = await open_tickets(seeded, ("network", "medium", "medium"), ("network", "medium", "medium"))
    assert await route_waiting(seeded) == 2
    await online(seeded, ZHANG)
    [fresh] = await open_tickets(seeded, ("network", "medium", "medium"))
    assert await route_waiting(seeded) == 1
    assert await assignees(seeded, [*first, fresh]) == [PRIYA, PRIYA, ZHANG]


async def test_skills_pick_the_agent_who_knows_the_system(seeded: Desk) -> None:
    async with seeded.session() as s:
        for email, skills in (("erp.expert@example.com", ["erp"]), ("mail.expert@example.com", ["email"])):
            await create_agent(
                s, email=email, name=email, groups=["Applications"], skills=skills, calendar="office"
            )
    await online(seeded, "erp.expert@example.com", "mail.expert@example.com")
    mail, erp, software = await open_tickets(
        seeded, ("email", "medium", "medium"), ("erp", "medium", "medium"), ("software", "medium", "medium")
    )
    assert await route_waiting(seeded) == 3
    got = await assignees(seeded, [mail, erp, software])
    assert got[:2] == ["mail.expert@example.com", "erp.expert@example.com"]
    assert got[2] is not None  # nobody knows "software": someone still gets it rather than nobody


async def test_an_unacknowledged_assignment_goes_back_and_to_someone_else(seeded: Desk, clock: Clock) -> None:
    await online(seeded, TOM)
    taken, ignored = await open_tickets(
        seeded, ("printer", "medium", "medium"), ("printer", "medium", "medium")
    )
    await route_waiting(seeded)
    async with seeded.session() as s:
        await acknowledge_ticket(s, seeded, await find_agent(s, TOM), await get_ticket(s, taken))
    clock.advance(minutes=29)
    assert await expire_unacknowledged(seeded) == 0
    clock.advance(minutes=2)
    assert await expire_unacknowledged(seeded) == 1
    assert await expire_unacknowledged(seeded) == 0  # once
    async with seeded.session() as s:
        ticket = await get_ticket(s, ignored)
        assert (ticket.status, ticket.assignee_id) == ("new", None)
        tom = await find_agent(s, TOM)
        assert ticket.passed_over == [tom.id]
        assert (await get_ticket(s, taken)).status == "in_progress"  # acknowledged: stays
    [lapsed] = await events(seeded, ignored, "unacknowledged")
    assert lapsed.note is not None and TOM in lapsed.note
    await online(seeded, MARIA)
    assert await route_waiting(seeded) == 1
    assert await assignees(seeded, [ignored]) == [MARIA]  # Tom let it lapse: others first


async def test_a_waiting_conversation_is_offered_then_withdrawn_if_not_taken(
    seeded: Desk, clock: Clock
) -> None:
    async with seeded.session() as s:
        rec = await record_inbound(
            s, seeded, Inbound(Address("telegram", "501"), "501", "人工", "u-1", name="王伟"), language="zh"
        )
        await queue_conversation(s, seeded, rec.conversation)
        conversation_id = rec.conversation.id
    await online(seeded, TOM)
    assert await route_waiting(seeded) == 1
    async with seeded.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        tom = await find_agent(s, TOM)
        assert conversation is not None
        assert (conversation.mode, conversation.agent_id) == ("queued", tom.id)
        note = await s.scalar(select(Notification).where(Notification.agent_id == tom.id))
        assert note is not None and "王伟" in note.text
    clock.advance(minutes=3)
    assert await expire_unacknowledged(seeded) == 1
    await online(seeded, MARIA)
    assert await route_waiting(seeded) == 1
    async with seeded.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        maria = await find_agent(s, MARIA)
        assert conversation is not None and conversation.agent_id == maria.id
        assert conversation.passed_over == [tom.id]
        await take_over(s, seeded, conversation, maria)
        assert (conversation.mode, conversation.offered_at) == ("agent", None)


async def test_the_default_group_is_named_in_any_case_in_every_line(seeded: Desk) -> None:
    """``desk.default_group`` is matched case-insensitively, as tickets already were: a
    conversation waiting without a group counts in that group's line, for its place and for
    routing, whatever the case of the setting."""
    seeded.settings.desk.default_group = " service DESK "
    async with seeded.session() as s:
        rec = await record_inbound(
            s, seeded, Inbound(Address("telegram", "502"), "502", "人工", "u-2", name="王伟"), language="zh"
        )
        slot = await queue_conversation(s, seeded, rec.conversation)
        assert (rec.conversation.group_id, slot.position) == (None, 1)
        desk_group = await find_group(s, "Service Desk")
        assert [w.conversation for w in await waiting_queue(s, seeded, desk_group)] == [rec.conversation]
        assert await waiting_queue(s, seeded, await find_group(s, "Network")) == []
        conversation_id = rec.conversation.id
    await online(seeded, TOM)
    assert await route_waiting(seeded) == 1
    async with seeded.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        assert conversation is not None and conversation.agent_id == (await find_agent(s, TOM)).id


@pytest.mark.parametrize(
    ("named", "text", "precise"),
    [
        ("network", "can't connect to the Wi-Fi", "network/wifi"),
        ("network", "无线网络连不上", "network/wifi"),
        ("network", "the VPN and the wifi are both down", "network"),  # two branches: no guess
        ("network", "the internet is slow", "network"),  # only the category's own keyword
        ("hardware", "my notebooks fan is loud", "hardware/laptop"),
        ("network/vpn", "remote access over the wifi", "network/vpn"),  # nothing inside it
        ("accounts", "I want to plan a new account", "accounts"),  # "plan" is not "lan"
    ],
)
async def test_keywords_make_the_category_read_from_a_message_precise(
    seeded: Desk, named: str, text: str, precise: str
) -> None:
    async with seeded.session() as s:
        assert await precise_category(s, await find_category(s, named), text) == precise
        wifi = await find_category(s, "network/wifi")
        wifi.active = False  # a retired category is not chosen
        assert await precise_category(s, await find_category(s, "network"), "wifi is down") == "network"


@pytest.mark.parametrize(
    ("named", "about"),
    [
        (["hardware/laptop", "network/wifi"], ["network/wifi"]),  # "my laptop can't connect to the wifi"
        (["email", "hardware"], ["email"]),  # "outlook keeps crashing on my laptop"
        (["network", "network/wifi"], ["network/wifi"]),  # a chain: the most precise
        (["network/wifi", "network"], ["network/wifi"]),
        (["network/vpn", "accounts"], ["network/vpn", "accounts"]),  # "我的VPN密码忘了": both, in order
        (["hardware/laptop", "hardware"], ["hardware/laptop"]),  # only devices: the most precise
        (["hardware", "printer", "hardware"], ["printer"]),
        ([], []),
    ],
)
def test_a_message_naming_several_categories_is_about_those_that_fail(
    named: list[str], about: list[str]
) -> None:
    assert problem_categories(named, ["Hardware "]) == about
    if named and named[0] == "hardware/laptop":
        assert problem_categories(named, [])[0] == "hardware/laptop"  # no devices configured: the first


@pytest.mark.parametrize(
    ("named", "about"),
    [
        (
            ["software", "hardware/laptop"],
            ["hardware/laptop", "software"],
        ),  # "after the update my laptop won't boot"
        (["hardware", "network/vpn"], ["hardware", "network/vpn"]),
        (
            ["hardware/laptop", "security/virus"],
            ["security/virus", "hardware/laptop"],
        ),  # foremost still first
        (["email"], ["email"]),
    ],
)
def test_a_device_that_is_itself_dead_comes_first_and_keeps_the_rest(
    named: list[str], about: list[str]
) -> None:
    assert problem_categories(named, ["hardware"], ["security"], device_fails=True) == about


@pytest.mark.parametrize(
    ("named", "about"),
    [
        (
            ["email", "accounts", "security"],
            ["security", "email", "accounts"],
        ),  # a phishing mail for a password
        (["hardware/laptop", "security/virus"], ["security/virus"]),  # "my laptop has a virus"
        (["network/vpn", "accounts"], ["network/vpn", "accounts"]),  # none foremost: in the order named
    ],
)
def test_a_foremost_category_comes_first_whatever_is_named_before_it(
    named: list[str], about: list[str]
) -> None:
    assert problem_categories(named, ["hardware"], ["Security"]) == about


async def test_the_nlus_name_for_a_category_may_be_one_of_its_keywords(seeded: Desk) -> None:
    async with seeded.session() as s:
        found = [await category_named(s, name) for name in ("vpn", "Network/VPN", "account", "nothing")]
        assert [c.path if c else None for c in found] == ["network/vpn", "network/vpn", "accounts", None]
        accounts = await find_category(s, "accounts")
        accounts.active = False  # a retired category stands for nothing, by name or by keyword
        await s.flush()
        assert await category_named(s, "account") is None
        assert await category_named(s, "accounts") is None


async def test_a_handed_off_ticket_goes_with_its_conversation_and_taking_it_over_acknowledges(
    seeded: Desk,
) -> None:
    async with seeded.session() as s:
        rec = await record_inbound(s, seeded, Inbound(Address("rest", "u9"), "u9", "help", "m-1", name="Ann"))
        ann = await s.get(Person, rec.conversation.person_id)
        assert ann is not None
        ticket = await create_ticket(
            s, seeded, Actor.bot(), requester=ann, subject="Printer jams", category="printer"
        )
        await queue_conversation(s, seeded, rec.conversation, ticket=ticket)
        ref, conversation_id = ticket.ref, rec.conversation.id
    await online(seeded, TOM)
    assert await route_waiting(seeded) == 1  # one item: the conversation, not also its ticket
    async with seeded.session() as s:
        conversation = await s.get(Conversation, conversation_id)
        assert conversation is not None
        await take_over(s, seeded, conversation, await find_agent(s, TOM))
    async with seeded.session() as s:
        ticket = await get_ticket(s, ref)
        assert (ticket.status, ticket.assignee.email if ticket.assignee else None) == ("in_progress", TOM)


async def test_presence_routes_at_once_and_expires_when_unseen(seeded: Desk, clock: Clock) -> None:
    [ref] = await open_tickets(seeded, ("printer", "medium", "medium"))
    seeded.route_event.clear()
    await online(seeded, TOM)
    assert seeded.route_event.is_set()
    await route_waiting(seeded)
    assert await assignees(seeded, [ref]) == [TOM]
    clock.advance(minutes=4)
    assert await expire_presence(seeded) == 0
    clock.advance(minutes=2)
    assert await expire_presence(seeded) == 1
    async with seeded.session() as s:
        assert not (await find_agent(s, TOM)).online


async def test_manual_assign_forward_and_return_are_audited_with_reasons(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    [ref] = await open_tickets(seeded, ("printer", "medium", "medium"))
    sup, agent = {"Authorization": tokens["supervisor"]}, {"Authorization": tokens["agent"]}
    r = await client.post(f"/api/v1/tickets/{ref}/assign", json={"agent": "agent@test.example", "reason": "knows the model"}, headers=sup)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["assignee"]["email"] == "agent@test.example" and r.json()["status"] == "assigned"
    r = await client.post(f"/api/v1/tickets/{ref}/assign", json={"agent": ZHANG}, headers=sup)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_in_group"
    r = await client.post(f"/api/v1/tickets/{ref}/assign", json={"agent": "me"}, headers=agent)  # who calls
    assert r.status_code == 200 and r.json()["assignee"]["email"] == "agent@test.example", r.text
    r = await client.post(f"/api/v1/tickets/{ref}/acknowledge", headers=agent)
    assert r.json()["status"] == "in_progress"
    r = await client.post(f"/api/v1/tickets/{ref}/return", json={"reason": ""}, headers=agent)
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = await client.post(
        f"/api/v1/tickets/{ref}/return", json={"reason": "needs on-site visit"}, headers=sup
    )
    assert r.status_code == 200  # a supervisor may return someone else's ticket
    body = r.json()
    assert (body["status"], body["assignee"]) == ("new", None)
    r = await client.post(f"/api/v1/tickets/{ref}/return", json={"reason": "again"}, headers=agent)
    assert r.status_code == 409
    r = await client.post(f"/api/v1/tickets/{ref}/forward", json={"group": "Network", "reason": "switch port is dead"}, headers=agent)  # fmt: skip
    body = r.json()
    assert (body["group"]["name"], body["status"], body["assignee"]) == ("Network", "new", None)
    actions = [
        (e["action"], e["note"])
        for e in body["events"]
        if e["action"] in ("assigned", "returned", "forwarded")
    ]
    assert actions == [
        ("assigned", "knows the model"), ("returned", "needs on-site visit"), ("forwarded", "switch port is dead"),
    ]  # fmt: skip
    r = await client.post(
        f"/api/v1/tickets/{ref}/forward", json={"group": "Network", "reason": "x"}, headers=agent
    )
    assert r.status_code == 422


async def test_queue_and_presence_api(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    await open_tickets(seeded, ("printer", "low", "low"), ("printer", "high", "high"))
    headers = {"Authorization": tokens["agent"]}
    r = await client.get("/api/v1/queue", params={"group": "Service Desk"}, headers=headers)
    [group] = r.json()["groups"]
    assert [i["priority"] for i in group["items"]] == ["P1", "P4"] and group["available"] == []
    r = await client.put("/api/v1/me/presence", json={"online": True}, headers=headers)
    assert r.status_code == 200 and r.json()["online"] is True
    r = await client.get("/api/v1/queue", params={"group": "Service Desk"}, headers=headers)
    assert [a["email"] for a in r.json()["groups"][0]["available"]] == ["agent@test.example"]
    r = await client.patch("/api/v1/groups/Service Desk", json={"routing": "least_loaded"}, headers=headers)
    assert r.status_code == 403
    admin = {"Authorization": tokens["admin"]}
    r = await client.patch("/api/v1/groups/Service Desk", json={"routing": "nonsense"}, headers=admin)
    assert r.status_code == 422
    r = await client.patch("/api/v1/groups/Service Desk", json={"routing": "least_loaded"}, headers=admin)
    assert r.json()["routing"] == "least_loaded"
    r = await client.patch(
        "/api/v1/agents/agent@test.example", json={"capacity": 2, "calendar": "nope"}, headers=admin
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_calendar"
    r = await client.patch(
        "/api/v1/agents/agent@test.example", json={"capacity": 2, "skills": ["printer"]}, headers=admin
    )
    assert (r.json()["capacity"], r.json()["skills"]) == (2, ["printer"])
    r = await client.post("/api/v1/auth/logout", headers=headers)
    async with seeded.session() as s:
        assert not (await find_agent(s, "agent@test.example")).online


async def test_a_group_is_renamed_unless_the_configuration_names_it(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    [ref] = await open_tickets(seeded, ("network", "medium", "medium"))
    admin = {"Authorization": tokens["admin"]}
    r = await client.patch("/api/v1/groups/Network", json={"name": "  Network and  Telecom "}, headers=admin)
    assert r.status_code == 200 and r.json()["name"] == "Network and Telecom"
    async with seeded.session() as s:  # what the group holds stays with it
        assert (await get_ticket(s, ref)).group.name == "Network and Telecom"
    r = await client.patch("/api/v1/groups/Network and Telecom", json={"name": "service desk"}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"  # taken, case aside
    r = await client.patch("/api/v1/groups/Network and Telecom", json={"name": " "}, headers=admin)
    assert r.status_code == 422
    # desk.default_group names "Service Desk": renamed in the database only, new tickets of no
    # category's group would find no group.
    r = await client.patch("/api/v1/groups/Service Desk", json={"name": "First Line"}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "group_in_config"
    assert "desk.default_group" in r.json()["error"]["message"]
    r = await client.patch("/api/v1/groups/Service Desk", json={"name": "SERVICE DESK"}, headers=admin)
    assert r.status_code == 200 and r.json()["name"] == "SERVICE DESK"  # the configuration reads it alike
    r = await client.patch(
        "/api/v1/groups/Network and Telecom", json={"name": "x"}, headers={"Authorization": tokens["agent"]}
    )
    assert r.status_code == 403


def test_the_configuration_says_where_it_names_a_group() -> None:
    settings = make_settings(
        "sqlite://",
        escalation={"levels": [{"name": "to network", "at": "100%", "forward_to": "network"}]},
        rules=[
            {
                "name": "wifi",
                "when": ["created"],
                "if": {"category": "network"},
                "then": [{"group": "Network"}],
            },
            {
                "name": "moved",
                "when": ["updated"],
                "if": {"group": ["Network", "Desktop"]},
                "then": [{"set": {"group": "Desktop"}}],
            },
        ],
    )
    assert settings.naming_group("NETWORK") == [
        "escalation.levels.0.forward_to (to network)",
        "rules (wifi): then.0",
        "rules (moved): if group",
    ]
    assert settings.naming_group("Desktop") == ["rules (moved): if group", "rules (moved): then.0"]
    assert settings.naming_group("Service Desk") == ["desk.default_group"]
    assert settings.naming_group("Printers") == []


@pytest.mark.postgres
async def test_two_processes_routing_one_group_never_exceed_capacity(pg_seeded: Desk, clock: Clock) -> None:
    desk = pg_seeded
    await online(desk, TOM, MARIA, capacity=5)
    await open_tickets(desk, *[("printer", "medium", "medium")] * 30)
    script = textwrap.dedent(f"""
        import asyncio, datetime, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.conftest import make_settings
        from desk.context import Desk
        from desk.db import Database
        from desk.routing import route_waiting
        async def main():
            settings = make_settings({desk.settings.database.url!r})
            now = datetime.datetime.fromisoformat({clock.now.isoformat()!r})
            d = Desk(settings=settings, db=Database(settings.database.url), clock=lambda: now)
            print(sum([await route_waiting(d) for _ in range(3)]))
            await d.db.dispose()
        asyncio.run(main())
    """)
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    assert sum(int(out.decode().strip()) for out, _ in outputs) == 10
    async with desk.session() as s:
        per_agent = dict(
            (
                await s.execute(
                    select(Ticket.assignee_id, func.count(Ticket.id))
                    .where(Ticket.assignee_id.is_not(None))
                    .group_by(Ticket.assignee_id)
                )
            ).all()
        )
    assert sorted(per_agent.values()) == [5, 5]


async def test_serve_runs_the_scheduler_and_a_woken_router(
    runtime: Runtime, seeded: Desk, clock: Clock
) -> None:
    """What `frontdesk serve` starts in the background: due work is done without anyone asking."""
    [overdue] = await open_tickets(seeded, ("printer", "medium", "medium"))
    async with seeded.session() as s:
        t = await get_ticket(s, overdue)
        await resolve_ticket(s, seeded, Actor("agent", None, "Tom"), t, "Fixed")
    clock.advance(days=7)  # a week later, Wednesday again: Tom is on shift
    stop = asyncio.Event()
    tasks = start_background(runtime, stop)
    try:

        async def settled() -> None:
            while True:
                async with seeded.session() as s:
                    if (await get_ticket(s, overdue)).status == "closed":
                        return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(settled(), 20)
        await online(seeded, TOM)
        [fresh] = await open_tickets(seeded, ("printer", "medium", "medium"))  # the commit wakes the router

        async def routed() -> None:
            while True:  # polling the database: nothing in this process to wait on
                if await assignees(seeded, [fresh]) == [TOM]:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(routed(), 20)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
