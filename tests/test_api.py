"""The agent API over HTTP on both databases: auth, roles, tickets, errors in the contract's shape."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from channels.base import Address, DeliveryError, Outbound
from desk.agents import find_agent, hash_password, issue_token
from desk.context import Desk
from desk.kb import search_articles
from desk.models import Agent, ApiToken, Notification, OutboxItem
from desk.outbox import deliver_due
from tests.conftest import Clock, error_of, make_settings

ANN = {"email": "ann@corp.example", "name": "Ann Lee"}


async def create(client: httpx.AsyncClient, auth: str, **fields: Any) -> dict[str, Any]:
    body = {"subject": "Cannot print", "requester": ANN, "category": "printer", **fields}
    response = await client.post("/api/v1/tickets", json=body, headers={"Authorization": auth})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_health_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    await client.get("/healthz")
    metrics = (await client.get("/metrics")).text
    assert 'frontdesk_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ref}", "/api/v1/tickets/{ref}/resolve", "/healthz"):
        assert path in spec["paths"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer fd_not-a-real-token"}, {"Authorization": "Basic YWxhZGRpbjpvcGVu"}],
)
async def test_missing_or_bad_token_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


async def test_revoked_token_is_401(client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk) -> None:
    auth = {"Authorization": tokens["agent"]}
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200
    async with seeded.session() as s:
        await s.execute(update(ApiToken).values(revoked_at=seeded.now()))
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401


async def test_roles_are_enforced(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    new = {"email": "new.agent@example.com", "name": "New Agent", "groups": ["Network"]}
    for role in ("agent", "supervisor"):
        response = await client.post("/api/v1/agents", json=new, headers={"Authorization": tokens[role]})
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    response = await client.post("/api/v1/agents", json=new, headers={"Authorization": tokens["admin"]})
    assert response.status_code == 201
    token = response.json()["token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "new.agent@example.com" and me.json()["groups"] == ["Network"]


async def test_ticket_round_trip_has_contract_fields(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    auth = tokens["agent"]
    made = await create(client, auth, impact="low", urgency="high", description="Paper jam on floor 3")
    assert made["ref"] == "INC-1"
    for key in ("ref", "type", "status", "priority", "impact", "urgency", "category", "subject", "description",
                "channel", "requester", "assignee", "group", "created_at", "first_response_at", "resolved_at",
                "closed_at", "sla", "csat"):  # fmt: skip
        assert key in made, key
    assert made["priority"] == "P3" and made["group"]["name"] == "Service Desk"
    assert set(made["requester"]) == {"id", "name", "email", "phone"}
    assert set(made["sla"]) >= {"response_due", "resolution_due", "response_breached", "resolution_breached"}
    assert made["created_at"].endswith("+00:00")
    got = (await client.get("/api/v1/tickets/inc-1", headers={"Authorization": auth})).json()
    assert got["events"][0]["action"] == "created" and got["messages"] == []


async def test_patch_assigns_and_refuses_bad_transitions(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    auth = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    bad = await client.patch("/api/v1/tickets/INC-1", json={"status": "closed"}, headers=auth)
    assert bad.status_code == 409
    assert error_of(bad)["code"] == "invalid_transition"
    ok = await client.patch(
        "/api/v1/tickets/INC-1",
        json={"assignee": "tom.baker@example.com", "group": "Service Desk"},
        headers=auth,
    )
    assert ok.status_code == 200 and ok.json()["status"] == "assigned"
    assert ok.json()["assignee"]["email"] == "tom.baker@example.com"
    unknown = await client.patch(
        "/api/v1/tickets/INC-1", json={"assignee": "nobody@example.com"}, headers=auth
    )
    assert unknown.status_code == 404
    extra = await client.patch("/api/v1/tickets/INC-1", json={"ref": "INC-9"}, headers=auth)
    assert extra.status_code == 422 and error_of(extra)["code"] == "invalid"
    cc = await client.patch(
        "/api/v1/tickets/INC-1",
        json={"cc": ["Bob Jones <Bob@Corp.example>", "bob@corp.example"]},
        headers=auth,
    )
    assert cc.status_code == 200 and cc.json()["cc"] == ["bob@corp.example"]
    events = (await client.get("/api/v1/tickets/INC-1", headers=auth)).json()["events"]
    assert any(e.get("field") == "cc" for e in events)
    for wrong in (["bob"], ["bob@corp"], [f"p{i}@corp.example" for i in range(21)]):
        refused = await client.patch("/api/v1/tickets/INC-1", json={"cc": wrong}, headers=auth)
        assert refused.status_code == 422 and error_of(refused)["code"] == "invalid_cc"


async def test_invalid_bodies_and_unknown_tickets(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    auth = {"Authorization": tokens["agent"]}
    missing = await client.post("/api/v1/tickets", json={"subject": "x"}, headers=auth)
    assert missing.status_code == 422 and "requester" in error_of(missing)["message"]
    broken = await client.post(
        "/api/v1/tickets", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    error_of(broken)
    naive = await client.post(
        "/api/v1/tickets",
        json={"subject": "x", "requester": ANN, "created_at": "2026-01-01T10:00:00"},
        headers=auth,
    )
    assert naive.status_code == 422
    nothing = await client.get("/api/v1/tickets/INC-404", headers=auth)
    assert nothing.status_code == 404 and error_of(nothing)["code"] == "not_found"
    route = await client.get("/api/v1/nowhere", headers=auth)
    assert route.status_code == 404
    error_of(route)
    category = await client.post(
        "/api/v1/tickets", json={"subject": "x", "requester": ANN, "category": "quantum"}, headers=auth
    )
    assert category.status_code == 404 and error_of(category)["code"] == "unknown_category"


async def test_list_filters_and_cursor(
    client: httpx.AsyncClient, tokens: dict[str, str], clock: Clock
) -> None:
    auth = tokens["agent"]
    for i in range(5):
        clock.advance(minutes=1)
        await create(client, auth, subject=f"Printer {i}")
    clock.advance(minutes=1)
    await create(
        client, auth, subject="VPN down", category="network/vpn", requester={"email": "bob@corp.example"}
    )
    await create(client, auth, subject="New keyboard", type="request")
    h = {"Authorization": auth}
    page1 = (await client.get("/api/v1/tickets?limit=3", headers=h)).json()
    assert [t["ref"] for t in page1["items"]] == ["REQ-1", "INC-6", "INC-5"]
    page2 = (await client.get(f"/api/v1/tickets?limit=3&cursor={page1['next']}", headers=h)).json()
    page3 = (await client.get(f"/api/v1/tickets?limit=3&cursor={page2['next']}", headers=h)).json()
    assert [t["ref"] for t in page2["items"] + page3["items"]] == ["INC-4", "INC-3", "INC-2", "INC-1"]
    assert page3["next"] is None

    async def refs(query: str) -> list[str]:
        response = await client.get(f"/api/v1/tickets?{query}", headers=h)
        assert response.status_code == 200, response.text
        return [t["ref"] for t in response.json()["items"]]

    assert await refs("type=request") == ["REQ-1"]
    assert await refs("group=Network") == ["INC-6"]
    assert await refs("requester=bob@corp.example") == ["INC-6"]
    assert await refs("q=vpn") == ["INC-6"]
    assert await refs("q=inc-2") == ["INC-2"]
    assert await refs("status=new,assigned&limit=100") == [
        "REQ-1",
        "INC-6",
        "INC-5",
        "INC-4",
        "INC-3",
        "INC-2",
        "INC-1",
    ]
    taken = await client.patch("/api/v1/tickets/INC-2", json={"assignee": "me"}, headers=h)  # who calls
    assert taken.status_code == 200 and taken.json()["assignee"]["email"] == "agent@test.example", taken.text
    assert await refs("assignee=me") == ["INC-2"]
    assert await refs("status=assigned") == ["INC-2"]
    assert len(await refs("assignee=none")) == 6
    bad = await client.get("/api/v1/tickets?status=sleeping", headers=h)
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_status"
    assert (await client.get("/api/v1/tickets?cursor=garbage!", headers=h)).status_code == 422


async def test_list_by_priority_channel_category_and_breach(
    client: httpx.AsyncClient, tokens: dict[str, str], clock: Clock
) -> None:
    auth = tokens["agent"]
    h = {"Authorization": auth}
    await create(
        client, auth, subject="VPN down for all", category="network/vpn", impact="high", urgency="high"
    )
    await create(client, auth, subject="Toner low")
    await create(client, auth, subject="Network slow", category="network")
    await create(client, auth, subject="New mouse", type="request", channel="email", category="hardware")

    async def listed(query: str) -> list[dict[str, Any]]:
        response = await client.get(f"/api/v1/tickets?{query}&limit=100", headers=h)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def refs(query: str) -> list[str]:
        return [t["ref"] for t in await listed(query)]

    assert await refs("priority=p1") == ["INC-1"]
    assert await refs("priority=P1,P3") == [
        t["ref"] for t in await listed("") if t["priority"] in ("P1", "P3")
    ]
    assert await refs("channel=email") == ["REQ-1"]
    assert await refs("channel=api,email") == ["REQ-1", "INC-3", "INC-2", "INC-1"]
    assert await refs("category=network") == ["INC-3", "INC-1"]  # with network/vpn inside it
    assert await refs("category=network/vpn") == ["INC-1"]
    assert await refs("category=quantum") == []
    assert await refs("breached=false") == ["REQ-1", "INC-3", "INC-2", "INC-1"]
    assert await refs("breached=true") == []
    for bad, code in (("priority=urgent", "invalid_priority"), ("channel=fax", "invalid_channel")):
        response = await client.get(f"/api/v1/tickets?{bad}", headers=h)
        assert response.status_code == 422 and error_of(response)["code"] == code
    assert (await client.get("/api/v1/tickets?breached=maybe", headers=h)).status_code == 422

    async def agree_with_badges() -> list[str]:
        # The filter and each ticket's own SLA flags (what the console's badge shows) agree.
        late = await refs("breached=true")
        everything = await listed("")
        flagged = [
            t["ref"] for t in everything if t["sla"]["response_breached"] or t["sla"]["resolution_breached"]
        ]
        assert late == flagged
        assert sorted(await refs("breached=false") + late) == sorted(t["ref"] for t in everything)
        return late

    first = min((t for t in await listed("")), key=lambda t: t["sla"]["response_due"])
    assert first["ref"] == "INC-1"
    clock.now = datetime.fromisoformat(first["sla"]["response_due"]) + timedelta(minutes=1)
    assert await agree_with_badges() == ["INC-1"]
    resolved = await client.post("/api/v1/tickets/INC-2/resolve", json={"solution": "Replaced"}, headers=h)
    assert resolved.status_code == 200, resolved.text
    clock.advance(days=30)
    assert await agree_with_badges() == ["REQ-1", "INC-3", "INC-1"]  # INC-2 was done in time
    assert await refs("breached=true&priority=P1") == ["INC-1"]


async def test_comments_and_resolution_reach_the_requester(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    note = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"body": "checking", "public": False}, headers=h
    )
    assert note.status_code == 201 and note.json()["direction"] == "internal"
    reply = await client.post("/api/v1/tickets/INC-1/comments", json={"body": "On my way"}, headers=h)
    assert reply.status_code == 201
    done = await client.post(
        "/api/v1/tickets/INC-1/resolve", json={"solution": "Cleared the jam", "kb": True}, headers=h
    )
    assert done.status_code == 200
    ticket = done.json()
    assert ticket["status"] == "resolved" and ticket["first_response_at"] is not None
    assert [m["text"] for m in ticket["messages"]][:2] == ["checking", "On my way"]
    copies = {m["copy_of"]: m["text"] for m in ticket["messages"] if m["copy_of"]}
    assert list(copies) == [reply.json()["id"]] and "On my way" in copies[reply.json()["id"]]
    async with seeded.session() as s:
        sent = [
            (o.address["chat_id"], o.payload["text"])
            for o in await s.scalars(select(OutboxItem).order_by(OutboxItem.id))
        ]
    assert [a for a, _ in sent] == ["ann@corp.example", "ann@corp.example"]
    assert "On my way" in sent[0][1] and "Cleared the jam" in sent[1][1] and "INC-1" in sent[1][1]
    again = await client.post("/api/v1/tickets/INC-1/resolve", json={"solution": "again"}, headers=h)
    assert again.status_code == 200  # resolving a resolved ticket is a no-op transition, not an error


async def test_whoever_resolves_an_unassigned_ticket_is_its_assignee_and_is_credited(
    client: httpx.AsyncClient, tokens: dict[str, str], clock: Clock
) -> None:
    # Resolved unassigned, it counted for no agent in the report, its rating for nobody (2026-12-07).
    h = {"Authorization": tokens["supervisor"]}
    await create(client, tokens["agent"])
    unassigned = await client.patch("/api/v1/tickets/INC-1", json={"assignee": None}, headers=h)
    assert unassigned.json()["assignee"] is None
    done = (
        await client.post("/api/v1/tickets/INC-1/resolve", json={"solution": "Reseated"}, headers=h)
    ).json()
    assert done["assignee"]["email"] == "supervisor@test.example"
    changed = [(e["field"], e["after"]) for e in done["events"] if e["action"] == "changed"]
    assert changed[-2:] == [("assignee", "supervisor@test.example"), ("status", "resolved")]
    clock.advance(minutes=1)  # the report's window ends before now
    report = (await client.get("/api/v1/reports/summary", headers=h)).json()
    assert report["by_agent"]["supervisor@test.example"]["resolved"] == 1


async def test_problems_link_incidents(
    client: httpx.AsyncClient, tokens: dict[str, str], clock: Clock
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    await create(client, tokens["agent"])
    problem = await client.post("/api/v1/problems", json={"subject": "Printer firmware bug"}, headers=h)
    assert problem.status_code == 201 and problem.json()["ref"] == "PRB-1"
    clock.advance(minutes=5)
    for ref in ("INC-1", "INC-2"):
        linked = await client.post("/api/v1/problems/PRB-1/incidents", json={"ref": ref}, headers=h)
        assert linked.status_code == 200
    assert linked.json()["incidents"] == ["INC-1", "INC-2"]
    wrong = await client.post("/api/v1/problems/INC-1/incidents", json={"ref": "INC-2"}, headers=h)
    assert wrong.status_code == 422
    incident = (await client.get("/api/v1/tickets/INC-1", headers=h)).json()
    assert incident["problem"] == "PRB-1"
    assert incident["updated_at"] > incident["created_at"]  # a change like any other
    listed = await client.get("/api/v1/tickets", params={"problem": "prb-1"}, headers=h)
    assert [t["ref"] for t in listed.json()["items"]] == ["INC-2", "INC-1"]
    nothing = await client.get("/api/v1/tickets", params={"problem": "PRB-9"}, headers=h)
    assert nothing.status_code == 200 and nothing.json()["items"] == []


async def test_a_wrong_link_is_undone_or_moved(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    for subject in ("Printer firmware bug", "Print server out of disk"):
        await client.post("/api/v1/problems", json={"subject": subject}, headers=h)
    await client.post("/api/v1/problems/PRB-1/incidents", json={"ref": "INC-1"}, headers=h)
    moved = await client.post("/api/v1/problems/PRB-2/incidents", json={"ref": "INC-1"}, headers=h)
    assert moved.json()["incidents"] == ["INC-1"]
    first = (await client.get("/api/v1/tickets/PRB-1", headers=h)).json()
    assert first["incidents"] == [] and ("unlinked", "INC-1") in [
        (e["action"], e["note"]) for e in first["events"]
    ]
    change = (await client.get("/api/v1/tickets/INC-1", headers=h)).json()["events"][-1]
    assert (change["field"], change["before"], change["after"]) == ("problem", "PRB-1", "PRB-2")
    undone = await client.delete("/api/v1/problems/PRB-2/incidents/INC-1", headers=h)
    assert undone.status_code == 200 and undone.json()["incidents"] == []
    assert (await client.get("/api/v1/tickets/INC-1", headers=h)).json()["problem"] is None
    again = await client.delete("/api/v1/problems/PRB-2/incidents/INC-1", headers=h)
    assert again.status_code == 404 and "not linked" in error_of(again)["message"]
    await client.patch("/api/v1/tickets/PRB-1", json={"status": "cancelled"}, headers=h)
    dead = await client.post("/api/v1/problems/PRB-1/incidents", json={"ref": "INC-1"}, headers=h)
    assert dead.status_code == 409 and "cancelled" in error_of(dead)["message"]


async def test_resolving_a_problem_resolves_its_open_incidents(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    """As in Zendesk: the fix of the cause is the answer each affected requester waits for."""
    h = {"Authorization": tokens["agent"]}
    bob = {"email": "bob@corp.example", "name": "Bob Wu"}
    for requester in (ANN, bob, ANN):
        await create(client, tokens["agent"], requester=requester, channel="email")
    await client.post("/api/v1/tickets/INC-3/resolve", json={"solution": "Used another tray"}, headers=h)
    await client.post("/api/v1/problems", json={"subject": "Printer firmware bug"}, headers=h)
    for ref in ("INC-1", "INC-2", "INC-3"):
        await client.post("/api/v1/problems/PRB-1/incidents", json={"ref": ref}, headers=h)
    async with seeded.session() as s:
        sent_before = len(list(await s.scalars(select(OutboxItem))))
    fix = "Rolled back the printer firmware to 4.2"
    done = await client.post("/api/v1/tickets/PRB-1/resolve", json={"solution": fix}, headers=h)
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    tickets = {
        ref: (await client.get(f"/api/v1/tickets/{ref}", headers=h)).json()
        for ref in ("INC-1", "INC-2", "INC-3")
    }
    assert [(t["status"], t["solution"]) for t in tickets.values()] == [
        ("resolved", fix), ("resolved", fix), ("resolved", "Used another tray")
    ]  # fmt: skip
    assert ("fixed_by_problem", "PRB-1") in [(e["action"], e["note"]) for e in tickets["INC-1"]["events"]]
    async with seeded.session() as s:
        sent = list(await s.scalars(select(OutboxItem).order_by(OutboxItem.id)))[sent_before:]
    # Each affected requester is asked to confirm; the agent who raised the problem is not.
    assert [(o.address["chat_id"], fix in o.payload["text"]) for o in sent] == [
        ("ann@corp.example", True), ("bob@corp.example", True)
    ]  # fmt: skip
    assert all("INC-" in o.payload["text"] and "PRB-" not in o.payload["text"] for o in sent)


async def test_import_keeps_the_original_creation_time(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    made = await create(
        client, tokens["agent"], created_at="2026-11-16T09:00:00+08:00", impact="high", urgency="high"
    )
    assert made["created_at"] == "2026-11-16T01:00:00+00:00"
    # Due at 13:15 on Monday the 16th (15 working minutes), long past on the 18th: breached.
    assert made["sla"]["response_due"] == "2026-11-16T01:15:00+00:00"
    assert made["sla"]["response_breached"] is True


async def test_the_calendars_are_listed_for_shifts_and_groups(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    listed = (await client.get("/api/v1/calendars", headers={"Authorization": tokens["agent"]})).json()[
        "items"
    ]
    assert {"name": "office", "timezone": "Asia/Shanghai"} in listed
    assert {"name": "always", "timezone": "UTC"} in listed


async def test_the_console_and_the_web_chat_share_one_icon(client: httpx.AsyncClient) -> None:
    for page in ("/console", "/chat"):
        assert '<link rel="icon" href="/favicon.svg"' in (await client.get(page)).text
    icon = await client.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and ">IT</text>" in icon.text


async def test_console_sign_in_and_out(client: httpx.AsyncClient, seeded: Desk) -> None:
    page = await client.get("/console")
    assert page.status_code == 200
    assert "/api/v1/auth/login" in page.text
    wrong = await client.post("/api/v1/auth/login", json={"email": "li.wei@example.com", "password": "nope"})
    assert wrong.status_code == 401
    assert error_of(wrong)["message"] == "wrong e-mail or password"
    unknown = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope"})
    assert error_of(unknown)["message"] == "wrong e-mail or password"  # no hint which part was wrong
    ok = await client.post(
        "/api/v1/auth/login", json={"email": "Li.Wei@example.com", "password": "frontdesk-demo"}
    )
    assert ok.status_code == 200
    assert ok.json()["agent"]["role"] == "admin"
    h = {"Authorization": f"Bearer {ok.json()['token']}"}
    assert (await client.get("/api/v1/me", headers=h)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=h)).status_code == 204
    assert (await client.get("/api/v1/me", headers=h)).status_code == 401


async def test_an_unknown_e_mail_costs_the_same_work_as_a_wrong_password(
    client: httpx.AsyncClient, seeded: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message was the same, but an unknown address (or an agent without a password) was
    answered without hashing, tens of milliseconds sooner than a known one: timing told an
    attacker which addresses are agents. Each refusal now hashes once, whoever asked."""
    calls: list[int] = []
    scrypt = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    for email in ("li.wei@example.com", "ghost@example.com"):
        calls.clear()
        refused = await client.post("/api/v1/auth/login", json={"email": email, "password": "nope-nope"})
        assert refused.status_code == 401 and len(calls) == 1, (email, calls)
    async with seeded.session() as s:
        agent = await s.scalar(select(Agent).where(Agent.email == "tom.baker@example.com"))
        assert agent is not None
        agent.password_hash = None  # signs in through Slack only
        await s.commit()
    calls.clear()
    refused = await client.post(
        "/api/v1/auth/login", json={"email": "tom.baker@example.com", "password": "x" * 9}
    )
    assert refused.status_code == 401 and len(calls) == 1


