"""Dialogue tests read like transcripts: ``await ann.say("...")`` returns the bot's replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bots.turn import TEMPLATES
from desk.context import Desk
from desk.kb import create_article
from desk.models import Article, Message
from desk.settings import RequestType


@dataclass
class Chat:
    """One person talking to the bot through the REST channel, as the web chat does."""

    client: httpx.AsyncClient
    sender: str
    name: str = ""
    email: str | None = None
    language: str | None = None  # the browser's, as the web chat page sends it
    replies: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = "0"
    counter: int = 0

    async def say(self, text: str, *, message_id: str | None = None) -> list[dict[str, Any]]:
        self.counter += 1
        metadata: dict[str, Any] = {
            "name": self.name,
            "message_id": message_id or f"{self.sender}-{self.counter}",
        }
        if self.email:
            metadata["email"] = self.email
        if self.language:
            metadata["language"] = self.language
        response = await self.client.post(
            "/webhooks/rest/webhook", json={"sender": self.sender, "message": text, "metadata": metadata}
        )
        assert response.status_code == 200, response.text
        self.replies = response.json()
        return self.replies

    async def upload(self, filename: str, data: bytes, content_type: str) -> list[dict[str, Any]]:
        """Send a file, as the web chat's paper clip does."""
        response = await self.client.post(
            "/webhooks/rest/upload",
            data={
                "sender": self.sender,
                "message": "",
                **({"language": self.language} if self.language else {}),
            },
            files={"file": (filename, data, content_type)},
        )
        assert response.status_code == 200, response.text
        self.replies = response.json()
        return self.replies

    async def click(self, title_part: str) -> list[dict[str, Any]]:
        """Click the button whose title contains ``title_part`` in the last replies."""
        for reply in self.replies:
            for button in reply.get("buttons", []):
                if title_part in button["title"]:
                    return await self.say(button["payload"])
        raise AssertionError(f"no button {title_part!r} in {self.replies}")

    async def fetch(self) -> list[dict[str, Any]]:
        """Messages agents or the desk sent since the last fetch (the web chat polls this)."""
        response = await self.client.get(
            "/webhooks/rest/messages", params={"sender": self.sender, "after": self.cursor}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.cursor = body["cursor"]
        messages: list[dict[str, Any]] = body["messages"]
        return messages

    async def answer_until(
        self,
        ref: str | re.Pattern[str],
        answer: str | Callable[[Chat], str],
        *,
        never: str | None = None,
        turns: int = 8,
    ) -> None:
        """Answer what the bot asks until a reply names ``ref`` (or matches it): its first
        button, else ``answer`` (or what ``answer(self)`` says, which may assert on the question).
        A reply on the way that names ``never`` fails the test, and so does a bot that never gets
        there after ``turns`` answers, instead of looping for ever."""

        def named() -> bool:
            return bool(ref.search(self.text)) if isinstance(ref, re.Pattern) else ref in self.text

        for _ in range(turns):
            if named():
                return
            assert never is None or never not in self.text, self.replies
            if callable(answer):
                await self.say(answer(self))
            else:
                await self.say(self.payloads[0] if self.payloads else answer)
        assert named(), f"no {ref} after {turns} answers: {self.replies}"

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for r in self.replies for b in r.get("buttons", [])]


@pytest.fixture
def ann(client: httpx.AsyncClient) -> Chat:
    return Chat(client, "ann-web", name="Ann Lee", email="ann@corp.example")


@pytest.fixture
def wang(client: httpx.AsyncClient) -> Chat:
    return Chat(client, "wang-web", name="王芳", email="wang.fang@corp.example")


@pytest.fixture
def users(ann: Chat, wang: Chat) -> dict[str, Chat]:
    return {"en": ann, "zh": wang}


async def ticket(desk: Desk, ref: str) -> Any:
    from desk.tickets import get_ticket

    async with desk.session() as s:
        return await get_ticket(s, ref)


