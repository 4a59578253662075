"""``frontdesk seed``: a desk's groups, agents, categories, KB articles and saved replies from a
YAML file, loaded idempotently (by name, e-mail, path, title, shortcut: a second run changes
nothing, and what exists is never touched). ``--demo`` loads the shipped demo file, whose agents
share the published demo password; agents from your own file get none (set it with
``frontdesk agent password``), and the file is checked whole before anything is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import (
    check_calendar,
    check_timezone,
    create_agent,
    create_group,
    find_agent,
    find_group,
    group_named,
    hash_password,
)
from desk.catalog import category_path, create_category, find_category
from desk.context import Desk
from desk.errors import InvalidInput, NotFound
from desk.kb import create_article
from desk.models import Agent, Article, Category, SavedReply
from desk.replies import create_reply
from desk.settings import Level, Settings

__all__ = ["DEMO_PASSWORD", "SeedReport", "missing_from_desk", "seed_demo", "seed_file"]

DEMO_FILE = Path(__file__).parent / "demo.yml"
DEMO_PASSWORD = "frontdesk-demo"  # noqa: S105 (documented demo credential)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GroupSpec(_Item):
    name: str = Field(min_length=1)
    description: str = ""
    calendar: str | None = None
    routing: Literal["round_robin", "least_loaded", "skills", "manual"] = "round_robin"
    manager: str | None = None  # an agent's e-mail (of this file or the desk)


class AgentSpec(_Item):
    email: str = Field(min_length=3)
    name: str = Field(min_length=1)
    role: Literal["agent", "supervisor", "admin"] = "agent"
    groups: list[str] = Field(default_factory=list)
    language: Literal["en", "zh"] = "en"
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(default=5, ge=0)
    timezone: str = "UTC"
    calendar: str | None = None  # the shift; none: the group's


class CategorySpec(_Item):
    path: str = Field(min_length=1)
    name: str | None = None
    name_zh: str | None = None
    description: str = ""
    group: str | None = None
    impact: Level | None = None
    type: Literal["incident", "request"] | None = None
    keywords: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)


class ArticleSpec(_Item):
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    language: Literal["en", "zh"] = "en"
    category: str | None = None


class ReplySpec(_Item):
    shortcut: str = Field(min_length=1)
    language: Literal["en", "zh"] = "en"
    text: str = Field(min_length=1)


class SetupFile(_Item):
    """What a setup file holds; every list may be left out."""

    groups: list[GroupSpec] = Field(default_factory=list)
    agents: list[AgentSpec] = Field(default_factory=list)
    categories: list[CategorySpec] = Field(default_factory=list)
    articles: list[ArticleSpec] = Field(default_factory=list)
    replies: list[ReplySpec] = Field(default_factory=list)


@dataclass
class SeedReport:
    """How many of each were created this time (zero everywhere on a second run)."""

    groups: int = 0
    agents: int = 0
    categories: int = 0
    articles: int = 0
    replies: int = 0
    without_password: list[str] = field(default_factory=list)  # new agents who cannot sign in yet

    def __str__(self) -> str:
        told = (
            f"created {self.groups} groups, {self.agents} agents, {self.categories} categories, "
            f"{self.articles} KB articles, {self.replies} saved replies"
        )
        for email in self.without_password:
            told += f"\n{email} has no password yet: frontdesk agent password --email {email}"
        return told


async def seed_demo(session: AsyncSession, desk: Desk, data_file: Path = DEMO_FILE) -> SeedReport:
    """The demo: its agents all get :data:`DEMO_PASSWORD` and the desk's default calendar; a
    group's calendar the configuration lacks is left out rather than refused (the demo runs on
    any configuration)."""
    return await seed_file(session, desk, data_file, password=DEMO_PASSWORD, demo=True)


async def read_setup(path: Path) -> SetupFile:
    """The setup file at ``path``, checked.

    Raises:
        InvalidInput: for a file that is not YAML or not a setup file (naming the item and field).
    """
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err.strerror}", code="invalid_file") from None
    try:
        data = yaml.safe_load(text) or {}
        return SetupFile.model_validate(data)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        said = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InvalidInput(f"{path} is not YAML{where}: {said}", code="invalid_file") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{path}: {where}: {first['msg']}", code="invalid_file") from None


def _check(setup: SetupFile, desk: Desk, demo: bool) -> SetupFile:
    """Calendars and time zones the desk knows (the demo drops the calendars it does not)."""
    try:
        items: list[GroupSpec | AgentSpec] = [*setup.groups, *setup.agents]
        for item in items:
            who = item.name
            if demo and item.calendar not in desk.calendars:
                item.calendar = None
            check_calendar(desk, item.calendar)
        for agent in setup.agents:
            who = agent.email
            check_timezone(agent.timezone)
    except InvalidInput as err:
        raise InvalidInput(f"{who}: {err}", code="invalid_file") from None
    return setup


async def seed_file(
    session: AsyncSession, desk: Desk, path: Path, *, password: str | None = None, demo: bool = False
) -> SeedReport:
    """Create what the setup file at ``path`` lists and the database lacks; touch nothing that
    exists. New agents get ``password`` (none: they cannot sign in until one is set).

    Raises:
        InvalidInput: for a bad file. NotFound: for a group, agent or category it names that
            neither it nor the desk has. Nothing is written then (the caller's session rolls back).
    """
    setup = _check(await read_setup(path), desk, demo)
    report = SeedReport()
    for g in setup.groups:
        if await group_named(session, g.name) is None:
            await create_group(
                session, g.name, description=g.description, calendar=g.calendar, routing=g.routing
            )
            report.groups += 1
    hashed = ""  # one (slow) hash serves every new agent of a shared password
    for a in setup.agents:
        if await session.scalar(select(Agent.id).where(Agent.email == a.email.lower())) is None:
            agent = await create_agent(
                session,
                email=a.email,
                name=a.name,
                role=a.role,
                groups=a.groups,
                language=a.language,
                skills=a.skills,
                capacity=a.capacity,
                timezone=a.timezone,
                calendar=desk.settings.desk.default_calendar if demo else a.calendar,
            )
            if password is not None:
                agent.password_hash = hashed = hashed or hash_password(password)
            else:
                report.without_password.append(agent.email)
            report.agents += 1
    for g in setup.groups:
        group = await find_group(session, g.name)
        if group.manager_id is None and g.manager:
            group.manager = await find_agent(session, g.manager)
    for c in setup.categories:
        if await session.scalar(select(Category.id).where(Category.path == category_path(c.path))) is None:
            await create_category(
                session,
                c.path,
                name=c.name,
                name_zh=c.name_zh,
                description=c.description,
                group=await find_group(session, c.group) if c.group else None,
                default_impact=c.impact,
                default_type=c.type,
                keywords=c.keywords,
                skills=c.skills,
            )
            report.categories += 1
    for art in setup.articles:
        if await session.scalar(select(Article.id).where(Article.title == art.title)) is None:
            await create_article(
                session,
                desk,
                title=art.title,
                body=art.body,
                tags=art.tags,
                language=art.language,
                category=art.category,
            )
            report.articles += 1
    for r in setup.replies:
        taken = select(SavedReply.id).where(
            SavedReply.shortcut == r.shortcut, SavedReply.language == r.language
        )
        if await session.scalar(taken) is None:
            await create_reply(session, desk, None, shortcut=r.shortcut, language=r.language, text=r.text)
            report.replies += 1
    await session.flush()
    return report


async def missing_from_desk(session: AsyncSession, settings: Settings) -> list[str]:
    """What the configuration names that the desk does not have, a line each. A desk set up from
    its own file keeps the shipped configuration's names until someone changes them: its
    ``desk.default_group`` "Service Desk" left every ticket the bot could not file in no group's
    queue, and ``bot.device_categories`` or a rule naming a missing category does nothing, all
    without a word. ``serve`` and ``seed`` say so."""
    lines = []
    checks = (
        ("group", settings.named_groups(), _has_group, " "),
        ("category", settings.named_categories(), _has_category, " /"),  # "/network/" is network
    )
    for kind, named, has, around in checks:
        where: dict[str, list[str]] = {}
        for value, key in named:
            where.setdefault(value.strip(around).casefold(), [value.strip(around)]).append(key)
        for value, *keys in where.values():
            if not await has(session, value):
                lines.append(
                    f"the configuration names {kind} {value!r}, which this desk does not have "
                    f"({', '.join(dict.fromkeys(keys))}): create it or change the configuration"
                )
    return lines


async def _has_group(session: AsyncSession, name: str) -> bool:
    return await group_named(session, name) is not None


async def _has_category(session: AsyncSession, key: str) -> bool:
    try:
        await find_category(session, key)
    except NotFound:
        return False
    return True