async def test_wrong_passwords_in_a_row_lock_the_sign_in_for_a_while(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str], clock: Clock
) -> None:
    # Sign-in took any number of guesses at a password.
    async def sign_in(password: str, email: str = "tom.baker@example.com") -> httpx.Response:
        return await client.post("/api/v1/auth/login", json={"email": email, "password": password})

    for guess in ("123456", "password", "letmein", "tom"):
        assert (await sign_in(guess)).status_code == 401
    assert (await sign_in("frontdesk-demo")).status_code == 200  # a success forgives the misses
    for guess in ("123456", "password", "letmein", "tom", "qwerty"):
        assert (await sign_in(guess)).status_code == 401  # the fifth in a row locks
    locked = await sign_in("frontdesk-demo")  # even the right password, while locked
    assert (locked.status_code, error_of(locked)["code"]) == (429, "rate_limited")
    assert locked.headers["Retry-After"] == "900"
    assert error_of(locked)["message"] == "too many wrong passwords: sign-in is locked for 15 more minutes"
    assert (await sign_in("frontdesk-demo", "maria.garcia@example.com")).status_code == 200  # only Tom's
    team = (await client.get("/api/v1/agents", headers={"Authorization": tokens["admin"]})).json()["items"]
    locks = {a["email"]: a["locked_until"] for a in team}
    assert locks["tom.baker@example.com"] is not None and locks["maria.garcia@example.com"] is None
    assert (await sign_in("x", "ghost@example.com")).status_code == 401  # nobody to lock: no hint
    clock.advance(minutes=14, seconds=30)
    late = await sign_in("frontdesk-demo")
    assert late.status_code == 429 and late.headers["Retry-After"] == "30"
    assert error_of(late)["message"].endswith("locked for 1 more minute")
    clock.advance(minutes=1)
    assert (await sign_in("frontdesk-demo")).status_code == 200  # the lock ran out

    # An admin's reset unlocks at once.
    for guess in ("1", "2", "3", "4", "5"):
        await sign_in(guess)
    assert (await sign_in("frontdesk-demo")).status_code == 429
    reset = {"password": "fresh-start-1"}
    admin = {"Authorization": tokens["admin"]}
    assert (
        await client.patch("/api/v1/agents/tom.baker@example.com", json=reset, headers=admin)
    ).status_code == 200
    assert (await sign_in("fresh-start-1")).status_code == 200


