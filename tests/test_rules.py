"""Business rules on both databases: created / updated / time events, conditions on fields,
channel, requester and text, the actions, once-only bookkeeping and configuration errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from desk.context import Actor, Desk
from desk.errors import ConfigError
from desk.escalation import time_rules
from desk.models import Message, Notification, OutboxItem, Ticket, TicketEvent
from desk.people import resolve_person
from desk.rules import could_match
from desk.rulespec import Condition, RuleSpec, matches
from desk.settings import load_settings
from desk.tickets import add_comment, change_ticket, create_ticket, get_ticket
from tests.conftest import Clock, base_config

RULES: list[dict[str, Any]] = [
    {
        "name": "board members first",
        "when": ["created"],
        "if": {"requester.email": {"endswith": "@board.example.com"}, "priority": {"in": ["P3", "P4"]}},
        "then": [
            {"set": {"urgency": "high"}},
            {"tag": "vip"},
            {"notify": ["group_manager"]},
            {"reply": {"en": "A board member's ticket: {ref} is {priority} now.", "zh": "{ref} 已加急。"}},
        ],
    },
    {
        "name": "outages go to Network",
        "when": ["created"],
        "if": {"text": {"contains": ["outage", "断网"]}, "channel": ["telegram", "email"]},
        "then": [{"group": "Network"}, {"set": {"impact": "high"}}],
    },
    {
        "name": "tell the group about P1s",
        "when": ["updated"],
        "if": {"changed": ["priority"], "priority": "P1"},
        "then": [{"notify": {"to": ["group"], "text": "All hands."}}],
    },
    {
        "name": "nudge idle work",
        "when": ["time"],
        "if": {"status": "in_progress", "idle": {"gt": "2h"}},
        "then": [{"note": "No update for two hours."}, {"notify": ["assignee"]}],
    },
]
AGENT = Actor("agent", None, "Agent")


@pytest.fixture
async def ruled(desk_with: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_with(rules=RULES)


async def open_ticket(desk: Desk, email: str, subject: str, channel: str = "api", **kw: Any) -> str:
    async with desk.session() as s:
        who = await resolve_person(s, channel="email", external_id=email, email=email)
        t = await create_ticket(s, desk, AGENT, requester=who, subject=subject, channel=channel, **kw)
        return t.ref


async def rule_events(desk: Desk, ref: str) -> list[str]:
    async with desk.session() as s:
        t = await get_ticket(s, ref)
        rows = await s.scalars(
            select(TicketEvent.note).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "rule")
        )
        return [str(n) for n in rows]


async def test_created_rule_sets_fields_tags_notifies_and_replies(ruled: Desk) -> None:
    ref = await open_ticket(ruled, "ceo@board.example.com", "Laptop slow", category="hardware")
    async with ruled.session() as s:
        t = await get_ticket(s, ref)
        assert (t.urgency, t.priority, t.tags) == ("high", "P2", ["vip"])
        note = await s.scalar(select(Notification).where(Notification.kind == "rule"))
        reply = await s.scalar(select(OutboxItem))
        changes = await s.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.field == "urgency")
        )
        [change] = list(changes)
    assert note is not None and ref in note.text and "board members first" in note.text
    assert reply is not None and reply.payload["text"] == f"A board member's ticket: {ref} is P2 now."
    assert change.actor_name == "rule: board members first"
    assert await rule_events(ruled, ref) == ["board members first"]
    plain = await open_ticket(ruled, "ann@corp.example", "Laptop slow", category="hardware")
    assert await rule_events(ruled, plain) == []


async def test_conditions_on_text_and_channel(ruled: Desk) -> None:
    hit = await open_ticket(ruled, "wang@corp.example", "三楼断网了", channel="telegram")
    wrong_channel = await open_ticket(ruled, "wang@corp.example", "三楼断网了", channel="api")
    async with ruled.session() as s:
        a, b = await get_ticket(s, hit), await get_ticket(s, wrong_channel)
        assert (a.group.name if a.group else None, a.impact) == ("Network", "high")
        assert (b.group.name if b.group else None, b.impact) == ("Service Desk", "medium")


async def test_updated_rule_runs_on_the_change_it_names_and_not_on_its_own_actions(ruled: Desk) -> None:
    ref = await open_ticket(ruled, "ann@corp.example", "ERP down", category="printer", impact="high")
    async with ruled.session() as s:
        t = await get_ticket(s, ref)
        await change_ticket(s, ruled, AGENT, t, {"subject": "ERP down for finance"})
    assert await rule_events(ruled, ref) == []  # priority did not change
    async with ruled.session() as s:
        t = await get_ticket(s, ref)
        await change_ticket(s, ruled, AGENT, t, {"urgency": "high"})  # P2 -> P1
    assert await rule_events(ruled, ref) == ["tell the group about P1s"]
    async with ruled.session() as s:
        members = list(await s.scalars(select(Notification).where(Notification.kind == "rule")))
    assert len(members) == 4 and all("All hands." in n.text for n in members)  # Service Desk has 4


async def test_time_rule_acts_once_when_work_sits_idle(ruled: Desk, clock: Clock) -> None:
    ref = await open_ticket(ruled, "ann@corp.example", "Monitor flickers", category="hardware")
    async with ruled.session() as s:
        await change_ticket(
            s,
            ruled,
            AGENT,
            await get_ticket(s, ref),
            {"assignee": "tom.baker@example.com", "status": "in_progress"},
        )
    clock.advance(hours=1)
    assert await time_rules(ruled) == 0
    clock.advance(hours=1, minutes=1)
    assert await time_rules(ruled) == 1
    clock.advance(hours=5)
    assert await time_rules(ruled) == 0  # once per ticket
    async with ruled.session() as s:
        t = await get_ticket(s, ref)
        notes = list(
            await s.scalars(select(Message).where(Message.ticket_id == t.id, Message.direction == "internal"))
        )
        assert [m.text for m in notes] == ["No update for two hours."]
        assert "rule:nudge idle work" in t.fired


async def test_time_rules_look_only_at_tickets_they_could_act_on_and_act_once(
    desk_with: Callable[..., Awaitable[Desk]], clock: Clock
) -> None:
    """The scan filters in SQL (status, idle, "not acted yet"); names with LIKE wildcards, or
    that JSON escapes, must neither hide a ticket from its rule nor let a rule act twice."""
    # JSON escapes the second name, so SQL never sees that it acted: the check on the ticket stops it.
    names = {"idleX50x": "1h", '闲置 "一小时"': "1h", "idle_50%": "2h"}
    rules = [
        {"name": n, "when": ["time"], "if": {"status": "In_Progress", "idle": {"gte": after}},
         "then": [{"notify": ["assignee"]}]}  # notifying leaves the ticket (and its idle time) as it is
        for n, after in names.items()
    ]  # fmt: skip
    desk = await desk_with(rules=rules)
    refs = [await open_ticket(desk, "ann@corp.example", f"Dock {i}", category="hardware") for i in range(3)]
    async with desk.session() as s:
        for ref in refs[:2]:
            await change_ticket(
                s, desk, AGENT, await get_ticket(s, ref), {"assignee": "tom.baker@example.com"}
            )
            await change_ticket(s, desk, AGENT, await get_ticket(s, ref), {"status": "in_progress"})
    clock.advance(minutes=59)
    assert await time_rules(desk) == 0
    clock.advance(minutes=1)
    assert await time_rules(desk) == 4  # the two 1h rules on each in-progress ticket
    clock.advance(hours=1)
    assert await time_rules(desk) == 2  # idle_50%
    assert await time_rules(desk) == 0
    clock.advance(days=3)
    assert await time_rules(desk) == 0
    async with desk.session() as s:
        for ref, acted in zip(refs, (True, True, False), strict=True):
            ticket = await get_ticket(s, ref)
            assert sorted(ticket.fired) == (sorted(f"rule:{n}" for n in names) if acted else [])
        told = await s.scalars(select(Notification.ticket_id).where(Notification.kind == "rule"))
        assert len(list(told)) == 2 * len(names)


async def test_the_sql_filter_of_time_rules_keeps_every_ticket_a_rule_could_act_on(
    ruled: Desk, clock: Clock
) -> None:
    ref = await open_ticket(ruled, "ann@corp.example", "Dock", category="hardware")
    spec = {"when": ["time"], "if": {"status": "in_progress", "idle": {"gt": "1h"}}, "then": [{"tag": "x"}]}
    rule = RuleSpec.model_validate({"name": "idle_50%", **spec})
    clock.advance(hours=2)

    async def found(fired: list[str], status: str = "in_progress") -> bool:
        async with ruled.session() as s:
            ticket = await get_ticket(s, ref)
            ticket.fired, ticket.status = fired, status
            await s.flush()
            return await s.scalar(select(Ticket.id).where(could_match(rule, clock()))) == ticket.id

    assert await found([])
    assert await found(["rule:idleX50x", "rule:idle_50"])  # _ and % are not wildcards here
    assert not await found(["rule:idleX50x", "rule:idle_50%"])
    assert not await found([], status="pending")
    clock.advance(hours=-1, minutes=-30)
    assert not await found([])  # idle for 30 minutes only

    vip_waiting = RuleSpec.model_validate(
        {
            "name": "vip",
            "when": ["time"],
            "if": {"requester.vip": True, "assignee": {"empty": True}},
            "then": [{"tag": "v"}],
        }
    )

    async def waiting(vip: bool, assignee: str | None) -> bool:
        async with ruled.session() as s:
            ticket = await get_ticket(s, ref)
            ticket.requester.vip = vip
            await change_ticket(s, ruled, AGENT, ticket, {"assignee": assignee})
            return await s.scalar(select(Ticket.id).where(could_match(vip_waiting, clock()))) == ticket.id

    assert not await waiting(False, None)
    assert await waiting(True, None)
    assert not await waiting(True, "tom.baker@example.com")


async def test_a_requester_reply_is_an_update_rules_can_see() -> None:
    rule = RuleSpec.model_validate(
        {
            "name": "r",
            "when": ["updated"],
            "if": {"changed": "reply"},
            "then": [{"set": {"status": "in_progress"}}],
        }
    )
    assert matches(rule, {"changed": ["reply"]}) and not matches(rule, {"changed": ["comment"]})


@pytest.mark.parametrize(
    ("field", "spec", "facts", "expected"),
    [
        ("category", "network", {"category": "network/vpn"}, True),
        ("category", "network", {"category": "networking"}, False),
        ("tags", "vip", {"tags": ["VIP", "x"]}, True),
        ("subject", {"matches": r"\bceo\b"}, {"subject": "The CEO can't print"}, True),
        ("age", {"gte": "4h"}, {"age": 4 * 3600}, True),
        ("age", {"lt": "30m"}, {"age": 3600}, False),
        ("status", {"not": ["closed", "cancelled"]}, {"status": "new"}, True),
        ("assignee", {"empty": True}, {"assignee": None}, True),
        ("requester.vip", True, {"requester.vip": False}, False),
        ("text", {"startswith": "urgent"}, {"text": "URGENT: mail down"}, True),
    ],
)
def test_condition_language(field: str, spec: object, facts: dict[str, Any], expected: bool) -> None:
    assert all(c.holds(facts) for c in Condition.parse(field, spec)) is expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"name": "a", "when": ["created"], "if": {"colour": "red"}, "then": [{"tag": "x"}]},
            "unknown field 'colour'",
        ),
        (
            {"name": "a", "when": ["created"], "if": {"subject": {"like": "x"}}, "then": [{"tag": "x"}]},
            "unknown operator",
        ),
        (
            {"name": "a", "when": ["created"], "if": {"subject": {"matches": "("}}, "then": [{"tag": "x"}]},
            "bad regular",
        ),
        ({"name": "a", "when": ["created"], "then": [{"explode": True}]}, "each action is one of"),
        ({"name": "a", "when": ["created"], "then": [{"set": {"priority": "P1"}}]}, "cannot set 'priority'"),
        (
            {"name": "a", "when": ["created"], "if": {"changed": "status"}, "then": [{"tag": "x"}]},
            "only makes sense",
        ),
        ({"name": "a", "when": ["sometimes"], "then": [{"tag": "x"}]}, "rules.0.when.0"),
    ],
)
def test_bad_rules_are_config_errors_naming_the_problem(
    tmp_path: Path, rule: dict[str, Any], message: str
) -> None:
    data = base_config()
    data["rules"] = [rule]
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_escalation_levels_are_config_errors(tmp_path: Path) -> None:
    data = base_config()
    data["escalation"] = {"levels": [{"name": "x", "at": "lots"}]}
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid percentage"):
        load_settings(path)
    data["escalation"] = {"levels": [{"name": "x", "notify": ["the boss"]}]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot notify 'the boss'"):
        load_settings(path)


async def test_a_requester_reply_resumes_pending_work_and_rules_see_it(
    desk_with: Callable[..., Awaitable[Desk]],
) -> None:
    rule = {
        "name": "requester answered",
        "when": ["updated"],
        "if": {"changed": "reply", "requester.email": {"endswith": "@corp.example"}},
        "then": [{"tag": "answered"}],
    }
    desk = await desk_with(rules=[rule])
    ref = await open_ticket(desk, "ann@corp.example", "Mouse broken", category="hardware")
    async with desk.session() as s:
        t = await get_ticket(s, ref)
        await change_ticket(s, desk, AGENT, t, {"assignee": "tom.baker@example.com", "status": "pending"})
        await add_comment(s, desk, AGENT, t, "Which model is it?")  # an agent's comment: not a reply
        assert t.status == "pending"
        ann = Actor("requester", t.requester_id, "Ann")
        await add_comment(s, desk, ann, t, "A Logitech M185")
        assert (t.status, t.paused_at, t.tags) == ("in_progress", None, ["answered"])
        replied = await s.scalar(select(Notification).where(Notification.kind == "replied"))
        assert replied is not None and ref in replied.text
    assert await rule_events(desk, ref) == ["requester answered"]
    async with desk.session() as s:
        # More news while it is worked on: the assignee hears of that too, with the words.
        t = await get_ticket(s, ref)
        await add_comment(s, desk, ann, t, "It is the one with the broken scroll wheel " + "x" * 300)
        await add_comment(s, desk, AGENT, t, "Thanks, ordering one.")  # not news for the assignee
        notes = list(await s.scalars(select(Notification).where(Notification.kind == "commented")))
    assert [n.text.startswith(f'{ref} "Mouse broken": Ann added: It is the one') for n in notes] == [True]
    assert notes[0].text.endswith("…") and len(notes[0].text) < 260
