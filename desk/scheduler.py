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

from desk.context import Desk

__all__ = ["Job", "run_due", "run_scheduler"]

log = logging.getLogger(__name__)

Job = Callable[[Desk], Awaitable[int]]


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


async def run_scheduler(desk: Desk, jobs: Sequence[Job], stop: asyncio.Event) -> None:
    """Run :func:`run_due` every ``automation.tick_seconds`` until ``stop`` is set."""
    tick = desk.settings.automation.tick_seconds
    while not stop.is_set():
        handled = await run_due(desk, jobs)
        if any(n > 0 for n in handled.values()):
            log.info("scheduler: %s", ", ".join(f"{k}={v}" for k, v in handled.items() if v))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)
