"""What every service needs besides a session: settings, the clock, calendars, an outbox nudge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from desk.calendar import Calendar
from desk.db import Database
from desk.settings import Settings

if TYPE_CHECKING:
    from desk.models import Agent, Conversation, OutboxItem, Person, Ticket

__all__ = ["Actor", "Desk", "FailureHook", "ReleaseHook"]

# Called inside the transaction that hands a conversation back to the bot, before its state is
# cleared: what mirrors the conversation elsewhere (the Slack agent room) says so there. It gets the
# agent who released it, if any, and the ticket when the release is because that ticket is finished.
ReleaseHook = Callable[[AsyncSession, "Conversation", "Agent | None", "Ticket | None"], Awaitable[None]]
# Called inside the transaction that gives up on delivering an outbox row that carries a message
# to a user: whoever should know that the user never got it is told.
FailureHook = Callable[[AsyncSession, "Desk", "OutboxItem"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, for the audit log: an agent, a requester, the bot or the system."""

    kind: str
    id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls("system", None, name)

    @classmethod
    def bot(cls) -> Actor:
        return cls("bot", None, "bot")

    @classmethod
    def requester(cls, person: Person) -> Actor:
        return cls("requester", person.id, person.name)


@dataclass
class Desk:
    """The desk's runtime: built once by the composition root and passed to services.

    ``clock`` is injectable so that every piece of time logic can be tested at a chosen
    instant; it must return aware datetimes.
    """

    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    outbox_event: asyncio.Event = field(default_factory=asyncio.Event)
    route_event: asyncio.Event = field(default_factory=asyncio.Event)
    release_hooks: list[ReleaseHook] = field(default_factory=list)
    failure_hooks: list[FailureHook] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()

    def link(self, path: str) -> str:
        """The address of ``path`` (``/console#INC-3``) as users and agents reach the desk."""
        return f"{self.settings.public_url.rstrip('/')}{path}"

    @cached_property
    def calendars(self) -> dict[str, Calendar]:
        return {name: self.settings.calendar(name) for name in self.settings.calendars}

    def calendar(self, name: str | None) -> Calendar | None:
        """The named calendar, else the desk's default one, else none."""
        chosen = name or self.settings.desk.default_calendar
        return self.calendars.get(chosen) if chosen else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work. After it commits, the outbox is woken if the work queued messages,
        and routing if it queued work or freed an agent."""
        async with self.db.session() as session:
            yield session
        if session.info.pop("wake_outbox", False):
            self.wake_outbox()
        if session.info.pop("wake_router", False):
            self.route_event.set()

    def wake_outbox(self) -> None:
        """Tell the delivery loop that rows were committed (it also polls)."""
        self.outbox_event.set()
