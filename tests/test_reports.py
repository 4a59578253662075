"""The summary report (§5.6) on both databases, through the service, the API and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx

from channels.base import Address, Inbound
from desk.approvals import Approver, decide, request_approval
from desk.context import Actor, Desk
from desk.conversations import record_inbound
from desk.handoff import close_conversation, queue_conversation
from desk.people import resolve_person
from desk.reports import parse_period, summary, summary_csv
from desk.routing import assign_ticket
from desk.surveys import rate_ticket
from desk.tickets import add_comment, create_ticket, get_ticket, resolve_ticket
from tests.conftest import Clock

TOM = Actor("agent", None, "Tom")


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


async def scenario(desk: Desk, clock: Clock) -> None:
    """Wednesday 18 November in the Shanghai office, then a report on Thursday."""
    async with desk.session() as s:
        ann = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        fast = await create_ticket(s, desk, TOM, requester=ann, subject="Printer", category="printer",
                                   impact="high", urgency="high")  # fmt: skip
        slow = await create_ticket(s, desk, TOM, requester=ann, subject="Laptop", category="hardware")
        ignored = await create_ticket(
            s, desk, TOM, requester=ann, subject="Wi-Fi", category="network", channel="telegram"
        )
        await create_ticket(s, desk, TOM, requester=ann, subject="Root cause", type="problem")
        refs = fast.ref, slow.ref, ignored.ref
    clock.now = shanghai(18, 10, 10)
    async with desk.session() as s:
        fast = await get_ticket(s, refs[0])
        await assign_ticket(s, desk, TOM, fast, "tom.baker@example.com")
        await add_comment(s, desk, TOM, fast, "Coming")  # answered in 10 minutes (due 10:15)
    clock.now = shanghai(18, 12)
    async with desk.session() as s:
        await resolve_ticket(s, desk, TOM, await get_ticket(s, refs[0]), "New fuser")  # 120 minutes
        await rate_ticket(s, desk, Actor("requester", None, "Ann"), await get_ticket(s, refs[0]), 5)
    clock.now = shanghai(18, 15, 30)
    async with desk.session() as s:
        await add_comment(
            s, desk, TOM, await get_ticket(s, refs[1]), "Which model?"
        )  # 330 minutes, due 15:00
        rec = await record_inbound(s, desk, Inbound(Address("rest", "u1"), "u1", "help", "m1"))
        await queue_conversation(s, desk, rec.conversation, ticket=await get_ticket(s, refs[1]))
        kb = await record_inbound(s, desk, Inbound(Address("rest", "u2"), "u2", "vpn?", "m2"))
        await close_conversation(s, desk, kb.conversation, "deflected")
    clock.now = shanghai(19, 10)


async def test_the_summary_counts_what_happened_in_the_period(seeded: Desk, clock: Clock) -> None:
    await scenario(seeded, clock)
    async with seeded.session() as s:
        report = await summary(s, seeded, parse_period(seeded, "2026-11-18", "2026-11-19"))
    assert report["from"] == "2026-11-17T16:00:00+00:00"  # midnight in the office's zone
    assert (report["tickets_created"], report["tickets_resolved"]) == (3, 1)  # the problem is not counted
    assert report["first_response_minutes"] == {"p50": 10.0, "p90": 330.0}
    assert report["resolution_minutes"] == {"p50": 120.0, "p90": 120.0}
    # Response: met, late, and unanswered past due. Resolution: only the fast one is decided.
    assert (report["sla_response_met_pct"], report["sla_resolution_met_pct"]) == (33.3, 100.0)
    assert report["csat"] == {
        "avg": 5.0,
        "count": 1,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    }
    assert (report["deflected"], report["handoffs"]) == (1, 1)
    assert report["by_channel"] == {"api": 2, "telegram": 1}
    assert report["by_category"] == {"hardware": 1, "network": 1, "printer": 1}
    assert report["by_priority"] == {"P1": 1, "P3": 2}
    assert report["by_agent"] == {  # who the address is, for the console to show
        "tom.baker@example.com": {"name": "Tom Baker", "assigned": 1, "resolved": 1, "csat_avg": 5.0}
    }
    async with seeded.session() as s:
        empty = await summary(s, seeded, parse_period(seeded, "2026-10-01", "2026-11-01"))
    assert (empty["tickets_created"], empty["first_response_minutes"], empty["sla_response_met_pct"]) == (
        0, {"p50": None, "p90": None}, None,
    )  # fmt: skip


async def test_an_approved_requests_times_count_from_its_approval(seeded: Desk, clock: Clock) -> None:
    # A request waits for its approver before the team can start; its response and resolution
    # minutes counted from creation, the wait in them, while its SLA clocks start at the yes.
    clock.now = shanghai(18, 9)
    async with seeded.session() as s:
        ann = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        request = await create_ticket(s, seeded, TOM, requester=ann, subject="Monitor", type="request")
        ask = await request_approval(s, seeded, TOM, request, Approver("maria.garcia@example.com"))
        ref = request.ref
    clock.now = shanghai(18, 11)  # two hours later
    async with seeded.session() as s:
        await decide(s, seeded, await s.merge(ask), "approved", by="maria.garcia@example.com", actor=TOM)
    clock.now = shanghai(18, 11, 20)
    async with seeded.session() as s:
        await add_comment(s, seeded, TOM, await get_ticket(s, ref), "Which size?")
    clock.now = shanghai(18, 14)  # the lunch hour is in it: minutes are the wall clock's
    async with seeded.session() as s:
        await resolve_ticket(s, seeded, TOM, await get_ticket(s, ref), "Delivered")
        report = await summary(s, seeded, parse_period(seeded, "2026-11-18", "2026-11-19"))
    assert report["first_response_minutes"] == {"p50": 20.0, "p90": 20.0}
    assert report["resolution_minutes"] == {"p50": 180.0, "p90": 180.0}
    assert report["sla_response_met_pct"] == 100.0


async def test_report_api_and_bad_dates(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk, clock: Clock
) -> None:
    await scenario(seeded, clock)
    headers = {"Authorization": tokens["agent"]}
    r = await client.get(
        "/api/v1/reports/summary", params={"from": "2026-11-18", "to": "2026-11-19"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["tickets_created"] == 3
    r = await client.get("/api/v1/reports/summary", headers=headers)  # the last 30 days
    assert r.json()["tickets_created"] == 3
    r = await client.get("/api/v1/reports/summary", params={"from": "yesterday"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_date"
    r = await client.get(
        "/api/v1/reports/summary", params={"from": "2026-11-19", "to": "2026-11-18"}, headers=headers
    )
    assert r.json()["error"]["code"] == "invalid_period"
    assert (await client.get("/api/v1/reports/summary")).status_code == 401
    period = {"from": "2026-11-18", "to": "2026-11-19"}
    r = await client.get("/api/v1/reports/summary", params={**period, "format": "csv"}, headers=headers)
    assert r.headers["content-type"].startswith("text/csv")
    assert (
        r.headers["content-disposition"]
        == 'attachment; filename="frontdesk-report-2026-11-18-to-2026-11-18.csv"'
    )
    assert ["tickets_created", "3"] in list(csv.reader(io.StringIO(r.text)))
    r = await client.get("/api/v1/reports/summary", params={"format": "pdf"}, headers=headers)
    assert r.status_code == 422


def test_csv_flattens_nested_metrics() -> None:
    report: dict[str, Any] = {"tickets_created": 3, "csat": {"avg": None, "distribution": {"5": 1}}}
    rows = list(csv.reader(io.StringIO(summary_csv(report))))
    assert rows == [
        ["metric", "value"],
        ["tickets_created", "3"],
        ["csat.avg", ""],
        ["csat.distribution.5", "1"],
    ]
