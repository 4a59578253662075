"""Dialogue tests read like transcripts: ``await ann.say("...")`` returns the bot's replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from desk.context import Desk


@dataclass
class Chat:
    """One person talking to the bot through the REST channel, as the web chat does."""

    client: httpx.AsyncClient
    sender: str
    name: str = ""
    email: str | None = None
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
        response = await self.client.post(
            "/webhooks/rest/webhook", json={"sender": self.sender, "message": text, "metadata": metadata}
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
