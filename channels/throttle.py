"""Flood protection for the ways in that anyone can reach: the web chat's REST endpoints and mail.

A script posting to ``/webhooks/rest/webhook`` in a loop, or two robots answering each other's
mail, would otherwise open a ticket per message. Each limit is a moving window per key (a web-chat
sender, a client address, a mail sender), as ``limits`` counts it: ``"30/minute;300/hour"`` allows
a message while every window has room, and a message refused counts against none. The channel says
"later" in its own protocol (HTTP 429 with ``Retry-After``, SMTP 451, a mail left unread), so the
sender can try again and nothing is lost. A mail counts once it is stored: one the database could
not take is tried again by its sender, and counted then.

The counts live in memory (one process) or in Redis (``redis://host:6379``), where every process
that serves the desk sees the same counts. If the store cannot be reached, messages are let
through and the failure is logged: flood protection never stops the desk taking messages.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import coredis
from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

__all__ = ["Limit", "Refusal", "Throttle", "limit"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Limit = tuple[RateLimitItem, ...]
"""One limit: every window in it must have room (``"30/minute;300/hour"`` is two)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A message not taken: whose limit is full (its key) and the seconds until there is room."""

    key: tuple[str, ...]
    seconds: int


def limit(spec: str | None) -> Limit:
    """The windows of ``spec`` (``"30/minute;300/hour"``); none (no limit) for ``""`` or None.

    Raises:
        ValueError: when ``spec`` is not a list of ``N/period`` windows.
    """
    if not spec or not spec.strip():
        return ()
    return tuple(parse_many(spec))


class Throttle:
    """Counts messages per key against limits, in one store shared by the channels that use it."""

    def __init__(self, storage: str = "memory://", *, namespace: str = "frontdesk") -> None:
        self._uri = storage if storage.startswith("async+") else f"async+{storage}"
        options: dict[str, Any] = {}
        self._pool: coredis.ConnectionPool | None = None
        if urlsplit(storage).scheme.removeprefix("async+") in ("redis", "rediss"):
            # The pool is ours, so that close() can let its connections go (limits has no close).
            self._pool = options["connection_pool"] = coredis.ConnectionPool.from_url(
                storage.removeprefix("async+")
            )
        self._limiter = MovingWindowRateLimiter(storage_from_string(self._uri, **options))
        self._namespace = namespace
        self._failing = False  # the store's failure is logged once, and its recovery
        self._told: dict[tuple[str, ...], float] = {}  # key -> until when its refusal is logged

    def _tell(self, refusal: Refusal, full: list[RateLimitItem]) -> None:
        """Logs a key's refusal once per spell: a flood must not flood the log too."""
        now = time.monotonic()
        if self._told.get(refusal.key, 0.0) > now:
            return
        if len(self._told) > 10_000:
            self._told = {k: t for k, t in self._told.items() if t > now}
        self._told[refusal.key] = now + refusal.seconds
        windows = ", ".join(str(w) for w in full)
        log.warning("throttle: %s is over its limit (%s); refused for %d s", " ".join(refusal.key), windows,
                    refusal.seconds)  # fmt: skip

    def close(self) -> None:
        """Lets go of the store's connections (Redis); the counts stay there for the others."""
        if self._pool is not None:
            self._pool.disconnect()

    async def _each(self, calls: list[Coroutine[Any, Any, T]]) -> list[T]:
        """The store's answers to ``calls``: at once over the network (Redis: one round trip's
        wait instead of one each), in turn in memory (where tasks would cost more than they save)."""
        if self._pool is None:
            return [await call for call in calls]
        return list(await asyncio.gather(*calls))

    async def wait(self, *checks: tuple[Limit, tuple[str, ...]]) -> Refusal | None:
        """Counts one message against each ``(limit, key)`` and returns None; or, when a window
        of one of them is full, counts nothing and says which and for how long (at least 1 s)."""
        refusal = await self.full(*checks)
        if refusal is None:
            await self.count(*checks)
        return refusal

    async def full(self, *checks: tuple[Limit, tuple[str, ...]]) -> Refusal | None:
        """Whether a window of one of ``checks`` is full, counting nothing: which and for how long
        (at least 1 s), or None. With :meth:`count` once the message is taken, for a channel that
        may fail to take it after the check (a mail the database could not store is tried again
        by its sender, and must not count twice)."""
        pairs = self._pairs(checks)
        if not pairs:
            return None
        stats = await self._store(
            self._each([self._limiter.get_window_stats(w, *ident) for w, ident in pairs])
        )
        if stats is None:
            return None
        full = [(w, s, ident) for (w, ident), s in zip(pairs, stats, strict=True) if s.remaining <= 0]
        if not full:
            return None
        key = full[0][2][1:]
        reset = max(s.reset_time for _, s, ident in full if ident[1:] == key)
        refusal = Refusal(key, max(1, math.ceil(reset - time.time())))
        self._tell(refusal, [w for w, _, ident in full if ident[1:] == key])
        return refusal

    async def count(self, *checks: tuple[Limit, tuple[str, ...]]) -> None:
        """Counts one message against each of ``checks``."""
        if pairs := self._pairs(checks):
            await self._store(self._each([self._limiter.hit(w, *ident) for w, ident in pairs]))

    def _pairs(
        self, checks: tuple[tuple[Limit, tuple[str, ...]], ...]
    ) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [(w, (self._namespace, *key)) for windows, key in checks for w in windows]

    async def _store(self, calls: Awaitable[T]) -> T | None:
        """What the store answers; None when it cannot be reached, which lets the message through
        (logged once, and so is its recovery)."""
        try:
            answer = await calls
        except Exception as exc:  # the store (Redis) is away
            if not self._failing:
                log.error(
                    "throttle: the store %s cannot be used (%s); messages are not limited", self._uri, exc
                )
                self._failing = True
            return None
        if self._failing:
            log.warning("throttle: the store %s answers again; limits apply", self._uri)
            self._failing = False
        return answer
