"""Recording what users send: once per platform message id, attachments once per content."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, update

from channels.base import Address, Attachment, Inbound
from desk.attachments import store_attachment
from desk.context import Desk
from desk.conversations import record_inbound
from desk.errors import InvalidInput
from desk.models import Attachment as AttachmentRow
from desk.models import Blob, Conversation, Message, Ticket

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def inbound(text: str, external_id: str, **kw: object) -> Inbound:
    return Inbound(
        address=Address("telegram", "1001"),
        user_id="77",
        text=text,
        external_id=external_id,
        name="王伟",
        **kw,
    )  # type: ignore[arg-type]


async def count(desk: Desk, model: type) -> int:
    async with desk.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_platform_retry_is_recorded_once(desk: Desk) -> None:
    async with desk.session() as s:
        first = await record_inbound(s, desk, inbound("打印机坏了", "update-1"), language="zh")
    async with desk.session() as s:
        retry = await record_inbound(s, desk, inbound("打印机坏了", "update-1"))
    assert first.message is not None and not first.duplicate
    assert retry.duplicate and retry.message is None
    assert retry.conversation.id == first.conversation.id
    assert await count(desk, Message) == 1
    async with desk.session() as s:
        later = await record_inbound(s, desk, inbound("还是不行", "update-2"))
    assert later.conversation.id == first.conversation.id
    assert (later.conversation.mode, later.conversation.language) == ("bot", "zh")
    assert await count(desk, Message) == 2


async def test_the_same_id_on_another_channel_is_a_different_message(desk: Desk) -> None:
    async with desk.session() as s:
        await record_inbound(s, desk, inbound("hi", "42"))
        other = Inbound(
            Address("sms", "+8613800138000"), "+8613800138000", "hi", "42", phone="+8613800138000"
        )
        recorded = await record_inbound(s, desk, other)
    assert not recorded.duplicate
    assert await count(desk, Conversation) == 2


async def test_attachments_are_stored_once_per_content(desk: Desk) -> None:
    photo = Attachment("屏幕截图.png", "image/png", PHOTO)
    async with desk.session() as s:
        await record_inbound(s, desk, inbound("see photo", "u1", attachments=(photo,)))
        await record_inbound(s, desk, inbound("same photo again", "u2", attachments=(photo,)))
    assert await count(desk, AttachmentRow) == 2
    assert await count(desk, Blob) == 1
    async with desk.session() as s:
        names = list(await s.scalars(select(AttachmentRow.filename)))
    assert names == ["屏幕截图.png", "屏幕截图.png"]


async def test_empty_oversized_and_path_names(desk: Desk) -> None:
    desk.settings.storage.max_attachment_bytes = 1024
    async with desk.session() as s:
        with pytest.raises(InvalidInput, match="empty"):
            await store_attachment(s, desk, b"", "x.txt")
        with pytest.raises(InvalidInput, match="larger than"):
            await store_attachment(s, desk, b"x" * 2048, "big.bin")
        stored = await store_attachment(s, desk, b"log line", "..\\..\\C:/Windows/evil.txt")
    assert stored.filename == "evil.txt"
    assert stored.content_type == "text/plain"


async def test_agents_download_attachments(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    async with seeded.session() as s:
        stored = await store_attachment(s, seeded, PHOTO, "屏幕截图.png")
    response = await client.get(
        f"/api/v1/attachments/{stored.id}", headers={"Authorization": tokens["agent"]}
    )
    assert response.status_code == 200
    assert response.content == PHOTO
    assert response.headers["content-type"] == "image/png"
    assert "%E5%B1%8F" in response.headers["content-disposition"]
    assert (await client.get(f"/api/v1/attachments/{stored.id}")).status_code == 401
    missing = await client.get("/api/v1/attachments/999", headers={"Authorization": tokens["agent"]})
    assert missing.status_code == 404


def test_a_list_shows_the_first_words_of_a_long_message_on_one_line() -> None:
    from datetime import UTC, datetime

    from desk.api.conversations import _preview

    said = Message(
        direction="in", author_kind="requester", author_name="王伟", text="打印机\n" + "卡纸了" * 60,
        created_at=datetime(2026, 12, 4, tzinfo=UTC),
    )  # fmt: skip
    shown = _preview(said)
    assert (
        len(shown["text"]) == 140
        and shown["text"].startswith("打印机 卡纸了")
        and shown["text"].endswith("…")
    )
    assert (shown["direction"], shown["author"]) == ("in", "王伟")


async def test_the_waiting_list_numbers_each_in_line_and_moves_up(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    for sender in ("q-1", "q-2", "q-3"):
        said = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "转人工"})
        assert said.status_code == 200
    waiting = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    assert sorted((c["queue_position"], c["ticket"]) for c in waiting) == [
        (1, "INC-1"),
        (2, "INC-2"),
        (3, "INC-3"),
    ]
    first = next(c for c in waiting if c["queue_position"] == 1)
    assert (await client.post(f"/api/v1/conversations/{first['id']}/takeover", headers=h)).status_code == 200
    waiting = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    assert sorted((c["queue_position"], c["ticket"]) for c in waiting) == [(1, "INC-2"), (2, "INC-3")]
    one = (await client.get(f"/api/v1/conversations/{waiting[0]['id']}", headers=h)).json()
    assert one["queue_position"] == waiting[0]["queue_position"] and one["messages"]
    [taken] = (await client.get("/api/v1/conversations?mode=agent", headers=h)).json()["items"]
    assert (taken["agent"]["name"], taken["ticket"]) == ("Test agent", "INC-1")


async def test_each_waits_in_its_groups_line_in_the_order_routing_takes_them(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    for sender, text in [
        ("q-1", "I want to talk to a person"),
        ("q-2", "I want to talk to a person"),
        ("q-3", "VPN keeps dropping. Can I talk to an agent?"),
    ]:
        said = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        assert said.status_code == 200

    async def line() -> list[tuple[str, str, int]]:
        items = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
        return sorted(
            (c["group"]["name"] if c["group"] else "-", c["ticket"], c["queue_position"]) for c in items
        )

    # The VPN one waits for Network, behind nobody; the others for the default group.
    assert await line() == [
        ("Network", "INC-3", 1),
        ("Service Desk", "INC-1", 1),
        ("Service Desk", "INC-2", 2),
    ]
    async with seeded.session() as s:  # INC-2 turns out to be urgent: routing takes it first
        await s.execute(update(Ticket).where(Ticket.ref == "INC-2").values(priority="P1"))
    assert await line() == [
        ("Network", "INC-3", 1),
        ("Service Desk", "INC-1", 2),
        ("Service Desk", "INC-2", 1),
    ]
