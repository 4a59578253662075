"""``frontdesk seed --demo``: believable demo data, loaded idempotently (by name, e-mail, shortcut)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import create_agent, create_group, find_agent, find_group, hash_password
from desk.catalog import create_category
from desk.context import Desk
from desk.kb import create_article
from desk.models import Agent, Article, Category, Group, SavedReply
from desk.replies import create_reply

__all__ = ["DEMO_PASSWORD", "SeedReport", "seed_demo"]

DEMO_FILE = Path(__file__).parent / "demo.yml"
DEMO_PASSWORD = "frontdesk-demo"  # noqa: S105 (documented demo credential)


@dataclass
class SeedReport:
    """How many of each were created this time (zero everywhere on a second run)."""

    groups: int = 0
    agents: int = 0
    categories: int = 0
    articles: int = 0
    replies: int = 0

    def __str__(self) -> str:
        return (
            f"created {self.groups} groups, {self.agents} agents, {self.categories} categories, "
            f"{self.articles} KB articles, {self.replies} saved replies"
        )


async def seed_demo(session: AsyncSession, desk: Desk, data_file: Path = DEMO_FILE) -> SeedReport:
    """Create what the demo file lists and the database lacks; touch nothing that exists."""
    text = await asyncio.to_thread(data_file.read_text, encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    report = SeedReport()
    for g in data["groups"]:
        if await session.scalar(select(Group.id).where(Group.name == g["name"])) is None:
            calendar = g.get("calendar") if g.get("calendar") in desk.calendars else None
            await create_group(
                session,
                g["name"],
                description=g.get("description", ""),
                calendar=calendar,
                routing=g["routing"],
            )
            report.groups += 1
    demo_hash = ""  # every demo agent has the published demo password: one (slow) hash serves all
    for a in data["agents"]:
        if await session.scalar(select(Agent.id).where(Agent.email == a["email"])) is None:
            agent = await create_agent(
                session,
                email=a["email"],
                name=a["name"],
                role=a["role"],
                groups=a["groups"],
                language=a.get("language", "en"),
                skills=a.get("skills", []),
                calendar=desk.settings.desk.default_calendar,
            )
            agent.password_hash = demo_hash = demo_hash or hash_password(DEMO_PASSWORD)
            report.agents += 1
    for g in data["groups"]:
        group = await find_group(session, g["name"])
        if group.manager_id is None and g.get("manager"):
            group.manager = await find_agent(session, g["manager"])
    for c in data["categories"]:
        if await session.scalar(select(Category.id).where(Category.path == c["path"])) is None:
            await create_category(
                session,
                c["path"],
                name=c["name"],
                name_zh=c.get("name_zh"),
                group=await find_group(session, c["group"]),
                default_impact=c.get("impact"),
                default_type=c.get("type"),
                keywords=c.get("keywords", []),
                skills=c.get("skills", []),
            )
            report.categories += 1
    for art in data["articles"]:
        if await session.scalar(select(Article.id).where(Article.title == art["title"])) is None:
            await create_article(
                session,
                desk,
                title=art["title"],
                body=art["body"],
                tags=art.get("tags", []),
                language=art.get("language", "en"),
                category=art.get("category"),
            )
            report.articles += 1
    for r in data.get("replies", []):
        taken = select(SavedReply.id).where(
            SavedReply.shortcut == r["shortcut"], SavedReply.language == r["language"]
        )
        if await session.scalar(taken) is None:
            await create_reply(
                session, desk, None, shortcut=r["shortcut"], language=r["language"], text=r["text"]
            )
            report.replies += 1
    await session.flush()
    return report
