"""Agents are told what needs them: assignments by someone else, low ratings for the manager."""

from __future__ import annotations

import httpx

from desk.agents import find_agent
from desk.context import Actor, Desk
from desk.notifications import list_notifications
from desk.people import resolve_person
from desk.surveys import rate_ticket
from desk.tickets import change_ticket, create_ticket, resolve_ticket


async def texts(desk: Desk, email: str) -> list[str]:
    async with desk.session() as s:
        return [n.text for n in await list_notifications(s, await find_agent(s, email))]


async def test_assignment_by_someone_else_notifies_the_assignee(seeded: Desk) -> None:
    async with seeded.session() as s:
        ann = await resolve_person(s, email="ann@corp.example")
        maria = await find_agent(s, "maria.garcia@example.com")
        tom = await find_agent(s, "tom.baker@example.com")
        t1 = await create_ticket(
            s, seeded, Actor.bot(), requester=ann, subject="Printer jams", category="printer"
        )
        await change_ticket(s, seeded, Actor("agent", maria.id, maria.name), t1, {"assignee": tom.email})
        t2 = await create_ticket(
            s, seeded, Actor.bot(), requester=ann, subject="Toner empty", category="printer"
        )
        await change_ticket(
            s, seeded, Actor("agent", tom.id, tom.name), t2, {"assignee": tom.email}
        )  # took it himself
    assert await texts(seeded, "tom.baker@example.com") == [
        'INC-1 "Printer jams" was assigned to you by Maria Garcia.'
    ]


async def test_a_low_rating_notifies_the_groups_manager_in_their_language(seeded: Desk) -> None:
    async with seeded.session() as s:
        ann = await resolve_person(s, email="ann@corp.example")
        ticket = await create_ticket(
            s, seeded, Actor.bot(), requester=ann, subject="VPN drops", category="network/vpn"
        )
        await resolve_ticket(s, seeded, Actor.system(), ticket, "Reinstalled the client")
        await rate_ticket(s, seeded, Actor("requester", ann.id, "Ann"), ticket, 2)
    # Network's manager is Zhang Min, who reads Chinese.
    assert await texts(seeded, "zhang.min@example.com") == ["INC-1「VPN drops」被报修人评为 2 分，请跟进。"]


async def test_notifications_api(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    admin, agent = {"Authorization": tokens["admin"]}, {"Authorization": tokens["agent"]}
    made = await client.post(
        "/api/v1/tickets",
        json={"subject": "Mouse broken", "requester": {"email": "ann@corp.example"}},
        headers=admin,
    )
    ref = made.json()["ref"]
    await client.patch(f"/api/v1/tickets/{ref}", json={"assignee": "agent@test.example"}, headers=admin)
    unread = (await client.get("/api/v1/notifications?unread=true", headers=agent)).json()["items"]
    assert [(n["kind"], n["ticket"]) for n in unread] == [("assigned", ref)]
    assert ref in unread[0]["text"]
    assert (
        await client.post(f"/api/v1/notifications/{unread[0]['id']}/read", headers=admin)
    ).status_code == 404
    assert (await client.post(f"/api/v1/notifications/{unread[0]['id']}/read", headers=agent)).json() == {
        "marked": 1
    }
    assert (await client.get("/api/v1/notifications?unread=true", headers=agent)).json()["items"] == []
    assert len((await client.get("/api/v1/notifications", headers=agent)).json()["items"]) == 1
    assert (await client.post("/api/v1/notifications/read", headers=agent)).json() == {"marked": 0}
    assert (await client.get("/api/v1/notifications")).status_code == 401