async def test_guesses_at_the_current_password_count_towards_the_lock(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    # A stolen session could guess at the current password as often as it liked.
    h = {"Authorization": tokens["agent"]}
    async with seeded.session() as s:
        (await find_agent(s, "agent@test.example")).password_hash = hash_password("the-real-one")
    for guess in ("1", "2", "3", "4", "5"):
        r = await client.post(
            "/api/v1/auth/password", json={"current": guess, "new": "n3w-secret!"}, headers=h
        )
        assert error_of(r)["code"] == "wrong_password"
    locked = await client.post(
        "/api/v1/auth/password", json={"current": "the-real-one", "new": "n3w-secret!"}, headers=h
    )
    assert (locked.status_code, error_of(locked)["code"]) == (429, "rate_limited")
    signing_in = {"email": "agent@test.example", "password": "the-real-one"}
    assert (await client.post("/api/v1/auth/login", json=signing_in)).status_code == 429  # one lock for both


async def test_an_agent_changes_their_password_and_an_admin_resets_a_forgotten_one(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    async def sign_in(password: str) -> dict[str, str] | None:
        r = await client.post(
            "/api/v1/auth/login", json={"email": "tom.baker@example.com", "password": password}
        )
        return {"Authorization": f"Bearer {r.json()['token']}"} if r.status_code == 200 else None

    here, there = await sign_in("frontdesk-demo"), await sign_in("frontdesk-demo")  # two browsers
    assert here is not None and there is not None
    async with seeded.session() as s:
        tom = await find_agent(s, "tom.baker@example.com")
        script = {"Authorization": f"Bearer {await issue_token(s, tom, 'cli')}"}  # an integration's token
    change = "/api/v1/auth/password"
    wrong = await client.post(change, json={"current": "guess", "new": "n3w-secret!"}, headers=here)
    assert (wrong.status_code, error_of(wrong)["code"]) == (403, "wrong_password")
    short = await client.post(change, json={"current": "frontdesk-demo", "new": "short"}, headers=here)
    assert (short.status_code, error_of(short)["code"]) == (422, "invalid_password")
    assert await sign_in("frontdesk-demo") is not None  # nothing changed
    done = await client.post(change, json={"current": "frontdesk-demo", "new": "n3w-secret!"}, headers=here)
    assert done.status_code == 204
    assert (await client.get("/api/v1/me", headers=here)).status_code == 200  # this browser stays in
    assert (await client.get("/api/v1/me", headers=there)).status_code == 401  # the other is out
    assert (await client.get("/api/v1/me", headers=script)).status_code == 200  # integrations keep working
    assert await sign_in("frontdesk-demo") is None and await sign_in("n3w-secret!") is not None

    # Forgotten: an admin sets a new one, and whoever is signed in as Tom is out.
    reset = {"password": "from-the-admin"}
    refused = await client.patch("/api/v1/agents/tom.baker@example.com", json=reset, headers=here)
    assert refused.status_code == 403  # not an admin
    admin = {"Authorization": tokens["admin"]}
    r = await client.patch("/api/v1/agents/tom.baker@example.com", json={"password": "2short"}, headers=admin)
    assert (r.status_code, error_of(r)["code"]) == (422, "invalid_password")
    r = await client.patch("/api/v1/agents/tom.baker@example.com", json=reset, headers=admin)
    assert r.status_code == 200 and "password" not in r.json() and "password_hash" not in r.json()
    assert (await client.get("/api/v1/me", headers=here)).status_code == 401
    assert await sign_in("n3w-secret!") is None and await sign_in("from-the-admin") is not None


async def test_agents_see_name_and_revoke_their_tokens_and_admins_anyone_s(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    # A token made for a script could only be revoked by deactivating its agent.
    signed_in = await client.post(
        "/api/v1/auth/login", json={"email": "tom.baker@example.com", "password": "frontdesk-demo"}
    )
    tom = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    made = await client.post("/api/v1/tokens", json={"name": "  Grafana   dashboard "}, headers=tom)
    assert made.status_code == 201, made.text
    grafana = made.json()
    assert grafana["token"].startswith(grafana["prefix"]) and grafana["prefix"].startswith("fd_")
    assert (grafana["name"], grafana["kind"], grafana["agent"]) == (
        "Grafana dashboard",
        "api",
        "tom.baker@example.com",
    )
    script = {"Authorization": f"Bearer {grafana['token']}"}
    assert (await client.get("/api/v1/me", headers=script)).json()["email"] == "tom.baker@example.com"

    listed = (await client.get("/api/v1/tokens", headers=tom)).json()["items"]
    assert [(t["name"], t["kind"], t["current"]) for t in listed] == [
        ("Grafana dashboard", "api", False),
        ("console", "sign_in", True),
    ]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None  # it was used just now
    assert all(
        set(t) == {"id", "name", "kind", "prefix", "created_at", "last_used_at", "current"} for t in listed
    )

    for bad, code in (({"name": " "}, "invalid_name"), ({"name": "Console"}, "invalid_name")):
        r = await client.post("/api/v1/tokens", json=bad, headers=tom)
        assert (r.status_code, error_of(r)["code"]) == (422, code), r.text

    # Nobody else's tokens to an agent: not listed, made, nor revoked (not even found).
    other = {"agent": "maria.garcia@example.com"}
    assert (await client.get("/api/v1/tokens", params=other, headers=tom)).status_code == 403
    assert (await client.post("/api/v1/tokens", json={"name": "x", **other}, headers=tom)).status_code == 403
    admin = {"Authorization": tokens["admin"]}
    admins_own = (await client.get("/api/v1/tokens", headers=admin)).json()["items"][0]
    r = await client.delete(f"/api/v1/tokens/{admins_own['id']}", headers=tom)
    assert (r.status_code, error_of(r)["code"]) == (404, "token_not_found")

    # An admin sees Tom's, makes one for him and revokes the leaked one.
    seen = (
        await client.get("/api/v1/tokens", params={"agent": "tom.baker@example.com"}, headers=admin)
    ).json()
    assert [t["name"] for t in seen["items"]] == ["Grafana dashboard", "console"]
    assert not any(t["current"] for t in seen["items"])
    for_tom = await client.post(
        "/api/v1/tokens", json={"name": "backup job", "agent": "tom.baker@example.com"}, headers=admin
    )
    assert for_tom.status_code == 201 and for_tom.json()["agent"] == "tom.baker@example.com"
    assert (await client.delete(f"/api/v1/tokens/{grafana['id']}", headers=admin)).status_code == 204
    assert (await client.get("/api/v1/me", headers=script)).status_code == 401
    r = await client.delete(f"/api/v1/tokens/{grafana['id']}", headers=admin)
    assert r.status_code == 404  # already revoked
    assert [t["name"] for t in (await client.get("/api/v1/tokens", headers=tom)).json()["items"]] == [
        "backup job",
        "console",
    ]

    # Revoking the session in use signs it out.
    mine = next(t for t in (await client.get("/api/v1/tokens", headers=tom)).json()["items"] if t["current"])
    assert (await client.delete(f"/api/v1/tokens/{mine['id']}", headers=tom)).status_code == 204
    assert (await client.get("/api/v1/me", headers=tom)).status_code == 401
    backup = {"Authorization": f"Bearer {for_tom.json()['token']}"}
    assert (await client.get("/api/v1/me", headers=backup)).status_code == 200


async def test_admins_add_and_change_categories(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    admin, agent = {"Authorization": tokens["admin"]}, {"Authorization": tokens["agent"]}
    body = {"path": "Facilities/Badges", "name": "Badges", "keywords": ["badge", "门禁卡"], "type": "request"}
    r = await client.post("/api/v1/categories", json={**body, "path": "facilities/badges"}, headers=admin)
    assert (r.status_code, error_of(r)["message"]) == (404, "no category 'facilities'")  # its parent first
    assert (
        await client.post("/api/v1/categories", json={"path": "facilities"}, headers=agent)
    ).status_code == 403
    top = await client.post(
        "/api/v1/categories", json={"path": "facilities", "group": "Service Desk"}, headers=admin
    )
    assert top.status_code == 201 and top.json()["name"] == "Facilities"  # named from its path
    made = (await client.post("/api/v1/categories", json=body, headers=admin)).json()
    assert (made["path"], made["default_type"], made["default_group"]) == (
        "facilities/badges",
        "request",
        None,
    )
    again = await client.post("/api/v1/categories", json=body, headers=admin)
    assert (again.status_code, error_of(again)["message"]) == (409, "category 'facilities/badges' exists")
    r = await client.post(
        "/api/v1/categories", json={"path": "facilities/keys", "group": "Nope"}, headers=admin
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/categories", json={"path": "facilities/x", "impact": "huge"}, headers=admin
    )
    assert r.status_code == 422

    changes = {"name_zh": "门禁卡", "impact": "low", "skills": [" Facilities "], "group": "Network"}
    changed = (await client.patch("/api/v1/categories/facilities/badges", json=changes, headers=admin)).json()
    assert (changed["name_zh"], changed["default_impact"], changed["skills"]) == (
        "门禁卡",
        "low",
        ["facilities"],
    )
    assert changed["default_group"]["name"] == "Network"
    cleared = await client.patch(
        "/api/v1/categories/facilities/badges", json={"group": None, "type": None}, headers=admin
    )
    assert (cleared.json()["default_group"], cleared.json()["default_type"], cleared.json()["name"]) == (
        None,
        None,
        "Badges",
    )
    assert (
        await client.patch("/api/v1/categories/facilities/badges", json={}, headers=agent)
    ).status_code == 403
    assert (await client.patch("/api/v1/categories/nowhere", json={}, headers=admin)).status_code == 404
    listed = (await client.get("/api/v1/categories", headers=agent)).json()["items"]
    assert next(c for c in listed if c["path"] == "facilities/badges")["keywords"] == ["badge", "门禁卡"]

    # Retired: no longer listed for filing, still there (with ?all=true) to bring back.
    retired = await client.patch(
        "/api/v1/categories/facilities/badges", json={"active": False}, headers=admin
    )
    assert retired.json()["active"] is False
    paths = [c["path"] for c in (await client.get("/api/v1/categories", headers=agent)).json()["items"]]
    assert "facilities/badges" not in paths and "facilities" in paths
    everything = (await client.get("/api/v1/categories", params={"all": "true"}, headers=agent)).json()[
        "items"
    ]
    assert next(c for c in everything if c["path"] == "facilities/badges")["active"] is False


async def test_admins_move_rename_and_delete_categories(
    client: httpx.AsyncClient, seeded: Desk, tokens: dict[str, str]
) -> None:
    admin, agent = {"Authorization": tokens["admin"]}, {"Authorization": tokens["agent"]}
    printer = (await create(client, tokens["agent"], category="printer"))["ref"]

    # Printers become hardware: the category moves, its ticket and articles with it.
    moved = await client.patch("/api/v1/categories/printer", json={"path": "Hardware/Printer"}, headers=admin)
    assert (moved.status_code, moved.json()["path"]) == (200, "hardware/printer")
    assert (await client.get(f"/api/v1/tickets/{printer}", headers=agent)).json()[
        "category"
    ] == "hardware/printer"
    async with seeded.session() as s:
        assert [
            h.article.title for h in await search_articles(s, "printer offline", category="hardware/printer")
        ]
    # What is inside a category moves with it.
    await client.patch("/api/v1/categories/network", json={"path": "net"}, headers=admin)
    paths = {c["path"] for c in (await client.get("/api/v1/categories", headers=agent)).json()["items"]}
    assert {"net", "net/vpn", "net/wifi"} <= paths and not {p for p in paths if p.startswith("network")}

    def refused(r: httpx.Response) -> tuple[int, str]:
        return r.status_code, error_of(r)["code"]

    inside = await client.patch("/api/v1/categories/net", json={"path": "net/vpn/net"}, headers=admin)
    assert refused(inside) == (422, "invalid")
    taken = await client.patch("/api/v1/categories/net/wifi", json={"path": "net/vpn"}, headers=admin)
    assert refused(taken) == (409, "conflict")
    orphan = await client.patch("/api/v1/categories/erp", json={"path": "apps/erp"}, headers=admin)
    assert refused(orphan) == (404, "unknown_category")
    # config.yml files hardware requests under "hardware" and reads it as a device category.
    named = await client.patch("/api/v1/categories/hardware", json={"path": "devices"}, headers=admin)
    assert refused(named) == (409, "category_in_config")
    assert "bot.device_categories" in error_of(named)["message"]
    assert (
        await client.patch("/api/v1/categories/net", json={"path": "x"}, headers=agent)
    ).status_code == 403

    # Deleted only when nothing is filed under it; otherwise retired.
    await client.post("/api/v1/categories", json={"path": "typo"}, headers=admin)
    assert (await client.delete("/api/v1/categories/typo", headers=agent)).status_code == 403
    assert (await client.delete("/api/v1/categories/typo", headers=admin)).status_code == 204
    assert (await client.delete("/api/v1/categories/typo", headers=admin)).status_code == 404
    in_use = await client.delete("/api/v1/categories/hardware/printer", headers=admin)
    assert refused(in_use) == (409, "category_in_use") and "tickets" in error_of(in_use)["message"]
    assert refused(await client.delete("/api/v1/categories/net", headers=admin)) == (409, "category_in_use")


def test_the_configuration_says_where_it_names_a_category() -> None:
    settings = make_settings(
        "sqlite://",
        rules=[
            {"name": "vpn", "when": ["created"], "if": {"category": "network/vpn"}, "then": [{"tag": "vpn"}]},
            {
                "name": "to wifi",
                "when": ["created"],
                "if": {"text": "wifi"},
                "then": [{"set": {"category": "network/wifi"}}],
            },
        ],
    )
    assert settings.naming_category("network") == ["rules (vpn): if category", "rules (to wifi): then.0"]
    assert settings.naming_category("network/wifi") == ["rules (to wifi): then.0"]
    assert settings.naming_category("accounts") == [
        "bot.requests.0.category (onboarding)",
        "bot.requests.1.category (offboarding)",
        "bot.requests.3.category (password)",
        "bot.requests.4.category (access)",
    ]
    assert settings.naming_category("printer") == []


class RefusingAnn:
    """The outbox's sender when Ann's mailbox does not exist: anything to her fails for good."""

    def handles(self, channel: str) -> bool:
        return True

    async def send(self, address: Address, message: Outbound) -> str | None:
        if address.chat_id == ANN["email"]:
            raise DeliveryError(f"550 5.1.1 <{ANN['email']}>: no such user", permanent=True)
        return None


async def test_each_message_says_whether_it_reached_the_requester(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    reply = (
        await client.post("/api/v1/tickets/INC-1/comments", json={"body": "On my way"}, headers=h)
    ).json()

    async def copy_of_reply() -> dict[str, Any]:
        ticket = (await client.get("/api/v1/tickets/INC-1", headers=h)).json()
        comment = next(m for m in ticket["messages"] if m["id"] == reply["id"])
        assert comment["delivery"] is None  # the comment itself is not sent; its copy is
        copy: dict[str, Any] = next(m for m in ticket["messages"] if m["copy_of"] == reply["id"])
        return copy

    assert (await copy_of_reply())["delivery"] == {"status": "pending", "attempts": 0, "error": None,
                                                   "sent_at": None}  # fmt: skip

    await deliver_due(seeded, RefusingAnn())
    failed = (await copy_of_reply())["delivery"]
    assert (failed["status"], failed["attempts"]) == ("failed", 1) and "no such user" in failed["error"]


async def test_the_assignee_hears_when_a_reply_never_arrived(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    me = (await client.get("/api/v1/me", headers=h)).json()
    assert (
        await client.patch("/api/v1/tickets/INC-1", json={"assignee": me["email"]}, headers=h)
    ).status_code == 200
    await client.post("/api/v1/tickets/INC-1/comments", json={"body": "On my way"}, headers=h)

    await deliver_due(seeded, RefusingAnn())
    notes = (await client.get("/api/v1/notifications", headers=h)).json()
    [undelivered] = [n for n in notes["items"] if n["kind"] == "undelivered"]
    assert "INC-1" in undelivered["text"] and "no such user" in undelivered["text"]
    assert "email" in undelivered["text"]


async def test_with_nobody_assigned_the_groups_manager_hears_of_an_undelivered_reply(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])  # unassigned, in the Service Desk group
    await client.post("/api/v1/tickets/INC-1/comments", json={"body": "On my way"}, headers=h)
    # Answering took it; handed back to the queue before the reply failed, it is nobody's.
    handed = await client.patch("/api/v1/tickets/INC-1", json={"assignee": None}, headers=h)
    assert (handed.json()["status"], handed.json()["assignee"]) == ("new", None)
    await deliver_due(seeded, RefusingAnn())
    async with seeded.session() as s:
        told = (
            await s.execute(
                select(Agent.email, Notification.kind).join(Agent, Agent.id == Notification.agent_id)
            )
        ).all()
    assert ("maria.garcia@example.com", "undelivered") in [tuple(row) for row in told]  # the group's manager
