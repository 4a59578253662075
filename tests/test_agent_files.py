"""Agents send files: upload, attach to a comment or a chat message, deliver, link, clean up.

Both databases. The platforms themselves are in the channel tests; here the outbox's sender is
a recorder, and the REST channel (which sends links) is the real one through the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from channels.base import Address, Outbound
from desk.attachments import purge_unused_uploads, store_attachment
from desk.context import Desk
from desk.models import Attachment, Blob, Message, OutboxItem
from desk.outbox import deliver_due
from tests.conftest import Clock
from tests.test_api import ANN, create, error_of

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
GUIDE = b"%PDF-1.4 how to set up the VPN\n"


class Recorder:
    """The outbox's sender: keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[Address, Outbound]] = []

    def handles(self, channel: str) -> bool:
        return True

    async def send(self, address: Address, message: Outbound) -> str | None:
        self.sent.append((address, message))
        return None


async def upload(client: httpx.AsyncClient, auth: str, name: str, data: bytes, kind: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/attachments", files={"file": (name, data, kind)}, headers={"Authorization": auth}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def local(url: str) -> str:
    """The path of a link built on ``public_url``, for the in-process client."""
    parts = urlsplit(url)
    return parts.path


async def test_a_public_comment_carries_its_files_to_the_requester(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk, clock: Clock
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    shot = await upload(client, tokens["agent"], "步骤截图.png", PHOTO, "image/png")
    guide = await upload(client, tokens["agent"], "vpn-guide.pdf", GUIDE, "application/pdf")
    assert (shot["filename"], shot["content_type"], shot["size"]) == ("步骤截图.png", "image/png", len(PHOTO))
    reply = await client.post(
        "/api/v1/tickets/INC-1/comments",
        json={"body": "Follow these steps", "attachments": [shot["id"], guide["id"]]},
        headers=h,
    )
    assert reply.status_code == 201, reply.text
    comment = reply.json()
    assert [a["id"] for a in comment["attachments"]] == [shot["id"], guide["id"]]

    ticket = (await client.get("/api/v1/tickets/INC-1", headers=h)).json()
    copy = next(m for m in ticket["messages"] if m["copy_of"] == comment["id"])
    assert [a["filename"] for a in copy["attachments"]] == ["步骤截图.png", "vpn-guide.pdf"]
    assert {a["sha256"] for a in copy["attachments"]} == {a["sha256"] for a in comment["attachments"]}
    async with seeded.session() as s:
        assert await s.scalar(select(func.count()).select_from(Blob)) == 2  # the bytes once
        item = await s.scalar(select(OutboxItem))
        assert item is not None and item.payload["attachment_ids"] == [a["id"] for a in copy["attachments"]]

    recorder = Recorder()
    assert await deliver_due(seeded, recorder) == 1
    address, message = recorder.sent[0]
    assert address.chat_id == ANN["email"] and "Follow these steps" in message.text
    assert [(f.filename, f.content_type, f.data) for f in message.attachments] == [
        ("步骤截图.png", "image/png", PHOTO),
        ("vpn-guide.pdf", "application/pdf", GUIDE),
    ]
    # Each file has a sign-in-free link (for SMS and the web chat); the token is its key.
    link = message.attachments[0].url
    assert link is not None and link.startswith(seeded.settings.public_url)
    fetched = await client.get(local(link))
    assert fetched.status_code == 200 and fetched.content == PHOTO
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["content-disposition"].startswith("inline")
    assert fetched.headers["x-content-type-options"] == "nosniff"
    ident, token = local(link).split("/")[2:4]
    wrong = await client.get(f"/files/{ident}/{'x' * len(token)}/name.png")
    assert wrong.status_code == 404 and error_of(wrong)["code"] == "not_found"
    pdf = await client.get(local(message.attachments[1].url or ""))
    assert pdf.headers["content-type"] == "application/pdf"

    # A link works for storage.file_link_days (30); then it says so, and agents still have the file.
    clock.advance(days=29, hours=23)
    assert (await client.get(local(link))).status_code == 200
    clock.advance(hours=2)
    expired = await client.get(local(link))
    assert expired.status_code == 410 and error_of(expired)["code"] == "link_expired"
    assert "send the file again" in error_of(expired)["message"]
    kept = await client.get(f"/api/v1/attachments/{copy['attachments'][0]['id']}", headers=h)
    assert kept.status_code == 200 and kept.content == PHOTO


async def test_an_internal_note_keeps_its_file_inside(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    log = await upload(client, tokens["agent"], "server.log", b"ERROR disk full\n", "text/plain")
    note = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"public": False, "attachments": [log["id"]]}, headers=h
    )
    assert note.status_code == 201, note.text
    assert note.json()["text"] == "" and [a["filename"] for a in note.json()["attachments"]] == ["server.log"]
    async with seeded.session() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxItem)) == 0
        row = await s.get(Attachment, log["id"])
        assert row is not None and row.token is None  # never sent: no link
    ticket = (await client.get("/api/v1/tickets/INC-1", headers=h)).json()
    assert ticket["events"][-1]["note"] == "server.log"


