"""``frontdesk chat``: the bot in a terminal, through the same path as the REST channel.

Buttons print as numbered options (typing the number picks one); messages from agents appear
as they arrive, between prompts.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Callable

from bots.wiring import Runtime
from channels.base import Address, Inbound, Outbound
from desk.conversations import delivered_messages

__all__ = ["run_chat"]

_QUIT = {"/quit", "/exit", "quit", "exit", "退出"}


def render(message: Outbound, who: str = "bot") -> str:
    """A reply as text: the message, then its buttons as numbered options."""
    lines = [f"{who}> {message.text}"]
    lines += [f"    {n}) {b.title}" for n, b in enumerate(message.buttons, 1)]
    return "\n".join(lines)


async def _poll(runtime: Runtime, user: str, write: Callable[[str], None], stop: asyncio.Event) -> None:
    cursor = 0
    async with runtime.desk.session() as session:
        rows = await delivered_messages(session, "rest", user, 0)
        cursor = max((m.id for m in rows), default=0)  # only what arrives from now on
    while not stop.is_set():
        async with runtime.desk.session() as session:
            for m in await delivered_messages(session, "rest", user, cursor):
                cursor = m.id
                write(render(Outbound(m.text), who=m.author_name or "agent"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.5)


async def run_chat(runtime: Runtime, user: str, lang: str | None) -> None:
    """Read lines from stdin until end of input or ``/quit``; print the bot's replies."""

    def write(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    await runtime.bot.understanding.start()
    stop = asyncio.Event()
    poller = asyncio.create_task(_poll(runtime, user, write, stop))
    write("Type your message (/quit to leave). 请输入消息（/quit 退出）。")
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text.lower() in _QUIT:
                break
            inbound = Inbound(
                address=Address("rest", user),
                user_id=user,
                text=text,
                external_id=f"cli-{uuid.uuid4()}",
                extra={"reply_language": lang} if lang else {},
            )
            for reply in await runtime.bot.handle(inbound, inline=True):
                write(render(reply))
    finally:
        stop.set()
        await poller
