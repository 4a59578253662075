"""The outbox on both databases: after commit, in order per address, retried, never twice at once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from channels.base import Address, DeliveryError, Outbound, Part, send_parts
from desk.context import Desk
from desk.models import OutboxItem
from desk.outbox import deliver_due, enqueue, run_delivery
from tests.conftest import Clock


class FakeChannels:
    """A platform stand-in: records what arrives; can refuse the next N sends or refuse for good."""

    def __init__(self, *, channels: tuple[str, ...] = ("telegram", "sms"), delay: float = 0.0) -> None:
        self.channels = channels
        self.delay = delay
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, int] = {}
        self.refuse: set[str] = set()
        self.rate_limited: dict[str, float] = {}

    def handles(self, channel: str) -> bool:
        return channel in self.channels

    async def send(self, address: Address, message: Outbound) -> str | None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if message.text in self.refuse:
            raise DeliveryError("chat not found", permanent=True)
        if message.text in self.rate_limited:
            raise DeliveryError("429 Too Many Requests", retry_after=self.rate_limited.pop(message.text))
        if self.failures.get(message.text, 0) > 0:
            self.failures[message.text] -= 1
            raise DeliveryError("502 Bad Gateway")
        self.sent.append((address.chat_id, message.text))
        return f"m{len(self.sent)}"


async def queue(desk: Desk, *items: tuple[str, str, str]) -> None:
    async with desk.session() as s:
        for channel, chat, text in items:
            enqueue(s, desk, Address(channel, chat), Outbound(text))


async def statuses(desk: Desk) -> list[tuple[str, str, int]]:
    async with desk.session() as s:
        rows = await s.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return [(r.payload["text"], r.status, r.attempts) for r in rows]


async def test_delivers_after_commit_in_order(desk: Desk) -> None:
    fake = FakeChannels()
    await queue(desk, ("telegram", "1", "hello"), ("sms", "+86138", "你好"), ("telegram", "1", "second"))
    assert await deliver_due(desk, fake) == 3
    assert fake.sent == [("1", "hello"), ("+86138", "你好"), ("1", "second")]
    async with desk.session() as s:
        first = await s.scalar(select(OutboxItem).order_by(OutboxItem.id))
    assert first is not None
    assert (first.status, first.external_id, first.sent_at) == ("sent", "m1", desk.now())
    assert await deliver_due(desk, fake) == 0  # nothing is sent twice


async def test_an_outage_is_retried_and_holds_back_later_messages(desk: Desk, clock: Clock) -> None:
    fake = FakeChannels()
    fake.failures["first"] = 2
    await queue(desk, ("telegram", "1", "first"), ("telegram", "1", "second"), ("sms", "+1", "other user"))
    assert await deliver_due(desk, fake) == 1  # only the other user's message goes
    assert fake.sent == [("+1", "other user")]
    assert await deliver_due(desk, fake) == 0  # "first" waits out its backoff; "second" waits for it
    clock.advance(seconds=3)
    assert await deliver_due(desk, fake) == 0  # second outage, longer backoff
    clock.advance(seconds=10)
    assert await deliver_due(desk, fake) == 2
    assert fake.sent[1:] == [("1", "first"), ("1", "second")]
    assert await statuses(desk) == [("first", "sent", 3), ("second", "sent", 1), ("other user", "sent", 1)]


async def test_a_rate_limit_waits_as_long_as_the_platform_asked(desk: Desk, clock: Clock) -> None:
    fake = FakeChannels()
    fake.rate_limited["burst"] = 30.0  # far longer than the first backoff (about 2 s)
    await queue(desk, ("telegram", "1", "burst"))
    assert await deliver_due(desk, fake) == 0
    clock.advance(seconds=25)
    assert await deliver_due(desk, fake) == 0  # the backoff alone would have retried by now
    clock.advance(seconds=6)
    assert await deliver_due(desk, fake) == 1
    assert await statuses(desk) == [("burst", "sent", 2)]


async def test_permanent_refusal_and_exhausted_retries_fail_the_row(desk: Desk, clock: Clock) -> None:
    fake = FakeChannels()
    fake.refuse.add("blocked bot")
    fake.failures["flaky"] = 1000
    await queue(desk, ("telegram", "9", "blocked bot"), ("telegram", "9", "after"), ("sms", "+2", "flaky"))
    await deliver_due(desk, fake)
    for _ in range(desk.settings.outbox.max_attempts):
        clock.advance(seconds=desk.settings.outbox.max_retry_seconds * 1.5)
        await deliver_due(desk, fake)
    rows = await statuses(desk)
    assert rows[0] == ("blocked bot", "failed", 1)
    assert rows[1] == ("after", "sent", 1)  # a dead message does not block the conversation for ever
    assert rows[2] == ("flaky", "failed", desk.settings.outbox.max_attempts)
    async with desk.session() as s:
        errors = [
            r.last_error for r in await s.scalars(select(OutboxItem).where(OutboxItem.status == "failed"))
        ]
    assert errors == ["chat not found", "502 Bad Gateway"]


async def test_a_channel_that_is_off_keeps_its_messages_pending(desk: Desk, clock: Clock) -> None:
    await queue(desk, ("slack", "D1", "for slack"), ("slack", "D1", "second"))
    for _ in range(desk.settings.outbox.max_attempts + 2):  # longer than retries would last
        assert await deliver_due(desk, FakeChannels(channels=("telegram",))) == 0
        clock.advance(seconds=desk.settings.outbox.max_retry_seconds)
    async with desk.session() as s:
        row = await s.scalar(select(OutboxItem).order_by(OutboxItem.id))  # the head: the one tried
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "channel slack is not configured")
    # Once the channel is on (serve restarted with its settings), it goes, in order.
    slack = FakeChannels(channels=("slack",))
    assert await deliver_due(desk, slack) == 2
    assert slack.sent == [("D1", "for slack"), ("D1", "second")]


async def test_two_workers_never_send_the_same_row(desk: Desk) -> None:
    fake = FakeChannels(delay=0.01)
    await queue(desk, *[("telegram", str(i % 7), f"msg {i}") for i in range(40)])
    await asyncio.gather(*(deliver_due(desk, fake, limit=5) for _ in range(6)))
    while await deliver_due(desk, fake) > 0:
        pass
    counts = Counter(text for _, text in fake.sent)
    assert len(counts) == 40
    assert set(counts.values()) == {1}
    for chat in map(str, range(7)):
        texts = [int(t.split()[1]) for c, t in fake.sent if c == chat]
        assert texts == sorted(texts)  # per-address order survives concurrency


async def test_the_loop_wakes_on_commit(desk: Desk) -> None:
    fake = FakeChannels()
    stop = asyncio.Event()
    desk.settings.outbox.poll_seconds = 30  # only the wake-up can deliver within the test
    task = asyncio.create_task(run_delivery(desk, fake, stop))
    await asyncio.sleep(0.05)
    await queue(desk, ("telegram", "1", "ping"))
    desk.wake_outbox()
    for _ in range(100):
        if fake.sent:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert fake.sent == [("1", "ping")]


class LineByLine:
    """A platform that takes a message one line per call (as Telegram takes text pieces and
    files), through :func:`send_parts`; ``flaky`` lines fail once with a temporary error."""

    def __init__(self, flaky: set[str]) -> None:
        self.flaky = flaky
        self.calls: list[str] = []

    def handles(self, channel: str) -> bool:
        return True

    async def send(self, address: Address, message: Outbound) -> str | None:
        def line(text: str) -> Part:
            async def call() -> str:
                self.calls.append(text)
                if text in self.flaky:
                    self.flaky.discard(text)
                    raise ConnectionResetError("connection reset by peer")
                return f"id-{len(self.calls)}"

            return call

        def refusal(exc: Exception) -> DeliveryError | None:
            return DeliveryError(f"unreachable: {exc}") if isinstance(exc, OSError) else None

        return await send_parts([line(t) for t in message.text.splitlines()], message, refusal)


async def test_a_message_sent_in_parts_is_resumed_where_it_failed(desk: Desk, clock: Clock) -> None:
    fake = LineByLine(flaky={"third", "fourth"})
    await queue(desk, ("telegram", "1", "first\nsecond\nthird\nfourth"))
    assert await deliver_due(desk, fake) == 0
    clock.advance(seconds=60)
    assert await deliver_due(desk, fake) == 0  # "third" went, then "fourth" failed
    clock.advance(seconds=120)
    assert await deliver_due(desk, fake) == 1
    assert fake.calls == ["first", "second", "third", "third", "fourth", "fourth"]
    async with desk.session() as s:
        row = await s.scalar(select(OutboxItem))
        assert row is not None
        assert (row.status, row.attempts, row.external_id) == ("sent", 3, "id-1")  # the first line's id
        assert row.payload["sent_parts"] == 3
