"""Major-incident bulletins on both databases: affected requesters only, once each, their language."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from desk.context import Actor, Desk
from desk.models import OutboxItem, TicketEvent
from desk.people import resolve_person
from desk.tickets import create_ticket, get_ticket, link_to_problem, resolve_ticket

AGENT = Actor("agent", None, "Agent")


async def test_a_bulletin_reaches_each_affected_requester_once_in_their_language(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    async with seeded.session() as s:
        ann = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        wang = await resolve_person(
            s, channel="email", external_id="wang@corp.example", email="wang@corp.example"
        )
        bob = await resolve_person(
            s, channel="email", external_id="bob@corp.example", email="bob@corp.example"
        )
        vpn1 = await create_ticket(
            s, seeded, AGENT, requester=ann, subject="VPN drops", category="network/vpn"
        )
        vpn2 = await create_ticket(s, seeded, AGENT, requester=ann, subject="VPN slow", category="network")
        zh = await create_ticket(
            s, seeded, AGENT, requester=wang, subject="VPN 连不上", category="network/vpn", language="zh"
        )
        printer = await create_ticket(s, seeded, AGENT, requester=bob, subject="Printer", category="printer")
        done = await create_ticket(
            s, seeded, AGENT, requester=bob, subject="Old VPN issue", category="network/vpn"
        )
        await resolve_ticket(s, seeded, AGENT, done, "Fixed")
        refs = vpn1.ref, vpn2.ref, zh.ref, printer.ref
    body = {
        "text": {"en": "The VPN gateway is down; we are on it.", "zh": "VPN 网关故障，正在处理。"},
        "category": "network",
    }
    r = await client.post("/api/v1/broadcasts", json=body, headers={"Authorization": tokens["agent"]})
    assert r.status_code == 403  # supervisors and admins only
    before = await _outbox(seeded)
    r = await client.post("/api/v1/broadcasts", json=body, headers={"Authorization": tokens["supervisor"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"recipients": 2, "unreachable": 0, "tickets": [refs[0], refs[1], refs[2]]}
    sent = (await _outbox(seeded))[len(before) :]
    assert sorted(sent) == sorted([
        f"[{refs[0]}, {refs[1]}] The VPN gateway is down; we are on it.", f"[{refs[2]}] VPN 网关故障，正在处理。",
    ])  # fmt: skip
    async with seeded.session() as s:
        t = await get_ticket(s, refs[1])
        assert await s.scalar(
            select(TicketEvent.note).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "broadcast")
        )
    bad = await client.post(
        "/api/v1/broadcasts", json={"text": {"fr": "x"}}, headers={"Authorization": tokens["admin"]}
    )
    assert bad.status_code == 422
    everyone = await client.post(
        "/api/v1/broadcasts", json={"text": "Maintenance tonight"}, headers={"Authorization": tokens["admin"]}
    )
    assert everyone.json()["recipients"] == 3  # every requester with an open ticket


async def test_a_problems_update_reaches_the_requesters_of_its_open_incidents(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    async with seeded.session() as s:
        people = [
            await resolve_person(s, channel="email", external_id=a, email=a)
            for a in ("ann@corp.example", "bob@corp.example", "cai@corp.example")
        ]
        made = [
            await create_ticket(s, seeded, AGENT, requester=p, subject="SAP error 500", category="erp")
            for p in people
        ]
        other = await create_ticket(s, seeded, AGENT, requester=people[2], subject="SAP slow", category="erp")
        problem = await create_ticket(s, seeded, AGENT, requester=people[0], subject="SAP", type="problem")
        for incident in made[:2]:
            await link_to_problem(s, seeded, AGENT, problem, incident)
        refs = [t.ref for t in made[:2]]
        assert other.problem_id is None
    auth = {"Authorization": tokens["supervisor"]}
    before = await _outbox(seeded)
    r = await client.post(
        "/api/v1/broadcasts", json={"text": "Fix due at 15:00", "problem": "prb-1"}, headers=auth
    )
    assert r.json() == {"recipients": 2, "unreachable": 0, "tickets": refs}
    assert (await _outbox(seeded))[len(before) :] == [f"[{ref}] Fix due at 15:00" for ref in refs]
    for wrong, status in (("PRB-9", 404), ("INC-1", 422)):
        r = await client.post("/api/v1/broadcasts", json={"text": "x", "problem": wrong}, headers=auth)
        assert r.status_code == status, r.text


async def _outbox(desk: Desk) -> list[str]:
    async with desk.session() as s:
        return [o.payload["text"] for o in await s.scalars(select(OutboxItem).order_by(OutboxItem.id))]