async def test_uploads_are_checked(client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk) -> None:
    h = {"Authorization": tokens["agent"]}
    await create(client, tokens["agent"])
    file = await upload(client, tokens["agent"], "a.txt", b"a", "text/plain")
    first = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"body": "one", "attachments": [file["id"]]}, headers=h
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"body": "two", "attachments": [file["id"]]}, headers=h
    )
    assert again.status_code == 422 and error_of(again)["code"] == "upload_used"
    unknown = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"body": "three", "attachments": [9999]}, headers=h
    )
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_upload"
    # Another agent's pending upload cannot be sent by guessing its id.
    theirs = await upload(client, tokens["supervisor"], "salaries.xlsx", b"PK secret", "application/zip")
    stolen = await client.post(
        "/api/v1/tickets/INC-1/comments", json={"body": "four", "attachments": [theirs["id"]]}, headers=h
    )
    assert stolen.status_code == 422 and error_of(stolen)["code"] == "unknown_upload"
    empty = await client.post("/api/v1/tickets/INC-1/comments", json={"body": " "}, headers=h)
    assert empty.status_code == 422
    nothing = await client.post(
        "/api/v1/attachments", files={"file": ("e.txt", b"", "text/plain")}, headers=h
    )
    assert nothing.status_code == 422 and error_of(nothing)["code"] == "empty_attachment"
    anonymous = await client.post("/api/v1/attachments", files={"file": ("a.txt", b"a", "text/plain")})
    assert anonymous.status_code == 401
    async with seeded.session() as s:  # nothing of the refused comments was kept
        texts = list(await s.scalars(select(Message.text).where(Message.ticket_id.is_not(None))))
    assert "two" not in texts and "three" not in texts and "four" not in texts


async def test_an_agent_sends_a_file_into_a_web_chat(
    client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    h = {"Authorization": tokens["agent"]}
    said = await client.post(
        "/webhooks/rest/webhook", json={"sender": "web-42", "message": "I want to talk to a person"}
    )
    assert said.status_code == 200
    conversation = (await client.get("/api/v1/conversations", headers=h)).json()["items"][0]
    assert (
        await client.post(f"/api/v1/conversations/{conversation['id']}/takeover", headers=h)
    ).status_code == 200
    shot = await upload(client, tokens["agent"], "settings.png", PHOTO, "image/png")
    wrote = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "Open this screen", "attachments": [shot["id"]]},
        headers=h,
    )
    assert wrote.status_code == 201, wrote.text
    assert [a["filename"] for a in wrote.json()["attachments"]] == ["settings.png"]
    only_file = await upload(client, tokens["agent"], "guide.pdf", GUIDE, "application/pdf")
    wrote = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"attachments": [only_file["id"]]},
        headers=h,
    )
    assert wrote.status_code == 201 and wrote.json()["text"] == ""
    [listed] = (await client.get("/api/v1/conversations", headers=h)).json()["items"]
    assert listed["last_message"]["text"] == "📎 guide.pdf"  # a file alone is shown by its name
    assert (
        await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages", json={"text": ""}, headers=h
        )
    ).status_code == 422

    feed = (await client.get("/webhooks/rest/messages", params={"sender": "web-42"})).json()["messages"]
    with_files = [m for m in feed if m.get("attachments")]
    assert [m["text"] for m in with_files] == ["Open this screen", ""]
    picture = with_files[0]["attachments"][0]
    assert (picture["filename"], picture["content_type"]) == ("settings.png", "image/png")
    assert (await client.get(local(picture["url"]))).content == PHOTO
    assert "attachments" not in feed[0]  # the bot's "an agent joined" line has none


async def test_unused_uploads_are_purged_after_a_day(seeded: Desk, clock: Clock) -> None:
    async with seeded.session() as s:
        stale = await store_attachment(s, seeded, b"given up", "draft.txt")
        shared = await store_attachment(s, seeded, PHOTO, "a.png")
        message = Message(direction="out", author_kind="agent", channel="api", text="x", created_at=clock.now)
        s.add(message)
        await s.flush()
        await store_attachment(s, seeded, PHOTO, "a.png", message_id=message.id)  # same bytes, in use
        stale_id, shared_id = stale.id, shared.id
    assert await purge_unused_uploads(seeded) == 0  # not a day old yet
    clock.advance(days=1, minutes=1)
    async with seeded.session() as s:
        fresh = await store_attachment(s, seeded, b"just now", "new.txt")
    assert await purge_unused_uploads(seeded) == 2
    async with seeded.session() as s:
        assert await s.get(Attachment, stale_id) is None and await s.get(Attachment, shared_id) is None
        assert await s.get(Attachment, fresh.id) is not None
        digests = set(await s.scalars(select(Blob.sha256)))
    assert len(digests) == 2  # the photo stays for the message that has it; "given up" is gone
