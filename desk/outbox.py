"""The transactional outbox: every reply leaves through here, after commit, retried until sent.

A service adds an :class:`OutboxItem` in the same transaction as the message it carries. The
delivery loop claims due rows by pushing their ``next_attempt_at`` forward by a lease (with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several ``serve`` processes never claim the same
row), sends outside any transaction, then records the outcome. A crash between sending and
recording means the row is sent again when the lease ends: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Address, DeliveryError, Outbound
from desk.attachments import outgoing_files
from desk.context import Desk
from desk.models import Attachment, OutboxItem

__all__ = ["Outbox", "deliver_due", "enqueue", "run_delivery"]

log = logging.getLogger(__name__)
_LEASE = timedelta(seconds=120)
FILES = "attachment_ids"  # payload key: the stored attachments that go with the message
FIRST_ID = "first_id"  # payload key: the platform's id of a part-sent message's first part


class Outbox(Protocol):
    """What delivers messages: the channel registry of the composition root satisfies it."""

    def handles(self, channel: str) -> bool:
        """Whether a sender for ``channel`` is configured."""
        ...

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Deliver; return the platform's message id. Raises :class:`DeliveryError`."""
        ...


def enqueue(
    session: AsyncSession,
    desk: Desk,
    address: Address,
    message: Outbound,
    *,
    message_id: int | None = None,
    files: Sequence[Attachment] = (),
) -> OutboxItem:
    """Add a delivery to the current transaction, due now. Nothing leaves before commit.

    ``files`` are stored attachments that go with the message; the row keeps their ids and the
    bytes are read when it is delivered.
    """
    now = desk.now()
    payload = message.to_dict()
    if files:
        payload[FILES] = [f.id for f in files]
    item = OutboxItem(
        created_at=now,
        next_attempt_at=now,
        channel=address.channel,
        chat_id=address.chat_id,
        address=address.to_dict(),
        payload=payload,
        message_id=message_id,
    )
    session.add(item)
    return item


def _backoff(desk: Desk, attempts: int) -> timedelta:
    cfg = desk.settings.outbox
    delay = min(cfg.first_retry_seconds * 2 ** (attempts - 1), cfg.max_retry_seconds)
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))


async def _claim(desk: Desk, limit: int) -> list[OutboxItem]:
    now = desk.now()
    async with desk.db.session() as session:
        due = await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
            .order_by(OutboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows: list[OutboxItem] = []
        for row in due:
            # Only the oldest pending row of an address may go (or one behind it in this
            # batch): a row waiting out its backoff holds back everything after it.
            earlier = await session.scalar(
                select(OutboxItem.id)
                .where(
                    OutboxItem.status == "pending",
                    OutboxItem.channel == row.channel,
                    OutboxItem.chat_id == row.chat_id,
                    OutboxItem.id < row.id,
                )
                .order_by(OutboxItem.id.desc())
                .limit(1)
            )
            if earlier is None or any(r.id == earlier for r in rows):
                row.next_attempt_at = now + _LEASE
                rows.append(row)
    return rows


async def _record(desk: Desk, item_id: int, *, external_id: str | None, error: DeliveryError | None) -> None:
    now: datetime = desk.now()
    async with desk.db.session() as session:
        item = await session.get(OutboxItem, item_id)
        if item is None:
            return
        item.attempts += 1
        item.tried_at = now
        # The id of a message sent in parts is its first part's, which may have gone earlier.
        first_id = item.payload.get(FIRST_ID) or external_id
        if error is None:
            item.status, item.sent_at, item.external_id, item.last_error = "sent", now, first_id, None
            return
        item.last_error = str(error)[:2000]
        if error.sent_parts:  # what the platform has: the retry resumes after it
            resumed = replace(Outbound.from_dict(item.payload), sent_parts=error.sent_parts)
            item.payload = {**item.payload, **resumed.to_dict(), FIRST_ID: first_id or error.first_id}
        if error.permanent or item.attempts >= desk.settings.outbox.max_attempts:
            item.status = "failed"
            log.error("outbox %s to %s failed for good: %s", item.id, item.channel, error)
            if item.message_id is not None:  # a message to a user, not a notice to an agent
                for hook in desk.failure_hooks:
                    await hook(session, desk, item)
        else:
            # The platform's own wait (a rate limit's Retry-After) when it gave one, else backoff.
            wait = _backoff(desk, item.attempts)
            if error.retry_after is not None:
                wait = max(wait, timedelta(seconds=error.retry_after))
            item.next_attempt_at = now + wait
            log.warning(
                "outbox %s to %s failed (attempt %s), will retry: %s",
                item.id,
                item.channel,
                item.attempts,
                error,
            )


async def deliver_due(desk: Desk, outbox: Outbox, *, limit: int = 50) -> int:
    """One pass: send what is due, in order per address. Returns how many were sent.

    When a delivery to an address fails, later rows for that address wait for the next pass,
    so that a user never receives message 2 before message 1.
    """
    sent = 0
    blocked: set[tuple[str, str]] = set()
    for item in await _claim(desk, limit):
        address = Address.from_dict(item.address)
        key = (address.channel, address.chat_id)
        if key in blocked:
            await _release(desk, item.id)
            continue
        if not outbox.handles(address.channel):
            await _park(desk, item.id, f"channel {address.channel} is not configured")
            blocked.add(key)
            continue
        error: DeliveryError | None = None
        external_id: str | None = None
        message = Outbound.from_dict(item.payload)
        if item.payload.get(FILES):
            async with desk.db.session() as session:
                files = await outgoing_files(session, desk, item.payload[FILES])
            message = replace(message, attachments=files)
        try:
            external_id = await outbox.send(address, message)
        except DeliveryError as exc:
            error = exc
        await _record(desk, item.id, external_id=external_id, error=error)
        if error is None:
            sent += 1
        else:
            blocked.add(key)
    return sent


async def _park(desk: Desk, item_id: int, reason: str) -> None:
    """A row for a channel that is off: it stays pending without using up its attempts, and is
    looked at again after the longest backoff (so within that time of the channel coming on)."""
    async with desk.db.session() as session:
        item = await session.get(OutboxItem, item_id)
        if item is not None and item.status == "pending":
            item.last_error, item.tried_at = reason, desk.now()
            item.next_attempt_at = desk.now() + timedelta(seconds=desk.settings.outbox.max_retry_seconds)


async def _release(desk: Desk, item_id: int) -> None:
    async with desk.db.session() as session:
        item = await session.get(OutboxItem, item_id)
        if item is not None and item.status == "pending":
            item.next_attempt_at = desk.now()


async def run_delivery(desk: Desk, outbox: Outbox, stop: asyncio.Event) -> None:
    """Deliver until ``stop`` is set: on every :meth:`Desk.wake_outbox` and every poll interval."""
    poll = desk.settings.outbox.poll_seconds
    while not stop.is_set():
        desk.outbox_event.clear()
        try:
            while await deliver_due(desk, outbox) > 0:
                pass
        except Exception:
            log.exception("outbox delivery pass failed; retrying in %ss", poll)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_first(desk.outbox_event, stop), timeout=poll)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