LANGS = ["en", "zh"]
SAY = {
    "en": {
        "greet": "hi there",
        "printer": "printer is offline",
        "detail": "It shows offline since this morning, error 0x00000709 when I print",
        "since": "It started this morning and restarting didn't help",  # detail of any problem
        "vague": "it keeps crashing every hour",
        "software": "I need new software installed",
        "product": "Visio 2021",
        "reason": "drawing network diagrams",
        "monitor": "I need a new monitor for my desk",
        "status": "what's the status of my tickets?",
        "status_ref": "what's happening with {ref}?",
        "add": "add to {ref}: the scanner on the same floor is also broken",
        "cancel": "please cancel {ref}",
        "human": "I want to talk to a person",
        "gibberish": "xqzt vbnm plok",
        "still_broken": "no, it's still broken",
        "stars": "⭐⭐⭐⭐⭐",
        "comment": "quick and friendly",
        "weather": "what's the weather tomorrow?",
        "battery": "my laptop battery drains in an hour",
        "typed_high": "i cant work!",
        "say_urgent": "it's very urgent, I have a client demo",
        "more": "also it gets very hot when it charges",
    },
    "zh": {
        "greet": "你好",
        "printer": "打印机显示脱机了",
        "detail": "从今天早上开始就脱机，打印时报错 0x00000709",
        "since": "今天早上开始的，重启也没用",
        "vague": "每个小时都崩溃一次",
        "software": "我需要安装一个软件",
        "product": "Visio 2021",
        "reason": "画网络拓扑图",
        "monitor": "我想申请一个新的显示器",
        "status": "我的工单进展",
        "status_ref": "{ref} 现在怎么样了？",
        "add": "补充 {ref}：同一层的扫描仪也坏了",
        "cancel": "帮我取消 {ref}",
        "human": "转人工",
        "gibberish": "啊啊啊哦哦哦嗯嗯",
        "still_broken": "还是不行，没有解决",
        "stars": "非常满意",
        "comment": "很快很专业",
        "weather": "明天天气怎么样？",
        "battery": "笔记本电脑的电池一个小时就没电了",
        "typed_high": "无法工作。",
        "say_urgent": "很急，下午要给客户演示",
        "more": "另外充电的时候机身特别烫",
    },
}


async def files_on(desk: Desk, ref: str) -> list[str]:
    """The names of the files on ticket ``ref``'s messages."""
    made = await ticket(desk, ref)
    async with desk.session() as s:
        messages = await s.scalars(select(Message).where(Message.ticket_id == made.id))
        return [a.filename for m in messages for a in m.attachments]


def request_kind(desk: Desk, key: str) -> RequestType:
    """The configured kind of service request ``key`` (their order in config.yml is the desk's)."""
    return next(r for r in desk.settings.bot.requests if r.key == key)


def t(lang: str, key: str, **values: object) -> str:
    return TEMPLATES.t(lang, key, **values)


async def count(desk: Desk, model: type) -> int:
    async with desk.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def add_article(
    desk: Desk, lang: str, title: dict[str, str], body: dict[str, str], category: str
) -> None:
    """A published article in ``lang`` (``title`` and ``body`` give both languages)."""
    async with desk.session() as s:
        await create_article(s, desk, title=title[lang], body=body[lang], language=lang, category=category)


async def offered(chat: Chat, desk: Desk) -> list[Article]:
    """The articles the bot's last replies offered ("✅ 1 solved it" buttons), in order."""
    ids = [int(p.split()[1]) for p in chat.payloads if p.startswith("/solved ")]
    async with desk.session() as s:
        found = [await s.get(Article, i) for i in ids]
    return [a for a in found if a is not None]


async def skip_kb(chat: Chat) -> None:
    """Answer "not solved" if the bot suggested articles."""
    if "/not_solved" in chat.payloads:
        await chat.say("/not_solved")


async def open_ticket(chat: Chat, lang: str, said: str | None = None, urgency: str = "high") -> str:
    """Report ``said`` (a printer problem if not given) through to a ticket, answering what the
    bot asks (``urgency`` to how badly it hurts); its reference."""
    await chat.say(said or SAY[lang]["printer"])
    await skip_kb(chat)
    assert f"/urgency {urgency}" in chat.payloads, chat.replies
    await chat.say(f"/urgency {urgency}")
    if chat.text == t(lang, "ask.description"):
        await chat.say(SAY[lang]["since" if said else "detail"])  # a printer's detail is another problem
    ref = chat.text.split("INC-")[1].split(" ")[0].rstrip('：:，,.。"「」')
    return f"INC-{int(''.join(c for c in ref if c.isdigit()))}"


async def resolved_printer_ticket(
    chat: Chat, lang: str, client: httpx.AsyncClient, tokens: dict[str, str], solution: str
) -> tuple[str, list[dict[str, Any]]]:
    """A printer ticket an agent resolved with ``solution``; its reference and what the user got."""
    ref = await open_ticket(chat, lang)
    headers = {"Authorization": tokens["agent"]}
    await client.post(f"/api/v1/tickets/{ref}/resolve", json={"solution": solution}, headers=headers)
    return ref, await chat.fetch()
