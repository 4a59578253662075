"""What changed in the desk, for the consoles' change stream (``GET /api/v1/changes``).

An open console used to ask for its list, its open conversation or ticket and its
notifications every three seconds, whether anything had changed or not. Now one task per
process reads a fingerprint of the desk's live data (the newest message, ticket event and
notification, the latest change to a conversation and the latest delivery attempt: five index
lookups) every ``interval`` seconds while someone is listening, and wakes every listener when it
moves; the consoles then ask for what they show. It works across processes and on both
databases, since it reads the database rather than this process's own writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import func, select

from desk.context import Desk
from desk.models import Conversation, Message, Notification, OutboxItem, TicketEvent

__all__ = ["ChangeFeed"]

log = logging.getLogger(__name__)


class ChangeFeed:
    """A version number that goes up when the desk's live data changes, read on demand."""

    def __init__(self, desk: Desk, interval: float = 1.0) -> None:
        self.desk = desk
        self.interval = interval
        self.version = 0
        self._fingerprint: tuple[Any, ...] | None = None
        self._moved = asyncio.Condition()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None
        self._waking: asyncio.Task[None] | None = None  # held: the loop keeps only weak references
        self.closed = asyncio.Event()
        self.watching = asyncio.Event()  # set once the watcher has its first reading

    async def fingerprint(self) -> tuple[Any, ...]:
        async with self.desk.session() as session:
            row = await session.execute(
                select(
                    select(func.max(Message.id)).scalar_subquery(),
                    select(func.max(TicketEvent.id)).scalar_subquery(),
                    select(func.max(Notification.id)).scalar_subquery(),
                    select(func.max(Conversation.updated_at)).scalar_subquery(),
                    # ⏳ becomes ✓, or shows why it has not gone yet, or ✗
                    select(func.max(OutboxItem.tried_at)).scalar_subquery(),
                )
            )
            return tuple(row.one())

    async def wait(self, seen: int, within: float) -> int:
        """The version once it is past ``seen``, or after ``within`` seconds whatever it is."""
        self._listeners += 1
        self._ensure_watching()
        try:
            async with self._moved:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(within):
                        await self._moved.wait_for(lambda: self.version != seen or self.closed.is_set())
                return self.version
        finally:
            self._listeners -= 1

    def close(self) -> None:
        """End every stream (the server is stopping): a stream that never ends would hold it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: nobody is waiting
            self.closed.set()
            return
        # Called from a signal handler too: the work is done by the loop, between callbacks.
        loop.call_soon_threadsafe(self._close_now)

    def _close_now(self) -> None:
        self.closed.set()
        if self._task is not None:
            self._task.cancel()
        self._waking = asyncio.get_running_loop().create_task(self._bump())  # wake the waiting streams

    async def _bump(self) -> None:
        async with self._moved:
            self.version += 1
            self._moved.notify_all()

    def _ensure_watching(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="change-feed")

    async def _watch(self) -> None:
        """Read the fingerprint while anyone listens; stop when nobody has for a while."""
        idle = 0
        while not self.closed.is_set() and idle < 30:
            try:
                now = await self.fingerprint()
            except Exception:  # the database is away: listeners keep their last version
                log.warning("change feed: the database does not answer", exc_info=True)
            else:
                if self._fingerprint is not None and now != self._fingerprint:
                    await self._bump()
                self._fingerprint = now
                self.watching.set()
            idle = 0 if self._listeners else idle + 1
            await asyncio.sleep(self.interval)
        self._fingerprint = None  # a restart compares with a fresh reading, not a stale one
        self.watching.clear()
