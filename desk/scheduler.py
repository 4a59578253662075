"""The scheduler inside ``serve``: runs each job's due work from the database on every tick.

Jobs take the rows they act on with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and re-check their
condition under that lock, so several ``serve`` processes sharing one database act on each due
item exactly once; on SQLite the single writer serialises them. A failing job is logged and
retried on the next tick without stopping the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.calendar import parse_duration
from desk.context import Desk

__all__ = ["Job", "automation_delay", "each_due", "run_due", "run_router", "run_scheduler"]

log = logging.getLogger(__name__)

Job = Callable[[Desk], Awaitable[int]]
Row = TypeVar("Row")
_BATCH = 50


def automation_delay(desk: Desk, setting: str) -> timedelta:
    """The wall-clock length of the ``automation`` setting named ``setting`` ("3d")."""
    return timedelta(seconds=parse_duration(getattr(desk.settings.automation, setting)).seconds)


async def each_due(
    desk: Desk,
    query: Select[Row],
    model: type[Any],
    act: Callable[[AsyncSession, Row], Awaitable[bool]],
) -> int:
    """Lock due rows of ``model`` a batch at a time, skipping those another process holds,
    and ``act`` on each in that transaction. ``query`` must select only rows still due, so
    that a row handled by another process is not selected again. Returns how many acted."""
    handled = 0
    while True:
        async with desk.session() as session:
            rows = list(
                await session.scalars(query.limit(_BATCH).with_for_update(of=model, skip_locked=True))
            )
            for row in rows:
                handled += bool(await act(session, row))
        if len(rows) < _BATCH:
            return handled


async def run_due(desk: Desk, jobs: Sequence[Job]) -> dict[str, int]:
    """One pass of every job; returns how many items each handled (-1 for a job that failed)."""
    done: dict[str, int] = {}
    for job in jobs:
        name = getattr(job, "__name__", repr(job))
        try:
            done[name] = await job(desk)
        except Exception:
            log.exception("scheduled job %s failed; it will run again on the next tick", name)
            done[name] = -1
    return done


async def run_router(desk: Desk, route: Job, stop: asyncio.Event, *, settle: float = 0.05) -> None:
    """Run ``route`` as soon as a commit may have freed an agent or queued work (the desk's
    ``route_event``), and on every tick for shifts that start. A burst of commits is served by
    one pass (``settle`` seconds after the first). Failures are logged and retried."""
    tick = desk.settings.automation.tick_seconds
    while not stop.is_set():
        desk.route_event.clear()
        await run_due(desk, [route])
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(desk.route_event.wait())]
        done, _ = await asyncio.wait(waits, timeout=tick, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waits:
            waiter.cancel()
        if done and not stop.is_set():
            await asyncio.sleep(settle)


async def run_scheduler(desk: Desk, jobs: Sequence[Job], stop: asyncio.Event) -> None:
    """Run :func:`run_due` every ``automation.tick_seconds`` until ``stop`` is set."""
    tick = desk.settings.automation.tick_seconds
    while not stop.is_set():
        handled = await run_due(desk, jobs)
        if any(n > 0 for n in handled.values()):
            log.info("scheduler: %s", ", ".join(f"{k}={v}" for k, v in handled.items() if v))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)
