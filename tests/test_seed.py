"""Setting a desk up from its own file, on both databases (the CLI's part is in test_cli)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.catalog import default_group_for, find_category
from desk.context import Desk
from desk.errors import NotFound
from desk.kb import search_articles
from desk.models import Agent, Group
from desk.seed import missing_from_desk, seed_file
from tests.conftest import ROOT

SETUP = ROOT / "tests" / "fixtures" / "acme-setup.yml"


async def test_a_setup_file_makes_the_desk_and_routes_its_categories(desk: Desk) -> None:
    async with desk.session() as s:
        report = await seed_file(s, desk, SETUP)
    assert (report.groups, report.agents, report.categories, report.articles, report.replies) == (
        2,
        2,
        2,
        1,
        1,
    )
    async with desk.session() as s:
        assert (await find_category(s, "network")).description == "LAN and Wi-Fi"
        wifi = await find_category(s, "network/wifi")
        assert (await default_group_for(s, desk, wifi)).name == "Infrastructure"  # type: ignore[union-attr]
        sam = await s.scalar(
            select(Agent).where(Agent.email == "sam@acme.example").options(selectinload(Agent.groups))
        )
        assert sam is not None and sam.password_hash is None  # no shared password for real agents
        assert ([g.name for g in sam.groups], sam.skills, sam.language) == (
            ["Infrastructure"],
            ["network"],
            "zh",
        )
        support = await s.scalar(
            select(Group).where(Group.name == "IT Support").options(selectinload(Group.manager))
        )
        assert support is not None and support.manager is not None and support.manager.name == "Olga Lead"
        assert (support.calendar, support.routing) == ("office", "least_loaded")
        hits = await search_articles(s, "how do I join the ACME wifi")
        assert [h.article.title for h in hits][:1] == ["Connect to ACME-WiFi"]


async def test_a_file_naming_what_nobody_has_writes_nothing(desk: Desk, tmp_path: Path) -> None:
    setup = tmp_path / "bad.yml"
    setup.write_text(
        "groups:\n  - {name: Printers}\ncategories:\n  - {path: printers/laser}\n", encoding="utf-8"
    )
    with pytest.raises(NotFound, match="no category 'printers'"):
        async with desk.session() as s:
            await seed_file(s, desk, setup)
    async with desk.session() as s:
        assert await s.scalar(select(Group.id).where(Group.name == "Printers")) is None


async def test_a_group_the_desk_has_in_another_case_is_the_same_group(desk: Desk, tmp_path: Path) -> None:
    # Group names are unique case aside: "it support" in a second file is the desk's "IT Support"
    # (it was looked up as written, then refused as taken, and nothing was written).
    async with desk.session() as s:
        await seed_file(s, desk, SETUP)
    again = tmp_path / "again.yml"
    again.write_text("groups:\n  - {name: it support}\n", encoding="utf-8")
    async with desk.session() as s:
        assert (await seed_file(s, desk, again)).groups == 0
    async with desk.session() as s:
        assert await s.scalar(select(Group.id).where(Group.name == "it support")) is None


async def test_what_the_configuration_names_and_the_desk_lacks_is_said(
    desk_with: Callable[..., Awaitable[Desk]],
) -> None:
    # A desk set up from its own file kept the shipped desk.default_group "Service Desk": the
    # tickets the bot could not file went to no group's queue, and nothing said so.
    desk = await desk_with(
        rules=[
            {
                "name": "printers",
                "when": ["created"],
                "if": {"category": ["Printers", "hardware"]},
                "then": [{"group": "Print Room"}, {"set": {"category": "hardware/laptop"}}],
            }
        ],
        escalation={
            "levels": [{"name": "late", "clock": "resolution", "at": "100%", "forward_to": "network"}]
        },
        bot={"device_categories": ["Hardware", "/gadgets/"], "foremost_categories": ["security"]},
    )
    async with desk.session() as s:
        assert await missing_from_desk(s, desk.settings) == [
            "the configuration names group 'Print Room', which this desk does not have"
            " (rules (printers): then.0): create it or change the configuration",
            "the configuration names category 'gadgets', which this desk does not have"
            " (bot.device_categories): create it or change the configuration",
            "the configuration names category 'Printers', which this desk does not have"
            " (rules (printers): if category): create it or change the configuration",
        ]
    # Not said: the demo's "Network" named "network", its "hardware" category named by its name
    # "Hardware", and the rest of the shipped configuration, which names the demo's.
